"""Shared fixtures. Tests that need PostgreSQL are marked `postgres`: they skip on SQLite
with a reason, and under CI=true the Makefile runs the suite again on PostgreSQL."""

import os

import pytest
from django.core.cache import cache
from django.db import connection

from dangol.core import clock

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API in tests

SHARED_DATA = os.environ.get("DANGOL_SHARED_DATA") or os.path.join(
    os.path.dirname(__file__), "..", "..", "shared", "data"
)


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
    cache.clear()


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
