"""Short-lived in-process caches in front of the stores read on every message.

Channel settings, the workspace default persona, personas and rate-limit
overrides change rarely (an admin's command) but are read for every message:
each read is a database session (about 1 ms on SQLite).  These decorators sit
at the ports: a write through this process drops what it changed at once;
another process's write is seen within ``ttl`` seconds (SETTINGS_CACHE_SECONDS,
30 by default: without it a quiet channel re-reads its settings for nearly
every message).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Sequence
from typing import Any

from core.messages import ChannelScope
from core.personas import Persona
from core.ports import ChannelSettings, ChannelSettingsStore, LimitOverrideStore, PersonaStore, WorkspaceScope

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


class CachedChannelSettingsStore:
    def __init__(self, inner: ChannelSettingsStore, cache: TtlCache) -> None:
        self._inner = inner
        self._cache = cache

    async def get(self, scope: ChannelScope) -> ChannelSettings:
        return await self._cache.through(("channel", scope), lambda: self._inner.get(scope))

    async def put(self, scope: ChannelScope, settings: ChannelSettings) -> None:
        await self._inner.put(scope, settings)
        self._cache.drop(lambda key: key == ("channel", scope))

    async def get_workspace_default(self, scope: WorkspaceScope) -> str | None:
        return await self._cache.through(("default", scope), lambda: self._inner.get_workspace_default(scope))

    async def set_workspace_default(self, scope: WorkspaceScope, persona: str | None) -> None:
        await self._inner.set_workspace_default(scope, persona)
        self._cache.drop(lambda key: key == ("default", scope))

    async def with_retention(self) -> list[tuple[ChannelScope, int]]:
        return await self._inner.with_retention()


class CachedPersonaStore:
    def __init__(self, inner: PersonaStore, cache: TtlCache) -> None:
        self._inner = inner
        self._cache = cache

    async def list(self, scope: WorkspaceScope) -> list[Persona]:
        return await self._inner.list(scope)

    async def get(self, scope: WorkspaceScope, name: str) -> Persona | None:
        return await self._cache.through(("persona", scope, name), lambda: self._inner.get(scope, name))

    async def save(self, scope: WorkspaceScope, persona: Persona) -> None:
        await self._inner.save(scope, persona)
        self._cache.drop(lambda key: key == ("persona", scope, persona.name))

    async def delete(self, scope: WorkspaceScope, name: str) -> bool:
        deleted = await self._inner.delete(scope, name)
        self._cache.drop(lambda key: key == ("persona", scope, name))
        return deleted


class CachedLimitOverrideStore:
    def __init__(self, inner: LimitOverrideStore, cache: TtlCache) -> None:
        self._inner = inner
        self._cache = cache

    async def get(
        self, workspace: WorkspaceScope, *, channels: Sequence[str] | None = None
    ) -> dict[tuple[str, str], str]:
        """Served from all of the workspace's overrides (a handful of rows), read once per TTL."""
        everything = await self._cache.through(("limits", workspace), lambda: self._inner.get(workspace))
        if channels is None:
            return dict(everything)
        wanted = set(channels)
        return {key: value for key, value in everything.items() if key[0] in wanted}

    async def set(self, workspace: WorkspaceScope, *, channel: str, scope: str, value: str | None) -> None:
        await self._inner.set(workspace, channel=channel, scope=scope, value=value)
        self._cache.drop(lambda key: key[0] == "limits" and key[1] == workspace)
