"""Cut-off days, next cut-off and payout dates (pure arithmetic, no database)."""

import datetime as dt
from dataclasses import dataclass, field

import pytest

from dangol.core.clock import kst
from dangol.settlement.cycles import cutoff_days, next_cutoff, payout_date, policy_cutoffs


@dataclass
class Terms:
    cycles_per_month: int | None = 10
    cycle_days: list[int] = field(default_factory=list)
    cutoff_time: dt.time = dt.time(23, 59)
    payout_lag_days: int = 1


@pytest.mark.parametrize(
    ("year", "month", "last"),
    [(2026, 2, 28), (2028, 2, 29), (2026, 4, 30), (2026, 12, 31)],
)
def test_ten_cycles_end_on_the_months_last_day(year, month, last):
    assert cutoff_days(Terms(), year, month) == [3, 6, 9, 12, 15, 18, 21, 24, 27, last]


@pytest.mark.parametrize(("year", "month", "last"), [(2026, 2, 28), (2028, 2, 29), (2026, 1, 31)])
def test_four_cycles_are_weekly_with_the_last_at_month_end(year, month, last):
    assert cutoff_days(Terms(cycles_per_month=4), year, month) == [7, 14, 21, last]


def test_explicit_days_past_month_end_move_to_the_last_day():
    terms = Terms(cycles_per_month=None, cycle_days=[15, 30, 31])

    assert cutoff_days(terms, 2026, 2) == [15, 28]
    assert cutoff_days(terms, 2026, 4) == [15, 30]
    assert cutoff_days(terms, 2026, 5) == [15, 30, 31]


def test_policy_cutoffs_are_kst_wall_clock_times():
    cutoffs = policy_cutoffs(Terms(cycles_per_month=4), dt.date(2026, 11, 5))

    assert cutoffs[-1] == kst(2026, 11, 30, 23, 59)
    assert cutoffs[-1].utcoffset() == dt.timedelta(hours=9)


def test_next_cutoff_is_strictly_after_and_crosses_the_month():
    terms = Terms()

    assert next_cutoff(terms, kst(2026, 11, 3, 23, 59)) == kst(2026, 11, 6, 23, 59)
    assert next_cutoff(terms, kst(2026, 11, 30, 23, 59)) == kst(2026, 12, 3, 23, 59)
    assert next_cutoff(terms, kst(2026, 2, 27, 23, 59)) == kst(2026, 2, 28, 23, 59)


def test_payout_rolls_over_chuseok_2026():
    # 9/24–9/26 추석 연휴 (목–토), then Sunday: the next business day is Monday 9/28.
    assert payout_date(Terms(), kst(2026, 9, 24, 23, 59)) == dt.date(2026, 9, 28)
    assert payout_date(Terms(), kst(2026, 9, 23, 23, 59)) == dt.date(2026, 9, 28)


def test_payout_rolls_over_christmas_2026():
    # 12/25 is a Friday: a cut-off on the 24th pays on Monday the 28th.
    assert payout_date(Terms(), kst(2026, 12, 24, 23, 59)) == dt.date(2026, 12, 28)


def test_zero_lag_pays_on_the_cutoff_day_or_the_next_business_day():
    terms = Terms(payout_lag_days=0)

    assert payout_date(terms, kst(2026, 11, 30, 23, 59)) == dt.date(2026, 11, 30)
    assert payout_date(terms, kst(2026, 10, 3, 23, 59)) == dt.date(2026, 10, 6)


def test_cutoff_late_in_the_kst_day_uses_the_kst_date():
    # 2026-11-30 23:59 KST is 14:59 UTC the same day; 2026-12-01 00:30 KST is 11-30 UTC.
    moment = dt.datetime(2026, 11, 30, 15, 30, tzinfo=dt.UTC)

    assert payout_date(Terms(), moment) == dt.date(2026, 12, 2)
