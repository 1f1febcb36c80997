"""Where a reply is shown is noted at once, and a taken-over message is shown after what was half-shown is ended.

These run the adapter's ``Redelivery`` in process, on the reply stream it is
handed, against the stand-in Discord; test_crash_recovery.py kills real
processes for the whole path.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone

from sqlalchemy import text

from bots.discord.render import footer
from bots.discord.texts import INTERRUPTED, INTERRUPTED_ANSWER
from core.chat.texts import DELAYED_NOTICE
from core.messages import ConversationKey, IncomingMessage, Outcome, OutcomeKind, ReplyEvent, TextDelta
from core.records import PENDING, PendingMessage
from core.storage.database import Database
from core.storage.inbox import SqlInbox
from tests.bots.discord.test_conversations import EDIT, MESSAGES, answer_in, mention
from tests.standins.discord_server import ALICE, BOB, DM_ALICE, DM_BOB, GENERAL, GUILD_ID, QUIET, DiscordStandIn
from tests.standins.openai_server import Reply

LATE = "-# *late*"


async def inbox_row(database: Database, event_id: str) -> dict | None:
    """The inbox's row of a Discord message (state, reply_ref), or None."""
    async with database.engine.connect() as connection:
        row = (await connection.execute(
            text("SELECT state, reply_ref FROM processed_events WHERE platform = 'discord' AND event_id = :e"),
            {"e": event_id},
        )).mappings().first()
    return dict(row) if row is not None else None


async def wait_for_row(database: Database, event_id: str, check, *, timeout: float = 10.0) -> dict:
    """Poll the inbox until the message's row passes ``check``; the row."""
    async with asyncio.timeout(timeout):
        while not (row := await inbox_row(database, event_id)) or not check(row):
            await asyncio.sleep(0.02)
    return row


async def wait_for_reply_ref(database: Database, event_id: str, *, timeout: float = 10.0) -> str:
    return (await wait_for_row(database, event_id, lambda row: row["reply_ref"], timeout=timeout))["reply_ref"]


def pending_of(asked: dict, *, thread: str = "", channel: int | None = None, reply_ref: str = "") -> PendingMessage:
    """A message as ``Recovery`` hands it over: ``asked`` is the stand-in's payload of the person's message
    (``channel``: the conversation's channel when that is not where it was posted, a thread's parent)."""
    dm = "guild_id" not in asked
    message = IncomingMessage(
        event_id=asked["id"],
        key=ConversationKey(platform="discord", workspace="dm" if dm else str(GUILD_ID),
                            channel=str(channel or asked["channel_id"]), thread=thread),
        user=str(ALICE.id), text="the question", is_dm=dm, mentions_bot=not dm,
    )
    return PendingMessage(message=message, state=PENDING, received_at=datetime.now(timezone.utc), reply_ref=reply_ref,
                          attempts=1)


async def answer(text: str) -> AsyncIterator[ReplyEvent]:
    yield TextDelta(text[:6])
    yield Outcome(OutcomeKind.ANSWERED, text=text, notices=("late",))


def message_now(server: DiscordStandIn, message_id: int) -> dict | None:
    return server.messages.get(message_id)


async def test_the_reply_is_noted_as_soon_as_its_first_message_exists(parley):
    server, llm = parley.discord, parley.llm
    held = asyncio.Event()
    llm.script(Reply("half and the rest", deltas=["half ", "and the rest"], gate=held, gate_after=1))
    asked = await server.send_message(ALICE, GENERAL, mention("a question"))
    thread_id = int(asked["id"])
    try:
        first = await server.wait_for(lambda: server.bot_messages(thread_id))
        ref = await wait_for_reply_ref(parley.running.database, asked["id"])
        assert ref == f"{thread_id}:{first[0]['id']}"  # while the answer is still held mid-stream
        assert (await inbox_row(parley.running.database, asked["id"]))["state"] == "pending"
    finally:
        held.set()
    await answer_in(server, thread_id, "half and the rest")


