"""Stopping: answers in flight are drained before the bot disconnects, and cancelled when they run late."""

from __future__ import annotations

import asyncio
import json
import signal

from tests.bots.discord.test_connection import run_bot
from tests.bots.discord.test_conversations import answer_in
from tests.standins.discord_server import ALICE, DM_ALICE, FAKE_TOKEN, DiscordStandIn
from tests.standins.openai_server import OpenAIStandIn


async def test_on_sigterm_the_answer_in_flight_is_finished_before_the_process_exits(tmp_path):
    async with DiscordStandIn() as server, OpenAIStandIn() as llm:
        process = await run_bot(
            tmp_path, DISCORD_BOT_TOKEN=FAKE_TOKEN, DISCORD_API_URL=server.api_url,
            DISCORD_GATEWAY_URL=server.gateway_url, OPENAI_BASE_URL=llm.base_url, OPENAI_API_KEY="test-key",
            STREAM_EDIT_INTERVAL_SECONDS="0.2",
        )
        try:
            await server.wait_connected(timeout=30)
            gate = llm.hold()
            await server.send_message(ALICE, DM_ALICE, "finish this first")
            await llm.wait_for_held(1)
            process.send_signal(signal.SIGTERM)
            stopping = await _logged(process, "discord.stopping")
            gate.set()
            _, rest = await asyncio.wait_for(process.communicate(), 30)
        finally:
            llm.release()
            if process.returncode is None:
                process.kill()
                await process.wait()
        await answer_in(server, DM_ALICE, "echo: finish this first")
    assert stopping["in_flight"] == 1
    assert process.returncode == 0, rest.decode()
    assert "discord.stopped_with_answers_in_flight" not in rest.decode()


async def test_close_cancels_an_answer_the_drain_did_not_wait_for(parley):
    server, llm, bot = parley.discord, parley.llm, parley.bot
    gate = llm.hold()
    try:
        await server.send_message(ALICE, DM_ALICE, "a very slow question")
        await llm.wait_for_held(1)
        assert bot.in_flight.active == 1
        assert not await bot.in_flight.drain(timeout=0)

        await bot.close()
        assert bot.in_flight.active == 0 and bot.in_flight.finished >= 1
    finally:
        gate.set()
    assert not any(m["content"].startswith("echo:") for m in server.bot_messages(DM_ALICE))


async def _logged(process: asyncio.subprocess.Process, event: str, *, timeout: float = 30) -> dict:
    """Read the process's JSON log lines until ``event``; that event's fields."""
    async with asyncio.timeout(timeout):
        while line := await process.stderr.readline():
            if line.startswith(b"{") and (entry := json.loads(line))["event"] == event:
                return entry
    raise AssertionError(f"the process ended before logging {event}")
