"""The clock: every 'now' in dangol comes from here, so tests can freeze it.

Time is stored in UTC and shown in Asia/Seoul (KST, UTC+9, no daylight saving).
"""

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

from django.utils import timezone

KST = ZoneInfo("Asia/Seoul")

_frozen: dt.datetime | None = None


def now() -> dt.datetime:
    """Return the current aware time (UTC), or the frozen time set by `freeze`."""
    return _frozen if _frozen is not None else timezone.now()


def now_kst() -> dt.datetime:
    """Return the current time in KST."""
    return now().astimezone(KST)


def today_kst() -> dt.date:
    """Return today's date in Korea."""
    return now_kst().date()


def freeze(moment: dt.datetime | None) -> None:
    """Set the clock to `moment` (aware) until `freeze(None)`; for tests and demos only."""
    global _frozen
    if moment is not None and moment.tzinfo is None:
        raise ValueError("freeze() needs an aware datetime")
    _frozen = moment


@contextmanager
def travel(moment: dt.datetime) -> Iterator[None]:
    """Run the block with the clock frozen at `moment`, then restore what was there before
    (a frozen time or the real one); for seeding the demo's history and for tests."""
    global _frozen
    previous = _frozen
    freeze(moment)
    try:
        yield
    finally:
        _frozen = previous


def kst(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    """Return the aware datetime of a KST wall-clock time."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=KST)
