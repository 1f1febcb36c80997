"""chat.* methods: posting, editing, ephemeral notes and streaming, with the rules Slack enforces.

- ``text`` over 40,000 characters and ``markdown_text`` over 12,000 are
  ``msg_too_long``; ``markdown_text`` with ``text`` is
  ``markdown_text_conflict``; neither is ``no_text``.  ``text`` over 4,000, and
  mrkdwn Slack would misread, are recorded as violations; posted text that
  would ping is recorded in ``pings``.
- chat.update on a message whose stream is open (chat.startStream without
  chat.stopStream) is ``streaming_state_conflict``.
- chat.postEphemeral in a thread that has no reply yet is accepted and shown
  to nobody (Slack: "only shown if there is already an active thread"):
  recorded with ``visible=False`` and as a violation.
- chat.startStream needs ``thread_ts`` (slack_sdk and Slack's SDK types require
  it), and outside a DM ``recipient_team_id`` and ``recipient_user_id``
  (``missing_recipient_team_id`` / ``missing_recipient_user_id``).
  appendStream / stopStream on a message that is not streaming:
  ``message_not_in_streaming_state``.  Text comes from ``markdown_text`` and
  ``chunks`` of type ``markdown_text``.
- A stream nobody stops ends by itself ``STREAM_LIFETIME`` seconds (the
  stand-in's clock) after chat.startStream, as Slack's does (about 5 minutes,
  undocumented; slackapi/python-slack-sdk#1859): from then on appendStream and
  stopStream answer ``message_not_in_streaming_state`` and the message stays
  as it was, ``expired`` (Slack shows it as broken) until chat.update
  replaces its text.
- ``blocks`` (chat.postMessage, chat.update, chat.stopStream) are checked as Slack checks them
  (``blocks.py``: ``invalid_blocks``); a message whose blocks hold ``markdown`` blocks shows their text
  (``text`` is then its notification fallback).  chat.update without ``blocks`` keeps the message's.
"""

from __future__ import annotations

import json
from typing import Any

from tests.standins.slack_server import markup
from tests.standins.slack_server.blocks import block_problems, markdown_of, parse_blocks, task_updates
from tests.standins.slack_server.records import EphemeralMessage, StoredMessage
from tests.standins.slack_server.state import SlackState


def _chunk_text(params: dict[str, Any]) -> str:
    text = str(params.get("markdown_text") or "")
    chunks = params.get("chunks") or []
    if isinstance(chunks, str):
        chunks = json.loads(chunks)
    for chunk in chunks:
        if isinstance(chunk, dict) and chunk.get("type") == "markdown_text":
            text += str(chunk.get("text") or "")
    return text


def _is_dm(channel: str) -> bool:
    return channel.startswith("D")


STREAM_LIFETIME = 300.0  # seconds from chat.startStream until Slack ends a stream nobody stopped


