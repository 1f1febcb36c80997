"""Mentions, threads and DMs through the real bolt app, over signed HTTP deliveries."""

from __future__ import annotations

import asyncio

import pytest

from tests.bots.slack import payloads
from tests.bots.slack.payloads import ADA, BOT_USER, CHANNEL, DM, TEAM
from tests.standins.openai_server import Reply


async def test_a_mention_is_answered_in_a_thread_by_streaming(parley, slack, llm, clock):
    gate = asyncio.Event()
    llm.script(Reply("alpha beta gamma delta epsilon", gate=gate, gate_after=2))
    mention = payloads.app_mention(f"<@{BOT_USER}> tell me about <@{ADA}>")

    assert await parley.deliver(mention) == 200

    start = await slack.wait_for_call("chat.startStream")
    clock.advance()  # one interval later, the next piece may be appended
    gate.set()
    stop = await slack.wait_for_call("chat.stopStream")
    await parley.handled(1)

    assert start.params["channel"] == CHANNEL and start.params["thread_ts"] == mention["ts"]
    assert start.params["recipient_team_id"] == TEAM and start.params["recipient_user_id"] == ADA
    assert start.token == "xoxb-test-not-real"
    assert len(slack.calls_to("chat.appendStream")) == 1
    streamed = slack.messages[(CHANNEL, stop.params["ts"])]
    assert streamed.text == "alpha beta gamma delta epsilon" and len(streamed.pieces) == 3
    assert streamed.thread_ts == mention["ts"] and not streamed.streaming
    sent = llm.chat_requests[0].json["messages"][-1]
    assert sent == {"role": "user", "content": "tell me about @ada"}


async def test_a_dm_is_answered_in_the_dm_and_is_one_conversation(parley, slack, llm):
    await parley.deliver(payloads.dm_message("my name is Ada"))
    await parley.handled(1)
    await parley.deliver(payloads.dm_message("what is my name?"))
    await parley.handled(2)

    posts = slack.calls_to("chat.postMessage")
    assert [p.params["channel"] for p in posts] == [DM, DM]
    assert all("thread_ts" not in p.params for p in posts)  # top level, like the question
    assert slack.text_of(DM, posts[0].response["ts"]) == "echo: my name is Ada"
    assert slack.text_of(DM, posts[1].response["ts"]) == "echo: what is my name?"
    assert not slack.calls_to("chat.postEphemeral")
    history = [m["content"] for m in llm.chat_requests[1].json["messages"][1:]]
    assert history == ["my name is Ada", "echo: my name is Ada", "what is my name?"]


async def test_a_follow_up_in_the_thread_needs_no_mention(parley, slack, llm):
    mention = payloads.app_mention(f"<@{BOT_USER}> remember the number 42")
    await parley.deliver(mention)
    await parley.handled(1)

    follow_up = payloads.channel_message("which number was it?", thread_ts=mention["ts"])
    await parley.deliver(follow_up)
    await parley.handled(2)
    elsewhere = payloads.channel_message("a thread the bot is not in", thread_ts=payloads.next_ts())
    await parley.deliver(elsewhere)
    await parley.handled(3)

    starts = slack.calls_to("chat.startStream")
    assert [s.params["thread_ts"] for s in starts] == [mention["ts"], mention["ts"]]
    history = [m["content"] for m in llm.chat_requests[1].json["messages"][1:]]
    assert history == ["remember the number 42", "echo: remember the number 42", "which number was it?"]
    assert len(llm.chat_requests) == 2  # the other thread was not for the bot


async def test_retries_and_the_double_delivery_of_a_mention_give_one_answer(parley, slack, llm):
    gate = llm.hold()
    text = f"<@{BOT_USER}> just once, please"
    mention = payloads.app_mention(text)
    copy = payloads.channel_message(text, ts=mention["ts"])  # the message.channels copy of the same message

    statuses = [
        await parley.deliver(copy),
        await parley.deliver(mention),
        await parley.deliver(mention, retry_num=1),
        await parley.deliver(mention, retry_num=2),
    ]
    await llm.wait_for_requests(1)
    gate.set()
    await parley.handled(4)

    assert statuses == [200, 200, 200, 200]
    assert len(llm.chat_requests) == 1
    assert len(slack.calls_to("chat.startStream")) == 1 and len(slack.calls_to("chat.stopStream")) == 1
    assert not slack.calls_to("chat.postMessage") and not slack.calls_to("chat.postEphemeral")


async def test_a_bad_signature_or_a_stale_timestamp_gets_401_and_runs_nothing(parley, slack, llm):
    import time

    event = payloads.app_mention(f"<@{BOT_USER}> hi")
    assert await parley.deliver(event, secret="not-the-signing-secret") == 401
    assert await parley.deliver(event, timestamp=int(time.time()) - 6 * 60) == 401
    unsigned = await parley.session.post(parley.url, data=b"{}", headers={"Content-Type": "application/json"})
    assert unsigned.status == 401

    assert parley.bot.in_flight.finished == 0 and parley.bot.in_flight.active == 0
    assert llm.chat_requests == [] and slack.calls == []
    assert len(llm.moderation_requests) == 1  # only the probe at start: nothing was checked


