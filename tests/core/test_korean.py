import datetime as dt

import pytest

from dangol.core import clock
from dangol.core.korean import format_date, format_datetime


def test_datetime_is_shown_in_kst_with_korean_weekday():
    moment = dt.datetime(2026, 11, 21, 5, 0, tzinfo=dt.UTC)
    assert format_datetime(moment) == "2026. 11. 21. (토) 14:00"


def test_utc_evening_is_next_day_in_korea():
    moment = dt.datetime(2026, 11, 21, 15, 30, tzinfo=dt.UTC)
    assert format_datetime(moment) == "2026. 11. 22. (일) 00:30"


def test_date_in_english_uses_english_weekday():
    assert format_date(dt.date(2026, 11, 21), lang="en") == "2026. 11. 21. (Sat)"


def test_naive_datetime_is_refused():
    with pytest.raises(ValueError):
        format_datetime(dt.datetime(2026, 11, 21, 14, 0))  # noqa: DTZ001


def test_frozen_clock_drives_now_and_today(frozen_clock):
    frozen_clock(clock.kst(2026, 11, 21, 23, 30))
    assert clock.today_kst() == dt.date(2026, 11, 21)
    assert clock.now().utcoffset() is not None
    frozen_clock(None)
    assert clock.now() != clock.kst(2026, 11, 21, 23, 30)
