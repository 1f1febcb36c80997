"""REST under /api/v10: how every route is served (rate limit, authorization, scripted failure, recording).

Every call is recorded in ``calls`` (a ``RestCall``, with its time and
status); answers are ``Content-Type: application/json`` exactly (discord.py
compares the whole value).  Every route has a per-bucket rate limit
(``rate_limit=(requests, seconds)``), announced with X-RateLimit-* headers as
Discord does; going over it answers 429 (with ``Via`` and a JSON
``retry_after``, so discord.py retries) and shows up in ``rate_limited``.
Routes other than /interactions and /webhooks need ``Authorization: Bot <token>``
(else 401).  ``fail_next(method, route, status=, code=)`` scripts one failure;
``hold_calls(method, route, when=)`` holds matching calls unanswered and
unapplied (in ``held_calls``) until the stand-in closes and drops them: what a
client killed meanwhile leaves behind.
Request bodies are checked (``validation``) before the route sees them; a message
sent or edited whose mentions would ping someone is noted in ``pings``.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from tests.standins.discord_server import pings, validation
from tests.standins.discord_server.state import UPLOADS, DiscordState, Ping, RestCall
from tests.standins.discord_server.world import API_PREFIX

#: ``handler(request, params, body) -> (status, JSON payload or None)``
Handler = Callable[[web.Request, dict[str, str], Any], Awaitable[tuple[int, Any]]]


async def read_body(request: web.Request) -> tuple[Any, tuple[tuple[str, bytes], ...]]:
    """JSON, or multipart (``payload_json`` plus ``files[n]``, as discord.py sends attachments)."""
    if request.content_type.startswith("multipart/"):
        form = await request.post()
        body = json.loads(form["payload_json"]) if "payload_json" in form else None
        files = tuple((f.filename, f.file.read()) for f in form.values() if isinstance(f, web.FileField))
        return body, files
    raw = await request.read()
    try:
        return (json.loads(raw) if raw else None), ()
    except ValueError:
        return None, ()


class Rest(DiscordState):
    def fail_next(self, method: str, route: str, *, status: int, code: int, message: str = "scripted failure") -> None:
        """The next ``method route`` call (e.g. "PATCH", "/channels/{channel_id}/messages/{message_id}") fails."""
        self._failures.setdefault((method, route), []).append((status, {"message": message, "code": code}))

    def hold_calls(self, method: str, route: str, *, when: Callable[[Any], bool] = lambda body: True) -> None:
        """From now on, ``method route`` calls whose JSON body passes ``when`` get no answer and change nothing."""
        self._holds.append((method, route, when))

    async def _before_close(self) -> None:
        assert self._closing is not None
        self._closing.set()  # held calls: their connections are dropped
        await super()._before_close()

    def _rest(self, route: str, handler: Handler) -> Callable[[web.Request], Awaitable[web.Response]]:
        """``handler`` served as Discord serves a route: limited, authorized, maybe failed, recorded."""
        bucket = hashlib.sha1(route.encode()).hexdigest()[:12]

        async def serve(request: web.Request) -> web.Response:
            body, files = await read_body(request)
            request[UPLOADS] = files
            params = dict(request.match_info)
            authorization = request.headers.get("Authorization")
            major = params.get("channel_id") or params.get("guild_id") or params.get("token") or ""
            now = time.monotonic()
            exempt = route.startswith(("/interactions", "/webhooks"))  # no global limit on interactions
            over_global = None if exempt else self.global_limit.take(now=now)
            headers, retry_after = self._limits.take(f"{request.method}-{bucket}", major, now=now)
            scripted = False
            if over_global is not None:
                status, payload = 429, {"message": "You are being rate limited.", "retry_after": over_global, "global": True}
                headers = {"Retry-After": f"{over_global:.3f}", "X-RateLimit-Global": "true", "X-RateLimit-Scope": "global",
                           "Via": "1.1 google"}
            elif retry_after is not None:
                status, payload = 429, {"message": "You are being rate limited.", "retry_after": retry_after, "global": False}
                headers["Via"] = "1.1 google"
                headers["Retry-After"] = f"{retry_after:.3f}"
            elif not route.startswith(("/interactions", "/webhooks")) and authorization != f"Bot {self.token}":
                status, payload = 401, {"message": "401: Unauthorized", "code": 0}
            elif self._failures.get((request.method, route)):
                status, payload = self._failures[(request.method, route)].pop(0)
                scripted = True
            elif (refused := validation.refusal(request.method, route, body, uploads=files)) is not None:
                status, payload = refused
            elif any(m == request.method and r == route and when(body) for m, r, when in self._holds):
                return await self._held(request, route, params, body)  # a valid call, never answered
            else:
                status, payload = await handler(request, params, body)
                if status < 300:
                    self._note_pings(request.method, route, request.path.removeprefix(API_PREFIX), body)
            self.calls.append(RestCall(
                method=request.method, path=request.path.removeprefix(API_PREFIX), route=route, params=params,
                query=dict(request.query), json=body, status=status, at=time.monotonic(), authorization=authorization,
                files=files, code=payload.get("code") if status >= 400 and isinstance(payload, dict) else None,
                scripted=scripted,
            ))
            await self._notify()
            if payload is None:
                return web.Response(status=status, headers=headers)
            headers["Content-Type"] = "application/json"  # exactly: discord.py compares the whole value
            return web.Response(status=status, body=json.dumps(payload).encode(), headers=headers)

        return serve

    async def _held(self, request: web.Request, route: str, params: dict[str, str], body: Any) -> web.Response:
        assert self._closing is not None
        self.held_calls.append(RestCall(
            method=request.method, path=request.path.removeprefix(API_PREFIX), route=route, params=params,
            query=dict(request.query), json=body, status=0, at=time.monotonic(),
            authorization=request.headers.get("Authorization"),
        ))
        await self._notify()
        await self._closing.wait()
        if request.transport is not None:
            request.transport.close()
        return web.Response(status=499)  # never reaches the client: the connection is closed

    def _note_pings(self, method: str, route: str, path: str, body: Any) -> None:
        reference = (body or {}).get("message_reference") if route == "/channels/{channel_id}/messages" else None
        replied = self.messages.get(int(reference["message_id"])) if reference else None
        who = pings.of_request(method, route, body, replied_author=int(replied["author"]["id"]) if replied else None)
        if who:
            self.pings.append(Ping(method=method, path=path, who=tuple(who)))

    async def _not_found(self, request, params, body):
        return 404, {"message": "404: Not Found", "code": 0}