async def test_every_page_of_a_long_reply_is_noted(parley):
    server = parley.discord
    long = " ".join(["word"] * 600)  # 3,000 characters: two messages
    parley.llm.script(Reply(long))
    asked = await server.send_message(ALICE, DM_ALICE, "a long one")
    await parley.wait_logged("discord.replied", message_id=int(asked["id"]), timeout=10)
    pages = server.bot_messages(DM_ALICE)
    assert len(pages) == 2
    ref = (await inbox_row(parley.running.database, asked["id"]))["reply_ref"]
    assert ref == f"{DM_ALICE}:{pages[0]['id']},{pages[1]['id']}"


async def test_a_half_shown_reply_is_ended_and_the_answer_follows_in_its_thread(parley):
    server, redelivery = parley.discord, parley.bot.redelivery
    asked = await server.send_message(ALICE, GENERAL, mention("what is the plan?"))
    thread_id = int(asked["id"])
    shown = await answer_in(server, thread_id, "echo: what is the plan?")  # as a process showed it, then died
    extra = await parley.bot.client.get_partial_messageable(thread_id).send("a second page")
    ref = f"{thread_id}:{shown['id']},{extra.id}"

    await redelivery.redeliver(pending_of(asked, thread=str(thread_id), reply_ref=ref), answer("the full answer"))

    assert message_now(server, int(shown["id"]))["content"] == INTERRUPTED_ANSWER
    assert message_now(server, extra.id) is None  # the later page is deleted
    assert [m["content"] for m in server.bot_messages(thread_id)] == [INTERRUPTED_ANSWER, f"the full answer\n{LATE}"]
    new_ref = (await inbox_row(parley.running.database, asked["id"]))["reply_ref"]
    assert new_ref == f"{thread_id}:{server.bot_messages(thread_id)[1]['id']}"  # the new reply is noted in turn


async def test_where_no_thread_could_start_the_late_answer_replies_to_the_question(parley):
    server = parley.discord
    server.forbid_threads(QUIET)
    asked = await server.send_message(ALICE, QUIET, "a question nobody answered")  # the bot was down: no thread

    await parley.bot.redelivery.redeliver(pending_of(asked, thread=asked["id"]), answer("here it is"))

    (reply,) = server.bot_messages(QUIET)
    assert reply["content"] == f"here it is\n{LATE}"
    assert reply["message_reference"]["message_id"] == asked["id"]  # a reply (that pings nobody)
    assert [c.status for c in server.calls if c.path == f"/channels/{asked['id']}"] == [404]  # no such thread


async def test_a_half_shown_message_deleted_meanwhile_does_not_stop_the_answer(parley):
    server = parley.discord
    asked = await server.send_message(ALICE, DM_ALICE, "hello?")
    await answer_in(server, DM_ALICE, "echo: hello?")
    (shown,) = server.bot_messages(DM_ALICE)
    await server.delete_message(int(shown["id"]))  # a moderator removed it

    await parley.bot.redelivery.redeliver(pending_of(asked, reply_ref=f"{DM_ALICE}:{shown['id']}"), answer("again"))

    assert [m["content"] for m in server.bot_messages(DM_ALICE)] == [f"again\n{LATE}"]
    (edit,) = [c for c in server.calls_to("PATCH", EDIT) if c.params["message_id"] == shown["id"] and c.status >= 400]
    assert edit.code == 10008  # Unknown Message
    await parley.wait_logged("discord.half_shown_gone", action="edit")


async def test_a_follow_up_in_a_thread_is_answered_in_that_thread(parley):
    server = parley.discord
    asked = await server.send_message(ALICE, GENERAL, mention("start"))
    thread_id = int(asked["id"])
    await answer_in(server, thread_id, "echo: start")
    follow_up = await server.send_message(ALICE, thread_id, "and then?")
    await answer_in(server, thread_id, "echo: and then?")

    pending = pending_of(follow_up, thread=str(thread_id), channel=GENERAL)
    await parley.bot.redelivery.redeliver(pending, answer("later, then"))

    assert server.bot_messages(thread_id)[-1]["content"] == f"later, then\n{LATE}"
    assert "message_reference" not in server.calls_to("POST", MESSAGES)[-1].json


