"""The fixed-window rate limiter and the file cache that shares its counts between the
processes of one machine."""

import datetime as dt
import os
import pickle
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from dangol.core import clock, ratelimit
from dangol.core.filecache import SharedFileCache
from tests.processes import production_environ

REPO = Path(__file__).resolve().parents[2]
WINDOW = 900
START = clock.kst(2026, 11, 21, 14, 0)  # a multiple of 15 minutes since the epoch


def test_hits_are_allowed_up_to_the_limit_in_a_window(frozen_clock):
    frozen_clock(START)

    allowed = [ratelimit.hit("k", limit=3, window_seconds=WINDOW) for _ in range(5)]

    assert allowed == [True, True, True, False, False]
    assert ratelimit.remaining("k", limit=3, window_seconds=WINDOW) == 0
    assert ratelimit.remaining("other", limit=3, window_seconds=WINDOW) == 3


def test_remaining_counts_down_without_counting(frozen_clock):
    frozen_clock(START)
    ratelimit.hit("k", limit=5, window_seconds=WINDOW)

    assert ratelimit.remaining("k", limit=5, window_seconds=WINDOW) == 4
    assert ratelimit.remaining("k", limit=5, window_seconds=WINDOW) == 4


@pytest.mark.parametrize(("offset", "same_window"), [(0, True), (WINDOW - 0.001, True),
                                                     (WINDOW, False), (WINDOW + 1, False)])
def test_windows_are_fixed_and_aligned_to_the_epoch(frozen_clock, offset, same_window):
    frozen_clock(START)
    ratelimit.hit("k", limit=1, window_seconds=WINDOW)

    frozen_clock(START + dt.timedelta(seconds=offset))

    assert ratelimit.hit("k", limit=1, window_seconds=WINDOW) is not same_window
    assert ratelimit.window_end(window_seconds=WINDOW) == (
        START.timestamp() + WINDOW * (1 if same_window else 2)
    )


def test_clear_forgets_only_that_key(frozen_clock):
    frozen_clock(START)
    for key in ("a", "b"):
        ratelimit.hit(key, limit=1, window_seconds=WINDOW)

    ratelimit.clear("a", window_seconds=WINDOW)

    assert ratelimit.remaining("a", limit=1, window_seconds=WINDOW) == 1
    assert ratelimit.remaining("b", limit=1, window_seconds=WINDOW) == 0


def test_an_explicit_moment_overrides_the_clock(frozen_clock):
    frozen_clock(START)

    assert ratelimit.hit("k", limit=1, window_seconds=1, at=1000.2)
    assert not ratelimit.hit("k", limit=1, window_seconds=1, at=1000.9)
    assert ratelimit.hit("k", limit=1, window_seconds=1, at=1001.0)
    assert ratelimit.remaining("k", limit=1, window_seconds=1) == 1  # the clock's window
    assert ratelimit.window_end(window_seconds=1, at=1000.2) == 1001


def test_keys_reach_the_cache_only_as_digests(frozen_clock, tmp_path, settings):
    settings.CACHES = {**settings.CACHES, "shared": {
        "BACKEND": "dangol.core.filecache.SharedFileCache", "LOCATION": str(tmp_path),
    }}
    frozen_clock(START)

    ratelimit.hit("pw:email:kim@example.kr", limit=5, window_seconds=WINDOW)

    stored = b"".join(path.read_bytes() for path in tmp_path.iterdir())
    assert b"kim@example.kr" not in stored
    assert ratelimit.remaining("pw:email:kim@example.kr", limit=5, window_seconds=WINDOW) == 4


# --- the shared file cache ------------------------------------------------------------------


@pytest.fixture
def file_cache(tmp_path) -> SharedFileCache:
    return SharedFileCache(str(tmp_path / "cache"), {})


def _expiry(cache: SharedFileCache, key: str) -> float:
    with open(cache._key_to_file(key), "rb") as file:
        return pickle.load(file)  # noqa: S301 - the file this test's cache just wrote


def test_file_cache_add_sets_only_a_missing_key(file_cache):
    assert file_cache.add("k", 1, timeout=60)
    assert not file_cache.add("k", 2, timeout=60)
    assert file_cache.get("k") == 1


def test_file_cache_incr_keeps_the_expiry_and_refuses_a_missing_key(file_cache):
    file_cache.add("k", 0, timeout=600)
    expiry = _expiry(file_cache, "k")

    assert file_cache.incr("k") == 1
    assert file_cache.incr("k", 5) == 6

    assert _expiry(file_cache, "k") == pytest.approx(expiry, abs=1)
    with pytest.raises(ValueError, match="not found"):
        file_cache.incr("missing")


def test_file_cache_counts_every_increment_of_concurrent_threads(file_cache):
    file_cache.add("k", 0, timeout=600)

    def count() -> None:
        for _ in range(40):
            file_cache.incr("k")

    threads = [threading.Thread(target=count) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert file_cache.get("k") == 240


def test_file_cache_culls_expired_entries_before_live_ones(tmp_path):
    cache = SharedFileCache(str(tmp_path), {"OPTIONS": {"MAX_ENTRIES": 10}})
    for index in range(9):
        cache.set(f"old-{index}", index, timeout=-1)  # expired at once
    cache.set("live", 1, timeout=600)

    cache.set("new", 2, timeout=600)

    assert cache.get("live") == 1 and cache.get("new") == 2
    assert len(list(tmp_path.glob("*.djcache"))) == 2


# --- the embedded setup: several processes, one count -----------------------------------------

CHILD = """
import sys
import django
django.setup()
from django.conf import settings
from dangol.core import ratelimit

key, limit, hits, moment = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
sys.stdin.readline()  # start together
allowed = sum(ratelimit.hit(key, limit=limit, window_seconds=900, at=moment) for _ in range(hits))
print(settings.CACHES["shared"]["BACKEND"], allowed)
"""


def test_processes_of_the_embedded_setup_share_one_count(tmp_path, settings):
    """Two processes configured as `dangol serve` runs them on one machine (SQLite, no
    Redis) hit one key at once: together they get exactly the limit."""
    # A production process refuses a shifted clock; the children count at a given moment.
    env = production_environ("DANGOL_CACHE_DIR", "DATABASE_URL", "REDIS_URL")
    env.update({
        "DANGOL_VAR_DIR": str(tmp_path), "SECRET_KEY": "test-" + "k" * 60,
        "DJANGO_SETTINGS_MODULE": "dangol.config.settings",
        "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)]),
    })
    arguments = ["otp:send:+821012345678", "30", "25", str(START.timestamp())]
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, *arguments], cwd=REPO, env=env, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        for _ in range(2)
    ]
    for child in children:
        child.stdin.write("go\n")
        child.stdin.flush()
    outputs = [child.communicate(timeout=120) for child in children]

    assert [child.returncode for child in children] == [0, 0], [err for _, err in outputs]
    results = [out.split() for out, _ in outputs]
    assert {backend for backend, _ in results} == {"dangol.core.filecache.SharedFileCache"}
    assert sum(int(allowed) for _, allowed in results) == 30
    # This process, pointed at the same folder, sees all 50 hits.
    settings.CACHES = {**settings.CACHES, "shared": {
        "BACKEND": "dangol.core.filecache.SharedFileCache", "LOCATION": str(tmp_path / "cache"),
    }}
    used = 100 - ratelimit.remaining(arguments[0], limit=100, window_seconds=900,
                                     at=START.timestamp())
    assert used == 50

