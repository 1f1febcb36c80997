"""The Web API methods the stand-in Slack answers, and scripted failures (``fail``).

Each ``_m_<method with dots as underscores>(params, token)`` answers one
method; any other gets ``unknown_method``, a call without a token
``not_authed``.  Messages posted or streamed are kept so that
conversations.replies and chat.update behave; chat.startStream /
appendStream / stopStream take their text from ``markdown_text`` and ``chunks``
of type ``markdown_text``.
"""

from __future__ import annotations

import json
from typing import Any

from tests.standins.slack_server.records import StoredMessage, UploadedFile
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


class WebApiMethods(SlackState):
    def fail(self, method: str, error: str, *, times: int | None = None, status: int = 200) -> None:
        """Answer the next ``times`` calls (all, when None) with ``error``; status 429 adds ``Retry-After: 0``."""
        self._failures[method] = (error, times, status)

    def _answer(self, method: str, params: dict[str, Any], token: str | None) -> dict[str, Any]:
        if method in self._failures:
            error, left, status = self._failures[method]
            if left is not None and left <= 1:
                del self._failures[method]
            elif left is not None:
                self._failures[method] = (error, left - 1, status)
            return {"ok": False, "error": error}
        if not token:
            return {"ok": False, "error": "not_authed"}
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            return {"ok": False, "error": "unknown_method"}
        return handler(params, token)

    def _new_ts(self) -> str:
        return f"1700000{next(self._ts):03d}.000100"

    def _store(self, params: dict[str, Any], text: str, *, streaming: bool = False) -> StoredMessage:
        message = StoredMessage(
            channel=str(params["channel"]), ts=self._new_ts(), text=text, thread_ts=params.get("thread_ts") or None,
            user=self.bot_user_id, streaming=streaming, pieces=[text] if text else [],
        )
        self.messages[(message.channel, message.ts)] = message
        return message

    def _find(self, params: dict[str, Any]) -> StoredMessage | None:
        return self.messages.get((str(params.get("channel")), str(params.get("ts"))))

    # -- Web API methods

    def _m_auth_test(self, params, token):
        return {"ok": True, "url": "https://parley-test.slack.com/", "team": "Parley Test", "user": "parley",
                "team_id": self.team_id, "user_id": self.bot_user_id, "bot_id": self.bot_id,
                "is_enterprise_install": False}

    def _m_users_info(self, params, token):
        user = self.users.get(str(params.get("user")))
        return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}

    def _m_conversations_replies(self, params, token):
        thread = str(params.get("ts"))
        found = [m for m in self.messages.values()
                 if m.channel == params.get("channel") and thread in (m.ts, m.thread_ts)]
        messages = [{"type": "message", "ts": m.ts, "thread_ts": m.thread_ts, "text": m.text, "user": m.user}
                    for m in found]
        return {"ok": True, "messages": messages, "has_more": False}

    def _m_chat_postMessage(self, params, token):
        message = self._store(params, str(params.get("markdown_text") or params.get("text") or ""))
        return {"ok": True, "channel": message.channel, "ts": message.ts,
                "message": {"type": "message", "text": message.text, "ts": message.ts, "bot_id": self.bot_id}}

    def _m_chat_update(self, params, token):
        message = self._find(params)
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        message.text = str(params.get("markdown_text") or params.get("text") or "")
        return {"ok": True, "channel": message.channel, "ts": message.ts, "text": message.text}

    def _m_chat_postEphemeral(self, params, token):
        return {"ok": True, "message_ts": self._new_ts()}

    def _m_chat_startStream(self, params, token):
        message = self._store(params, _chunk_text(params), streaming=True)
        return {"ok": True, "channel": message.channel, "ts": message.ts}

    def _m_chat_appendStream(self, params, token):
        message = self._find(params)
        if message is None or not message.streaming:
            return {"ok": False, "error": "message_not_in_streaming_state"}
        piece = _chunk_text(params)
        message.text += piece
        message.pieces.append(piece)
        return {"ok": True, "channel": message.channel, "ts": message.ts}

    def _m_chat_stopStream(self, params, token):
        answer = self._m_chat_appendStream(params, token)
        if answer["ok"]:
            self._find(params).streaming = False  # type: ignore[union-attr]
        return answer

    def _m_views_open(self, params, token):
        if not params.get("trigger_id"):
            return {"ok": False, "error": "invalid_trigger_id"}
        view = params.get("view")
        view = json.loads(view) if isinstance(view, str) else view
        return {"ok": True, "view": {"id": f"V{next(self._ids):08d}", **(view or {})}}

    def _m_assistant_threads_setStatus(self, params, token):
        return {"ok": True}

    def _m_assistant_threads_setSuggestedPrompts(self, params, token):
        return {"ok": True}

    def _m_assistant_threads_setTitle(self, params, token):
        return {"ok": True}

    def _m_conversations_open(self, params, token):
        users = str(params.get("users") or "")
        if not users or "," in users or users not in self.users:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "channel": {"id": self.dm_of(users)}}

    def _m_files_getUploadURLExternal(self, params, token):
        if not params.get("filename") or not str(params.get("length") or "").isdigit():
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F{next(self._ids):08d}"
        self.files[file_id] = UploadedFile(id=file_id, filename=str(params["filename"]), length=int(params["length"]))
        return {"ok": True, "upload_url": self.url(f"/upload/{file_id}"), "file_id": file_id}

    def _m_files_completeUploadExternal(self, params, token):
        files = params.get("files") or "[]"
        files = json.loads(files) if isinstance(files, str) else files
        done = []
        for item in files:
            upload = self.files.get(str(item.get("id")))
            if upload is None or len(upload.content) != upload.length:
                return {"ok": False, "error": "file_not_found" if upload is None else "file_upload_size_mismatch"}
            upload.title = str(item.get("title") or upload.filename)
            upload.channel = params.get("channel_id") or None
            upload.comment = str(params.get("initial_comment") or "")
            done.append({"id": upload.id, "name": upload.filename, "title": upload.title})
        return {"ok": True, "files": done}

    def _m_apps_connections_open(self, params, token):
        if not str(token).startswith("xapp-"):
            return {"ok": False, "error": "not_allowed_token_type"}
        return {"ok": True, "url": self.url("/socket", scheme="ws")}