async def test_an_apology_ends_the_half_shown_reply_and_says_sorry_where_they_asked(parley):
    server = parley.discord
    asked = await server.send_message(ALICE, DM_ALICE, "hello?")
    shown = await answer_in(server, DM_ALICE, "echo: hello?")

    await parley.bot.redelivery.apologise(pending_of(asked, reply_ref=f"{DM_ALICE}:{shown['id']}"), "Sorry, too late.")

    assert [m["content"] for m in server.bot_messages(DM_ALICE)] == [INTERRUPTED, "Sorry, too late."]



async def test_once_ready_it_takes_over_what_a_dead_process_left_and_starts_that_once(parley):
    server = parley.discord
    # A DM that a process accepted while this one was not running, and then died with (its lease ran out).
    orphan = IncomingMessage(
        event_id="1577000000000000001", key=ConversationKey(platform="discord", workspace="dm", channel=str(DM_BOB)),
        user=str(BOB.id), text="asked while nobody was there", is_dm=True,
    )
    now = datetime.now(timezone.utc)
    await SqlInbox(parley.running.database).accept(
        orphan, owner="a-dead-process", now=now, lease_until=now - timedelta(seconds=1)
    )
    recovery = asyncio.create_task(parley.bot.take_over_when_ready(parley.running, interval_seconds=0.2))

    await answer_in(server, DM_BOB, f"echo: asked while nobody was there\n{footer([DELAYED_NOTICE])}")
    await recovery  # the first round is done; the next ones run in the background
    await server.disconnect(resumable=False)  # a new session: on_ready again
    await server.wait_connected(identifies=2, timeout=15)  # discord.py waits 5 s before identifying again
    async with asyncio.timeout(5):
        while logged(parley, "discord.ready") < 2:
            await asyncio.sleep(0.01)
    assert logged(parley, "discord.recovery_started") == 1
    await wait_for_row(parley.running.database, orphan.event_id, lambda row: row["state"] == "answered")


def logged(parley, event: str) -> int:
    return sum(entry.get("event") == event for entry in parley.logs)


async def test_every_request_of_a_redelivery_takes_its_turn_under_the_global_limit(parley):
    # A recovery round after a crash in a burst hands many messages over at once: like the answers, each of
    # their requests must wait its turn under Discord's 50 a second (bots/discord/request_pace.py).
    server, pace = parley.discord, parley.bot.pace
    turns = []
    take_turn, take_spare = pace.turn, pace.spare

    async def turn() -> None:
        turns.append("turn")
        await take_turn()

    def spare() -> bool:
        taken = take_spare()
        if taken:
            turns.append("spare")
        return taken

    pace.turn, pace.spare = turn, spare
    asked = await server.send_message(ALICE, GENERAL, mention("what is the plan?"))
    thread_id = int(asked["id"])
    shown = await answer_in(server, thread_id, "echo: what is the plan?")
    extra = await parley.bot.client.get_partial_messageable(thread_id).send("a second page")
    ref = f"{thread_id}:{shown['id']},{extra.id}"
    turns.clear()
    calls_before = len(server.calls)

    await parley.bot.redelivery.redeliver(pending_of(asked, thread=str(thread_id), reply_ref=ref), answer("again"))
    await parley.bot.redelivery.apologise(pending_of(asked, thread=str(thread_id)), "Sorry, too late.")

    made = [c for c in server.calls[calls_before:] if c.method != "GET"]  # reads of the thread are not paced
    assert len(made) >= 4  # an edit, a delete, the answer, the apology
    assert len(turns) >= len(made)
