"""Killed for real: ``python -m bots.discord`` gets SIGKILL mid-answer, and the next process answers, once.

Each test runs the real composition root against the stand-in Discord and
the stand-in OpenAI server, holds the answer (the model mid-stream, the model
before it answered, or Discord's last edit after the exchange was stored),
kills the process (no cleanup at all), starts a new one on the same database
and checks what people see in Discord: exactly one complete answer, late and
saying so; anything half-shown edited to a note; and, asking a follow-up,
that memory holds the exchange once.  The first runs on SQLite and on
PostgreSQL (the take-over's SQL differs), the others on SQLite.  The last
stops a process with SIGTERM instead: what the drain did not finish is
released, so the next process takes it over without waiting for its lease.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from bots.discord.render import footer
from bots.discord.texts import INTERRUPTED_ANSWER
from core.chat.texts import DELAYED_NOTICE
from core.storage.database import Database
from tests.bots.discord.test_connection import bot_env
from tests.bots.discord.test_conversations import mention, user_texts
from tests.bots.discord.test_redelivery import inbox_row, wait_for_reply_ref, wait_for_row
from tests.databases import BACKENDS, require_backend, sqlite_url
from tests.standins.discord_server import ALICE, DM_ALICE, FAKE_TOKEN, GENERAL, DiscordStandIn
from tests.standins.openai_server import OpenAIStandIn, Reply

WAIT = 30.0  # seconds: a process starts, connects and takes over well within this


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return require_backend(request, request.param)


def late(answer: str) -> str:
    """An answer as a process that took the message over shows it: with the note that it is late."""
    return f"{answer}\n{footer([DELAYED_NOTICE])}"


class BotProcesses:
    """Real ``python -m bots.discord`` processes, one after the other, on one database and the same stand-ins."""

    def __init__(
        self, tmp_path: Path, server: DiscordStandIn, llm: OpenAIStandIn, database_url: str, **env: str
    ) -> None:
        self._tmp_path = tmp_path
        self._server = server
        self._env = bot_env(tmp_path)
        self._env.update(dict(
            DATABASE_URL=database_url, DISCORD_BOT_TOKEN=FAKE_TOKEN, DISCORD_API_URL=server.api_url,
            DISCORD_GATEWAY_URL=server.gateway_url, OPENAI_BASE_URL=llm.base_url, OPENAI_API_KEY="test-key",
            MODERATION_ENABLED="false", STREAM_EDIT_INTERVAL_SECONDS="0.2",
            INBOX_LEASE_SECONDS="1", RECOVERY_INTERVAL_SECONDS="0.2",
        ), **env)
        self.started: list[asyncio.subprocess.Process] = []

    async def start(self) -> asyncio.subprocess.Process:
        """A new process, once it has connected (IDENTIFY); its JSON log goes to bot-<n>.log."""
        log = open(self._tmp_path / f"bot-{len(self.started) + 1}.log", "wb")
        with log:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bots.discord", cwd=self._tmp_path, env=self._env,
                stdout=asyncio.subprocess.DEVNULL, stderr=log,
            )
        self.started.append(process)
        await self._server.wait_connected(identifies=len(self.started), timeout=WAIT)
        return process

    async def stop(self, process: asyncio.subprocess.Process) -> int:
        """SIGTERM, as a deploy does; the exit code."""
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(process.wait(), WAIT)
        except TimeoutError:
            process.kill()
            raise

    def logs(self) -> str:
        return "\n".join(
            f"--- bot-{n}.log\n{(self._tmp_path / f'bot-{n}.log').read_text(errors='replace')}"
            for n in range(1, len(self.started) + 1)
        )


@asynccontextmanager
async def killing_bots(
    tmp_path: Path, database_url: str, **env: str
) -> AsyncIterator[tuple[DiscordStandIn, OpenAIStandIn, BotProcesses]]:
    async with DiscordStandIn() as server, OpenAIStandIn() as llm:
        bots = BotProcesses(tmp_path, server, llm, database_url, **env)
        try:
            yield server, llm, bots
        except BaseException:
            sys.stderr.write(bots.logs())  # shown by pytest with the failure
            raise
        finally:
            for process in bots.started:
                if process.returncode is None:
                    process.kill()
                    await process.wait()
        assert not server.broken_rules, f"Discord refused calls that break its rules: {server.broken_rules}"
        assert not server.pings, f"Parley's messages would have pinged: {server.pings}"
        assert not server.unguarded_sends, f"sent without allowed_mentions parsing nothing: {server.unguarded_sends}"
        assert not server.rate_limited, f"Discord answered 429: {server.rate_limited}"


async def shown(server: DiscordStandIn, channel_id: int, content: str) -> dict:
    """Wait until one of the bot's messages in ``channel_id`` reads exactly ``content``."""
    return await server.wait_for(
        lambda: next((m for m in server.bot_messages(channel_id) if m["content"] == content), None), timeout=WAIT
    )


