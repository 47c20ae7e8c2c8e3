"""`Won` and `PositiveWon`: money in a request body is a JSON integer of won, nothing else."""

import pytest
from ninja import Schema
from pydantic import ValidationError

from dangol.core.api import WON_MAX, PositiveWon, Won


class _Payment(Schema):
    amount: PositiveWon
    tip: Won = 0


@pytest.mark.parametrize("amount", [1, 12_000, WON_MAX])
def test_whole_won_in_range_is_accepted(amount):
    assert _Payment.model_validate({"amount": amount, "tip": 0}).amount == amount


@pytest.mark.parametrize("amount", [True, False, "1000", 1000.0, None, 0, -1, WON_MAX + 1, 2**63])
def test_anything_but_a_whole_number_of_won_in_range_is_refused(amount):
    with pytest.raises(ValidationError):
        _Payment.model_validate({"amount": amount})


def test_a_boolean_is_refused_with_a_korean_message():
    with pytest.raises(ValidationError) as refused:
        _Payment.model_validate({"amount": 1, "tip": True})

    assert refused.value.errors()[0]["type"] == "won_not_integer"
    assert "원 단위 정수" in refused.value.errors()[0]["msg"]
