"""/parley summarize and "@Parley summarize" through the real bolt app and slack_sdk."""

from __future__ import annotations

import json
import time

from core.summaries.texts import NOT_VISIBLE_TEXT
from tests.bots.slack import payloads
from tests.bots.slack.payloads import ADA, BOT_USER, CHANNEL, GRACE
from tests.standins.openai_server import Reply

PRIVATE = "G0PRIVATE"


def recent_ts() -> str:
    """A ts within the last hour (the channel summary reads the last hours)."""
    return f"{time.time() - 600:.6f}"


async def test_a_channel_summary_for_a_non_member_of_a_private_channel_is_refused(parley, slack, llm):
    slack.set_members(PRIVATE, GRACE)
    slack.add_message(PRIVATE, recent_ts(), "the acquisition closes friday", user=GRACE)

    await parley.command("/parley", "summarize", user=ADA, channel=PRIVATE, channel_name="board")
    reply = await slack.wait_for_call("response_url")

    assert reply.params["response_type"] == "ephemeral" and NOT_VISIBLE_TEXT in reply.params["text"]
    assert llm.chat_requests == [] and not slack.calls_to("conversations.history")


async def test_a_member_gets_the_channel_summary_privately(parley, slack, llm):
    llm.script(Reply("- the build is red since the merge"))
    slack.add_message(CHANNEL, recent_ts(), "the build is red", user=GRACE)

    await parley.command("/parley", "summarize 2", user=ADA)
    reply = await slack.wait_for_call("response_url")

    assert reply.params["response_type"] == "ephemeral"
    assert "- the build is red since the merge" in reply.params["text"]
    (request,) = llm.chat_requests
    assert request.json["messages"][-1]["content"] == "[grace] the build is red"
    (read,) = slack.calls_to("conversations.history")
    assert abs(float(read.params["oldest"]) - (time.time() - 2 * 3600)) < 60

    offer = await slack.wait_for_call("response_url", count=2)  # a button to share it with the channel
    blocks = offer.params["blocks"]
    (button,) = (json.loads(blocks) if isinstance(blocks, str) else blocks)[1]["elements"]
    assert not slack.calls_to("chat.postMessage")  # nothing public yet

    status, _ = await parley.interact(share_pressed(button, response_url=slack.response_url()))
    shared = await slack.wait_for_call("chat.postMessage")
    assert status == 200 and shared.params["channel"] == CHANNEL
    assert "- the build is red since the merge" in shared.params["text"] and "last 2 hours" in shared.params["text"]
    done = await slack.wait_for_call("response_url", count=3)
    assert done.params["text"] == "Shared in the channel."


def share_pressed(button: dict, *, response_url: str) -> dict:
    """A block_actions payload: ADA pressed ``button`` under an ephemeral message in CHANNEL."""
    return {
        "type": "block_actions", "user": {"id": ADA, "team_id": payloads.TEAM}, "api_app_id": payloads.APP_ID,
        "token": "verification-token-not-used", "team": {"id": payloads.TEAM, "domain": "parley-test"},
        "container": {"type": "message", "message_ts": "1710000500.000100", "channel_id": CHANNEL, "is_ephemeral": True},
        "trigger_id": "1234.5678.abcdef", "channel": {"id": CHANNEL, "name": "general"}, "response_url": response_url,
        "actions": [{"action_id": button["action_id"], "block_id": "b1", "value": button["value"], "type": "button",
                     "text": button["text"], "action_ts": "1710000600.000100"}],
    }


async def test_a_mention_saying_summarize_in_a_thread_posts_the_summary_there(parley, slack, llm):
    llm.script(Reply("- Ada asked for a review; Grace will do it"))
    root = payloads.next_ts()
    slack.add_message(CHANNEL, root, "can someone review my PR?", user=ADA)
    slack.add_message(CHANNEL, payloads.next_ts(), "after lunch", user=GRACE, thread_ts=root)

    await parley.deliver(payloads.app_mention(f"<@{BOT_USER}> summarize", thread_ts=root))
    await parley.handled(1)

    (request,) = llm.chat_requests
    assert request.json["messages"][-1]["content"] == "[ada] can someone review my PR?\n[grace] after lunch"
    posted = [m for m in slack.messages.values() if m.user == BOT_USER and m.thread_ts == root]
    assert [m.text for m in posted] == ["- Ada asked for a review; Grace will do it"]


def message_shortcut(*, user: str, channel: str, message_ts: str, thread_ts: str | None, response_url: str) -> dict:
    """A message shortcut's payload (``message_action``), as Slack sends it."""
    message = {"type": "message", "user": ADA, "ts": message_ts, "text": "after lunch"}
    if thread_ts:
        message["thread_ts"] = thread_ts
    return {
        "type": "message_action", "token": "verification-token-not-used", "action_ts": "1710000999.000001",
        "team": {"id": payloads.TEAM, "domain": "parley-test"}, "user": {"id": user, "name": user.lower()},
        "channel": {"id": channel, "name": "general"}, "is_enterprise_install": False, "enterprise": None,
        "callback_id": "parley_summarize_thread", "trigger_id": "1234.5678.abcdef", "response_url": response_url,
        "message_ts": message_ts, "message": message,
    }


async def test_the_message_shortcut_summarises_the_thread_in_the_thread(parley, slack, llm):
    llm.script(Reply("- Grace reviews after lunch"))
    root, reply_ts = payloads.next_ts(), payloads.next_ts()
    slack.add_message(CHANNEL, root, "can someone review my PR?", user=ADA)
    slack.add_message(CHANNEL, reply_ts, "after lunch", user=GRACE, thread_ts=root)

    status, _ = await parley.interact(message_shortcut(
        user=ADA, channel=CHANNEL, message_ts=reply_ts, thread_ts=root, response_url=slack.response_url()))
    post = await slack.wait_for_call("chat.postMessage")

    assert status == 200
    assert post.params["thread_ts"] == root and "- Grace reviews after lunch" in post.params["text"]
    assert llm.chat_requests[0].json["messages"][-1]["content"] == "[ada] can someone review my PR?\n[grace] after lunch"
