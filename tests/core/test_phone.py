import pytest

from dangol.core.phone import (
    InvalidPhone,
    mobile_normalize,
    phone_display,
    phone_mask,
    phone_normalize,
)


@pytest.mark.parametrize(
    "text", ["010-1234-5678", "01012345678", "010 1234 5678", "+82 10-1234-5678", "+821012345678"]
)
def test_mobile_numbers_normalise_to_e164(text):
    assert mobile_normalize(text) == "+821012345678"


@pytest.mark.parametrize(
    "text",
    [
        "051-544-9005", "02-123-4567", "010-123", "abc", "", "+1 202 555 0100",
        # 010 is followed by exactly 8 digits; the old 01X prefixes are gone.
        "010-123-4567", "0101234567", "+82 10-123-4567", "011-123-4567", "011-1234-5678",
        "016-9876-5432", "010-1234-56789",
    ],
)
def test_landlines_and_garbage_are_not_mobile_numbers(text):
    with pytest.raises(InvalidPhone) as excinfo:
        mobile_normalize(text)
    assert "휴대전화" in excinfo.value.message


def test_landline_is_a_valid_store_phone():
    assert phone_normalize("051-544-9005") == "+82515449005"
    assert phone_display("+82515449005") == "051-544-9005"


def test_mask_hides_the_middle_group():
    assert phone_mask("+821012345678") == "010-****-5678"
    assert phone_mask("+82515449005") == "051-***-9005"


def test_display_is_national_form():
    assert phone_display("+821012345678") == "010-1234-5678"
