"""Run one action from many threads at once, each on its own database connection."""

import contextlib
import fcntl
import os
import tempfile
import threading
from collections.abc import Callable, Iterator

from django.db import connection

from dangol.core.errors import DangolError

THREADS = 50

# PostgreSQL here allows 100 connections. Two tests of 50 threads running at once on two
# xdist workers would need more, so a test holds this lock (across processes) while its
# threads are connected.
_LOCK_FILE = os.path.join(tempfile.gettempdir(), "dangol-tests-many-connections.lock")


@contextlib.contextmanager
def many_connections() -> Iterator[None]:
    """Hold the machine-wide lock for tests that open many database connections at once."""
    with open(_LOCK_FILE, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def run_concurrently(
    action: Callable[[int], object], threads: int = THREADS
) -> tuple[list[object], list[DangolError]]:
    """Run `action(i)` in `threads` threads released together by a barrier; return the
    results of those that succeeded and the domain errors of those that were refused.
    Any other exception fails the calling test. Each thread closes its connection."""
    barrier = threading.Barrier(threads)
    lock = threading.Lock()
    results: list[object] = []
    refusals: list[DangolError] = []
    crashes: list[BaseException] = []

    def worker(index: int) -> None:
        try:
            barrier.wait()
            result = action(index)
        except DangolError as exc:
            with lock:
                refusals.append(exc)
        except BaseException as exc:  # noqa: BLE001 (reported below)
            with lock:
                crashes.append(exc)
        else:
            with lock:
                results.append(result)
        finally:
            connection.close()

    workers = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    with many_connections():
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join()
    assert not crashes, crashes
    return results, refusals
