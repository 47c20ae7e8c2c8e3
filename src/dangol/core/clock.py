"""The clock: every 'now' in dangol comes from here, so tests can freeze it.

Time is stored in UTC and shown in Asia/Seoul (KST, UTC+9, no daylight saving).

For the test suite only, the whole clock can also be shifted: with DANGOL_TESTING=1 and
DANGOL_CLOCK_OFFSET_SECONDS set, `now()` and Django's `timezone.now()` (which `auto_now`
fields read) run that many seconds ahead of the real time, in this process and in every
process it starts. The suite is run that way a year ahead and starting a moment before
midnight KST, so that no test passes only on the day it was written (tests/conftest.py's
`--clock` option sets it). Debian's `faketime` is not used because it breaks `time.sleep`.
"""

import datetime as dt
import os
from collections.abc import Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

from django.utils import timezone

KST = ZoneInfo("Asia/Seoul")
OFFSET_VARIABLE = "DANGOL_CLOCK_OFFSET_SECONDS"

_frozen: dt.datetime | None = None
_offset = dt.timedelta(0)
_real_now = timezone.now


def _shifted_now() -> dt.datetime:
    return _real_now() + _offset


def now() -> dt.datetime:
    """Return the current aware time (UTC), or the frozen time set by `freeze`."""
    return _frozen if _frozen is not None else _real_now() + _offset


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


def shift(seconds: float) -> None:
    """Run the clock `seconds` ahead of the real time (0 restores it), Django's
    `timezone.now` included; for the test suite only.

    Raise RuntimeError unless DANGOL_TESTING=1: a shifted clock in production would date
    every payment, message and ledger entry wrongly.
    """
    global _offset
    testing = os.environ.get("DANGOL_TESTING", "").strip().lower() in {"1", "true", "yes", "on"}
    if seconds and not testing:
        raise RuntimeError(f"{OFFSET_VARIABLE} is honoured only with DANGOL_TESTING=1")
    _offset = dt.timedelta(seconds=seconds)
    timezone.now = _shifted_now if seconds else _real_now


def offset() -> dt.timedelta:
    """Return how far the clock runs ahead of the real time (zero outside shifted tests)."""
    return _offset


def kst(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    """Return the aware datetime of a KST wall-clock time."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=KST)


if os.environ.get(OFFSET_VARIABLE):
    shift(float(os.environ[OFFSET_VARIABLE]))
