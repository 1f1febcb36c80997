"""Redis stopped or silent: every message is still answered (issue 16).

The test runs a Redis server of its own (``redis-server`` on a free port) and
kills it with SIGKILL, and a "blackhole" that accepts connections and never
answers; the rate limits fall back to this process's memory (said once, and
again when Redis is back), the conversation lock to this process's order.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import subprocess
import time

import pytest
import structlog

from core.assembly import LimitOptions
from core.chat.redis_locks import RedisConversationLocks
from core.limits.rate import limits_storage
from core.messages import ConversationKey, IncomingMessage, OutcomeKind
from tests.core.conftest import build_world
from tests.services import require_service

DM = ConversationKey(platform="slack", workspace="T1", channel="D1")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class OwnRedis:
    """A redis-server of the test's own, on its own port, that the test can kill and start again."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return
            time.sleep(0.02)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()  # SIGKILL: no goodbye to its clients
        self.process.wait()


@pytest.fixture
def own_redis():
    require_service("redis-server (the binary)", shutil.which("redis-server") is not None, "PATH")
    server = OwnRedis()
    server.start()
    yield server
    if server.process is not None and server.process.poll() is None:
        server.kill()


@pytest.fixture
async def blackhole():
    """A port that accepts connections and never says a word."""
    held: list[asyncio.StreamWriter] = []

    async def swallow(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    yield f"redis://127.0.0.1:{server.sockets[0].getsockname()[1]}/0"
    for writer in held:
        writer.close()
    server.close()
    await server.wait_closed()


def core_with_redis(url: str, *, user_limit: str = "3/minute"):
    locks = RedisConversationLocks.from_url(url)
    world = build_world(
        limits=LimitOptions(user=user_limit), conversation_locks=locks,
        rate_limit_storage=limits_storage(url, key_prefix=f"outage{free_port()}"),
    )
    return world.core, locks


async def send(core, n: int, *, user: str = "U1"):
    message = IncomingMessage(event_id=f"e{n}-{user}", key=DM, user=user, text=f"hello {n}", is_dm=True)
    return [event async for event in core.chat.handle(message)][-1]


def named(logs: list[dict], event: str) -> list[dict]:
    return [entry for entry in logs if entry["event"] == event]


async def test_redis_killed_mid_conversation_every_message_is_still_answered(own_redis):
    core, locks = core_with_redis(own_redis.url)
    try:
        assert (await send(core, 1)).kind is OutcomeKind.ANSWERED  # counted in Redis
        own_redis.kill()
        with structlog.testing.capture_logs() as logs:
            started = time.monotonic()
            outcomes = [await send(core, n) for n in range(2, 6)]
            took = time.monotonic() - started
        kinds = [o.kind for o in outcomes]
        # the limit still holds, in this process's memory: 3 a minute (this process had not counted the first)
        assert kinds == [OutcomeKind.ANSWERED] * 3 + [OutcomeKind.LIMITED]
        assert took < 5, f"four messages took {took:.1f} s with Redis gone"
        assert len(named(logs, "limits.storage.unavailable")) == 1  # said once, not per message

        own_redis.start()  # the same port again: asked again once the circuit's pause is over
        core.chat._rate_limiter._circuit._until = 0.0  # (the pause is 30 s; skip it rather than wait)
        with structlog.testing.capture_logs() as logs:
            assert (await send(core, 9, user="U2")).kind is OutcomeKind.ANSWERED
        assert named(logs, "limits.storage.back")
    finally:
        await locks.close()


async def test_a_silent_redis_costs_each_message_half_a_second_at_most_once(blackhole):
    core, locks = core_with_redis(blackhole, user_limit="100/minute")
    try:
        with structlog.testing.capture_logs() as logs:
            started = time.monotonic()
            first = await asyncio.wait_for(send(core, 1), 10)
            first_took = time.monotonic() - started
            started = time.monotonic()
            rest = [await asyncio.wait_for(send(core, n), 10) for n in range(2, 5)]
            rest_took = time.monotonic() - started
        assert first.kind is OutcomeKind.ANSWERED and all(o.kind is OutcomeKind.ANSWERED for o in rest)
        assert first_took < 3  # the limiter's and the lock's half second each, not Redis's socket timeouts
        assert rest_took < 1  # after that Redis is left alone for a while
        assert named(logs, "limits.storage.unavailable") and named(logs, "conversation_locks.redis.unavailable")
    finally:
        await locks.close()
