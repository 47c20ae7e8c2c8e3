"""The clock: freezing and travelling restore what was there before."""

import datetime as dt

import pytest

from dangol.core import clock


def test_travel_freezes_inside_and_restores_the_real_clock_after():
    moment = clock.kst(2026, 11, 15, 10, 0)
    with clock.travel(moment):
        assert clock.now() == moment
    assert abs(clock.now() - (dt.datetime.now(dt.UTC) + clock.offset())) < dt.timedelta(seconds=5)


def test_travel_restores_an_earlier_frozen_time_even_after_an_error():
    frozen = clock.kst(2026, 11, 21, 14, 0)
    clock.freeze(frozen)
    try:
        with pytest.raises(RuntimeError), clock.travel(clock.kst(2026, 1, 1)):
            assert clock.today_kst() == dt.date(2026, 1, 1)
            raise RuntimeError("boom")
        assert clock.now() == frozen
    finally:
        clock.freeze(None)


def test_freeze_refuses_a_naive_datetime():
    with pytest.raises(ValueError):
        clock.freeze(dt.datetime(2026, 11, 21, 14, 0))


def test_shift_moves_now_and_django_s_timezone_now_together(monkeypatch):
    from django.utils import timezone

    before = clock.offset()
    try:
        clock.shift(before.total_seconds() + 86_400)
        assert abs(clock.now() - dt.datetime.now(dt.UTC) - before - dt.timedelta(days=1)) < (
            dt.timedelta(seconds=5)
        )
        assert abs(timezone.now() - clock.now()) < dt.timedelta(seconds=5)
    finally:
        clock.shift(before.total_seconds())


def test_shift_is_refused_outside_the_test_suite(monkeypatch):
    monkeypatch.setenv("DANGOL_TESTING", "")
    with pytest.raises(RuntimeError, match="DANGOL_TESTING"):
        clock.shift(3600)


def test_a_frozen_clock_wins_over_a_shift():
    moment = clock.kst(2026, 11, 21, 14, 0)
    with clock.travel(moment):
        assert clock.now() == moment


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("+365d", 365 * 86_400), ("36h", 36 * 3600), ("-90m", -5400), ("+1.5s", 1.5),
     ("2026-12-04T00:00:00+09:00", 3600)],
)
def test_clock_option_reads_durations_and_start_times(value, seconds):
    from tests.conftest import clock_offset_seconds

    real_now = clock.kst(2026, 12, 3, 23, 0)
    assert clock_offset_seconds(value, real_now=real_now) == seconds