class ChatMethods(SlackState):
    def _new_ts(self) -> str:
        return f"1700000{next(self._ts):03d}.000100"

    def _content(self, method: str, params: dict[str, Any]) -> tuple[str | None, str | None]:
        """(the message's text, None) or (None, the error Slack answers)."""
        text, markdown = params.get("text"), params.get("markdown_text")
        if markdown is not None and (text is not None or params.get("blocks")):
            return None, "markdown_text_conflict"
        if markdown is not None:
            if len(str(markdown)) > markup.MAX_MARKDOWN:
                return None, "msg_too_long"
            self._check_markdown(method, str(markdown))
            return str(markdown), None
        if not text:
            return (None, None) if params.get("blocks") else (None, "no_text")
        if len(str(text)) > markup.MAX_TEXT:
            return None, "msg_too_long"
        self._check_text(method, str(text))
        return str(text), None

    def _blocks(self, method: str, params: dict[str, Any]) -> tuple[list[dict[str, Any]] | None, dict[str, Any] | None]:
        """(the blocks sent, or None when none were), or (None, Slack's refusal)."""
        if params.get("blocks") in (None, ""):
            return None, None
        blocks, error = parse_blocks(params["blocks"])
        if error:
            return None, {"ok": False, "error": error}
        problems = block_problems(blocks or [])
        if problems:
            return None, {"ok": False, "error": "invalid_blocks", "response_metadata": {"messages": problems}}
        shown = markdown_of(blocks or [])
        if shown:
            self._check_markdown(method + " markdown block", shown)
        return blocks, None

    def _shows(self, message: StoredMessage, text: str | None, blocks: list[dict[str, Any]] | None) -> None:
        """What the message holds after a post or an edit: markdown blocks' text, else ``text``."""
        if blocks is not None:
            message.blocks = blocks
        shown = markdown_of(message.blocks)
        message.fallback = (text or "") if shown else ""
        message.text = shown or text or ""

    def _store(self, params: dict[str, Any], text: str, *, streaming: bool = False) -> StoredMessage:
        message = StoredMessage(
            channel=str(params["channel"]), ts=self._new_ts(), text=text, thread_ts=params.get("thread_ts") or None,
            user=self.bot_user_id, streaming=streaming, pieces=[text] if text else [],
        )
        self.messages[(message.channel, message.ts)] = message
        return message

    def _find(self, params: dict[str, Any]) -> StoredMessage | None:
        """The message ``params`` name (its stream ended if it outlived ``STREAM_LIFETIME``)."""
        message = self.messages.get((str(params.get("channel")), str(params.get("ts"))))
        if message is not None:
            self._expire(message)
        return message

    def _expire(self, message: StoredMessage) -> None:
        """End ``message``'s stream if nobody stopped it within ``STREAM_LIFETIME``."""
        if message.streaming and message.stream_started is not None:
            if self.clock() - message.stream_started >= STREAM_LIFETIME:
                message.streaming, message.expired = False, True

    def _m_chat_postMessage(self, params, token):
        blocks, refusal = self._blocks("chat.postMessage", params)
        if refusal:
            return refusal
        text, error = self._content("chat.postMessage", params)
        if error:
            return {"ok": False, "error": error}
        message = self._store(params, text or "")
        self._shows(message, text, blocks)
        return {"ok": True, "channel": message.channel, "ts": message.ts,
                "message": {"type": "message", "text": message.text, "ts": message.ts, "bot_id": self.bot_id}}

    def _m_chat_update(self, params, token):
        message = self._find(params)
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        if message.streaming:
            return {"ok": False, "error": "streaming_state_conflict"}
        blocks, refusal = self._blocks("chat.update", params)
        if refusal:
            return refusal
        text, error = self._content("chat.update", params)
        if error:
            return {"ok": False, "error": error}
        self._shows(message, text, blocks)
        message.expired = False
        return {"ok": True, "channel": message.channel, "ts": message.ts, "text": message.text}

    def _m_chat_postEphemeral(self, params, token):
        if not params.get("user") or not params.get("channel"):
            return {"ok": False, "error": "user_not_in_channel"}
        text, error = self._content("chat.postEphemeral", params)
        if error:
            return {"ok": False, "error": error}
        channel, thread = str(params["channel"]), params.get("thread_ts") or None
        visible = thread is None or self.thread_has_replies(channel, thread)
        if not visible:
            self._violation(f"chat.postEphemeral in thread {thread}, which has no reply yet: shown to nobody")
        self.ephemerals.append(EphemeralMessage(channel, str(params["user"]), text or "", thread, visible))
        return {"ok": True, "message_ts": self._new_ts()}

    def _m_chat_startStream(self, params, token):
        channel = str(params.get("channel") or "")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if not params.get("thread_ts"):
            return {"ok": False, "error": "invalid_arguments"}
        if not _is_dm(channel):
            if not params.get("recipient_team_id"):
                return {"ok": False, "error": "missing_recipient_team_id"}
            if not params.get("recipient_user_id"):
                return {"ok": False, "error": "missing_recipient_user_id"}
        text = _chunk_text(params)
        if len(text) > markup.MAX_MARKDOWN:
            return {"ok": False, "error": "msg_too_long"}
        tasks, error = task_updates(params.get("chunks"))
        if error:
            return {"ok": False, "error": error}
        message = self._store(params, text, streaming=True)
        message.tasks.update({t["id"]: (t["title"], t["status"]) for t in tasks})
        message.stream_started = self.clock()
        self._check_markdown("chat.startStream", message.text)
        return {"ok": True, "channel": message.channel, "ts": message.ts}

    def _m_chat_appendStream(self, params, token):
        message = self._find(params)
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        if not message.streaming:
            return {"ok": False, "error": "message_not_in_streaming_state"}
        piece = _chunk_text(params)
        if len(piece) > markup.MAX_MARKDOWN:
            return {"ok": False, "error": "msg_too_long"}
        tasks, error = task_updates(params.get("chunks"))
        if error:
            return {"ok": False, "error": error}
        message.tasks.update({t["id"]: (t["title"], t["status"]) for t in tasks})
        message.text += piece
        message.pieces.append(piece)
        self._check_markdown("chat.appendStream", message.text)
        return {"ok": True, "channel": message.channel, "ts": message.ts}

    def _m_chat_stopStream(self, params, token):
        blocks, refusal = self._blocks("chat.stopStream", params)
        if refusal:
            return refusal
        answer = self._m_chat_appendStream(params, token)
        if answer["ok"]:
            message = self._find(params)
            message.streaming = False  # type: ignore[union-attr]
            message.blocks = blocks or message.blocks  # type: ignore[union-attr]  (shown under the text)
        return answer
