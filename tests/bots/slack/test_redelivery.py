"""Taking over what a process left unfinished, in process: the half-shown reply ended, the answer shown once.

A reply cut off here is one the drain cancelled (``InFlight.cancel``): the
message is let go with its reply noted, as a killed process leaves it once its
lease has run out (``test_killed.py`` kills real processes).  Recovery then
runs by hand, as ``bots.slack.__main__`` has it run once connected.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bots.slack import texts
from core.chat.texts import DELAYED_NOTICE
from core.messages import ConversationKey, IncomingMessage
from core.records import StoredAnswer
from core.storage.inbox import SqlInbox, mark_stored
from tests.bots.slack import payloads
from tests.bots.slack.inbox_rows import event_id_of, inbox_row, wait_for_row
from tests.bots.slack.payloads import ADA, BOT_USER, CHANNEL, DM, TEAM
from tests.standins.openai_server import Reply

LATE = f"\n\n_{DELAYED_NOTICE}_"


async def recover(parley) -> int:
    return await parley.running.core.recovery.run_once(parley.bot.redelivery, platform="slack")


async def cut_off(parley, event_id: str) -> dict:
    """The drain's cancel, once the reply was noted: the message is let go, unfinished; its inbox row."""
    await wait_for_row(parley.running.database, event_id, lambda row: bool(row["reply_ref"]))
    await parley.bot.in_flight.cancel()
    row = await inbox_row(parley.running.database, event_id)
    assert row["state"] == "pending" and row["owner"] is None
    return row


async def asked_again(parley, llm, thread_ts: str, text: str) -> list[str]:
    """A follow-up in the thread; what the model was sent (memory, then the follow-up)."""
    count = parley.bot.in_flight.finished
    await parley.deliver(payloads.channel_message(text, thread_ts=thread_ts, parent_user_id=ADA))
    await parley.handled(count + 1)
    return [m["content"] for m in llm.chat_requests[-1].json["messages"][1:]]


@pytest.mark.parametrize("expired", [False, True], ids=["stream-open", "stream-expired"])
async def test_an_answer_cut_off_mid_stream_is_ended_and_answered_once_in_full(
    parley, slack, llm, slack_clock, expired
):
    held = asyncio.Event()
    llm.script(Reply("the first half and more", deltas=["the first half ", "and more"], gate=held, gate_after=1))
    mention = payloads.app_mention(f"<@{BOT_USER}> what is the plan?")
    await parley.deliver(mention)
    half = (await slack.wait_for_call("chat.startStream")).response["ts"]
    row = await cut_off(parley, event_id_of(mention))
    assert row["reply_ref"] == f"stream:{CHANNEL}:{half}:{mention['ts']}:{TEAM}"
    held.set()
    if expired:  # nobody stopped it: Slack ended it after about 5 minutes, and shows it broken
        slack_clock.advance(301)
        assert [m.ts for m in slack.unfinished_in(CHANNEL, mention["ts"])] == [half]

    assert await recover(parley) == 1

    stops = slack.calls_to("chat.stopStream")
    assert stops[0].params["ts"] == half
    assert stops[0].response.get("error") == ("message_not_in_streaming_state" if expired else None)
    assert slack.text_of(CHANNEL, half) == texts.REPLY_INTERRUPTED
    replies = slack.replies_in(CHANNEL, mention["ts"])
    assert [m.ts for m in replies][0] == half and len(replies) == 2
    assert replies[1].text == "echo: what is the plan?" + LATE
    assert slack.unfinished_in(CHANNEL, mention["ts"]) == []
    assert (await inbox_row(parley.running.database, event_id_of(mention)))["state"] == "answered"
    assert await recover(parley) == 0

    history = await asked_again(parley, llm, mention["ts"], "and then?")
    assert history == ["what is the plan?", "echo: what is the plan?", "and then?"]  # memory holds it once


async def test_an_answer_stored_but_not_yet_shown_is_shown_without_asking_the_model_again(parley, slack, llm):
    message, half = await gone_process_left(parley, slack, minutes_ago=1, shown="post", stored="two and two are four")

    assert await recover(parley) == 1

    assert llm.chat_requests == []  # the answer was stored with its exchange: the model is not asked again
    assert slack.text_of(CHANNEL, half) == texts.REPLY_INTERRUPTED
    replies = slack.replies_in(CHANNEL, message.key.thread)
    assert [m.text for m in replies] == [texts.REPLY_INTERRUPTED, "two and two are four" + LATE]
    assert (await inbox_row(parley.running.database, message.event_id))["state"] == "answered"


