"""``SlackStandIn``: the routes (Web API, response_url, file upload, Socket Mode) and looking at what arrived."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from tests.standins.slack_server import markup
from tests.standins.slack_server.files import FileHosting
from tests.standins.slack_server.records import SlackCall, StoredMessage
from tests.standins.slack_server.socket_mode import SocketMode
from tests.standins.slack_server.web_api import WebApiMethods


RESPONSE_URL_USES = 5  # Slack: a response_url takes up to 5 messages within 30 minutes


class SlackStandIn(WebApiMethods, SocketMode, FileHosting):
    """``SlackStandIn(*, host="127.0.0.1", team_id=, bot_user_id=, bot_id=, clock=)`` (see ``SlackState``)."""

    def _build_app(self) -> web.Application:
        self._changed = asyncio.Event()
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/respond/{n}", self._respond)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/socket", self._socket)
        self._add_file_routes(app)
        return app

    @property
    def base_url(self) -> str:
        return self.url("/api/")

    def response_url(self) -> str:
        return self.url(f"/respond/{next(self._ids)}")

    # -- inspection

    def calls_to(self, method: str) -> list[SlackCall]:
        return [c for c in self.calls if c.method == method]

    def text_of(self, channel: str, ts: str) -> str:
        return self.messages[(channel, ts)].text

    def replies_in(self, channel: str, thread_ts: str) -> list[StoredMessage]:
        """The bot's messages in a thread (not ephemeral ones), oldest first."""
        return [m for m in self.messages.values()
                if m.channel == channel and m.thread_ts == thread_ts and m.user == self.bot_user_id]

    def unfinished_in(self, channel: str, thread_ts: str | None) -> list[StoredMessage]:
        """The bot's messages in a thread (``None``: top level) that Slack shows unfinished: a stream still open,
        or one that ended by itself unstopped and was not replaced since (see ``chat.STREAM_LIFETIME``)."""
        found = []
        for message in self.messages.values():
            if message.channel == channel and message.thread_ts == thread_ts and message.user == self.bot_user_id:
                self._expire(message)
                if message.streaming or message.expired:
                    found.append(message)
        return found

    def notes_for(self, user: str) -> list[str]:
        """The ephemeral messages ``user`` actually sees, oldest first."""
        return [e.text for e in self.ephemerals if e.user == user and e.visible]

    @staticmethod
    def shown(text: str) -> str:
        """What a reader sees of a mrkdwn text (links as labels, entities decoded)."""
        return markup.shown(text)

    async def wait_for_held(self, method: str, *, timeout: float = 5.0) -> None:
        """Until a call to ``method`` is waiting on its ``hold``."""
        await self._wait(lambda: method in self.held, timeout)

    async def wait_for_call(
        self, method: str, *, count: int = 1, timeout: float = 5.0, where: Callable[[SlackCall], bool] | None = None
    ) -> SlackCall:
        """The ``count``-th call to ``method`` (matching ``where``), once it has arrived."""
        def matching() -> list[SlackCall]:
            return [c for c in self.calls_to(method) if where is None or where(c)]

        await self._wait(lambda: len(matching()) >= count, timeout)
        return matching()[count - 1]

    async def _before_close(self) -> None:
        for gate in self._gates:
            gate.set()
        await super()._before_close()

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
        if method == "oauth.v2.access":  # the client's credentials, not a token (oauth.py)
            answer = self._oauth_v2_access(params, request.headers.get("Authorization"))
            self.calls.append(SlackCall(method=method, params=params, token=None, response=answer))
            self._notify()
            return web.json_response(answer)
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else params.get("token")
        self._in_progress[method] += 1
        self.most_at_once[method] = max(self.most_at_once[method], self._in_progress[method])
        gate = self._gate_for(method)
        if gate is not None:
            self.held.append(method)
            self._notify()
            await gate.wait()
            self.held.remove(method)
        self._in_progress[method] -= 1
        status, answer, headers = self._answer(method, params, token)
        self.calls.append(SlackCall(method=method, params=params, token=token, response=answer, status=status))
        self._notify()
        return web.json_response(answer, status=status, headers=headers)

    async def _respond(self, request: web.Request) -> web.Response:
        """A message to a response_url: at most 5 per URL; ``text`` mrkdwn, at most 40,000 characters."""
        params = await self._params(request)
        params["url"] = str(request.url)
        self._response_urls[params["url"]] += 1
        text = str(params.get("text") or "")
        status, body = 200, "ok"
        if self._response_urls[params["url"]] > RESPONSE_URL_USES:
            self._violation(f"response_url used more than {RESPONSE_URL_USES} times")
            status, body = 404, "used_url"
        elif len(text) > markup.MAX_TEXT:
            status, body = 400, "msg_too_long"
        else:
            self._check_text("response_url", text)
        self.calls.append(SlackCall(method="response_url", params=params, token=None, status=status))
        self._notify()
        return web.Response(status=status, text=body)

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
