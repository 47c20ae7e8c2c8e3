"""Calendar-month steps of the voucher terms (extension, after-expiry refund window) at the
edges of months and leap years, in Korean time."""

import datetime as dt

import pytest

from dangol.core.clock import KST, kst
from dangol.vouchers.rules import (
    AFTER_EXPIRY_REFUND_MONTHS,
    EXTENSION_MONTHS,
    add_months,
    voucher_expiry,
)


@pytest.mark.parametrize(("moment", "months", "expected"), [
    (kst(2026, 1, 31, 10), 1, kst(2026, 2, 28, 10)),  # the 31st → the month's last day
    (kst(2028, 1, 31, 10), 1, kst(2028, 2, 29, 10)),  # … of a leap February
    (kst(2026, 3, 31), -1, kst(2026, 2, 28)),
    (kst(2026, 8, 31, 23, 59), 1, kst(2026, 9, 30, 23, 59)),
    (kst(2026, 11, 30), 3, kst(2027, 2, 28)),  # across the year end
    (kst(2026, 12, 15, 9), 1, kst(2027, 1, 15, 9)),
    (kst(2027, 1, 15), -1, kst(2026, 12, 15)),
    (kst(2028, 2, 29, 12), 12, kst(2029, 2, 28, 12)),  # 29 February + 1 year
    (kst(2028, 2, 29, 12), 48, kst(2032, 2, 29, 12)),  # + 4 years: a leap year again
    (kst(2028, 2, 29, 12), -24, kst(2026, 2, 28, 12)),  # − 2 years
    (kst(2026, 5, 31), -24, kst(2024, 5, 31)),
    (kst(2026, 6, 3), 0, kst(2026, 6, 3)),
])
def test_add_months_steps_calendar_months_and_clips_to_the_month_end(moment, months, expected):
    assert add_months(moment, months) == expected


def test_add_months_counts_in_korean_time_not_utc():
    # 31 January 00:30 KST is still 30 January in UTC: the month end is that of KST.
    moment = dt.datetime(2026, 1, 30, 15, 30, tzinfo=dt.UTC)

    moved = add_months(moment, 1)

    assert moved == kst(2026, 2, 28, 0, 30)
    assert moved.tzinfo == KST


@pytest.mark.parametrize(("expiry", "months", "end"), [
    (kst(2027, 5, 31), EXTENSION_MONTHS, kst(2027, 8, 31)),
    (kst(2027, 11, 30), EXTENSION_MONTHS, kst(2028, 2, 29)),
    (kst(2028, 2, 29), AFTER_EXPIRY_REFUND_MONTHS, kst(2033, 2, 28)),
])
def test_voucher_terms_step_from_the_expiry(expiry, months, end):
    assert add_months(expiry, months) == end


# The validity of a voucher is counted in calendar months from the day of purchase, that day
# included (민법 제160조 역수 계산, the first day counted): usable through the day before the
# same date N months later, or through the last day of the final month if that date does
# not exist. `expires_at` is the exclusive end: 00:00 KST of the day after the last one.
@pytest.mark.parametrize(("purchased_at", "months", "last_day"), [
    (kst(2027, 3, 1, 10), 12, dt.date(2028, 2, 29)),  # the example, a leap February
    (kst(2026, 3, 1, 10), 12, dt.date(2027, 2, 28)),
    (kst(2028, 2, 29, 12), 12, dt.date(2029, 2, 28)),  # no 29 February: the month's end
    (kst(2027, 1, 31, 9), 3, dt.date(2027, 4, 30)),  # no 31 April: the month's end
    (kst(2027, 11, 30, 23, 59), 3, dt.date(2028, 2, 29)),
    (kst(2027, 12, 1, 0, 0), 3, dt.date(2028, 2, 29)),
    (kst(2027, 6, 15, 18), 24, dt.date(2029, 6, 14)),
    (kst(2027, 12, 31, 23, 59), 12, dt.date(2028, 12, 30)),
    # 28 February 23:30 UTC is already 1 March in Korea: the KST day counts
    (dt.datetime(2027, 2, 28, 23, 30, tzinfo=dt.UTC), 12, dt.date(2028, 2, 29)),
])
def test_voucher_validity_counts_calendar_months_through_the_day_before(purchased_at, months,
                                                                        last_day):
    expires_at = voucher_expiry(purchased_at=purchased_at, validity_months=months)

    assert expires_at == dt.datetime.combine(
        last_day + dt.timedelta(days=1), dt.time(0), tzinfo=KST
    )
