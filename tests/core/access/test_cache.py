"""The access store behind the per-process cache: read once per TTL, a write through this process seen at once."""

from __future__ import annotations

from core.access.cache import CachedAccessStore
from core.access.values import AccessRule, Effect, Kind, Summoning, SummonMode
from core.messages import ChannelScope, WorkspaceScope
from core.ttl_cache import TtlCache
from tests.core.fakes import MemoryAccessStore

WS = WorkspaceScope("slack", "T1")
C1 = ChannelScope("slack", "T1", "C1")


class Counting(MemoryAccessStore):
    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    async def rules(self, scope):
        self.reads += 1
        return await super().rules(scope)

    async def summoning(self, scope):
        self.reads += 1
        return await super().summoning(scope)

    async def channel_choices(self, scope):
        self.reads += 1
        return await super().channel_choices(scope)


async def test_reads_are_cached_and_writes_through_this_process_are_seen_at_once() -> None:
    now = [0.0]
    inner = Counting()
    cached = CachedAccessStore(inner, TtlCache(ttl=30, now=lambda: now[0]))
    for _ in range(3):
        assert await cached.rules(WS) == [] and await cached.summoning(C1) is None
        assert await cached.model_choice(C1, user="U1") is None
    assert inner.reads == 3

    await cached.put_rule(WS, AccessRule(Effect.DENY, Kind.USER, "U2"))
    await cached.set_summoning(C1, Summoning(SummonMode.OFF))
    await cached.set_model_choice(C1, user="U1", model="gpt-4o")
    assert [r.subject for r in await cached.rules(WS)] == ["U2"]
    assert (await cached.summoning(C1)).mode is SummonMode.OFF
    assert await cached.model_choice(C1, user="U1") == "gpt-4o"

    await inner.set_model_choice(C1, user="U1", model="gpt-4.1")  # another process's write
    assert await cached.model_choice(C1, user="U1") == "gpt-4o"
    now[0] = 31
    assert await cached.model_choice(C1, user="U1") == "gpt-4.1"
    await cached.forget_user_choices(WS, user="U1")
    assert await cached.model_choice(C1, user="U1") is None


async def test_one_read_serves_everybody_in_a_channel_and_a_choice_is_seen_by_its_chooser_at_once() -> None:
    inner = Counting()
    cached = CachedAccessStore(inner, TtlCache(ttl=30, now=lambda: 0.0))
    assert [await cached.model_choice(C1, user=f"U{n}") for n in range(50)] == [None] * 50
    assert inner.reads == 1  # a burst of new people in one channel: one read, not fifty

    await cached.set_model_choice(C1, user="U7", model="gpt-4o")
    assert await cached.model_choice(C1, user="U7") == "gpt-4o"
    assert await cached.model_choice(C1, user="U8") is None
    await cached.forget_channel_choices(C1)
    assert await cached.model_choice(C1, user="U7") is None
