"""The real core and the real slack-bolt app, between a stand-in Slack and a stand-in OpenAI.

``parley`` runs the app in HTTP mode on 127.0.0.1 (port 0) and delivers
requests signed the way Slack signs them; a delivered message is also
recorded in the stand-in as posted (threads exist through their replies, as in
Slack), and a command carries a trigger_id the stand-in issued.  ``clock`` is
the streaming throttle's clock: it only moves when a test advances it, so
whether an append happens is decided by the test, not by timing.
``slack_clock`` is the stand-in's own (trigger expiry, rate-limit windows).

Every test ends with what Slack would hold against Parley checked: no
``slack.violations`` (text over 4,000 characters, unescaped mrkdwn, an
ephemeral message nobody sees, a call inside its Retry-After) and no
``slack.pings``.  A test that provokes one on purpose clears them (``slack.forget_findings()``).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest

from bots.slack.app import SlackBot, build_bot
from bots.slack.server import HttpServer
from core.bootstrap import RunningCore, start_core
from core.config import Settings, load_settings
from tests.bots.slack import payloads
from tests.standins.openai_server import OpenAIStandIn
from tests.standins.slack_server import SlackStandIn, signed_headers

SIGNING_SECRET = "test-signing-secret-not-real"
BOT_TOKEN = "xoxb-test-not-real"
APP_TOKEN = "xapp-test-not-real"


async def eventually(condition: Callable[[], bool], *, timeout: float = 5.0) -> None:
    """Poll ``condition`` until it holds (raises TimeoutError after ``timeout``): for state nothing announces."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.005)


class ManualClock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float = 10.0) -> None:
        self.now += seconds


@pytest.fixture
def slack_clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def slack(slack_clock) -> AsyncIterator[SlackStandIn]:
    async with SlackStandIn(
        team_id=payloads.TEAM, bot_user_id=payloads.BOT_USER, bot_id=payloads.BOT_ID, clock=slack_clock
    ) as server:
        server.add_user(payloads.ADA, name="ada")
        server.add_user(payloads.GRACE, name="grace", is_admin=True)
        yield server
        assert server.violations == [], "Slack would hold these against Parley"
        assert server.pings == [], "Parley's messages would notify people"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


def parley_settings(tmp_path: Path, slack: SlackStandIn, llm: OpenAIStandIn, **overrides: Any) -> Settings:
    values: dict[str, Any] = dict(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'parley.db'}",
        openai_base_url=llm.base_url, openai_api_key="test-key", llm_max_retries=0, default_model="stand-in-model",
        slack_bot_token=BOT_TOKEN, slack_signing_secret=SIGNING_SECRET, slack_app_token=None,
        slack_api_url=slack.base_url, parley_admins="", allow_bot_messages=False, stream_edit_interval_seconds=1.0,
    )
    values.update(overrides)
    return load_settings(**values)


@dataclass
class Parley:
    """The running app, and ways to reach it the way Slack does."""

    bot: SlackBot
    running: RunningCore
    url: str
    session: aiohttp.ClientSession
    slack: SlackStandIn

    async def post(self, body: str, *, content_type: str, secret: str = SIGNING_SECRET,
                   timestamp: int | None = None, headers: dict[str, str] | None = None) -> aiohttp.ClientResponse:
        signature = signed_headers(secret, body, timestamp=timestamp)
        all_headers = {"Content-Type": content_type, **signature, **(headers or {})}
        async with self.session.post(self.url, data=body.encode(), headers=all_headers) as response:
            await response.read()
            return response

    async def deliver(self, event: dict[str, Any], *, retry_num: int | None = None, **kwargs: Any) -> int:
        """POST one Events API delivery of ``event`` (recorded in the stand-in as posted); the HTTP status."""
        if event.get("type") in ("message", "app_mention") and event.get("ts") and event.get("channel"):
            self.slack.add_message(str(event["channel"]), str(event["ts"]), str(event.get("text") or ""),
                                   user=str(event.get("user") or ""), thread_ts=event.get("thread_ts"))
        headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"} if retry_num else None
        response = await self.post(json.dumps(payloads.envelope(event)), content_type="application/json",
                                   headers=headers, **kwargs)
        return response.status

    async def command(self, command: str, text: str, *, user: str, **kwargs: Any) -> tuple[int, dict[str, str]]:
        form = payloads.slash_command(command, text, user=user, response_url=self.slack.response_url(),
                                      trigger_id=self.slack.new_trigger(), **kwargs)
        response = await self.post(urlencode(form), content_type="application/x-www-form-urlencoded")
        return response.status, form

    async def interact(self, payload: dict[str, Any]) -> tuple[int, Any]:
        body = urlencode({"payload": json.dumps(payload)})
        all_headers = {"Content-Type": "application/x-www-form-urlencoded", **signed_headers(SIGNING_SECRET, body)}
        async with self.session.post(self.url, data=body.encode(), headers=all_headers) as response:
            text = await response.text()
            return response.status, (json.loads(text) if text else None)

    async def handled(self, count: int, *, timeout: float = 5.0) -> None:
        """Wait until ``count`` deliveries have been fully handled (answered or skipped)."""
        await self.bot.in_flight.wait_finished(count, timeout=timeout)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Settings a test module changes (override this fixture in the module)."""
    return {}


@pytest.fixture
async def parley(tmp_path, slack, llm, clock, settings_overrides) -> AsyncIterator[Parley]:
    settings = parley_settings(tmp_path, slack, llm, **settings_overrides)
    running = await start_core(settings)
    bot = build_bot(running.core, settings, clock=clock)
    server = HttpServer(bot.app, host="127.0.0.1", port=0)
    port = await server.start()
    async with aiohttp.ClientSession() as session:
        url = f"http://127.0.0.1:{port}/slack/events"
        yield Parley(bot=bot, running=running, url=url, session=session, slack=slack)
    await bot.in_flight.drain(timeout=5)
    await server.aclose()
    await bot.aclose()
    await running.aclose()
