"""A stand-in Slack for tests (aiohttp on 127.0.0.1, port 0): Web API, response_url, Socket Mode.

Tests drive the *real* slack_bolt and slack_sdk against it; nothing inside
them is mocked.

    async with SlackStandIn() as slack:
        client = AsyncWebClient(token="xoxb-test-not-real", base_url=slack.base_url)
        slack.add_user("U0ADA", name="ada", is_admin=True)
        slack.fail("chat.startStream", "not_allowed_token_type")
        ...
        call = await slack.wait_for_call("chat.stopStream", timeout=5)
        assert slack.text_of(call.params["channel"], call.params["ts"]) == "the whole answer"

Web API: ``GET|POST /api/{method}``; parameters are read from the query, a
form or a JSON body (merged), the token from ``Authorization: Bearer`` (or a
``token`` parameter).  Every call is recorded as a ``SlackCall``.  Answered:
auth.test, users.info, conversations.replies, chat.postMessage, chat.update,
chat.postEphemeral, chat.startStream / appendStream / stopStream (text from
``markdown_text`` and ``chunks`` of type ``markdown_text``), views.open,
assistant.threads.setStatus / setSuggestedPrompts / setTitle,
apps.connections.open, conversations.open (a DM with the bot: ``dm_of(user)``)
and the file upload of ``files_upload_v2``: files.getUploadURLExternal, a POST
of the bytes to the returned upload URL (``POST /upload/{file_id}``, recorded as
the pseudo-method ``"upload"``), files.completeUploadExternal; completed
uploads are kept in ``files`` (``UploadedFile``: name, title, bytes, channel,
comment).  Any other method gets ``unknown_method``.  Messages posted or
streamed are kept (``messages``, ``text_of``) so that conversations.replies and
chat.update behave.

``fail(method, error, times=n)`` makes the next ``n`` calls (all, when None)
answer ``{"ok": false, "error": error}`` (with ``status=429``: as Slack's rate
limiting does, with ``Retry-After: 0``).

``response_url()`` hands out URLs (``POST /respond/{n}``) recorded as calls to
the pseudo-method ``"response_url"``.

Socket Mode: apps.connections.open (xapp- token only) returns
``ws://127.0.0.1:P/socket``; on connect the server sends ``{"type": "hello"}``.
``send_envelope(type, payload)`` pushes an envelope to the newest connection
and returns its id; ``wait_for_ack(envelope_id)`` returns the client's ack.

``signed_headers(secret, body)`` signs a request body the way Slack does.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web

__all__ = ["SlackCall", "SlackStandIn", "StoredMessage", "UploadedFile", "signed_headers"]


def signed_headers(secret: str, body: str, *, timestamp: int | None = None) -> dict[str, str]:
    """``X-Slack-Request-Timestamp`` and ``X-Slack-Signature`` (v0, HMAC-SHA256) for ``body``."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


@dataclass(frozen=True)
class SlackCall:
    method: str
    params: dict[str, Any]
    token: str | None
    response: dict[str, Any] = field(default_factory=dict)  # what the stand-in answered


@dataclass
class UploadedFile:
    id: str
    filename: str
    length: int
    content: bytes = b""
    title: str = ""
    channel: str | None = None  # set by files.completeUploadExternal
    comment: str = ""


@dataclass
class StoredMessage:
    channel: str
    ts: str
    text: str
    thread_ts: str | None = None
    user: str = ""
    streaming: bool = False
    pieces: list[str] = field(default_factory=list)  # every text piece a stream received


def _chunk_text(params: dict[str, Any]) -> str:
    text = str(params.get("markdown_text") or "")
    chunks = params.get("chunks") or []
    if isinstance(chunks, str):
        chunks = json.loads(chunks)
    for chunk in chunks:
        if isinstance(chunk, dict) and chunk.get("type") == "markdown_text":
            text += str(chunk.get("text") or "")
    return text


