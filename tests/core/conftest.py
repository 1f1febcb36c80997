from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest

from core.admin import Actor
from core.assembly import Core, CoreOptions, Stores, assemble_core
from core.messages import ConversationKey, IncomingMessage, Outcome, TextDelta
from core.tokens import EstimatingTokenCounter
from tests.core.fakes import FakeClock, FakeLLM, MemoryConversationStore, MemoryFilterDecisionLog, memory_stores

_ids = itertools.count(1)


@dataclass
class World:
    core: Core
    llm: FakeLLM
    stores: Stores
    clock: FakeClock

    @property
    def turns(self) -> MemoryConversationStore:
        return self.stores.conversations  # type: ignore[return-value]

    @property
    def decisions(self) -> MemoryFilterDecisionLog:
        return self.stores.filter_decisions  # type: ignore[return-value]

    async def send(self, message: IncomingMessage) -> tuple[list[str], Outcome]:
        deltas: list[str] = []
        outcome = None
        async for event in self.core.chat.handle(message):
            if isinstance(event, TextDelta):
                deltas.append(event.text)
            else:
                assert outcome is None, "exactly one outcome, last"
                outcome = event
        assert outcome is not None
        return deltas, outcome


def build_world(**option_overrides) -> World:
    clock = option_overrides.pop("clock", None) or FakeClock()
    stores = memory_stores(clock)
    llm = option_overrides.pop("llm", None) or FakeLLM()
    hooks = {
        k: option_overrides.pop(k)
        for k in ("rate_limiter", "content_filter", "rate_limit_storage", "moderator", "conversation_locks", "metrics")
        if k in option_overrides
    }
    options = CoreOptions(**{"default_model": "gpt-4o-mini", "admins": frozenset({"U_OWNER"}), **option_overrides})
    core = assemble_core(
        stores=stores, llm=llm, tokens=EstimatingTokenCounter(), clock=clock, options=options, **hooks
    )
    return World(core=core, llm=llm, stores=stores, clock=clock)


@pytest.fixture
def world() -> World:
    return build_world()


CHANNEL = ConversationKey(platform="slack", workspace="T1", channel="C1", thread="")
DM = ConversationKey(platform="slack", workspace="T1", channel="D1", thread="")


def msg(text: str = "hello", *, key: ConversationKey = DM, user: str = "U1", event_id: str | None = None, **flags) -> IncomingMessage:
    flags.setdefault("is_dm", key.channel.startswith("D"))
    return IncomingMessage(event_id=event_id or f"ev-{next(_ids)}", key=key, user=user, text=text, **flags)


def actor(user: str = "U1", *, channel: str = "C1", is_admin: bool = False, is_dm: bool = False) -> Actor:
    return Actor(platform="slack", workspace="T1", channel=channel, user=user, is_admin=is_admin, is_dm=is_dm)
