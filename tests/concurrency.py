"""Run one action from many threads at once, each on its own database connection."""

import threading
from collections.abc import Callable

from django.db import connection

from dangol.core.errors import DangolError

THREADS = 50


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
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    assert not crashes, crashes
    return results, refusals
