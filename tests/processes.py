"""Environments for the dangol processes a test starts as a user would run them."""

import os

from dangol.core import clock

# What makes a process a test process: without these it runs as deployed (the clock offset is
# honoured only in test mode, so a production-like child must not inherit it either).
TEST_MODE = frozenset({"DANGOL_TESTING", clock.OFFSET_VARIABLE})


def production_environ(*drop: str) -> dict[str, str]:
    """Return this process's environment without test mode and without the names in `drop`."""
    removed = TEST_MODE | set(drop)
    return {key: value for key, value in os.environ.items() if key not in removed}
