"""The clock: freezing and travelling restore what was there before."""

import datetime as dt

import pytest

from dangol.core import clock


def test_travel_freezes_inside_and_restores_the_real_clock_after():
    moment = clock.kst(2026, 11, 15, 10, 0)
    with clock.travel(moment):
        assert clock.now() == moment
    assert abs(clock.now() - dt.datetime.now(dt.UTC)) < dt.timedelta(seconds=5)


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
