import pytest
from hypothesis import given
from hypothesis import strategies as st

from dangol.core.money import InvalidAmount, format_won, parse_won, percent_of


@pytest.mark.parametrize(
    ("amount", "text"),
    [(12000, "₩12,000"), (0, "₩0"), (999, "₩999"), (1000, "₩1,000"), (-500, "-₩500"),
     (300_000, "₩300,000"), (1_000_000_000, "₩1,000,000,000")],
)
def test_format_won_uses_symbol_and_thousands_commas(amount, text):
    assert format_won(amount) == text


def test_format_won_without_symbol_appends_won():
    assert format_won(12000, symbol=False) == "12,000원"


@pytest.mark.parametrize("bad", [12.5, "12000", True, None])
def test_format_won_refuses_non_int(bad):
    with pytest.raises(TypeError):
        format_won(bad)


@pytest.mark.parametrize(
    ("text", "amount"),
    [("12000", 12000), ("12,000", 12000), ("₩12,000", 12000), ("12,000원", 12000),
     (" ₩ 300,000 ", 300000), ("3만", 30000), ("3만원", 30000), ("1억 2000만", 120_000_000),
     ("2만 5000", 25000), ("-₩500", -500), ("0", 0)],
)
def test_parse_won_reads_korean_forms(text, amount):
    assert parse_won(text) == amount


@pytest.mark.parametrize(
    "text", ["12.5", "1,20,00", "abc", "", "₩", "12,0000", "3만 12000", "12 000"]
)
def test_parse_won_rejects_malformed_text_with_message(text):
    with pytest.raises(InvalidAmount) as excinfo:
        parse_won(text)
    assert "금액" in excinfo.value.message


@given(st.integers(min_value=-10**12, max_value=10**12))
def test_parse_reads_back_what_format_wrote(amount):
    assert parse_won(format_won(amount)) == amount
    assert parse_won(format_won(amount, symbol=False)) == amount


@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=0, max_value=10_000))
def test_percent_of_rounds_down_and_never_exceeds_amount(amount, bp):
    fee = percent_of(amount, bp)
    assert 0 <= fee <= amount
    assert fee * 10_000 <= amount * bp < (fee + 1) * 10_000
