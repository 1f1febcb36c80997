"""Killed for real: ``python -m bots.slack`` gets SIGKILL mid-answer, and an answer still arrives, once.

Each test runs the real composition root against the stand-in Slack and the
stand-in OpenAI server, holds the model's answer, kills the process (SIGKILL:
no drain, no release) and lets another process on the same database take the
message over once the dead one's lease (1 s) has run out: on SQLite a new
process (Socket Mode), on PostgreSQL the second of two HTTP workers behind the
same stand-in, which was running all along.  What people see in Slack is
checked: exactly one complete answer, saying it is late; what was half-shown
replaced by a note; nothing left streaming; and, asking a follow-up, that
memory holds the exchange once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bots.slack import texts
from core.chat.texts import DELAYED_NOTICE
from core.storage.database import Database
from tests.bots.slack import payloads
from tests.bots.slack.inbox_rows import event_id_of, inbox_row, wait_for_row
from tests.bots.slack.payloads import ADA, BOT_USER, CHANNEL
from tests.bots.slack.processes import WAIT, SlackProcess, SlackProcesses
from tests.databases import BACKENDS, require_backend
from tests.standins.openai_server import Reply

LATE = f"\n\n_{DELAYED_NOTICE}_"


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return require_backend(request, request.param)


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    database = Database.from_url(database_url)
    yield database
    await database.dispose()


@pytest.fixture
async def processes(tmp_path, slack, llm, database_url, backend) -> AsyncIterator[SlackProcesses]:
    started = SlackProcesses(
        tmp_path, slack=slack, llm=llm, database_url=database_url, mode="socket" if backend == "sqlite" else "http"
    )
    yield started
    await started.close()


async def worker_and_heir(processes: SlackProcesses) -> tuple[SlackProcess, SlackProcess | None]:
    """The process that will be killed and, with HTTP workers, the other one, already running."""
    if processes.mode == "socket":
        return await processes.start(), None
    return await processes.start(), await processes.start()


async def answered(database: Database, event_id: str) -> dict:
    """The message's row once it is finished as answered (the answer shown in Slack before that)."""
    return await wait_for_row(database, event_id, lambda row: row["state"] == "answered", timeout=WAIT)


async def follow_up(processes, to, database, llm, thread_ts: str, text: str) -> list[str]:
    """Ask ``text`` in the thread; what the model was sent after its system prompt (memory, then ``text``)."""
    event = payloads.channel_message(text, thread_ts=thread_ts, parent_user_id=ADA)
    assert await processes.deliver(to, event) == 200
    await answered(database, event_id_of(event))
    return [m["content"] for m in llm.chat_requests[-1].json["messages"][1:]]


async def test_killed_while_the_answer_streams_the_next_process_replaces_it_and_answers_once(
    processes, database, slack, llm
):
    held = asyncio.Event()
    llm.script(Reply("the first half, and the rest", deltas=["the first half, ", "and the rest"], gate=held,
                     gate_after=1))
    first, heir = await worker_and_heir(processes)
    mention = payloads.app_mention(f"<@{BOT_USER}> what is the plan?")
    assert await processes.deliver(first, mention) == 200
    half = (await slack.wait_for_call("chat.startStream", timeout=WAIT)).response["ts"]
    await wait_for_row(database, event_id_of(mention), lambda row: (row["reply_ref"] or "").startswith("stream:"))

    await processes.kill(first)  # mid-answer: the stream is open, the model still writing
    held.set()
    heir = heir or await processes.start()
    await answered(database, event_id_of(mention))

    replies = slack.replies_in(CHANNEL, mention["ts"])
    assert [m.text for m in replies] == [texts.REPLY_INTERRUPTED, "echo: what is the plan?" + LATE]
    assert replies[0].ts == half and slack.unfinished_in(CHANNEL, mention["ts"]) == []
    assert len(llm.chat_requests) == 2  # the dead process's, cut off, and the one answered
    history = await follow_up(processes, heir, database, llm, mention["ts"], "and then?")
    assert history == ["what is the plan?", "echo: what is the plan?", "and then?"]


