import pytest
from hypothesis import given
from hypothesis import strategies as st

from dangol.core.brn import InvalidBRN, brn_check_digit, brn_is_valid, brn_normalize

VALID = ["116-82-00276", "134-86-72683"]


@pytest.mark.parametrize("brn", VALID)
def test_known_valid_numbers_pass(brn):
    assert brn_is_valid(brn)
    assert brn_normalize(brn.replace("-", "")) == brn


@pytest.mark.parametrize("brn", VALID)
def test_changing_any_single_digit_makes_it_invalid(brn):
    digits = brn.replace("-", "")
    for position in range(10):
        for replacement in "0123456789":
            if replacement == digits[position]:
                continue
            changed = digits[:position] + replacement + digits[position + 1:]
            assert not brn_is_valid(changed), changed


@pytest.mark.parametrize(
    "text",
    [
        "116 82 00276", " 116-82-00276 ", "116 - 82 - 00276", "1168-200276", "11-68-20-02-76",
        "116--82--00276", "116\u00a082\u00a000276", "116–82–00276", "１１６－８２－００２７６",
        "116\t82\t00276",
    ],
)
def test_digits_with_any_spacing_or_dashes_are_accepted(text):
    assert brn_normalize(text) == "116-82-00276"


@pytest.mark.parametrize(
    "text",
    ["", " - ", "116-82-0027", "116820027611", "11a-82-00276", "116.82.00276", "116/82/00276"],
)
def test_malformed_numbers_raise_with_the_value_in_the_message(text):
    with pytest.raises(InvalidBRN) as excinfo:
        brn_normalize(text)
    assert "사업자등록번호" in excinfo.value.message


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_exactly_one_check_digit_completes_any_nine_digits(first):
    valid = [d for d in "0123456789" if brn_is_valid(first + d)]
    assert valid == [str(brn_check_digit(first))]