async def test_edits_joins_other_bots_own_messages_and_chatter_are_ignored(parley, slack, llm):
    ignored_by_bolt = payloads.own_message("my own answer", thread_ts=payloads.next_ts())
    assert await parley.deliver(ignored_by_bolt) == 200
    for event in (
        payloads.message_changed(),
        payloads.channel_join(),
        payloads.bot_message(f"<@{BOT_USER}> deploy finished"),
        payloads.channel_message("lunch, anyone?"),  # top level, no mention
    ):
        assert await parley.deliver(event) == 200
    await parley.handled(4)

    assert llm.chat_requests == [] and len(llm.moderation_requests) == 1  # the probe at start
    assert [c.method for c in slack.calls] == ["auth.test"]


async def test_a_refusal_to_a_first_mention_is_ephemeral_in_the_channel_where_it_is_seen(parley, slack, llm):
    from tests.standins.openai_server import Status

    llm.script(Status(500))
    mention = payloads.app_mention(f"<@{BOT_USER}> are you there?")
    await parley.deliver(mention)
    note = await slack.wait_for_call("chat.postEphemeral")
    await parley.handled(1)

    # Slack shows an ephemeral note in a thread only once the thread has a reply; this one has none.
    assert note.params["user"] == ADA and note.params["channel"] == CHANNEL and "thread_ts" not in note.params
    assert len(slack.notes_for(ADA)) == 1 and "Sorry" in slack.notes_for(ADA)[0]
    assert not slack.calls_to("chat.startStream") and not slack.calls_to("chat.postMessage")


async def test_a_refusal_in_a_thread_that_exists_stays_in_that_thread(parley, slack, llm):
    from tests.standins.openai_server import Status

    llm.script(Status(500))
    thread = payloads.next_ts()
    await parley.deliver(payloads.channel_message("a question for the team", ts=thread, user=payloads.GRACE))
    mention = payloads.app_mention(f"<@{BOT_USER}> what do you think?", thread_ts=thread)
    await parley.deliver(mention)
    await parley.handled(2)

    (note,) = slack.ephemerals
    assert note.thread_ts == thread and note.visible and note.user == ADA


@pytest.mark.parametrize("settings_overrides", [{"allowed_workspaces": "T0SOMEWHEREELSE"}])
async def test_a_workspace_that_is_not_allowed_is_told_so_where_the_person_sees_it(parley, slack, llm):
    await parley.deliver(payloads.app_mention(f"<@{BOT_USER}> hello"))
    await parley.handled(1)

    (note,) = slack.notes_for(ADA)
    assert "not enabled" in note and llm.chat_requests == []


async def test_a_failure_after_text_was_streamed_replaces_that_text(parley, slack, llm):
    from tests.standins.openai_server import BreakMidStream

    llm.script(BreakMidStream("this answer will be cut off before it ends", deltas_before_break=3))
    await parley.deliver(payloads.app_mention(f"<@{BOT_USER}> tell me a long story"))
    update = await slack.wait_for_call("chat.update")
    await parley.handled(1)

    stop = slack.calls_to("chat.stopStream")
    assert len(stop) == 1 and stop[0].params["ts"] == update.params["ts"]
    assert slack.text_of(CHANNEL, update.params["ts"]) == update.params["markdown_text"]
    assert "Sorry" in update.params["markdown_text"] and "cut off" not in update.params["markdown_text"]
    assert not slack.calls_to("chat.postEphemeral")


@pytest.mark.parametrize("settings_overrides", [{"max_message_chars": 40_000}])
async def test_a_message_naming_thousands_of_people_costs_a_bounded_number_of_lookups(parley, slack, llm):
    from tests.bots.slack.conftest import eventually

    people = [f"U0M{n:05d}" for n in range(2_000)]
    for n, person in enumerate(people[:50]):
        slack.add_user(person, name=f"person{n}")
    release = slack.hold("users.info")
    # The names are looked up before the message is accepted, so before Slack gets its 200.
    delivered = asyncio.create_task(
        parley.deliver(payloads.app_mention(f"<@{BOT_USER}> say hi to " + " ".join(f"<@{p}>" for p in people)))
    )
    await eventually(lambda: slack.held.count("users.info") >= 4)
    release.set()
    assert await delivered == 200
    await parley.handled(1)

    assert len(slack.calls_to("users.info")) <= 20 and slack.most_at_once["users.info"] <= 4
    sent = llm.chat_requests[0].json["messages"][-1]["content"]
    assert sent.startswith("say hi to @person0 @person1") and "@U0M01999" in sent  # the rest keep their id


async def test_a_thread_message_not_for_the_bot_costs_no_lookup(parley, slack, llm):
    """People talking in a thread the bot is not part of, naming others: the gate says no before any users.info."""
    status = await parley.deliver(
        payloads.channel_message(f"<@{payloads.GRACE}> can you look at this?", thread_ts="1700000000.000001")
    )
    assert status == 200
    await parley.handled(1)
    assert slack.calls_to("users.info") == [] and llm.chat_requests == []