async def test_killed_after_accepting_before_the_model_answered_the_next_process_answers_once(
    processes, database, slack, llm
):
    held = asyncio.Event()
    llm.script(Reply("never shown", gate=held))
    first, heir = await worker_and_heir(processes)
    mention = payloads.app_mention(f"<@{BOT_USER}> are you there?")
    assert await processes.deliver(first, mention) == 200  # acknowledged: it is in the inbox
    await llm.wait_for_held(1, timeout=WAIT)

    await processes.kill(first)
    held.set()
    heir = heir or await processes.start()
    await answered(database, event_id_of(mention))

    assert [m.text for m in slack.replies_in(CHANNEL, mention["ts"])] == ["echo: are you there?" + LATE]
    assert not slack.calls_to("chat.update") and slack.unfinished_in(CHANNEL, mention["ts"]) == []
    history = await follow_up(processes, heir, database, llm, mention["ts"], "still there?")
    assert history == ["are you there?", "echo: are you there?", "still there?"]


async def test_killed_with_the_answer_stored_but_not_shown_the_next_process_shows_it_without_the_model(
    processes, database, slack, llm
):
    slack.hold("chat.stopStream", calls=1)  # the dead process's last call: the answer is stored, not shown whole
    first, heir = await worker_and_heir(processes)
    mention = payloads.app_mention(f"<@{BOT_USER}> what is two and two?")
    assert await processes.deliver(first, mention) == 200
    await slack.wait_for_held("chat.stopStream", timeout=WAIT)
    assert (await inbox_row(database, event_id_of(mention)))["state"] == "stored"

    await processes.kill(first)
    heir = heir or await processes.start()
    await answered(database, event_id_of(mention))

    assert len(llm.chat_requests) == 1  # shown as it was stored: the model is not asked again
    replies = slack.replies_in(CHANNEL, mention["ts"])
    assert [m.text for m in replies] == [texts.REPLY_INTERRUPTED, "echo: what is two and two?" + LATE]
    assert slack.unfinished_in(CHANNEL, mention["ts"]) == []
    history = await follow_up(processes, heir, database, llm, mention["ts"], "and three?")
    assert history == ["what is two and two?", "echo: what is two and two?", "and three?"]


async def test_a_retry_of_a_message_a_live_process_is_answering_gets_no_second_answer(
    processes, database, slack, llm
):
    held = asyncio.Event()
    llm.script(Reply("one answer, only one", deltas=["one answer, ", "only one"], gate=held, gate_after=1))
    first, other = await worker_and_heir(processes)
    mention = payloads.app_mention(f"<@{BOT_USER}> answer once")
    assert await processes.deliver(first, mention) == 200
    await slack.wait_for_call("chat.startStream", timeout=WAIT)
    # Slack retries (no ack seen in time), to whichever worker; the answer is still streaming.
    assert await processes.deliver(other or first, mention, retry_num=1) == 200
    assert await processes.deliver(first, mention, retry_num=2) == 200
    # Longer than a lease: the owner keeps renewing it, so no recovery round (every 0.2 s) takes it over.
    leased = (await inbox_row(database, event_id_of(mention)))["lease_until"]
    await wait_for_row(database, event_id_of(mention), lambda row: row["lease_until"] > leased + timedelta(seconds=1.5))

    held.set()
    await answered(database, event_id_of(mention))
    assert [m.text for m in slack.replies_in(CHANNEL, mention["ts"])] == ["one answer, only one"]
    assert len(llm.chat_requests) == 1 and len(slack.calls_to("chat.startStream")) == 1


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # the drain is the same on either database
async def test_sigterm_takes_no_new_event_and_lets_the_answer_in_flight_finish(processes, database, slack, llm):
    held = asyncio.Event()
    llm.script(Reply("finished after all", deltas=["finished ", "after all"], gate=held, gate_after=1))
    first = await processes.start()
    mention = payloads.app_mention(f"<@{BOT_USER}> finish this")
    assert await processes.deliver(first, mention) == 200
    await slack.wait_for_call("chat.startStream", timeout=WAIT)

    await processes.terminate(first)
    await slack.wait_for_no_socket(timeout=WAIT)  # it stopped taking events, with the answer still under way
    held.set()

    assert await processes.exit_code(first) == 0, processes.logged(first)
    row = await inbox_row(database, event_id_of(mention))
    assert row["state"] == "answered"
    assert [m.text for m in slack.replies_in(CHANNEL, mention["ts"])] == ["finished after all"]
