"""Slack gets its 200 only once the message is written durably (the answer comes after), and soon."""

from __future__ import annotations

import time

from tests.bots.slack import payloads
from tests.bots.slack.inbox_rows import event_id_of, inbox_row
from tests.bots.slack.payloads import BOT_USER, CHANNEL, GRACE


async def test_the_200_comes_once_the_message_is_in_the_inbox_and_the_answer_after(parley, slack, llm):
    gate = llm.hold()
    mention = payloads.app_mention(f"<@{BOT_USER}> is it safe?")

    assert await parley.deliver(mention) == 200
    row = await inbox_row(parley.running.database, event_id_of(mention))
    assert row is not None and row["state"] == "pending" and row["text"] == "is it safe?"
    assert row["owner"] == parley.running.core.deliveries.owner

    await llm.wait_for_held(1)  # answered after the acknowledgement
    gate.set()
    await parley.handled(1)
    assert (await inbox_row(parley.running.database, event_id_of(mention)))["state"] == "answered"
    assert slack.text_of(CHANNEL, slack.calls_to("chat.stopStream")[0].params["ts"]) == "echo: is it safe?"


async def test_a_slow_users_lookup_does_not_hold_the_200_past_its_budget(parley, slack, llm):
    release = slack.hold("users.info")
    mention = payloads.app_mention(f"<@{BOT_USER}> what does <@{GRACE}> think?")

    started = time.monotonic()
    assert await parley.deliver(mention) == 200
    waited = time.monotonic() - started
    assert slack.held and waited < 2.5  # Slack wants its answer within 3 s
    row = await inbox_row(parley.running.database, event_id_of(mention))
    assert row is not None and row["text"] == f"what does @{GRACE} think?"  # a name not found in time keeps its id

    release.set()
    await parley.handled(1)
    assert llm.chat_requests[0].json["messages"][-1]["content"] == f"what does @{GRACE} think?"
