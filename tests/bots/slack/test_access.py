"""Who may use it and how it is summoned, on Slack: through bolt, slack_sdk and the stand-ins."""

from __future__ import annotations

from dataclasses import replace

from bots.slack.app import build_bot
from bots.slack.server import HttpServer
from core.access.texts import NOT_ALLOWED_HERE_TEXT
from core.bootstrap import start_core
from tests.bots.slack import payloads
from tests.bots.slack.conftest import parley_settings
from tests.bots.slack.payloads import ADA, BOT_USER, CHANNEL, GRACE


async def admin(parley, slack, line: str, *, count: int) -> str:
    await parley.command("/parley", line, user=GRACE)
    return (await slack.wait_for_call("response_url", count=count)).params["text"]


async def test_a_denied_user_gets_the_private_line_once_and_no_model_call(parley, slack, llm):
    assert "denied" in await admin(parley, slack, f"access deny user {ADA}", count=1)

    await parley.deliver(payloads.app_mention(f"<@{BOT_USER}> hello?"))
    await parley.deliver(payloads.app_mention(f"<@{BOT_USER}> hello??"))
    await parley.handled(3)  # the command and both messages

    (note,) = slack.ephemerals  # once, not twice; to her alone, where she sees it (no thread yet)
    assert note.user == ADA and note.channel == CHANNEL and note.visible and note.thread_ts is None
    assert "not allowed to use me here" in note.text and NOT_ALLOWED_HERE_TEXT.startswith("Sorry")
    assert llm.chat_requests == []


async def test_a_denied_user_group_is_looked_up_with_usergroups_users_list(parley, slack, llm):
    slack.add_user_group("S0INTERNS", users=(ADA,))
    await admin(parley, slack, "access deny group <!subteam^S0INTERNS|@interns>", count=1)

    await parley.deliver(payloads.app_mention(f"<@{BOT_USER}> hi", user=ADA))
    await parley.deliver(payloads.app_mention(f"<@{BOT_USER}> hi", user=GRACE))
    await parley.handled(3)

    assert [note.user for note in slack.ephemerals] == [ADA]
    assert len(llm.chat_requests) == 1  # Grace's
    assert [c.params["usergroup"] for c in slack.calls_to("usergroups.users.list")] == ["S0INTERNS"]  # cached


async def test_an_always_channel_answers_a_message_without_a_mention_in_its_thread(parley, slack, llm):
    assert "every top-level message" in await admin(parley, slack, "summon always", count=1)

    question = payloads.channel_message("how do I reset my password?")
    await parley.deliver(question)
    await parley.handled(2)

    (start,) = slack.calls_to("chat.startStream")
    assert start.params["channel"] == CHANNEL and start.params["thread_ts"] == question["ts"]
    assert llm.chat_requests[0].json["messages"][-1]["content"] == "how do I reset my password?"


async def test_an_off_channel_ignores_a_mention_but_takes_access_show(parley, slack, llm):
    await admin(parley, slack, "summon off", count=1)

    await parley.deliver(payloads.app_mention(f"<@{BOT_USER}> anyone home?"))
    await parley.handled(2)
    shown = await admin(parley, slack, "access show", count=2)

    assert llm.chat_requests == [] and not slack.calls_to("chat.startStream") and not slack.ephemerals
    assert "I ignore this channel" in shown


async def test_a_persons_model_choice_survives_a_restart_and_a_model_outside_the_list_is_refused(
    parley, slack, llm, tmp_path, clock
):
    created = await admin(parley, slack, "help", count=1)  # GRACE's admin verdict is cached from here on
    await parley.command("/persona", "create helper models=gpt-4o Be helpful.", user=GRACE)
    created = (await slack.wait_for_call("response_url", count=2)).params["text"]
    await parley.command("/persona", "use helper", user=GRACE)
    await slack.wait_for_call("response_url", count=3)
    await parley.command("/parley", "model gpt-4o", user=ADA)
    picked = (await slack.wait_for_call("response_url", count=4)).params["text"]
    await parley.command("/parley", "model gpt-5-ultra", user=ADA)
    refused = (await slack.wait_for_call("response_url", count=5)).params["text"]
    assert "Created" in created and "Done" in picked and "`gpt-4o`" in picked and "not one you can pick" in refused

    # A new process on the same database: the choice is still hers.
    settings = parley_settings(tmp_path, slack, llm)
    again = await start_core(settings)
    bot = build_bot(again.core, settings, clock=clock)
    server = HttpServer(bot.app, host="127.0.0.1", port=0)
    port = await server.start()
    try:
        restarted = replace(parley, bot=bot, running=again, url=f"http://127.0.0.1:{port}/slack/events")
        await restarted.deliver(payloads.app_mention(f"<@{BOT_USER}> which model?"))
        await restarted.handled(1)
    finally:
        await server.aclose()
        await bot.aclose()
        await again.aclose()
    assert [r.json["model"] for r in llm.chat_requests] == ["gpt-4o"]


async def test_a_long_answer_never_floods_the_channel(parley, slack, llm, clock):
    from tests.standins.openai_server import Reply

    answer = " ".join(f"word{n}" for n in range(9_000))[:50_000]  # five Slack messages' worth
    llm.script(Reply(answer, deltas=[answer[:20_000], answer[20_000:]]))
    mention = payloads.app_mention(f"<@{BOT_USER}> tell me everything")
    await parley.deliver(mention)
    await parley.handled(1, timeout=15)

    posted = slack.calls_to("chat.postMessage")
    (upload,) = [f for f in slack.files.values() if f.channel]
    assert 1 + len(posted) == 3  # the streamed message and two more: 3 of MAX_ANSWER_MESSAGES_SLACK=4
    assert upload.filename == "answer.md" and upload.content.decode() == answer
    assert upload.channel == CHANNEL and upload.thread_ts == mention["ts"] and "answer is long" in upload.comment
