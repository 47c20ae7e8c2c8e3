import datetime as dt

from dangol.core.calendar import add_business_days, is_business_day, is_holiday, next_business_day


def test_public_holidays_are_not_business_days():
    assert is_holiday(dt.date(2026, 3, 1))  # 삼일절 (a Sunday)
    assert not is_business_day(dt.date(2026, 10, 9))  # 한글날 (a Friday)
    assert not is_business_day(dt.date(2026, 12, 25))


def test_substitute_holiday_is_observed():
    # 삼일절 2026 falls on a Sunday; Monday 2 March is the substitute holiday.
    assert not is_business_day(dt.date(2026, 3, 2))


def test_weekends_are_off_and_weekdays_on():
    assert not is_business_day(dt.date(2026, 11, 21))  # Saturday
    assert is_business_day(dt.date(2026, 11, 23))  # Monday


def test_next_business_day_rolls_over_chuseok():
    # 추석 2026: 24–26 September (Thu–Sat), no substitute needed except 28th? check the calendar.
    day = next_business_day(dt.date(2026, 9, 23))
    assert day > dt.date(2026, 9, 26)
    assert is_business_day(day)


def test_next_business_day_can_include_today():
    monday = dt.date(2026, 11, 23)
    assert next_business_day(monday, include_today=True) == monday
    assert next_business_day(monday) == dt.date(2026, 11, 24)


def test_add_business_days_skips_weekend():
    friday = dt.date(2026, 11, 20)
    assert add_business_days(friday, 1) == dt.date(2026, 11, 23)
    assert add_business_days(friday, 0) == friday