async def kill(process: asyncio.subprocess.Process) -> None:
    process.kill()  # SIGKILL: no drain, no release, no goodbye
    await process.wait()
    assert process.returncode == -signal.SIGKILL


def asked_once(llm: OpenAIStandIn, *, question: str, answer: str) -> None:
    """The model, asked a follow-up, sees the exchange in memory exactly once."""
    memory = user_texts(llm.chat_requests[-1])
    assert memory.count(question) == 1 and memory.count(answer) == 1, memory


async def test_killed_while_the_answer_streams_the_next_process_ends_the_half_answer_and_answers_once(
    tmp_path, database_url
):
    database = Database.from_url(database_url)
    async with killing_bots(tmp_path, database_url) as (server, llm, bots):
        held = asyncio.Event()
        llm.script(Reply("the first half, and the rest", deltas=["the first half, ", "and the rest"], gate=held,
                         gate_after=1))
        first = await bots.start()
        asked = await server.send_message(ALICE, GENERAL, mention("what is the plan?"))
        thread_id = int(asked["id"])
        (half,) = await server.wait_for(lambda: server.bot_messages(thread_id), timeout=WAIT)
        assert half["content"].startswith("the first half")
        await wait_for_reply_ref(database, asked["id"], timeout=WAIT)  # the process noted where its reply is
        await kill(first)  # mid-answer: the model is still holding the rest (until the stand-in closes)

        second = await bots.start()
        answer = await shown(server, thread_id, late("echo: what is the plan?"))

        assert server.messages[int(half["id"])]["content"] == INTERRUPTED_ANSWER  # not left looking complete
        assert [m["content"] for m in server.bot_messages(thread_id)] == [INTERRUPTED_ANSWER, answer["content"]]
        await wait_for_row(database, asked["id"], lambda row: row["state"] == "answered", timeout=WAIT)  # finished

        await server.send_message(ALICE, thread_id, "what did I ask?")  # a follow-up in the thread
        await shown(server, thread_id, "echo: what did I ask?")
        asked_once(llm, question="what is the plan?", answer="echo: what is the plan?")
        assert len(llm.chat_requests) == 3  # the killed answer, the late one, the follow-up
        assert await bots.stop(second) == 0
    await database.dispose()


async def test_killed_before_the_model_answered_the_next_process_answers_once(tmp_path):
    database_url = sqlite_url(tmp_path / "parley.db")
    database = Database.from_url(database_url)
    async with killing_bots(tmp_path, database_url) as (server, llm, bots):
        held = asyncio.Event()
        llm.script(Reply("never sent", gate=held))  # the model holds the whole answer
        first = await bots.start()
        asked = await server.send_message(ALICE, DM_ALICE, "are you there?")
        await llm.wait_for_held(1, timeout=WAIT)
        assert (await inbox_row(database, asked["id"]))["state"] == "pending"  # accepted, and nothing shown
        await kill(first)

        second = await bots.start()
        answer = await shown(server, DM_ALICE, late("echo: are you there?"))

        assert [m["content"] for m in server.bot_messages(DM_ALICE)] == [answer["content"]]
        await wait_for_row(database, asked["id"], lambda row: row["state"] == "answered", timeout=WAIT)  # finished

        await server.send_message(ALICE, DM_ALICE, "what did I ask?")
        await shown(server, DM_ALICE, "echo: what did I ask?")
        asked_once(llm, question="are you there?", answer="echo: are you there?")
        assert len(llm.chat_requests) == 3
        assert await bots.stop(second) == 0
    await database.dispose()


