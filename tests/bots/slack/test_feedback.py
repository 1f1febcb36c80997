"""👍 / 👎 on Slack, through slack-bolt and the stand-in: the buttons Parley sends (checked as Slack checks
blocks), clicks recorded once and changed on a second click, a 👎's comment in a modal, `/parley feedback`."""

from __future__ import annotations

import json

import pytest
from slack_sdk.errors import SlackApiError

from tests.bots.slack import payloads
from tests.bots.slack.payloads import ADA, BOT_USER, CHANNEL, DM, GRACE
from tests.standins.openai_server import Reply


async def click(parley, slack, message, *, positive: bool, user: str) -> None:
    trigger = slack.new_trigger()
    status, _ = await parley.interact(payloads.feedback_click(message, positive=positive, user=user, trigger_id=trigger))
    assert status == 200


async def test_a_streamed_answer_carries_the_buttons_and_clicks_are_recorded_once_then_changed(parley, slack, llm):
    llm.script(Reply("Paris is the capital of France."))
    ts = payloads.next_ts()
    await parley.deliver(payloads.app_mention(f"<@{BOT_USER}> capital of France?", ts=ts))
    stop = await slack.wait_for_call("chat.stopStream")
    await parley.handled(1)
    assert stop.response["ok"]
    [answer] = slack.replies_in(CHANNEL, ts)
    assert answer.text == "Paris is the capital of France."

    await click(parley, slack, answer, positive=True, user=GRACE)
    note = await slack.wait_for_call("chat.postEphemeral")
    assert "👍" in note.params["text"] and note.params["thread_ts"] == ts
    await click(parley, slack, answer, positive=True, user=GRACE)  # again: nothing new
    await slack.wait_for_call("chat.postEphemeral", count=2)
    await click(parley, slack, answer, positive=False, user=GRACE)  # changed: the comment modal opens
    opened = await slack.wait_for_call("views.open")
    assert opened.response["ok"], opened.response
    view = slack.views[opened.response["view"]["id"]]
    status, answered = await parley.interact(payloads.view_submission(view, {"comment": "It is also a region."}, user=GRACE))
    assert status == 200 and answered["response_action"] == "update"
    assert "saved" in answered["view"]["blocks"][0]["text"]["text"]

    await click(parley, slack, answer, positive=True, user=ADA)
    await slack.wait_for_call("chat.postEphemeral", count=3)
    await parley.command("/parley", "feedback", user=GRACE)
    report = await slack.wait_for_call("response_url")
    assert "`default` on `stand-in-model`: 1 / 1 · 1 / 1" in report.params["text"]
    assert "It is also a region." in report.params["text"]

    await parley.command("/parley", "export", user=GRACE)
    await slack.wait_for_call("response_url", count=2)
    (upload,) = [f for f in slack.files.values() if f.filename.endswith(".jsonl")]
    ratings = [r for r in map(json.loads, upload.content.decode().splitlines()) if r.get("record") == "feedback"]
    assert sorted((r["user"], r["rating"], r["comment"]) for r in ratings) == [
        (ADA, "up", None), (GRACE, "down", "It is also a region."),
    ]
    await parley.command("/parley", "forget-me", user=GRACE)
    await slack.wait_for_call("response_url", count=3)
    await parley.command("/parley", "feedback", user=GRACE)
    after = await slack.wait_for_call("response_url", count=4)
    assert "1 / 0 · 1 / 0" in after.params["text"] and "region" not in after.params["text"]


async def test_a_posted_answer_is_a_markdown_block_with_the_buttons(parley, slack, llm):
    llm.script(Reply("Hello **there**."))
    await parley.deliver(payloads.dm_message("hi"))
    await parley.handled(1)
    [posted] = [m for m in slack.messages.values() if m.channel == DM and m.user == slack.bot_user_id]
    assert posted.text == "Hello **there**." and posted.fallback == "Hello *there*."
    assert [b["type"] for b in posted.blocks] == ["markdown", "context_actions"]
    await click(parley, slack, posted, positive=False, user=ADA)
    opened = await slack.wait_for_call("views.open")
    assert opened.response["ok"], opened.response


async def test_the_stand_in_refuses_buttons_slack_would_refuse(parley, slack):
    bad = [{"type": "context_actions", "elements": [{
        "type": "feedback_buttons", "positive_button": {"text": {"type": "plain_text", "text": "👍"}, "value": "x" * 2_001},
        "negative_button": {"text": {"type": "mrkdwn", "text": "👎"}, "value": "down"},
    }]}]
    with pytest.raises(SlackApiError) as refused:
        await parley.bot.client.chat_postMessage(channel=CHANNEL, text="x", blocks=bad)
    answer = refused.value.response
    assert answer["error"] == "invalid_blocks"
    assert [m.split("json-pointer:")[1] for m in answer["response_metadata"]["messages"]] == [
        "/blocks/0/elements/0/positive_button/value]", "/blocks/0/elements/0/negative_button/text]",
    ]
    with pytest.raises(SlackApiError) as conflict:
        await parley.bot.client.chat_postMessage(channel=CHANNEL, markdown_text="x", blocks=[{"type": "markdown", "text": "x"}])
    assert conflict.value.response["error"] == "markdown_text_conflict"
