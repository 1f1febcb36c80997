"""Health, readiness and metrics of the Slack adapter, over real HTTP (issue 21).

HTTP mode serves ``/healthz``, ``/readyz`` and ``/metrics`` on Slack's own port (the routes ``__main__``
adds to ``HttpServer``); Socket Mode's readiness follows its websocket.
"""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bots.slack.app import build_bot
from bots.slack.server import HttpServer, connect_socket_mode, socket_check
from core.bootstrap import start_core
from core.observability.http import add_health_routes
from core.observability.readiness import Readiness, not_yet
from tests.bots.slack import payloads
from tests.bots.slack.conftest import APP_TOKEN, Parley, parley_settings
from tests.bots.slack.payloads import BOT_USER, CHANNEL
from tests.bots.slack.processes import WAIT, SlackProcesses
from tests.databases import require_backend


@pytest.fixture
async def parley_with_probes(tmp_path, slack, llm, clock):
    settings = parley_settings(tmp_path, slack, llm)
    running = await start_core(settings)
    bot = build_bot(running.core, settings, clock=clock)
    server = HttpServer(bot.app, host="127.0.0.1", port=0, routes=lambda app: add_health_routes(
        app, readiness=running.readiness, metrics=running.metrics
    ))
    port = await server.start()
    async with aiohttp.ClientSession() as session:
        yield Parley(bot=bot, running=running, url=f"http://127.0.0.1:{port}/slack/events", session=session, slack=slack)
    await bot.in_flight.drain(timeout=5)
    await server.aclose()
    await bot.aclose()
    await running.aclose()


def answered(scrape: str) -> float:
    for family in text_string_to_metric_families(scrape):
        for sample in family.samples:
            if sample.name == "parley_messages_total" and sample.labels == {"platform": "slack", "outcome": "answered"}:
                return sample.value
    return 0.0


async def test_http_mode_serves_the_probes_and_metrics_on_slacks_port(parley_with_probes, slack, llm):
    parley = parley_with_probes
    base = parley.url.removesuffix("/slack/events")
    async with parley.session.get(base + "/healthz") as alive:
        assert (alive.status, await alive.text()) == (200, "ok")
    async with parley.session.get(base + "/readyz") as ready:
        body = await ready.json()
        assert ready.status == 200, body
    assert body["checks"] == {"database": "ok", "llm": "ok"}
    models = [r for r in llm.requests if r.path == "/v1/models"]
    assert models and models[-1].authorization == "Bearer test-key"  # the LLM check asked the server, with the key

    async with parley.session.get(base + "/metrics") as scrape:
        before = answered(await scrape.text())
    assert await parley.deliver(payloads.app_mention(f"<@{BOT_USER}> hello")) == 200
    await slack.wait_for_call("chat.stopStream")
    await parley.handled(1)
    async with parley.session.get(base + "/metrics") as scrape:
        assert scrape.headers["Content-Type"].startswith("text/plain")
        text = await scrape.text()
    assert answered(text) == before + 1
    assert CHANNEL not in text


async def test_socket_mode_is_ready_once_its_websocket_is_open_and_not_after_it_closed(tmp_path, slack, llm, clock):
    settings = parley_settings(tmp_path, slack, llm, slack_app_token=APP_TOKEN, slack_signing_secret=None)
    running = await start_core(settings)
    readiness: Readiness = running.readiness
    bot = build_bot(running.core, settings, clock=clock)
    try:
        readiness.add("slack", not_yet("the Slack Socket Mode connection is not open yet"))
        assert (await readiness.run()).down == ["slack"]
        handler = await connect_socket_mode(bot.app, app_token=APP_TOKEN)
        readiness.add("slack", socket_check(handler))
        await slack.wait_for_socket()
        report = await readiness.run()
        assert report.ready, report.checks
        await handler.close_async()
        report = await readiness.run()
        assert report.down == ["slack"]
        assert report.checks["slack"] == "the Slack Socket Mode connection is not open"
    finally:
        await bot.aclose()
        await running.aclose()


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    return require_backend(request, "postgresql")  # several processes: PostgreSQL, as deployed


async def test_two_processes_each_count_their_own_messages_on_their_own_port(tmp_path, slack, llm, database_url):
    """One port per process (README, "Metrics"): Prometheus scrapes each and sums; nothing is counted twice."""
    processes = SlackProcesses(tmp_path, slack=slack, llm=llm, database_url=database_url, mode="http")
    try:
        first, second = await processes.start(), await processes.start()
        assert await processes.deliver(first, payloads.app_mention(f"<@{BOT_USER}> counted where it was handled")) == 200
        await slack.wait_for_call("chat.stopStream", timeout=WAIT)
        async with aiohttp.ClientSession() as session:
            async with asyncio.timeout(WAIT):  # counted once the reply stream has ended
                while answered(await (await session.get(first.url + "/metrics")).text()) != 1:
                    await asyncio.sleep(0.05)
            other = await (await session.get(second.url + "/metrics")).text()
            ready = await session.get(second.url + "/readyz")
            assert ready.status == 200, await ready.text()
        assert answered(other) == 0
    finally:
        await processes.close()
