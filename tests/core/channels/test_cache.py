"""The per-process cache in front of the channel settings: own writes at once, other processes' after the TTL."""

from __future__ import annotations

from core.channels.cache import CachedChannelSettingsStore
from core.messages import ChannelScope
from core.records import ChannelSettings
from core.ttl_cache import TtlCache
from tests.core.fakes import MemoryChannelSettingsStore

SCOPE = ChannelScope("slack", "T1", "C1")


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


class Counting(MemoryChannelSettingsStore):
    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    async def get(self, scope):
        self.reads += 1
        return await super().get(scope)


async def test_reads_are_cached_and_own_writes_are_seen_at_once():
    inner, clock = Counting(), Clock()
    store = CachedChannelSettingsStore(inner, TtlCache(ttl=5, now=clock))
    for _ in range(3):
        assert await store.get(SCOPE) == ChannelSettings()
    assert inner.reads == 1
    await store.put(SCOPE, ChannelSettings(persona="poet"))
    assert (await store.get(SCOPE)).persona == "poet"


async def test_another_process_write_is_seen_after_the_ttl():
    inner, clock = Counting(), Clock()
    here = CachedChannelSettingsStore(inner, TtlCache(ttl=5, now=clock))
    there = CachedChannelSettingsStore(inner, TtlCache(ttl=5, now=clock))
    assert (await here.get(SCOPE)).persona is None
    await there.put(SCOPE, ChannelSettings(persona="poet"))
    assert (await here.get(SCOPE)).persona is None  # stale within the TTL
    clock.t = 5.1
    assert (await here.get(SCOPE)).persona == "poet"
