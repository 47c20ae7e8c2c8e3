"""A cache every process of one machine shares, for counting: Django's file-based cache
with `add` and `incr` made atomic.

The embedded setup (SQLite, no Redis) runs several gunicorn workers and a Huey consumer
with worker threads; a local-memory cache would give each process its own counts. Django's
FileBasedCache is shared but neither its `add` (look, then write) nor its `incr` (read,
then write, and the entry's timeout reset to the default) is atomic. Here both run under an
exclusive lock on one file of the cache folder, so that concurrent increments from any
thread or process are all counted, and `incr` keeps the entry's expiry as Redis does.
"""

import os
import pickle
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, BinaryIO

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.filebased import FileBasedCache
from django.core.files import locks

LOCK_FILE = "counters.lock"  # not a "*.djcache" entry: clear() and culling leave it alone


class SharedFileCache(FileBasedCache):
    """FileBasedCache whose `add` and `incr` are atomic across threads and processes and
    which makes room by dropping expired entries before live ones."""

    if TYPE_CHECKING:  # FileBasedCache's internals, which django-stubs leaves out
        _dir: str
        _max_entries: int

        def _createdir(self) -> None: ...
        def _key_to_file(self, key: Any, version: int | None = None) -> str: ...
        def _list_cache_files(self) -> list[str]: ...
        def _is_expired(self, f: BinaryIO) -> bool: ...

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        """Hold the cache folder's lock (a fresh handle each time, so threads of one process
        exclude each other too)."""
        self._createdir()
        with open(os.path.join(self._dir, LOCK_FILE), "ab") as handle:
            locks.lock(handle, locks.LOCK_EX)
            try:
                yield
            finally:
                locks.unlock(handle)

    def add(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> bool:
        """Set `key` to `value` unless it holds a live value; return whether it was set."""
        with self._exclusive():
            return super().add(key, value, timeout, version)

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> Any:
        """Add `delta` to the live value of `key` and return the sum, keeping its expiry.

        Raise ValueError if `key` holds no live value (as Django's other caches do).
        """
        with self._exclusive():
            # Read as FileBasedCache.get does: our own files, in a folder only we can write.
            try:
                with open(self._key_to_file(key, version), "rb") as file:
                    expiry = pickle.load(file)  # noqa: S301
                    value = pickle.loads(zlib.decompress(file.read()))  # noqa: S301
            except (FileNotFoundError, EOFError):
                raise ValueError(f"Key '{key}' not found") from None
            left = None if expiry is None else expiry - time.time()
            if left is not None and left <= 0:
                raise ValueError(f"Key '{key}' not found")
            value += delta
            self.set(key, value, timeout=left, version=version)
            return value

    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> None:
        """Set `key` to `value`; when MAX_ENTRIES is reached, delete expired entries first,
        so that Django's random culling only ever takes live entries if they alone fill
        the cache."""
        self._drop_expired_when_full()
        super().set(key, value, timeout, version)

    def _drop_expired_when_full(self) -> None:
        files = self._list_cache_files()
        if len(files) < self._max_entries:
            return
        for name in files:
            try:
                with open(name, "rb") as file:
                    self._is_expired(file)  # deletes the file if it has expired
            except FileNotFoundError:
                continue
