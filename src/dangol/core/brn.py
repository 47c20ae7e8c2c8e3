"""사업자등록번호 (business registration number): format and check digit."""

import re
import unicodedata

from django.utils.translation import gettext_lazy as _

from dangol.core.errors import ValidationError

_WEIGHTS = (1, 3, 7, 1, 3, 7, 1, 3, 5)


class InvalidBRN(ValidationError):
    code = "invalid_brn"
    template = _("사업자등록번호가 올바르지 않습니다: %(value)s")


# What people type between the digits: any whitespace and any dash (after NFKC, which turns
# full-width digits and the full-width hyphen into ASCII).
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212]+")


def brn_digits(value: str) -> str:
    """Return the 10 digits of `value`, or raise InvalidBRN.

    Accept the digits with any spacing or dashes between them ('116-82-00276', '1168200276',
    '116 82 00276', full-width '１１６－８２－００２７６'); nothing else may appear.
    """
    text = str(value).strip()
    digits = _SEPARATORS.sub("", unicodedata.normalize("NFKC", text))
    if not re.fullmatch(r"[0-9]{10}", digits, flags=re.ASCII):
        raise InvalidBRN(value=text)
    return digits


def brn_check_digit(first_nine: str) -> int:
    """Return the check digit for the first nine digits of a BRN."""
    digits = [int(c) for c in first_nine]
    total = sum(d * w for d, w in zip(digits, _WEIGHTS, strict=True))
    total += digits[8] * 5 // 10
    return (10 - total % 10) % 10


def brn_normalize(value: str) -> str:
    """Return `value` as 'XXX-XX-XXXXX' if its check digit holds, else raise InvalidBRN."""
    digits = brn_digits(value)
    if brn_check_digit(digits[:9]) != int(digits[9]):
        raise InvalidBRN(value=str(value).strip())
    return f"{digits[:3]}-{digits[3:5]}-{digits[5:]}"


def brn_is_valid(value: str) -> bool:
    """Return whether `value` is a well-formed BRN with a correct check digit."""
    try:
        brn_normalize(value)
    except InvalidBRN:
        return False
    return True
