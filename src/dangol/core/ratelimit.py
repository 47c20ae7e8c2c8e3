"""One fixed-window rate limiter, shared by every process of an installation.

Time is cut into windows of `window_seconds`, aligned to the Unix epoch, so that every
process names the current window alike; a key's hits in a window are one counter in the
"shared" cache (settings.CACHES): Redis when REDIS_URL is set, otherwise a file cache under
the var folder that every process of the machine sees (`core.filecache`). A counter is
created with `add` and counted with `incr`, both atomic, and expires soon after its window.

Time is dangol's clock (so a frozen or shifted clock moves the windows too) unless the caller
passes `at`, a Unix timestamp, as a sender pacing itself on the real clock does. Keys are
stored as digests, so no e-mail address or phone number is written to the cache.
"""

import hashlib
import math

from django.core.cache import BaseCache, caches

from dangol.core import clock

CACHE_ALIAS = "shared"
EXPIRY_MARGIN_SECONDS = 60


def _store() -> BaseCache:
    return caches[CACHE_ALIAS]


def _moment(at: float | None) -> float:
    return clock.now().timestamp() if at is None else at


def _counter(key: str, window_seconds: int, at: float | None) -> str:
    window = math.floor(_moment(at) / window_seconds)
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"ratelimit:{window_seconds}:{window}:{digest}"


def hit(key: str, *, limit: int, window_seconds: int, at: float | None = None) -> bool:
    """Count one hit of `key` in the current window; return whether the window's hits,
    this one included, are within `limit`."""
    counter = _counter(key, window_seconds, at)
    store = _store()
    while True:
        store.add(counter, 0, timeout=window_seconds + EXPIRY_MARGIN_SECONDS)
        try:
            return int(store.incr(counter)) <= limit
        except ValueError:  # expired (or cleared) between add and incr
            continue


def remaining(key: str, *, limit: int, window_seconds: int, at: float | None = None) -> int:
    """Return how many more hits `key` may make in the current window."""
    used = int(_store().get(_counter(key, window_seconds, at), 0))
    return max(0, limit - used)


def unhit(key: str, *, window_seconds: int, at: float | None = None) -> None:
    """Take back one hit of `key` in the current window (an attempt that turned out not to
    be the caller's: the service it asked for failed)."""
    counter = _counter(key, window_seconds, at)
    store = _store()
    try:
        if int(store.get(counter, 0)) > 0:
            store.decr(counter)
    except ValueError:  # expired between get and decr: nothing to take back
        pass


def clear(key: str, *, window_seconds: int, at: float | None = None) -> None:
    """Forget the hits of `key` in the current window."""
    _store().delete(_counter(key, window_seconds, at))


def window_end(*, window_seconds: int, at: float | None = None) -> float:
    """Return the Unix timestamp at which the current window ends (the next one begins)."""
    return (math.floor(_moment(at) / window_seconds) + 1) * window_seconds
