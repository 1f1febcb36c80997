"""Tool approval on Slack: Approve / Decline buttons in the asker's thread (Block Kit ``actions``), and the
``block_actions`` they send back, handed to the core's ``ApprovalDesk`` (which checks who clicked)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import structlog
from slack_sdk.web.async_client import AsyncWebClient

from bots.slack.clients import SlackClients
from bots.slack.outgoing import mrkdwn
from core.tools.approvals import GONE_TEXT, NOT_YOURS_TEXT, ApprovalDesk
from core.tools.values import ApprovalPrompt, ApprovalVerdict

log = structlog.get_logger(__name__)

APPROVE_ACTION = "parley_tool_approve"
DECLINE_ACTION = "parley_tool_decline"
_VERDICTS = {  # no mention: Parley's messages never notify anyone
    "approved": "✅ Approved: `{tool}` ran.",
    "declined": "🚫 Declined: `{tool}` did not run.",
    "timeout": "⌛ Nobody answered in time: `{tool}` did not run.",
}


def question(prompt: ApprovalPrompt) -> str:
    arguments = mrkdwn(prompt.arguments.replace("`", "'"))  # inside a code span
    return (f"May I run the tool `{mrkdwn(prompt.tool)}` with `{arguments}`? Only the person who "
            f"asked can answer; no answer within {prompt.timeout:g} s declines.")


def approval_blocks(prompt: ApprovalPrompt) -> list[dict[str, Any]]:
    return [
        {"type": "section", "block_id": "parley_tool_question", "text": {"type": "mrkdwn", "text": question(prompt)[:3000]}},
        {"type": "actions", "block_id": "parley_tool_buttons", "elements": [
            {"type": "button", "action_id": APPROVE_ACTION, "style": "primary", "value": prompt.id,
             "text": {"type": "plain_text", "text": "Approve"}},
            {"type": "button", "action_id": DECLINE_ACTION, "style": "danger", "value": prompt.id,
             "text": {"type": "plain_text", "text": "Decline"}},
        ]},
    ]


class SlackApprovals:
    """The ``ApprovalPrompter`` port on Slack."""

    def __init__(self, *, clients: SlackClients, desk: ApprovalDesk) -> None:
        self._clients = clients  # the question goes out with the asker's workspace's own token
        self._desk = desk
        self._posted: dict[str, tuple[str, str]] = {}  # prompt id → (channel, ts)

    async def show(self, prompt: ApprovalPrompt) -> None:
        key = prompt.key
        client = await self._clients.for_team(key.workspace)
        answer = await client.chat_postMessage(
            channel=key.channel, thread_ts=key.thread or None, text=question(prompt), blocks=approval_blocks(prompt),
        )
        self._posted[prompt.id] = (key.channel, str(answer["ts"]))

    async def close(self, prompt: ApprovalPrompt, verdict: ApprovalVerdict) -> None:
        where = self._posted.pop(prompt.id, None)
        if where is None:
            return
        text = _VERDICTS[verdict.outcome].format(tool=mrkdwn(prompt.tool))
        client = await self._clients.for_team(prompt.key.workspace)
        await client.chat_update(channel=where[0], ts=where[1], text=text, blocks=[])

    async def on_action(self, ack: Any, body: Mapping[str, Any], action: Mapping[str, Any], client: AsyncWebClient) -> None:
        """A button was pressed: acknowledge at once, then let the core decide whether it counts. ``client`` is
        bolt's for this request (the workspace's own token where the app is installed in several)."""
        await ack()
        user = str((body.get("user") or {}).get("id") or "")
        result = self._desk.click(str(action.get("value") or ""), user=user, approve=action.get("action_id") == APPROVE_ACTION)
        if result == "done":
            return
        channel = str((body.get("channel") or {}).get("id") or "")
        message = body.get("message") or {}
        thread = message.get("thread_ts") or None
        try:
            await client.chat_postEphemeral(
                channel=channel, user=user, thread_ts=thread, text=NOT_YOURS_TEXT if result == "not_yours" else GONE_TEXT,
            )
        except Exception:
            log.exception("slack.approval_note_failed")