async def test_a_dm_thread_message_cut_off_before_any_answer_is_answered_in_its_thread(parley, slack, llm):
    held = asyncio.Event()
    llm.script(Reply("never seen", gate=held))
    thread = payloads.next_ts()
    question = payloads.dm_message("hello from the side panel", thread_ts=thread, parent_user_id=BOT_USER)
    await parley.deliver(question)
    await llm.wait_for_held(1)  # nothing shown yet; where the reply goes was noted (the DM's thread)
    row = await cut_off(parley, event_id_of(question))
    assert row["reply_ref"] == f"none:{DM}::{thread}:{TEAM}"
    held.set()

    assert await recover(parley) == 1

    start = slack.calls_to("chat.startStream")[0]
    assert start.params["channel"] == DM and start.params["thread_ts"] == thread
    assert [m.text for m in slack.replies_in(DM, thread)] == ["echo: hello from the side panel" + LATE]
    assert not slack.calls_to("chat.update")


async def gone_process_left(
    parley, slack, *, minutes_ago: float, shown: str = "", stored: str = ""
) -> tuple[IncomingMessage, str | None]:
    """A mention a process that went away accepted ``minutes_ago`` (its lease long over): it had started
    streaming (``shown="stream"``) or posting (``"post"``) the answer, and had ``stored`` it with its exchange."""
    ts = payloads.next_ts()
    slack.add_message(CHANNEL, ts, f"<@{BOT_USER}> hello?", user=ADA)
    message = IncomingMessage(event_id=f"{CHANNEL}:{ts}", key=ConversationKey("slack", TEAM, CHANNEL, ts), user=ADA,
                              text="hello?", mentions_bot=True)
    then = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    inbox = SqlInbox(parley.running.database)
    await inbox.accept(message, owner="gone:1:abc", now=then, lease_until=then + timedelta(seconds=60))
    if stored:
        answer = StoredAnswer(platform="slack", event_id=message.event_id, answer=stored)
        await parley.running.database.run_quick(lambda connection: mark_stored(connection, answer))
    half = None
    client = parley.bot.client
    if shown == "stream":
        half = (await client.chat_startStream(
            channel=CHANNEL, thread_ts=ts, recipient_team_id=TEAM, recipient_user_id=ADA, markdown_text="Hel"
        ))["ts"]
    elif shown == "post":
        half = (await client.chat_postMessage(channel=CHANNEL, thread_ts=ts, markdown_text="Hel"))["ts"]
    if half is not None:
        ref = f"{shown}:{CHANNEL}:{half}:{ts}:{TEAM}"
        await inbox.note_reply(platform="slack", event_id=message.event_id, reply_ref=ref)
    return message, half


async def test_a_message_too_old_to_answer_gets_one_apology_only_its_asker_sees(parley, slack, llm):
    message, _ = await gone_process_left(parley, slack, minutes_ago=11)

    assert await recover(parley) == 1

    (note,) = slack.ephemerals
    assert note.user == ADA and note.thread_ts is None and note.visible  # the thread does not exist: the channel
    assert "too late" in note.text and "send it again" in note.text
    assert llm.chat_requests == [] and not slack.calls_to("chat.postMessage")
    assert (await inbox_row(parley.running.database, message.event_id))["state"] == "failed"


async def test_an_apology_takes_the_place_of_a_half_shown_answer(parley, slack, llm):
    message, half = await gone_process_left(parley, slack, minutes_ago=11, shown="stream")

    assert await recover(parley) == 1

    assert "too late" in slack.text_of(CHANNEL, half) and not slack.ephemerals
    assert slack.unfinished_in(CHANNEL, message.key.thread) == [] and llm.chat_requests == []
    assert len(slack.replies_in(CHANNEL, message.key.thread)) == 1


async def test_a_stopping_process_starts_no_redelivery_and_leaves_the_message_to_the_next(parley, slack, llm):
    message, _ = await gone_process_left(parley, slack, minutes_ago=1)
    parley.bot.redelivery.close()

    assert await recover(parley) == 1  # taken over, then left: nothing shown, nothing asked

    assert llm.chat_requests == [] and not [c for c in slack.calls if c.method.startswith("chat.")]
    row = await inbox_row(parley.running.database, message.event_id)
    assert row["state"] == "pending" and row["owner"] == parley.running.core.deliveries.owner
    assert await parley.running.core.deliveries.release() == 1  # what stopping does: the next process takes it
