"""사업자등록번호 (business registration number): format and check digit."""

import re

from django.utils.translation import gettext_lazy as _

from dangol.core.errors import ValidationError

_WEIGHTS = (1, 3, 7, 1, 3, 7, 1, 3, 5)


class InvalidBRN(ValidationError):
    code = "invalid_brn"
    template = _("사업자등록번호가 올바르지 않습니다: %(value)s")


def brn_digits(value: str) -> str:
    """Return the 10 digits of `value` ('116-82-00276' or '1168200276'), or raise InvalidBRN."""
    text = str(value).strip()
    if not re.fullmatch(r"[0-9]{3}-?[0-9]{2}-?[0-9]{5}", text):
        raise InvalidBRN(value=text)
    return text.replace("-", "")


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
