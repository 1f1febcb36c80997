"""Channel settings behind the per-process TTL cache (``core/ttl_cache.py``)."""

from __future__ import annotations

from core.messages import ChannelScope, WorkspaceScope
from core.ports import ChannelSettingsStore
from core.records import ChannelSettings
from core.ttl_cache import TtlCache


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
