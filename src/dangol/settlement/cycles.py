"""Cut-off and payout-date arithmetic of settlement policies; pure functions, no database."""

import calendar as month_calendar
import datetime as dt
from typing import Protocol

from dangol.core.calendar import add_business_days, next_business_day
from dangol.core.clock import KST


class PolicyTerms(Protocol):
    """What the arithmetic needs of a policy (a SettlementPolicy satisfies it)."""

    cycles_per_month: int | None
    cycle_days: list[int]
    cutoff_time: dt.time
    payout_lag_days: int


def cutoff_days(policy: PolicyTerms, year: int, month: int) -> list[int]:
    """Return the sorted cut-off days of `month`.

    N cycles a month fall every ⌊30 / N⌋ days with the last on the month's last day
    (10 → 3, 6, …, 27, last; 4 → 7, 14, 21, last). Explicit days past the month's end
    move to its last day (31 → 30 in April).
    """
    last = month_calendar.monthrange(year, month)[1]
    if policy.cycles_per_month:
        count = policy.cycles_per_month
        step = 30 // count
        days = [min(step * index, last) for index in range(1, count)] + [last]
    else:
        days = [min(int(day), last) for day in policy.cycle_days]
    return sorted(set(days))


def policy_cutoffs(policy: PolicyTerms, month: dt.date) -> list[dt.datetime]:
    """Return the aware cut-off moments (KST wall clock) of the month containing `month`."""
    return [
        dt.datetime.combine(
            dt.date(month.year, month.month, day), policy.cutoff_time, tzinfo=KST
        )
        for day in cutoff_days(policy, month.year, month.month)
    ]


def next_cutoff(policy: PolicyTerms, after: dt.datetime) -> dt.datetime:
    """Return the first cut-off strictly after the aware moment `after`."""
    local = after.astimezone(KST)
    month = local.date().replace(day=1)
    for _ in range(13):
        for cutoff in policy_cutoffs(policy, month):
            if cutoff > after:
                return cutoff
        month = (month + dt.timedelta(days=32)).replace(day=1)
    raise ValueError("policy has no cut-off days")


def payout_date(policy: PolicyTerms, cutoff: dt.datetime) -> dt.date:
    """Return the business day on which the run of `cutoff` pays: `payout_lag_days` Korean
    business days after the cut-off date, or the cut-off date itself rolled forward to a
    business day when the lag is zero."""
    day = cutoff.astimezone(KST).date()
    if policy.payout_lag_days == 0:
        return next_business_day(day, include_today=True)
    return add_business_days(day, policy.payout_lag_days)
