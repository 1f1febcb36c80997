"""A small per-process cache with a time to live, for what is read on every message but changes rarely.

Channel settings, the workspace default persona, personas and rate-limit
overrides change rarely (an admin's command) but are read for every message:
each read is a database session (about 1 ms on SQLite).  The cached stores
(``core/personas/cache.py``, ``core/channels/cache.py``, ``core/limits/cache.py``)
sit at the ports: a write through this process drops what it changed at once;
another process's write is seen within ``ttl`` seconds (SETTINGS_CACHE_SECONDS,
30 by default: without it a quiet channel re-reads its settings for nearly
every message).

A value that is missing or has expired is loaded once however many callers ask
for it at the same moment (``through``): when an entry expires under a burst,
every message in flight would otherwise read the same row at once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

DEFAULT_TTL_SECONDS = 30.0

MAX_ENTRIES = 10_000

_MISSING = object()


class TtlCache:
    def __init__(self, *, ttl: float, now: Callable[[], float] = time.monotonic, max_entries: int = MAX_ENTRIES):
        self._ttl = ttl
        self._now = now
        self._max = max_entries
        self._entries: dict[Hashable, tuple[float, Any]] = {}
        self._loading: dict[Hashable, asyncio.Future[Any]] = {}

    def get(self, key: Hashable) -> Any:
        entry = self._entries.get(key)
        if entry is None or entry[0] <= self._now():
            return _MISSING
        return entry[1]

    def put(self, key: Hashable, value: Any) -> None:
        if len(self._entries) >= self._max:
            self._entries.pop(next(iter(self._entries)))  # the oldest
        self._entries[key] = (self._now() + self._ttl, value)

    def drop(self, matches: Callable[[Hashable], bool]) -> None:
        """Forget the matching entries, and loads under way for them: what they read may predate the change."""
        for key in [k for k in self._entries if matches(k)]:
            del self._entries[key]
        for key in [k for k in self._loading if matches(k)]:
            del self._loading[key]

    async def through(self, key: Hashable, load: Callable[[], Awaitable[Any]]) -> Any:
        """The cached value, else ``load()``'s, shared by every caller that asks while it runs (and kept,
        unless the key was dropped meanwhile). A caller that is cancelled does not cancel the others' load;
        a load that fails fails for each of them and keeps nothing."""
        value = self.get(key)
        if value is not _MISSING:
            return value
        loading = self._loading.get(key)
        if loading is None:
            loading = asyncio.ensure_future(load())
            self._loading[key] = loading
            loading.add_done_callback(lambda done: self._loaded(key, done))
        return await asyncio.shield(loading)

    def _loaded(self, key: Hashable, done: asyncio.Future[Any]) -> None:
        if self._loading.get(key) is not done:
            return  # dropped while it loaded: its value may be the old one
        del self._loading[key]
        if not done.cancelled() and done.exception() is None:
            self.put(key, done.result())
