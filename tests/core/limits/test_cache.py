"""The per-process cache in front of the rate-limit overrides: a change drops its entry."""

from __future__ import annotations

from core.limits.cache import CachedLimitOverrideStore
from core.messages import WorkspaceScope
from core.ttl_cache import TtlCache
from tests.core.fakes import MemoryLimitOverrideStore

WS = WorkspaceScope("slack", "T1")


async def test_override_writes_drop_their_entries():
    overrides = CachedLimitOverrideStore(MemoryLimitOverrideStore(), TtlCache(ttl=60, now=lambda: 0.0))
    assert await overrides.get(WS, channels=("C1", "*")) == {}
    await overrides.set(WS, channel="*", scope="user", value="1/minute")
    assert await overrides.get(WS, channels=("C1", "*")) == {("*", "user"): "1/minute"}
