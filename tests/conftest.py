"""Shared fixtures. Tests that need PostgreSQL are marked `postgres`: they skip on SQLite
with a reason, and under CI=true the Makefile runs the suite again on PostgreSQL."""

import datetime as dt
import os
import re

import pytest
from django.core.cache import caches
from django.db import connection
from django.db.backends.signals import connection_created

from dangol.core import clock
from tests.ledger import door

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API in tests

SHARED_DATA = os.environ.get("DANGOL_SHARED_DATA") or os.path.join(
    os.path.dirname(__file__), "..", "..", "shared", "data"
)


def pytest_addoption(parser):
    parser.addoption(
        "--clock", default="",
        help="run with dangol's clock shifted: '+365d', '+36h', '-90m', or an ISO time to "
        "start at, such as '2026-12-03T23:59:59.8+09:00' (sets DANGOL_CLOCK_OFFSET_SECONDS "
        "for this process, the xdist workers and every process a test starts)",
    )


def clock_offset_seconds(value: str, *, real_now: dt.datetime) -> float:
    """Return the offset in seconds that `--clock=value` asks for, seen at `real_now`."""
    duration = re.fullmatch(r"([+-]?\d+(?:\.\d+)?)([dhms])", value.strip())
    if duration:
        unit = {"d": 86400, "h": 3600, "m": 60, "s": 1}[duration.group(2)]
        return float(duration.group(1)) * unit
    start = dt.datetime.fromisoformat(value.strip())
    if start.tzinfo is None:
        raise pytest.UsageError("--clock needs a time zone, e.g. 2026-12-03T23:59:59.8+09:00")
    return (start - real_now).total_seconds()


def pytest_configure(config):
    # The controller computes the offset once; xdist workers and subprocesses inherit it
    # through the environment, so every process shares one shifted clock.
    value = config.getoption("--clock")
    if value and not os.environ.get(clock.OFFSET_VARIABLE):
        os.environ[clock.OFFSET_VARIABLE] = repr(
            clock_offset_seconds(value, real_now=dt.datetime.now(dt.UTC))
        )
    if os.environ.get(clock.OFFSET_VARIABLE):
        clock.shift(float(os.environ[clock.OFFSET_VARIABLE]))


def pytest_report_header(config):
    if clock.offset():
        now = clock.now_kst()
        return f"dangol clock shifted by {clock.offset()} (now {now:%Y-%m-%d %H:%M:%S} KST)"
    return None


def shared_data_file(name: str) -> str:
    """Return the path of a file in ../shared/data, or skip the test with the reason."""
    path = os.path.abspath(os.path.join(SHARED_DATA, name))
    if not os.path.exists(path):
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but the shared data file is missing: {path}")
        pytest.skip(f"shared data file not found: {path}")
    return path


@pytest.fixture(autouse=True)
def _empty_cache():
    for each in caches.all():
        each.clear()


# Every connection, in any thread, reports writes to the ledger's tables from outside it.
connection_created.connect(door.guard_connection)


@pytest.fixture(autouse=True)
def _ledger_has_one_door():
    """Fail the test if code outside dangol.ledger wrote the ledger's tables."""
    yield from door.watch()


@pytest.fixture(autouse=True)
def _unfreeze_clock():
    yield
    clock.freeze(None)


@pytest.fixture(autouse=True)
def _skip_postgres_only(request):
    if request.node.get_closest_marker("postgres") and connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (runs in the PostgreSQL pass of `make test`)")


@pytest.fixture
def frozen_clock():
    """Freeze dangol's clock: call the fixture's result with an aware datetime."""
    return clock.freeze


def pytest_terminal_summary(terminalreporter):
    """Print how many requests the schemathesis test made (tests/api/test_schemathesis.py),
    also when it ran in an xdist worker."""
    for report in terminalreporter.stats.get("passed", []) + terminalreporter.stats.get(
        "failed", []
    ):
        for name, value in getattr(report, "user_properties", []):
            if name == "schemathesis_requests" and report.when == "call":
                terminalreporter.write_line(f"schemathesis: {value} requests, 0 server errors"
                                            if report.passed else
                                            f"schemathesis: {value} requests, server errors")
