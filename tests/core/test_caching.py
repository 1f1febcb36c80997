"""The per-process caches in front of settings, personas and limit overrides."""

from __future__ import annotations

from core.channels.cache import CachedChannelSettingsStore
from core.limits.cache import CachedLimitOverrideStore
from core.personas.cache import CachedPersonaStore
from core.ttl_cache import TtlCache
from core.messages import ChannelScope
from core.personas.values import Persona
from core.records import ChannelSettings
from core.messages import WorkspaceScope
from tests.core.fakes import MemoryChannelSettingsStore, MemoryLimitOverrideStore, MemoryPersonaStore

SCOPE = ChannelScope("slack", "T1", "C1")
WS = WorkspaceScope("slack", "T1")


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


async def test_persona_and_override_writes_drop_their_entries():
    cache = TtlCache(ttl=60, now=Clock())
    personas = CachedPersonaStore(MemoryPersonaStore(), cache)
    assert await personas.get(WS, "poet") is None
    await personas.save(WS, Persona(name="poet", system_prompt="Rhyme.", model="m"))
    assert (await personas.get(WS, "poet")).system_prompt == "Rhyme."
    await personas.delete(WS, "poet")
    assert await personas.get(WS, "poet") is None

    overrides = CachedLimitOverrideStore(MemoryLimitOverrideStore(), cache)
    assert await overrides.get(WS, channels=("C1", "*")) == {}
    await overrides.set(WS, channel="*", scope="user", value="1/minute")
    assert await overrides.get(WS, channels=("C1", "*")) == {("*", "user"): "1/minute"}


def test_the_cache_is_bounded():
    cache = TtlCache(ttl=60, now=Clock(), max_entries=3)
    for i in range(10):
        cache.put(i, i)
    assert len(cache._entries) == 3  # noqa: SLF001
