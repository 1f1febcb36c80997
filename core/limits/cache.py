"""Rate-limit overrides behind the per-process TTL cache (``core/ttl_cache.py``)."""

from __future__ import annotations

from collections.abc import Sequence

from core.messages import WorkspaceScope
from core.ports import LimitOverrideStore
from core.ttl_cache import TtlCache


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
