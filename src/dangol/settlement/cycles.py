"""Cut-off and payout-date arithmetic of settlement policies and of fast settlement (빠른정산);
pure functions, no database."""

import calendar as month_calendar
import datetime as dt
from typing import Protocol

from dateutil.relativedelta import relativedelta

from dangol.core.calendar import add_business_days, is_business_day, next_business_day
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
        month += relativedelta(months=1)
    raise ValueError("policy has no cut-off days")


def payout_date(policy: PolicyTerms, cutoff: dt.datetime) -> dt.date:
    """Return the business day on which the run of `cutoff` pays: `payout_lag_days` Korean
    business days after the cut-off date, or the cut-off date itself rolled forward to a
    business day when the lag is zero."""
    day = cutoff.astimezone(KST).date()
    if policy.payout_lag_days == 0:
        return next_business_day(day, include_today=True)
    return add_business_days(day, policy.payout_lag_days)


def previous_business_day(day: dt.date) -> dt.date:
    """Return the last Korean business day before `day`."""
    candidate = day - dt.timedelta(days=1)
    while not is_business_day(candidate):
        candidate -= dt.timedelta(days=1)
    return candidate


def fast_cutoff(day: dt.date) -> dt.datetime:
    """Return the fast-settlement cut-off that ends the business day `day`: the following
    midnight, KST (so the window of `day` is everything after the previous cut-off up to and
    including 24:00 of `day`)."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0, 0), tzinfo=KST)


def fast_cutoff_day(cutoff: dt.datetime) -> dt.date | None:
    """Return the business day that the aware `cutoff` ends, or None if it is not a
    fast-settlement cut-off (a KST midnight following a business day)."""
    local = cutoff.astimezone(KST)
    if local.time() != dt.time(0, 0):
        return None
    day = local.date() - dt.timedelta(days=1)
    return day if is_business_day(day) else None


def fast_payout_date(cutoff: dt.datetime) -> dt.date:
    """Return the day a fast run pays: the business day after the day its cut-off ends."""
    day = (cutoff.astimezone(KST) - dt.timedelta(microseconds=1)).date()
    return next_business_day(day)


def latest_fast_cutoff(at: dt.datetime) -> dt.datetime:
    """Return the latest fast-settlement cut-off at or before the aware moment `at`."""
    day = at.astimezone(KST).date()
    if fast_cutoff(day) > at:
        day -= dt.timedelta(days=1)
    if not is_business_day(day):
        day = previous_business_day(day)
    return fast_cutoff(day)
