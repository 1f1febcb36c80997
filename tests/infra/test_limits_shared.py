"""Limits and budgets that hold across processes: real Redis, real SQL, the real openai client.

Two cores sharing one database and one Redis stand for two worker processes.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import replace

import pytest

from core.admin import Actor
from core.assembly import CoreOptions, LimitOptions, assemble_core
from core.bootstrap import sql_stores
from core.clock import SystemClock
from core.limits.budgets import BudgetCaps
from core.limits.rate import limits_storage
from core.llm.openai_provider import OpenAIProvider
from core.messages import ConversationKey, IncomingMessage, OutcomeKind
from core.storage.database import Database
from core.tokens import TiktokenCounter
from tests.services import REDIS_URL, redis_reachable, require_service
from tests.standins.openai_server import OpenAIStandIn

DM = ConversationKey(platform="slack", workspace="T1", channel="D1")


@pytest.fixture(params=["memory", "redis"])
def storage_url(request) -> str:
    if request.param == "redis":
        require_service("Redis", redis_reachable(), REDIS_URL)
        return REDIS_URL
    return "memory://"


def make_core(database: Database, server: OpenAIStandIn, *, limits: LimitOptions, storage):
    provider = OpenAIProvider(api_key="test-key", base_url=server.base_url, timeout=10, max_retries=0)
    core = assemble_core(
        # no settings cache: B must see A's override at once (the cache's staleness is tested on its own)
        stores=sql_stores(database, cache_ttl=0), llm=provider, tokens=TiktokenCounter(), clock=SystemClock(),
        options=CoreOptions(default_model="gpt-4o-mini", admins=frozenset({"U_ADMIN"}), limits=limits),
        rate_limit_storage=storage,
    )
    return core, provider


async def send(core, text: str, *, user: str = "U1", key: ConversationKey = DM):
    message = IncomingMessage(event_id=str(uuid.uuid4()), key=key, user=user, text=text, is_dm=True)
    return [event async for event in core.chat.handle(message)][-1]


async def test_limits_hold_across_two_processes_sharing_redis_and_one_database(database, llm):
    require_service("Redis", redis_reachable(), REDIS_URL)
    prefix = f"parley-test-{uuid.uuid4().hex}"
    limits = LimitOptions(user="3/minute")
    a, pa = make_core(database, llm, limits=limits, storage=limits_storage(REDIS_URL, key_prefix=prefix))
    b, pb = make_core(database, llm, limits=limits, storage=limits_storage(REDIS_URL, key_prefix=prefix))
    try:
        kinds = [(await send(core, f"m{i}")).kind for i, core in enumerate((a, b, a, b))]
        assert kinds == [OutcomeKind.ANSWERED] * 3 + [OutcomeKind.LIMITED]
        admin = Actor(platform="slack", workspace="T1", channel="D1", user="U_ADMIN", is_dm=True)
        assert (await a.commands.run(admin, "parley", "limits set user 10/minute")).ok
        assert (await send(b, "after override")).kind is OutcomeKind.ANSWERED  # B sees A's override
    finally:
        await pa.close()
        await pb.close()


async def test_each_scope_limits_and_resets(database, llm, storage_url):
    storage = limits_storage(storage_url, key_prefix=f"parley-test-{uuid.uuid4().hex}")
    core, provider = make_core(database, llm, limits=LimitOptions(user="1/second"), storage=storage)
    try:
        assert (await send(core, "a")).kind is OutcomeKind.ANSWERED
        refused = await send(core, "b")
        assert refused.kind is OutcomeKind.LIMITED and refused.reason == "rate_limit.user"
        deadline = time.monotonic() + 5
        while (outcome := await send(core, "c")).kind is OutcomeKind.LIMITED and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert outcome.kind is OutcomeKind.ANSWERED
    finally:
        await provider.close()


async def test_fifty_simultaneous_requests_against_a_budget_for_ten_are_answered_ten_times(database, llm):
    caps = BudgetCaps({("workspace", "daily", "tokens"): 10 * 1_100})  # worst case per request ≈ 1,075
    a, pa = make_core(database, llm, limits=LimitOptions(caps=caps), storage=None)
    b, pb = make_core(database, llm, limits=LimitOptions(caps=caps), storage=None)
    gate = llm.hold()
    try:
        sends = [
            asyncio.create_task(send((a, b)[i % 2], "same question", user=f"U{i}", key=replace(DM, channel=f"D{i}")))
            for i in range(50)
        ]
        await llm.wait_for_held(10, timeout=20)
        refused = [task for task in sends if task.done()]
        deadline = time.monotonic() + 20
        while len(refused) < 40 and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
            refused = [task for task in sends if task.done()]
        assert len(llm.chat_requests) == 10
        gate.set()
        outcomes = await asyncio.gather(*sends)
        kinds = [o.kind for o in outcomes]
        assert kinds.count(OutcomeKind.ANSWERED) == 10 and kinds.count(OutcomeKind.LIMITED) == 40
        assert all("budget is used up" in o.text for o in outcomes if o.kind is OutcomeKind.LIMITED)
        assert len(llm.chat_requests) == 10
    finally:
        gate.set()
        await pa.close()
        await pb.close()
