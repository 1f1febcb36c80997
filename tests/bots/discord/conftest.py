"""The real discord.py and the real core, against the stand-in Discord and the stand-in OpenAI server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass, replace
from pathlib import Path

import discord.gateway
import discord.http
import pytest
import structlog
import yarl

from bots.discord.app import DiscordBot
from bots.discord.connection import DiscordOptions
from core.bootstrap import RunningCore, start_core
from core.commands import CommandRouter
from core.config import Settings, load_settings
from tests.standins.discord_server import FAKE_TOKEN, DiscordStandIn
from tests.standins.openai_server import OpenAIStandIn

EDIT_INTERVAL = 0.2


@dataclass
class Parley:
    """One running bot, and what the tests look at."""

    bot: DiscordBot
    running: RunningCore
    settings: Settings
    discord: DiscordStandIn
    llm: OpenAIStandIn
    logs: list[dict]

    async def wait_logged(self, event: str, *, timeout: float = 5.0, **fields: object) -> dict:
        """Wait (polling the captured structlog events) for ``event`` with ``fields``."""

        def found() -> dict | None:
            return next(
                (e for e in self.logs if e.get("event") == event and all(e.get(k) == v for k, v in fields.items())),
                None,
            )

        async with asyncio.timeout(timeout):
            while (entry := found()) is None:
                await asyncio.sleep(0.01)
        return entry


@pytest.fixture
async def discord_server(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[DiscordStandIn]:
    async with DiscordStandIn() as server:
        monkeypatch.setattr(discord.http.Route, "BASE", server.api_url)
        monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(server.gateway_url))
        yield server
        assert not server.rate_limited, f"Discord answered 429: {server.rate_limited}"
        assert not server.broken_rules, f"Discord refused calls that break its rules: {server.broken_rules}"
        assert not server.pings, f"Parley's messages would have pinged: {server.pings}"
        assert not server.unguarded_sends, f"sent without allowed_mentions parsing nothing: {server.unguarded_sends}"


@pytest.fixture
def captured_logs() -> AsyncIterator[list[dict]]:
    with structlog.testing.capture_logs() as logs:
        yield logs


@pytest.fixture
async def start_parley(
    tmp_path: Path, llm: OpenAIStandIn, discord_server: DiscordStandIn, captured_logs: list[dict]
) -> AsyncIterator[Callable[..., Awaitable[Parley]]]:
    started: list[tuple[DiscordBot, asyncio.Task, RunningCore]] = []

    async def start(*, wrap_router: Callable[[CommandRouter], CommandRouter] | None = None, **overrides: object) -> Parley:
        """Parley with these settings; ``wrap_router`` stands between the adapter and the core's command router."""
        settings = load_settings(**{
            "database_url": f"sqlite+aiosqlite:///{tmp_path / 'parley.db'}",
            "openai_base_url": llm.base_url,
            "openai_api_key": "test-key",
            "llm_max_retries": 0,
            "discord_bot_token": FAKE_TOKEN,
            "stream_edit_interval_seconds": EDIT_INTERVAL,
            **overrides,
        })
        running = await start_core(settings)
        core = running.core if wrap_router is None else replace(running.core, commands=wrap_router(running.core.commands))
        bot = DiscordBot(core, DiscordOptions.from_settings(settings))
        task = asyncio.create_task(bot.run())
        started.append((bot, task, running))
        connected = asyncio.create_task(discord_server.wait_connected(identifies=len(discord_server.identifies) + 1))
        await asyncio.wait({task, connected}, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            connected.cancel()
            task.result()  # raises what stopped the bot
        await connected
        return Parley(bot=bot, running=running, settings=settings, discord=discord_server, llm=llm, logs=captured_logs)

    yield start
    for bot, task, running in reversed(started):
        await bot.in_flight.drain(timeout=1.0)
        await bot.close()
        with suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(task, timeout=5)
        await running.aclose()


@pytest.fixture
async def parley(start_parley: Callable[..., Awaitable[Parley]]) -> Parley:
    return await start_parley()