class SlackStandIn:
    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        team_id: str = "T0PARLEY",
        bot_user_id: str = "U0PARLEYBOT",
        bot_id: str = "B0PARLEYBOT",
    ) -> None:
        self._host = host
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.calls: list[SlackCall] = []
        self.users: dict[str, dict[str, Any]] = {}
        self.messages: dict[tuple[str, str], StoredMessage] = {}
        self.acks: dict[str, dict[str, Any]] = {}
        self.files: dict[str, UploadedFile] = {}
        self._failures: dict[str, tuple[str, int | None, int]] = {}  # method → (error, calls left or None, status)
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)
        self._sockets: list[web.WebSocketResponse] = []
        self._changed: asyncio.Event | None = None
        self._runner: web.AppRunner | None = None
        self.port: int | None = None
        self.add_user(bot_user_id, name="parley", is_bot=True)

    # -- lifecycle

    async def start(self) -> "SlackStandIn":
        self._changed = asyncio.Event()
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/respond/{n}", self._respond)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/socket", self._socket)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def close(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> "SlackStandIn":
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @property
    def base_url(self) -> str:
        return f"http://{self._host}:{self.port}/api/"

    # -- scripting

    def add_user(
        self, user_id: str, *, name: str, is_admin: bool = False, is_owner: bool = False, is_bot: bool = False
    ) -> None:
        self.users[user_id] = {
            "id": user_id, "team_id": self.team_id, "name": name, "real_name": name.title(),
            "is_admin": is_admin, "is_owner": is_owner, "is_primary_owner": False, "is_bot": is_bot,
            "profile": {"display_name": name, "real_name": name.title()},
        }

    def fail(self, method: str, error: str, *, times: int | None = None, status: int = 200) -> None:
        """Answer the next ``times`` calls (all, when None) with ``error``; status 429 adds ``Retry-After: 0``."""
        self._failures[method] = (error, times, status)

    @staticmethod
    def dm_of(user: str) -> str:
        """The id of the DM between the bot and ``user`` (what conversations.open answers)."""
        return "D" + user.removeprefix("U")

    def response_url(self) -> str:
        return f"http://{self._host}:{self.port}/respond/{next(self._ids)}"

    # -- inspection

    def calls_to(self, method: str) -> list[SlackCall]:
        return [c for c in self.calls if c.method == method]

    def text_of(self, channel: str, ts: str) -> str:
        return self.messages[(channel, ts)].text

    def replies_in(self, channel: str, thread_ts: str) -> list[StoredMessage]:
        """Messages posted in a thread (not ephemeral ones), oldest first."""
        return [m for m in self.messages.values() if m.channel == channel and m.thread_ts == thread_ts]

    async def wait_for_call(
        self, method: str, *, count: int = 1, timeout: float = 5.0, where: Callable[[SlackCall], bool] | None = None
    ) -> SlackCall:
        """The ``count``-th call to ``method`` (matching ``where``), once it has arrived."""
        def matching() -> list[SlackCall]:
            return [c for c in self.calls_to(method) if where is None or where(c)]

        await self._wait(lambda: len(matching()) >= count, timeout)
        return matching()[count - 1]

    async def wait_for_ack(self, envelope_id: str, *, timeout: float = 5.0) -> dict[str, Any]:
        await self._wait(lambda: envelope_id in self.acks, timeout)
        return self.acks[envelope_id]

    async def wait_for_socket(self, *, timeout: float = 5.0) -> None:
        await self._wait(lambda: bool(self._sockets), timeout)

    async def send_envelope(self, type: str, payload: dict[str, Any], *, retry_attempt: int = 0) -> str:
        envelope_id = f"env-{next(self._ids)}"
        await self._sockets[-1].send_str(json.dumps({
            "envelope_id": envelope_id, "type": type, "payload": payload,
            "accepts_response_payload": type != "events_api",
            "retry_attempt": retry_attempt, "retry_reason": "timeout" if retry_attempt else "",
        }))
        return envelope_id

    async def _wait(self, done: Callable[[], bool], timeout: float) -> None:
        assert self._changed is not None, "stand-in not started"
        async with asyncio.timeout(timeout):
            while not done():
                await self._changed.wait()

    def _notify(self) -> None:
        assert self._changed is not None
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    # -- HTTP

    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        raw = await request.text()
        if raw:
            if request.content_type == "application/json":
                params.update(json.loads(raw))
            else:
                params.update(dict(parse_qsl(raw, keep_blank_values=True)))
        return params

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self._params(request)
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else params.get("token")
        status = self._failures[method][2] if method in self._failures else 200
        answer = self._answer(method, params, token)
        self.calls.append(SlackCall(method=method, params=params, token=token, response=answer))
        self._notify()
        headers = {"Retry-After": "0"} if status == 429 else None
        return web.json_response(answer, status=status, headers=headers)

    async def _respond(self, request: web.Request) -> web.Response:
        params = await self._params(request)
        params["url"] = str(request.url)
        self.calls.append(SlackCall(method="response_url", params=params, token=None))
        self._notify()
        return web.Response(text="ok")

    async def _upload(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        body = await request.read()
        self.calls.append(SlackCall(method="upload", params={"file_id": file_id, "bytes": len(body)}, token=None))
        self._notify()
        upload = self.files.get(file_id)
        if upload is None:
            return web.Response(status=404, text="unknown upload")
        upload.content = body
        return web.Response(text="OK - " + str(len(body)))

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
        return {"ok": True, "upload_url": f"http://{self._host}:{self.port}/upload/{file_id}", "file_id": file_id}

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
        return {"ok": True, "url": f"ws://{self._host}:{self.port}/socket"}

    # -- Socket Mode

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_str(json.dumps({
            "type": "hello", "num_connections": len(self._sockets),
            "debug_info": {"host": "stand-in", "approximate_connection_time": 3600},
            "connection_info": {"app_id": "A0PARLEY"},
        }))
        self._notify()
        try:
            async for frame in ws:
                if frame.type == WSMsgType.TEXT:
                    data = json.loads(frame.data)
                    if "envelope_id" in data:
                        self.acks[data["envelope_id"]] = data
                        self._notify()
        finally:
            self._sockets.remove(ws)
        return ws
