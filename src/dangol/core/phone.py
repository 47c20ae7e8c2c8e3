"""Korean telephone numbers: mobile normalisation (E.164 via `phonenumbers`) and masking."""

import re

import phonenumbers
from django.utils.translation import gettext_lazy as _
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from dangol.core.errors import ValidationError


class InvalidPhone(ValidationError):
    code = "invalid_phone"
    template = _("휴대전화 번호가 올바르지 않습니다: %(value)s")


def _parse(value: str) -> phonenumbers.PhoneNumber:
    try:
        number = phonenumbers.parse(str(value).strip(), "KR")
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(value=str(value).strip()) from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(value=str(value).strip())
    return number


# A Korean mobile number today is 010 and 8 digits (national number "10" + 8 digits). The
# library also knows the retired 01X prefixes and 010 with a 3-digit middle group.
_MOBILE_NATIONAL = re.compile(r"10[0-9]{8}")


def mobile_normalize(value: str) -> str:
    """Return the Korean mobile number in `value` as E.164 ('+821012345678').

    Raise InvalidPhone if it is not 010 followed by 8 digits (landlines are refused:
    customers sign in with a phone that receives SMS; so are the retired 011/016/017/018/019
    numbers and 010 with a 3-digit middle group).
    """
    number = _parse(value)
    if (
        number.country_code != 82
        or phonenumbers.number_type(number) != PhoneNumberType.MOBILE
        or not _MOBILE_NATIONAL.fullmatch(str(number.national_number))
    ):
        raise InvalidPhone(value=str(value).strip())
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def phone_normalize(value: str) -> str:
    """Return any valid Korean telephone number (mobile or landline) as E.164."""
    number = _parse(value)
    if number.country_code != 82:
        raise InvalidPhone(value=str(value).strip())
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def phone_display(e164: str) -> str:
    """Return an E.164 Korean number in the national form: '+821012345678' → '010-1234-5678'."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, "KR")
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)


def phone_mask(e164: str) -> str:
    """Return the number with its middle group hidden: '+821012345678' → '010-****-5678'."""
    national = phone_display(e164)
    parts = national.split("-")
    if len(parts) != 3:
        return "*" * max(len(national) - 4, 0) + national[-4:]
    return f"{parts[0]}-{'*' * len(parts[1])}-{parts[2]}"
