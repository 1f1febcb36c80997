"""Connecting: intents, sharding, the invite URL, where discord.py is pointed, and the composition root."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import aiohttp
import discord
import discord.gateway
import discord.http
import pytest
import yarl
from prometheus_client.parser import text_string_to_metric_families

from bots.discord.connection import (
    DiscordConfigError, DiscordOptions, build_client, intents, invite_url, point_discord_at,
)
from core.config import load_settings
from tests.bots.discord.test_conversations import answer_in
from tests.standins.discord_server import ALICE, BOT, BOT_PERMISSIONS, DM_ALICE, FAKE_TOKEN, GUILD_ID, DiscordStandIn
from tests.standins.openai_server import OpenAIStandIn

# view channel, send messages, read message history, create public threads, send messages in threads
EXPECTED_PERMISSIONS = (1 << 10) | (1 << 11) | (1 << 16) | (1 << 35) | (1 << 38)
EXPECTED_INTENTS = (1 << 0) | (1 << 9) | (1 << 12) | (1 << 15)  # guilds, guild messages, DMs, message content


def test_intents_are_exactly_what_parley_reads():
    assert intents().value == EXPECTED_INTENTS


def test_the_invite_url_asks_for_exactly_the_permissions_used():
    query = parse_qs(urlparse(invite_url(BOT)).query)
    assert query["client_id"] == [str(BOT)] and query["permissions"] == [str(EXPECTED_PERMISSIONS)]
    assert query["scope"] == ["bot applications.commands"]
    assert EXPECTED_PERMISSIONS == BOT_PERMISSIONS  # all the stand-in grants the bot, so every test runs on these alone


def test_sharding_settings_choose_the_client():
    assert type(build_client(DiscordOptions(token="t"))) is discord.Client
    sharded = build_client(DiscordOptions(token="t", shard_count=4, shard_ids=(2, 3)))
    assert isinstance(sharded, discord.AutoShardedClient)
    assert (sharded.shard_count, sharded.shard_ids) == (4, [2, 3])


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({}, "DISCORD_BOT_TOKEN is not set"),
        ({"discord_bot_token": "t", "discord_shard_ids": "0,1"}, "DISCORD_SHARD_IDS needs DISCORD_SHARD_COUNT"),
        ({"discord_bot_token": "t", "discord_shard_ids": "2", "discord_shard_count": 2}, "between 0 and 1"),
    ],
)
def test_settings_that_cannot_work_are_one_line_naming_the_key(settings, message):
    with pytest.raises(DiscordConfigError, match=message) as raised:
        DiscordOptions.from_settings(load_settings(_env_file=None, **settings))
    assert "\n" not in str(raised.value)


def test_settings_point_discord_py_at_the_configured_servers(monkeypatch):
    monkeypatch.setattr(discord.http.Route, "BASE", discord.http.Route.BASE)  # restored after the test
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
    point_discord_at(api_url="http://127.0.0.1:9/api/v10/", gateway_url="ws://127.0.0.1:9/gateway")
    assert discord.http.Route("GET", "/users/@me").url == "http://127.0.0.1:9/api/v10/users/@me"
    assert discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY == yarl.URL("ws://127.0.0.1:9/gateway")


async def test_a_process_runs_its_shard_of_the_guilds(start_parley):
    parley = await start_parley(discord_shard_count=2, discord_shard_ids="1")
    (identify,) = parley.discord.identifies
    assert identify["shard"] == [1, 2] and identify["intents"] == EXPECTED_INTENTS
    assert isinstance(parley.bot.client, discord.AutoShardedClient)
    has_guild = (GUILD_ID >> 22) % 2 == 1
    await parley.discord.wait_for(lambda: len(parley.bot.client.guilds) == int(has_guild))


async def test_the_invite_url_is_logged_at_start(parley):
    logged = await parley.wait_logged("discord.invite_url")
    assert f"permissions={EXPECTED_PERMISSIONS}" in logged["url"] and f"client_id={BOT}" in logged["url"]


async def test_a_failed_command_sync_is_logged_and_messages_still_work(discord_server, start_parley):
    discord_server.fail_next("PUT", "/applications/{application_id}/commands", status=403, code=50001,
                             message="Missing Access")  # invited without the applications.commands scope
    parley = await start_parley()
    failed = await parley.wait_logged("discord.commands_sync_failed")
    assert (failed["status"], failed["code"], failed["log_level"]) == (403, 50001, "error")
    await discord_server.send_message(ALICE, DM_ALICE, "still answering?")
    await answer_in(discord_server, DM_ALICE, "echo: still answering?")


# --- the composition root, as a real process ------------------------------------

CLEARED_PREFIXES = ("DISCORD_", "OPENAI_", "DATABASE_URL", "LOG_", "PARLEY_", "LLM_", "STREAM_", "ALLOW_BOT")


def bot_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(CLEARED_PREFIXES)}
    env.update(DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'parley.db'}", LOG_FORMAT="json", HEALTH_PORT="0")
    env.update(extra)  # HEALTH_PORT 0: a free port each, so processes side by side never clash
    return env


def answered_count(scrape: str) -> float:
    return next((
        sample.value for family in text_string_to_metric_families(scrape) for sample in family.samples
        if sample.name == "parley_messages_total" and sample.labels == {"platform": "discord", "outcome": "answered"}
    ), 0.0)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def run_bot(tmp_path: Path, **env: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bots.discord", cwd=tmp_path, env=bot_env(tmp_path, **env),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )


async def test_without_a_token_it_says_so_in_one_line_and_exits_2(tmp_path):
    process = await run_bot(tmp_path, OPENAI_BASE_URL="http://127.0.0.1:9/v1")
    _, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 2 and err.decode().strip().count("\n") == 0
    assert "DISCORD_BOT_TOKEN" in err.decode()


async def test_the_process_connects_answers_and_stops_cleanly_on_sigterm(tmp_path):
    health = f"http://127.0.0.1:{free_port()}"
    async with DiscordStandIn() as server, OpenAIStandIn() as llm:
        process = await run_bot(
            tmp_path, DISCORD_BOT_TOKEN=FAKE_TOKEN, DISCORD_API_URL=server.api_url,
            DISCORD_GATEWAY_URL=server.gateway_url, OPENAI_BASE_URL=llm.base_url, OPENAI_API_KEY="test-key",
            STREAM_EDIT_INTERVAL_SECONDS="0.2", HEALTH_PORT=health.rsplit(":", 1)[1],
        )
        try:
            await server.wait_connected(timeout=30)
            assert server.identifies[0]["token"] == FAKE_TOKEN and "shard" not in server.identifies[0]
            await server.send_message(ALICE, DM_ALICE, "hello from a real process")
            await answer_in(server, DM_ALICE, "echo: hello from a real process")
            # HEALTH_PORT (issue 21): ready once the gateway is, and the answer counted
            async with aiohttp.ClientSession() as session:
                async with session.get(health + "/readyz") as ready:
                    body = await ready.json()
                    assert ready.status == 200, body
                    assert body["checks"] == {"database": "ok", "llm": "ok", "discord": "ok"}
                async with asyncio.timeout(5):  # counted once the reply stream has ended, just after the last edit
                    while answered_count(await (await session.get(health + "/metrics")).text()) != 1:
                        await asyncio.sleep(0.05)
        finally:
            process.send_signal(signal.SIGTERM)
            _, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, err.decode()
    events = [json.loads(line) for line in err.decode().splitlines() if line.startswith("{")]
    (invite,) = [e for e in events if e["event"] == "discord.invite_url"]
    assert f"permissions={EXPECTED_PERMISSIONS}" in invite["url"]
    assert FAKE_TOKEN not in err.decode()
    assert not server.rate_limited


async def test_a_refused_token_is_one_clear_line(tmp_path):
    async with DiscordStandIn(token="the-real-one") as server:
        process = await run_bot(
            tmp_path, DISCORD_BOT_TOKEN=FAKE_TOKEN, DISCORD_API_URL=server.api_url,
            DISCORD_GATEWAY_URL=server.gateway_url, OPENAI_BASE_URL="http://127.0.0.1:9/v1",
        )
        _, err = await asyncio.wait_for(process.communicate(), 30)
    lines = [line for line in err.decode().splitlines() if not line.startswith("{")]
    assert process.returncode == 1 and len(lines) == 1 and "DISCORD_BOT_TOKEN" in lines[0], err.decode()


async def test_a_missing_message_content_intent_is_one_clear_line(tmp_path):
    async with DiscordStandIn(content_intent_enabled=False) as server:
        process = await run_bot(
            tmp_path, DISCORD_BOT_TOKEN=FAKE_TOKEN, DISCORD_API_URL=server.api_url,
            DISCORD_GATEWAY_URL=server.gateway_url, OPENAI_BASE_URL="http://127.0.0.1:9/v1",
        )
        _, err = await asyncio.wait_for(process.communicate(), 30)
    lines = [line for line in err.decode().splitlines() if not line.startswith("{")]
    assert process.returncode == 1 and len(lines) == 1 and "Message Content intent" in lines[0], err.decode()
