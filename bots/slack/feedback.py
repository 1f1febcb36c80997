"""👍 / 👎 under every answer on Slack, as Slack's AI-app guidance shows them: a ``context_actions``
block holding a ``feedback_buttons`` element, and a modal for a 👎's optional comment.

Each button's ``value`` carries the rating and the answer's id (the asking message's event id,
``"up:C123:1700000000.000100"``), so a click needs nothing the process remembers: any process,
after any restart, records it.  A click arrives as ``block_actions``; a 👎 opens the comment modal
with the click's ``trigger_id`` (alive 3 s), anything else gets a short note only the clicker sees.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import structlog
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bots.slack.handoff import Ready, hand_off
from bots.slack.outgoing import mrkdwn
from core.feedback import texts as feedback_texts
from core.feedback.recording import FeedbackRecorder
from core.feedback.values import COMMENT_MAX_CHARS, Rating
from core.process import InFlight

log = structlog.get_logger(__name__)

ACTION_ID = "parley_feedback"
COMMENT_CALLBACK_ID = "parley_feedback_comment"
COMMENT_BLOCK = "comment"
COMMENT_ACTION = "value"
FALLBACK_CHARS = 200  # the notification text of an answer sent as blocks


def feedback_blocks(answer_id: str) -> list[dict[str, Any]]:
    """The buttons under an answer."""
    return [{
        "type": "context_actions",
        "elements": [{
            "type": "feedback_buttons",
            "action_id": ACTION_ID,
            "positive_button": _button("👍", f"{Rating.UP}:{answer_id}", "Good answer"),
            "negative_button": _button("👎", f"{Rating.DOWN}:{answer_id}", "Bad answer"),
        }],
    }]


def answer_blocks(text: str, answer_id: str) -> list[dict[str, Any]]:
    """An answer posted (not streamed) with its buttons: a ``markdown`` block (``markdown_text`` cannot
    go with blocks) and the buttons under it."""
    return [{"type": "markdown", "text": text}, *feedback_blocks(answer_id)]


def fallback_text(text: str) -> str:
    """The ``text`` (mrkdwn) Slack shows in notifications for an answer sent as blocks."""
    short = " ".join(text.split())
    return mrkdwn(short if len(short) <= FALLBACK_CHARS else short[: FALLBACK_CHARS - 1] + "…")


def parse_value(value: str) -> tuple[Rating, str] | None:
    rating, _, answer_id = value.partition(":")
    if rating not in (Rating.UP, Rating.DOWN) or not answer_id:
        return None
    return Rating(rating), answer_id


def comment_view(answer_id: str, *, intro: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": COMMENT_CALLBACK_ID,
        "private_metadata": json.dumps({"answer_id": answer_id}),
        "title": _plain(feedback_texts.COMMENT_TITLE),
        "submit": _plain("Send"),
        "close": _plain("Skip"),
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn(intro)}},
            {
                "type": "input", "block_id": COMMENT_BLOCK, "optional": True,
                "label": _plain(feedback_texts.COMMENT_LABEL),
                "element": {"type": "plain_text_input", "action_id": COMMENT_ACTION, "multiline": True,
                            "max_length": COMMENT_MAX_CHARS},
            },
        ],
    }


def done_view(text: str) -> dict[str, Any]:
    return {
        "type": "modal", "callback_id": COMMENT_CALLBACK_ID + "_done", "title": _plain("Feedback"),
        "close": _plain("Close"), "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn(text)}}],
    }


class SlackFeedback:
    def __init__(self, *, recorder: FeedbackRecorder, in_flight: InFlight) -> None:
        self._recorder = recorder
        self._in_flight = in_flight

    async def on_click(self, ack: AsyncAck, body: Mapping[str, Any], client: AsyncWebClient) -> None:
        """A 👍 / 👎 click (``block_actions``): acknowledged at once, then recorded, then the comment modal or a
        note to the clicker (in a task counted in flight)."""

        async def run(ready: Ready) -> None:
            await ack()
            ready()
            await self._record(body, client)

        await hand_off(self._in_flight, run)

    async def _record(self, body: Mapping[str, Any], client: AsyncWebClient) -> None:
        user = str((body.get("user") or {}).get("id") or "")
        action = next(iter(body.get("actions") or []), {})
        parsed = parse_value(str(action.get("value") or ""))
        click_log = log.bind(user=user, action=action.get("action_id"))
        if parsed is None or not user:
            click_log.warning("slack.feedback_unreadable")
            return
        rating, answer_id = parsed
        reply = await self._recorder.rate(platform="slack", answer_id=answer_id, user=user, rating=rating)
        try:
            if reply.ask_comment and body.get("trigger_id"):
                await client.views_open(trigger_id=str(body["trigger_id"]), view=comment_view(answer_id, intro=reply.text))
                return
            await self._note(client, body, user=user, text=reply.text)
        except SlackApiError as error:
            click_log.warning("slack.feedback_reply_failed", error=error.response.get("error"))

    async def on_comment(self, ack: AsyncAck, body: Mapping[str, Any], view: Mapping[str, Any]) -> None:
        """The comment modal submitted: saved with the person's 👎 (left empty: the modal just closes)."""
        user = str((body.get("user") or {}).get("id") or "")
        answer_id = str(json.loads(str(view.get("private_metadata") or "{}")).get("answer_id") or "")
        values = (view.get("state") or {}).get("values") or {}
        comment = str(((values.get(COMMENT_BLOCK) or {}).get(COMMENT_ACTION) or {}).get("value") or "")
        if not comment.strip():
            await ack()
            return
        text = await self._recorder.comment(platform="slack", answer_id=answer_id, user=user, text=comment)
        await ack(response_action="update", view=done_view(text))

    async def _note(self, client: AsyncWebClient, body: Mapping[str, Any], *, user: str, text: str) -> None:
        container = body.get("container") or {}
        message = body.get("message") or {}
        channel = str(container.get("channel_id") or (body.get("channel") or {}).get("id") or "")
        thread = container.get("thread_ts") or message.get("thread_ts")
        await client.chat_postEphemeral(channel=channel, user=user, thread_ts=thread, text=mrkdwn(text))


def _button(emoji: str, value: str, label: str) -> dict[str, Any]:
    return {"text": _plain(emoji), "value": value, "accessibility_label": label}


def _plain(text: str) -> dict[str, str]:
    return {"type": "plain_text", "text": text}
