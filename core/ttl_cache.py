"""A small per-process cache with a time to live, for what is read on every message but changes rarely.

Channel settings, the workspace default persona, personas and rate-limit
overrides change rarely (an admin's command) but are read for every message:
each read is a database session (about 1 ms on SQLite).  The cached stores
(``core/personas/cache.py``, ``core/channels/cache.py``, ``core/limits/cache.py``)
sit at the ports: a write through this process drops what it changed at once;
another process's write is seen within ``ttl`` seconds (SETTINGS_CACHE_SECONDS,
30 by default: without it a quiet channel re-reads its settings for nearly
every message).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
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
        for key in [k for k in self._entries if matches(k)]:
            del self._entries[key]

    async def through(self, key: Hashable, load: Callable[[], Any]) -> Any:
        value = self.get(key)
        if value is _MISSING:
            value = await load()
            self.put(key, value)
        return value
