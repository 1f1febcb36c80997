"""/metrics, /readyz and /healthz over real HTTP on 127.0.0.1 (issue 21).

The core runs on its fakes (tests/core/fakes) with the real ``PrometheusMetrics``; the health server is
the one Socket Mode and Discord run (``HealthServer``), on port 0.  Readiness is tested against services
the test can take away: a redis-server of its own (killed with SIGKILL), a port that accepts and never
answers, and PostgreSQL reached through a TCP relay the test owns and closes (new connections refused,
open ones cut: what a process sees when the database host goes away).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from core.assembly import LimitOptions
from core.filters.blocklist import parse_rule
from core.filters.policy import FilterDefaults
from core.limits.budgets import BudgetCaps
from core.llm_types import LLMError
from core.messages import ConversationKey, OutcomeKind, TextDelta
from core.observability.checks import RedisCheck, database_check
from core.observability.http import HealthServer
from core.observability.prometheus import PrometheusMetrics
from core.observability.readiness import Readiness
from core.storage.database import Database
from tests.core.conftest import build_world, msg
from tests.infra.test_redis_outage import blackhole, own_redis  # noqa: F401  (fixtures)
from tests.services import POSTGRES_URL, postgres_reachable, require_service

SECRET_WORDS = ("U-PERSON-42", "D-CHANNEL-7", "forbidden", "ada@example.com", "confidential")


@asynccontextmanager
async def serving(readiness: Readiness, metrics: PrometheusMetrics | None = None) -> AsyncIterator[str]:
    server = HealthServer(readiness=readiness, metrics=metrics, host="127.0.0.1", port=0)
    port = await server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await server.aclose()


async def get(url: str) -> tuple[int, str, dict]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        text = await response.text()
        body = await response.json() if response.content_type == "application/json" else {}
        return response.status, text, body


def samples(scrape: str) -> dict[tuple[str, tuple], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(scrape)
        for sample in family.samples
    }


def value(scrape: str, name: str, **labels: str) -> float:
    return samples(scrape).get((name, tuple(sorted(labels.items()))), 0.0)


async def test_a_scrape_after_some_messages_shows_the_counts_moving_and_no_person_channel_or_text():
    metrics = PrometheusMetrics()
    world = build_world(
        metrics=metrics, limits=LimitOptions(user="3/minute", prices={"gpt-4o-mini": (0.15, 0.60)}),
        filters=FilterDefaults(rules=(parse_rule("forbidden", source="settings"),)),
    )
    key = ConversationKey(platform="slack", workspace="T1", channel="D-CHANNEL-7")

    def message(text: str):
        return msg(text, key=key, user="U-PERSON-42")

    async with serving(Readiness(), metrics) as base:
        _, before, _ = await get(base + "/metrics")
        assert value(before, "parley_messages_total", platform="slack", outcome="answered") == 0
        await world.send(message("hello, my address is ada@example.com, confidential"))  # answered, PII redacted
        await world.send(message("a forbidden word"))  # blocked by the blocklist
        await world.send(message("third"))  # answered
        _, limited = await world.send(message("fourth"))  # over 3 a minute
        assert limited.kind is OutcomeKind.LIMITED
        status, after, _ = await get(base + "/metrics")

    assert status == 200
    assert value(after, "parley_messages_total", platform="slack", outcome="answered") == 2
    assert value(after, "parley_messages_total", platform="slack", outcome="blocked") == 1
    assert value(after, "parley_messages_total", platform="slack", outcome="limited") == 1
    assert value(after, "parley_refusals_total", kind="rate_limit", scope="user") == 1
    assert value(after, "parley_filter_decisions_total", filter="pii", direction="input", action="redacted") == 1
    assert value(after, "parley_filter_decisions_total", filter="blocklist", direction="input", action="blocked") == 1
    assert value(after, "parley_llm_requests_total", model="gpt-4o-mini", outcome="ok") == 2
    assert value(after, "parley_llm_tokens_total", model="gpt-4o-mini", kind="completion") > 0
    assert value(after, "parley_llm_cost_usd_total", model="gpt-4o-mini") > 0
    assert value(after, "parley_message_duration_seconds_count", platform="slack", outcome="answered") == 2
    assert value(after, "parley_time_to_first_text_seconds_count", platform="slack") == 2
    assert value(after, "parley_answers_in_flight") == 0
    for word in SECRET_WORDS:
        assert word not in after, f"{word!r} must never be in a label"


async def test_answers_in_flight_and_the_llm_queue_are_seen_while_the_model_is_slow():
    metrics = PrometheusMetrics()
    world = build_world(metrics=metrics, limits=LimitOptions(max_in_flight=1))
    gate = world.llm.gate = asyncio.Event()

    async def answer(n: int) -> None:
        async for _event in world.core.chat.handle(msg(f"question {n}", key=ConversationKey("slack", "T1", f"D{n}"))):
            pass

    async with serving(Readiness(), metrics) as base:
        tasks = [asyncio.create_task(answer(n)) for n in range(3)]
        await world.llm.started.wait()
        async with asyncio.timeout(5):
            while value((await get(base + "/metrics"))[1], "parley_llm_queue_depth") < 2:
                await asyncio.sleep(0.01)
        _, during, _ = await get(base + "/metrics")
        gate.set()
        await asyncio.gather(*tasks)
        _, after, _ = await get(base + "/metrics")
    assert value(during, "parley_answers_in_flight") == 3
    assert value(during, "parley_llm_queue_depth") == 2
    assert value(after, "parley_answers_in_flight") == 0 and value(after, "parley_llm_queue_depth") == 0


async def test_time_to_first_text_is_observed_before_the_answer_ends():
    metrics = PrometheusMetrics()
    world = build_world(metrics=metrics)
    events = world.core.chat.handle(msg("hi"))
    first = await anext(events)
    assert isinstance(first, TextDelta)
    async for _rest in events:
        pass
    scrape = metrics.exposition()[0].decode()
    first_text = value(scrape, "parley_time_to_first_text_seconds_sum", platform="slack")
    duration = value(scrape, "parley_message_duration_seconds_sum", platform="slack", outcome="answered")
    assert 0 < first_text <= duration


async def test_healthz_answers_while_readyz_names_what_is_down():
    async def fine() -> None:
        return None

    async def broken() -> str:
        return "the thing is down"

    async with serving(Readiness({"database": fine, "llm": broken})) as base:
        alive, text, _ = await get(base + "/healthz")
        status, _, body = await get(base + "/readyz")
    assert (alive, text) == (200, "ok")
    assert status == 503
    assert body["ready"] is False and body["down"] == ["llm"]
    assert body["checks"] == {"database": "ok", "llm": "the thing is down"}


async def test_readiness_goes_503_when_the_test_kills_its_redis_and_back_to_200_when_it_returns(tmp_path, own_redis):
    database = Database.from_url(f"sqlite+aiosqlite:///{tmp_path / 'ready.db'}")
    redis = RedisCheck(own_redis.url)
    readiness = Readiness({"database": database_check(database), "redis": redis})
    try:
        async with serving(readiness) as base:
            assert (await get(base + "/readyz"))[0] == 200
            own_redis.kill()
            started = time.monotonic()
            status, _, body = await get(base + "/readyz")
            took = time.monotonic() - started
            assert status == 503 and body["down"] == ["redis"], body
            assert "Redis does not answer" in body["checks"]["redis"]
            assert took < 1.0
            own_redis.start()
            async with asyncio.timeout(5):
                while (await get(base + "/readyz"))[0] != 200:
                    await asyncio.sleep(0.05)
    finally:
        await redis.close()
        await database.dispose()


async def test_a_redis_that_never_answers_keeps_readyz_within_a_second(blackhole):  # noqa: F811
    redis = RedisCheck(blackhole)
    try:
        async with serving(Readiness({"redis": redis})) as base:
            started = time.monotonic()
            status, _, body = await get(base + "/readyz")
            took = time.monotonic() - started
    finally:
        await redis.close()
    assert status == 503 and body["down"] == ["redis"]
    assert took < 1.0, f"/readyz took {took:.2f} s"


class Relay:
    """A TCP relay of the test's own in front of PostgreSQL: ``close`` refuses new connections and cuts open ones."""

    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.port = 0

    async def open(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self._target)
        self._writers |= {writer, up_writer}

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with suppress(Exception):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            sink.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    async def close(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._writers:
            writer.close()
        self._writers.clear()
        await self._server.wait_closed()


async def test_readiness_goes_503_when_the_database_is_gone_and_back_when_it_returns():
    require_service("PostgreSQL", postgres_reachable(POSTGRES_URL), POSTGRES_URL)
    from sqlalchemy.engine import make_url

    url = make_url(POSTGRES_URL)
    relay = Relay(url.host or "127.0.0.1", url.port or 5432)
    await relay.open()
    database = Database.from_url(url.set(host="127.0.0.1", port=relay.port))
    try:
        async with serving(Readiness({"database": database_check(database)})) as base:
            assert (await get(base + "/readyz"))[0] == 200
            await relay.close()
            started = time.monotonic()
            status, _, body = await get(base + "/readyz")
            assert time.monotonic() - started < 1.0
            assert status == 503 and body["down"] == ["database"], body
            assert "PostgreSQL" in body["checks"]["database"]
            await relay.open()  # the same port again
            async with asyncio.timeout(5):
                while (await get(base + "/readyz"))[0] != 200:
                    await asyncio.sleep(0.05)
    finally:
        with suppress(Exception):
            await relay.close()
        await database.dispose()


async def test_a_budget_refusal_and_a_failed_model_call_are_counted_by_scope_and_outcome():
    metrics = PrometheusMetrics()
    world = build_world(metrics=metrics, limits=LimitOptions(caps=BudgetCaps({("user", "daily", "tokens"): 1})))
    _, refused = await world.send(msg("over budget from the start"))
    assert refused.kind is OutcomeKind.LIMITED
    failing = build_world(metrics=metrics)
    failing.llm.script.append(LLMError("the server fell over"))
    _, failed = await failing.send(msg("this one fails"))
    assert failed.kind is OutcomeKind.FAILED
    async with serving(Readiness(), metrics) as base:
        _, scrape, _ = await get(base + "/metrics")
    assert value(scrape, "parley_refusals_total", kind="budget", scope="user") == 1
    assert value(scrape, "parley_llm_requests_total", model="gpt-4o-mini", outcome="error") == 1
    assert value(scrape, "parley_messages_total", platform="slack", outcome="failed") == 1


async def test_the_pending_inbox_gauge_follows_the_lease_renewals():
    metrics = PrometheusMetrics()
    world = build_world(metrics=metrics, lease_seconds=0.6)  # renewed every 0.2 s
    world.llm.gate = asyncio.Event()
    renewals = asyncio.create_task(world.core.deliveries.keep_leases())
    answering = asyncio.create_task(world.send(msg("held while the model thinks")))
    try:
        async with serving(Readiness(), metrics) as base:
            async with asyncio.timeout(5):
                while value((await get(base + "/metrics"))[1], "parley_inbox_pending_messages") != 1:
                    await asyncio.sleep(0.05)
            world.llm.gate.set()
            await answering
            async with asyncio.timeout(5):
                while value((await get(base + "/metrics"))[1], "parley_inbox_pending_messages") != 0:
                    await asyncio.sleep(0.05)
    finally:
        renewals.cancel()
        world.llm.gate.set()
        await asyncio.gather(renewals, answering, return_exceptions=True)
