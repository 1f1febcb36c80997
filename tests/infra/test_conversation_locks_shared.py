"""One message at a time per conversation across processes: RedisConversationLocks on a real Redis.

Two lock objects on their own clients, or two cores sharing one database and
one Redis, stand for two worker processes.
"""

from __future__ import annotations

import asyncio
import socket
import time
import uuid
from collections.abc import AsyncIterator

import pytest
import structlog
from redis.asyncio import Redis

from core.assembly import CoreOptions, assemble_core
from core.bootstrap import shared_conversation_locks, sql_stores
from core.clock import SystemClock
from core.config import load_settings
from core.llm.openai_provider import OpenAIProvider
from core.messages import ConversationKey, IncomingMessage, OutcomeKind
from core.chat.redis_locks import RedisConversationLocks
from core.tokens import TiktokenCounter
from tests.services import REDIS_URL, redis_reachable, require_service

THREAD = ConversationKey(platform="slack", workspace="T1", channel="C1", thread="1700000000.000100")
OTHER_THREAD = ConversationKey(platform="slack", workspace="T1", channel="C1", thread="1700000000.000200")


@pytest.fixture
def prefix() -> str:
    require_service("Redis", redis_reachable(), REDIS_URL)
    return f"parley-test-{uuid.uuid4().hex}"


@pytest.fixture
async def processes(prefix: str) -> AsyncIterator[tuple[RedisConversationLocks, RedisConversationLocks]]:
    a = RedisConversationLocks.from_url(REDIS_URL, prefix=prefix)
    b = RedisConversationLocks.from_url(REDIS_URL, prefix=prefix)
    yield a, b
    await a.close()
    await b.close()


async def until(condition, *, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


def events(logs: list[dict], name: str) -> list[dict]:
    return [entry for entry in logs if entry["event"] == name]


async def test_a_second_process_waits_for_the_first_in_the_same_conversation(processes):
    a, b = processes
    order: list[str] = []

    async def b_answers() -> None:
        async with b.hold(THREAD):
            order.append("b")

    with structlog.testing.capture_logs() as logs:
        async with a.hold(THREAD):
            waiting = asyncio.create_task(b_answers())
            await until(lambda: events(logs, "conversation.waiting"))
            async with b.hold(OTHER_THREAD):  # another conversation does not wait
                order.append("b other thread")
            order.append("a")
        await asyncio.wait_for(waiting, timeout=10)

    assert order == ["b other thread", "a", "b"]
    assert events(logs, "conversation.waiting")[0]["thread"] == THREAD.thread


async def test_the_holder_renews_its_lease_while_it_answers(prefix):
    a = RedisConversationLocks.from_url(REDIS_URL, prefix=prefix, lease=0.3)
    b = RedisConversationLocks.from_url(REDIS_URL, prefix=prefix, lease=0.3, wait=1.5)
    try:
        with structlog.testing.capture_logs() as logs:
            async with a.hold(THREAD):
                async with b.hold(THREAD):  # waits 1.5 s, five of A's leases, and gives up
                    still_held = True
        assert still_held
        assert events(logs, "conversation.lock_timeout")  # B never got it: A kept renewing
        assert not events(logs, "conversation.lock_lost")
    finally:
        await a.close()
        await b.close()


async def test_a_process_that_died_frees_the_conversation_when_its_lease_runs_out(prefix, processes):
    _, b = processes
    redis = Redis.from_url(REDIS_URL)
    try:
        dead = redis.lock(f"{prefix}:conversation:slack:T1:C1:{THREAD.thread}", timeout=0.5, thread_local=False)
        assert await dead.acquire(blocking=False)  # and never released
        started = time.monotonic()
        async with b.hold(THREAD):
            waited = time.monotonic() - started
        assert 0.3 < waited < 10
    finally:
        await redis.aclose()


async def test_without_redis_the_message_is_answered_anyway():
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    locks = RedisConversationLocks.from_url(f"redis://127.0.0.1:{port}/0")
    try:
        with structlog.testing.capture_logs() as logs:
            async with locks.hold(THREAD):
                answered = True
        assert answered
        assert events(logs, "conversation.lock_unavailable")
    finally:
        await locks.close()


async def test_a_follow_up_on_another_process_sees_the_first_answer(database, llm, prefix):
    """The user-visible point: B's request to the model carries A's exchange, not just the new message."""
    cores = []
    for _ in range(2):
        provider = OpenAIProvider(api_key="test-key", base_url=llm.base_url, timeout=10, max_retries=0)
        locks = RedisConversationLocks.from_url(REDIS_URL, prefix=prefix)
        core = assemble_core(
            stores=sql_stores(database), llm=provider, tokens=TiktokenCounter(), clock=SystemClock(),
            options=CoreOptions(default_model="gpt-4o-mini"), conversation_locks=locks,
        )
        cores.append((core, provider, locks))
    (a, _, _), (b, _, _) = cores

    async def send(core, event_id: str, text: str):
        message = IncomingMessage(event_id=event_id, key=THREAD, user="U1", text=text, mentions_bot=True)
        return [event async for event in core.chat.handle(message)][-1]

    gate = llm.hold()
    try:
        with structlog.testing.capture_logs() as logs:
            first = asyncio.create_task(send(a, "Ev-1", "the number is 42"))
            await llm.wait_for_held(1)
            second = asyncio.create_task(send(b, "Ev-2", "what is the number?"))
            await until(lambda: events(logs, "conversation.waiting"))
            gate.set()
            outcomes = await asyncio.wait_for(asyncio.gather(first, second), timeout=20)
        assert [o.kind for o in outcomes] == [OutcomeKind.ANSWERED] * 2
        later = llm.chat_requests[-1].json["messages"]
        assert [m["content"] for m in later[1:]] == [
            "the number is 42", "echo: the number is 42", "what is the number?"
        ]
    finally:
        gate.set()
        for _, provider, locks in cores:
            await provider.close()
            await locks.close()


async def test_the_rate_limit_redis_also_carries_the_conversation_locks():
    assert shared_conversation_locks(load_settings(_env_file=None, rate_limit_storage_url="memory://")) is None
    locks = shared_conversation_locks(load_settings(_env_file=None, rate_limit_storage_url=REDIS_URL))
    assert isinstance(locks, RedisConversationLocks)
    await locks.close()