async def test_killed_after_the_answer_was_stored_the_next_process_shows_it_without_asking_the_model_again(tmp_path):
    database_url = sqlite_url(tmp_path / "parley.db")
    database = Database.from_url(database_url)
    async with killing_bots(tmp_path, database_url) as (server, llm, bots):
        # A phone number in the question: redacted, and the answer gets a notice saying so. The notice is
        # added by the last edit, made after the exchange is stored; Discord never answers that edit.
        server.hold_calls("PATCH", "/channels/{channel_id}/messages/{message_id}",
                          when=lambda body: "\n-# " in (body or {}).get("content", ""))
        first = await bots.start()
        asked = await server.send_message(ALICE, DM_ALICE, "how do I reach you? +44 20 7946 0958")
        await server.wait_for(lambda: server.held_calls, timeout=WAIT)
        (streamed,) = server.bot_messages(DM_ALICE)
        row = await inbox_row(database, asked["id"])
        assert row["state"] == "stored" and row["reply_ref"] == f"{DM_ALICE}:{streamed['id']}"
        await kill(first)

        second = await bots.start()
        answer = await server.wait_for(lambda: next((
            m for m in server.bot_messages(DM_ALICE)
            if m["content"].startswith("echo: how do I reach you? [phone]\n") and m["content"].endswith(late(""))
        ), None), timeout=WAIT)

        assert [m["content"] for m in server.bot_messages(DM_ALICE)] == [INTERRUPTED_ANSWER, answer["content"]]
        assert len(llm.chat_requests) == 1  # shown as it was stored: the model was not asked again
        await wait_for_row(database, asked["id"], lambda row: row["state"] == "answered", timeout=WAIT)

        await server.send_message(ALICE, DM_ALICE, "what did I ask?")
        await shown(server, DM_ALICE, "echo: what did I ask?")
        asked_once(llm, question="how do I reach you? [phone]", answer="echo: how do I reach you? [phone]")
        assert await bots.stop(second) == 0
    await database.dispose()


async def test_an_answer_cut_short_by_sigterm_is_taken_over_by_the_next_process_at_once(tmp_path):
    database_url = sqlite_url(tmp_path / "parley.db")
    database = Database.from_url(database_url)
    # A lease of an hour: only the release at shutdown can let the next process take the message over now.
    async with killing_bots(tmp_path, database_url, INBOX_LEASE_SECONDS="3600") as (server, llm, bots):
        llm.script(Reply("the first half, and the rest", deltas=["the first half, ", "and the rest"],
                         gate=asyncio.Event(), gate_after=1))  # never released: longer than the drain
        first = await bots.start()
        asked = await server.send_message(ALICE, DM_ALICE, "a slow one")
        (half,) = await server.wait_for(lambda: server.bot_messages(DM_ALICE), timeout=WAIT)
        await wait_for_reply_ref(database, asked["id"], timeout=WAIT)
        assert await bots.stop(first) == 0  # SIGTERM: drained for DRAIN_SECONDS, then cancelled and released

        second = await bots.start()
        answer = await shown(server, DM_ALICE, late("echo: a slow one"))
        assert [m["content"] for m in server.bot_messages(DM_ALICE)] == [INTERRUPTED_ANSWER, answer["content"]]
        assert server.messages[int(half["id"])]["content"] == INTERRUPTED_ANSWER
        assert await bots.stop(second) == 0
    await database.dispose()
