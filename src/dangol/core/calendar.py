"""Korean business days: weekends and public holidays (incl. substitute holidays) are off."""

import datetime as dt
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def _holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("KR", years=year)


def is_holiday(day: dt.date) -> bool:
    """Return whether `day` is a Korean public holiday."""
    return day in _holidays(day.year)


def holiday_name(day: dt.date) -> str | None:
    """Return the name of the public holiday on `day`, or None."""
    return _holidays(day.year).get(day)


def is_business_day(day: dt.date) -> bool:
    """Return whether banks work on `day`: not Saturday, Sunday or a public holiday."""
    return day.weekday() < 5 and not is_holiday(day)


def next_business_day(day: dt.date, *, include_today: bool = False) -> dt.date:
    """Return the first business day after `day` (or `day` itself if allowed and open)."""
    candidate = day if include_today else day + dt.timedelta(days=1)
    while not is_business_day(candidate):
        candidate += dt.timedelta(days=1)
    return candidate


def add_business_days(day: dt.date, count: int) -> dt.date:
    """Return the business day `count` business days after `day` (count ≥ 0)."""
    result = day
    for _ in range(count):
        result = next_business_day(result)
    return result
