"""A stand-in Discord for tests: REST under /api/v10 and a gateway websocket, on 127.0.0.1, port 0.

Tests drive the *real* discord.py against it; nothing inside discord.py is
mocked.  Point the library here with the two class attributes (monkeypatch):

    discord.http.Route.BASE = server.api_url
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(server.gateway_url)

The world is fixed and small: one guild (GUILD_ID) with text channels GENERAL
and QUIET, roles MODERATORS and ADMINS (Manage Server), users ALICE (admin),
BOB (member) and HELPER_BOT (another bot), DM channels DM_ALICE and DM_BOB, and
the bot itself (BOT, also the application id).

REST (every call recorded in ``calls`` with its time and status; answers are
``Content-Type: application/json`` exactly):
    GET  /users/@me, /oauth2/applications/@me, /gateway, /gateway/bot, /channels/{id}
    POST /channels/{id}/messages (≤ 2,000 chars, else 400 like Discord), /channels/{id}/typing
    PATCH|DELETE /channels/{id}/messages/{mid}
    POST /channels/{id}/messages/{mid}/threads (thread id = message id; 400 160004 the
         second time; 403 50013 where ``forbid_threads(channel)`` was called)
    PUT  /applications/{app}/commands, /applications/{app}/guilds/{gid}/commands
    POST /interactions/{id}/{token}/callback; POST|GET|PATCH /webhooks/{app}/{token}[/messages/{mid}]
    anything else: 404, recorded.
``fail_next(method, route, status=, code=)`` scripts one failure.
Every route has a per-bucket rate limit (``rate_limit=(requests, seconds)``),
announced with X-RateLimit-* headers as Discord does; going over it answers
429 (with ``Via`` and a JSON ``retry_after``, so discord.py retries) and shows
up in ``rate_limited``.

Gateway (plain-text JSON frames): HELLO; heartbeat → ACK; IDENTIFY → READY then
GUILD_CREATE (only the guilds of the identified shard); RESUME → the missed
dispatches, then RESUMED.  Dispatches: ``send_message`` (a user posts),
``start_user_thread``, ``dispatch`` (any event, e.g. the same MESSAGE_CREATE
twice), ``run_command`` and ``submit_modal`` (INTERACTION_CREATE).  Messages the
bot posts or edits are echoed as MESSAGE_CREATE / MESSAGE_UPDATE, threads it
starts as THREAD_CREATE.  Without the message-content intent, content is
blanked except in DMs and mentions of the bot; asking for that intent with
``content_intent_enabled=False`` is closed with 4014, as Discord does.
``disconnect()`` closes the socket with 4000 (the client RESUMEs and gets what
it missed); ``reconnect(replay_from=seq)`` does that, also redelivers every
dispatch from ``seq`` on, and waits for the RESUME.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import re
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, TypeVar

from aiohttp import WSMsgType, web

T = TypeVar("T")

API_PREFIX = "/api/v10"
FAKE_TOKEN = "fake-discord-token-for-tests"
DISCORD_EPOCH_MS = 1_420_070_400_000
MESSAGE_CONTENT_INTENT = 1 << 15

# Permission bits (Discord's values)
MANAGE_GUILD = 1 << 5
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
READ_MESSAGE_HISTORY = 1 << 16
USE_APPLICATION_COMMANDS = 1 << 31
CREATE_PUBLIC_THREADS = 1 << 35
SEND_MESSAGES_IN_THREADS = 1 << 38
EVERYONE_PERMISSIONS = (
    VIEW_CHANNEL | SEND_MESSAGES | READ_MESSAGE_HISTORY | USE_APPLICATION_COMMANDS
    | CREATE_PUBLIC_THREADS | SEND_MESSAGES_IN_THREADS
)

BOT = 1_100_000_000_000_000_001
GUILD_ID = 1_200_000_000_000_000_001
GENERAL = 1_300_000_000_000_000_001
QUIET = 1_300_000_000_000_000_002
MODERATORS = 1_400_000_000_000_000_001
ADMINS = 1_400_000_000_000_000_002
DM_ALICE = 1_600_000_000_000_000_001
DM_BOB = 1_600_000_000_000_000_002


@dataclass(frozen=True)
class User:
    id: int
    username: str
    global_name: str | None = None
    bot: bool = False
    roles: tuple[int, ...] = ()

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id), "username": self.username, "discriminator": "0", "global_name": self.global_name,
            "avatar": None, "bot": self.bot, "public_flags": 0,
        }


BOT_USER = User(BOT, "parley", "Parley", bot=True)
OWNER = User(1_500_000_000_000_000_009, "owner", "Owner")
ALICE = User(1_500_000_000_000_000_001, "alice", "Alice", roles=(ADMINS,))
BOB = User(1_500_000_000_000_000_002, "bob", "Bob", roles=(MODERATORS,))
HELPER_BOT = User(1_500_000_000_000_000_003, "helper", "Helper", bot=True)
USERS = {u.id: u for u in (BOT_USER, OWNER, ALICE, BOB, HELPER_BOT)}
ROLES = {GUILD_ID: ("@everyone", EVERYONE_PERMISSIONS), MODERATORS: ("Moderators", 0), ADMINS: ("Admins", MANAGE_GUILD)}
TEXT_CHANNELS = {GENERAL: "general", QUIET: "quiet"}
DM_CHANNELS = {DM_ALICE: ALICE, DM_BOB: BOB}


async def _read_body(request: web.Request) -> tuple[Any, tuple[tuple[str, bytes], ...]]:
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


@dataclass(frozen=True)
class RestCall:
    method: str
    path: str  # without the /api/v10 prefix
    route: str  # the route template, e.g. /channels/{channel_id}/messages
    params: dict[str, str]
    query: dict[str, str]
    json: Any
    status: int
    at: float  # time.monotonic() when it arrived
    authorization: str | None
    files: tuple[tuple[str, bytes], ...] = ()  # (filename, content) of multipart uploads


@dataclass
class _Session:
    id: str
    intents: int
    shard: tuple[int, int] | None
    ws: web.WebSocketResponse | None
    seq: int = 0
    events: list[tuple[int, str, dict[str, Any]]] = field(default_factory=list)
    replay_from: int | None = None

    def covers(self, guild_id: int | None) -> bool:
        if self.shard is None:
            return True
        shard_id, count = self.shard
        return (0 if guild_id is None else (guild_id >> 22) % count) == shard_id


class _RouteLimits:
    """Fixed windows per bucket (route template + major parameter), like Discord's."""

    def __init__(self, requests: int, seconds: float) -> None:
        self._requests, self._seconds = requests, seconds
        self._windows: dict[str, tuple[float, int]] = {}

    def take(self, bucket: str, major: str, *, now: float) -> tuple[dict[str, str], float | None]:
        start, used = self._windows.get(f"{bucket}:{major}", (now, 0))
        if now >= start + self._seconds:
            start, used = now, 0
        reset_after = start + self._seconds - now
        over = used >= self._requests
        if not over:
            used += 1
            self._windows[f"{bucket}:{major}"] = (start, used)
        headers = {
            "X-RateLimit-Limit": str(self._requests),
            "X-RateLimit-Remaining": str(self._requests - used),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": bucket,
        }
        return headers, (reset_after if over else None)


def _iso(moment: float | None = None) -> str:
    return datetime.fromtimestamp(moment or time.time(), timezone.utc).isoformat()


class DiscordStandIn:
    def __init__(
        self, *, token: str = FAKE_TOKEN, rate_limit: tuple[int, float] = (5, 1.0), content_intent_enabled: bool = True
    ) -> None:
        self.token = token
        self.content_intent_enabled = content_intent_enabled  # False: like a portal with the intent switched off
        self.calls: list[RestCall] = []
        self.identifies: list[dict[str, Any]] = []
        self.resumes: list[dict[str, Any]] = []
        self.commands: dict[str, list[dict[str, Any]]] = {}  # "global" or the guild id → synced commands
        self.messages: dict[int, dict[str, Any]] = {}  # every message, by id (deleted ones removed)
        self.threads: dict[int, dict[str, Any]] = {}
        self.callbacks: dict[int, dict[str, Any]] = {}  # interaction id → the callback body
        self._limits = _RouteLimits(*rate_limit)
        self._forbidden_threads: set[int] = set()
        self._failures: dict[tuple[str, str], list[tuple[int, dict[str, Any]]]] = {}
        self._sessions: dict[str, _Session] = {}
        self._sockets: set[web.WebSocketResponse] = set()
        self._counter = itertools.count(1)
        self._changed: asyncio.Condition | None = None
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    # -- lifecycle

    async def start(self) -> "DiscordStandIn":
        self._changed = asyncio.Condition()
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        for method, route, handler in self._routes():
            app.router.add_route(method, API_PREFIX + route, self._rest(route, handler))
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._rest("/{tail}", self._not_found))
        self._runner = web.AppRunner(app, shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def close(self) -> None:
        for ws in list(self._sockets):
            await ws.close(code=1001)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> "DiscordStandIn":
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    # -- scripting and driving

    def forbid_threads(self, channel_id: int) -> None:
        """Starting a thread in ``channel_id`` answers 403 Missing Permissions from now on."""
        self._forbidden_threads.add(channel_id)

    def fail_next(self, method: str, route: str, *, status: int, code: int, message: str = "scripted failure") -> None:
        """The next ``method route`` call (e.g. "PATCH", "/channels/{channel_id}/messages/{message_id}") fails."""
        self._failures.setdefault((method, route), []).append((status, {"message": message, "code": code}))

    async def send_message(self, author: User, channel_id: int, content: str) -> dict[str, Any]:
        """``author`` posts ``content`` (mentions parsed from it): stored and dispatched."""
        message = self._message(author=author, channel_id=channel_id, content=content)
        self.messages[int(message["id"])] = message
        await self.dispatch("MESSAGE_CREATE", message)
        return message

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        guild_id = int(data["guild_id"]) if data.get("guild_id") else None
        for session in list(self._sessions.values()):
            if session.covers(guild_id):
                await self._send_dispatch(session, event, data)

    async def run_command(
        self, user: User, channel_id: int, command: str, sub: str, options: dict[str, str] | None = None
    ) -> int:
        """``user`` runs ``/command sub [options]``; returns the interaction id."""
        sub_option: dict[str, Any] = {"type": 1, "name": sub}
        if options:
            sub_option["options"] = [{"type": 3, "name": k, "value": v} for k, v in options.items()]
        data: dict[str, Any] = {"id": self._command_id(command), "name": command, "type": 1, "options": [sub_option]}
        if self._guild_of(channel_id):
            data["guild_id"] = str(GUILD_ID)
        return await self._interact(2, user, channel_id, data)

    async def submit_modal(self, user: User, channel_id: int, custom_id: str, values: dict[str, str]) -> int:
        components = [
            {"type": 18, "id": i * 2 + 1, "component": {"type": 4, "id": i * 2 + 2, "custom_id": k, "value": v}}
            for i, (k, v) in enumerate(values.items())
        ]
        return await self._interact(5, user, channel_id, {"custom_id": custom_id, "components": components})

    async def disconnect(self, *, code: int = 4000, replay_from: int | None = None) -> None:
        """Close the session's socket with ``code`` (4000: the client will RESUME).

        On RESUME it gets every dispatch it missed, and with ``replay_from`` every
        dispatch from that sequence number on again (a redelivery).
        """
        (session,) = [s for s in self._sessions.values() if s.ws is not None]
        session.replay_from = replay_from
        assert session.ws is not None
        await session.ws.close(code=code)

    async def reconnect(self, *, replay_from: int | None = None, timeout: float = 5.0) -> None:
        """``disconnect`` and wait until the client has RESUMEd."""
        resumed = len(self.resumes)
        await self.disconnect(replay_from=replay_from)
        await self.wait_for(lambda: len(self.resumes) > resumed, timeout=timeout)

    def seq_of(self, message_id: int) -> int:
        """The sequence number the MESSAGE_CREATE of ``message_id`` was dispatched with."""
        for session in self._sessions.values():
            for seq, event, data in session.events:
                if event == "MESSAGE_CREATE" and int(data["id"]) == message_id:
                    return seq
        raise KeyError(message_id)

    # -- looking at what happened

    async def wait_for(self, check: Callable[[], T], *, timeout: float = 5.0) -> T:
        """Wait until ``check()`` is truthy (re-checked whenever something happens); returns it."""
        assert self._changed is not None, "server not started"
        async with asyncio.timeout(timeout):
            async with self._changed:
                while not (result := check()):
                    await self._changed.wait()
                return result

    async def wait_connected(self, *, identifies: int = 1, timeout: float = 5.0) -> None:
        await self.wait_for(lambda: len(self.identifies) >= identifies, timeout=timeout)

    async def wait_for_callback(self, interaction_id: int, *, timeout: float = 5.0) -> dict[str, Any]:
        return await self.wait_for(lambda: self.callbacks.get(interaction_id), timeout=timeout)

    def calls_to(self, method: str, route: str) -> list[RestCall]:
        return [c for c in self.calls if c.method == method and c.route == route]

    def bot_messages(self, channel_id: int) -> list[dict[str, Any]]:
        """The bot's messages in a channel or thread, oldest first, as they are now."""
        return [m for m in self.messages.values() if int(m["channel_id"]) == channel_id and int(m["author"]["id"]) == BOT]

    @property
    def rate_limited(self) -> list[RestCall]:
        return [c for c in self.calls if c.status == 429]

    # -- REST

    def _routes(self) -> Iterable[tuple[str, str, Callable]]:
        return (
            ("GET", "/users/@me", self._users_me),
            ("GET", "/oauth2/applications/@me", self._application),
            ("GET", "/gateway", self._gateway_info),
            ("GET", "/gateway/bot", self._gateway_info),
            ("GET", "/channels/{channel_id}", self._get_channel),
            ("POST", "/channels/{channel_id}/messages", self._create_message),
            ("PATCH", "/channels/{channel_id}/messages/{message_id}", self._edit_message),
            ("DELETE", "/channels/{channel_id}/messages/{message_id}", self._delete_message),
            ("POST", "/channels/{channel_id}/messages/{message_id}/threads", self._start_thread),
            ("POST", "/channels/{channel_id}/typing", self._typing),
            ("PUT", "/applications/{application_id}/commands", self._sync_commands),
            ("PUT", "/applications/{application_id}/guilds/{guild_id}/commands", self._sync_commands),
            ("POST", "/interactions/{interaction_id}/{token}/callback", self._interaction_callback),
            ("POST", "/webhooks/{application_id}/{token}", self._followup),
            ("GET", "/webhooks/{application_id}/{token}/messages/{message_id}", self._webhook_message),
            ("PATCH", "/webhooks/{application_id}/{token}/messages/{message_id}", self._webhook_message),
        )

    def _rest(self, route: str, handler: Callable) -> Callable:
        bucket = hashlib.sha1(route.encode()).hexdigest()[:12]

        async def serve(request: web.Request) -> web.Response:
            body, files = await _read_body(request)
            params = dict(request.match_info)
            authorization = request.headers.get("Authorization")
            major = params.get("channel_id") or params.get("guild_id") or params.get("token") or ""
            headers, retry_after = self._limits.take(f"{request.method}-{bucket}", major, now=time.monotonic())
            if retry_after is not None:
                status, payload = 429, {"message": "You are being rate limited.", "retry_after": retry_after, "global": False}
                headers["Via"] = "1.1 google"
                headers["Retry-After"] = f"{retry_after:.3f}"
            elif not route.startswith(("/interactions", "/webhooks")) and authorization != f"Bot {self.token}":
                status, payload = 401, {"message": "401: Unauthorized", "code": 0}
            elif self._failures.get((request.method, route)):
                status, payload = self._failures[(request.method, route)].pop(0)
            else:
                status, payload = await handler(request, params, body)
            self.calls.append(RestCall(
                method=request.method, path=request.path.removeprefix(API_PREFIX), route=route, params=params,
                query=dict(request.query), json=body, status=status, at=time.monotonic(), authorization=authorization,
                files=files,
            ))
            await self._notify()
            if payload is None:
                return web.Response(status=status, headers=headers)
            headers["Content-Type"] = "application/json"  # exactly: discord.py compares the whole value
            return web.Response(status=status, body=json.dumps(payload).encode(), headers=headers)

        return serve

    async def _not_found(self, request, params, body):
        return 404, {"message": "404: Not Found", "code": 0}

    async def _users_me(self, request, params, body):
        return 200, BOT_USER.payload()

    async def _application(self, request, params, body):
        return 200, {
            "id": str(BOT), "name": "Parley", "icon": None, "description": "", "rpc_origins": [],
            "bot_public": True, "bot_require_code_grant": False, "owner": OWNER.payload(), "summary": "",
            "verify_key": "0" * 64, "team": None, "flags": 0, "bot": BOT_USER.payload(),
        }

    async def _gateway_info(self, request, params, body):
        limit = {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}
        return 200, {"url": self.gateway_url, "shards": 1, "session_start_limit": limit}

    async def _get_channel(self, request, params, body):
        channel = self._channel(int(params["channel_id"]))
        return (200, channel) if channel else (404, {"message": "Unknown Channel", "code": 10003})

    async def _create_message(self, request, params, body):
        channel_id = int(params["channel_id"])
        if self._channel(channel_id) is None:
            return 404, {"message": "Unknown Channel", "code": 10003}
        if (problem := _content_problem(body)) is not None:
            return 400, problem
        reference = (body or {}).get("message_reference")
        message = self._message(author=BOT_USER, channel_id=channel_id, content=body.get("content") or "", reference=reference)
        self.messages[int(message["id"])] = message
        await self.dispatch("MESSAGE_CREATE", message)
        return 200, message

    async def _edit_message(self, request, params, body):
        message = self.messages.get(int(params["message_id"]))
        if message is None or int(message["channel_id"]) != int(params["channel_id"]):
            return 404, {"message": "Unknown Message", "code": 10008}
        if (problem := _content_problem(body)) is not None:
            return 400, problem
        message.update(content=body.get("content") or "", edited_timestamp=_iso())
        await self.dispatch("MESSAGE_UPDATE", message)
        return 200, message

    async def _delete_message(self, request, params, body):
        message = self.messages.pop(int(params["message_id"]), None)
        if message is None:
            return 404, {"message": "Unknown Message", "code": 10008}
        deleted = {k: message[k] for k in ("id", "channel_id", "guild_id") if k in message}
        await self.dispatch("MESSAGE_DELETE", deleted)
        return 204, None

    async def _start_thread(self, request, params, body):
        channel_id, message_id = int(params["channel_id"]), int(params["message_id"])
        if channel_id in self._forbidden_threads:
            return 403, {"message": "Missing Permissions", "code": 50013}
        if message_id in self.threads:
            return 400, {"message": "A thread has already been created for this message", "code": 160004}
        name = (body or {}).get("name") or ""
        if not 1 <= len(name) <= 100:
            return 400, {"message": "Invalid Form Body", "code": 50035, "errors": {"name": {"_errors": []}}}
        thread = self._thread(thread_id=message_id, parent_id=channel_id, owner=BOT_USER, name=name,
                              archive_minutes=(body or {}).get("auto_archive_duration") or 1440)
        self.threads[message_id] = thread
        await self.dispatch("THREAD_CREATE", {**thread, "newly_created": True})
        return 201, thread

    async def start_user_thread(self, owner: User, parent_id: int, name: str) -> int:
        """A thread someone else started (the bot is not its owner); returns its id."""
        thread_id = self._snowflake()
        self.threads[thread_id] = self._thread(thread_id=thread_id, parent_id=parent_id, owner=owner, name=name)
        await self.dispatch("THREAD_CREATE", {**self.threads[thread_id], "newly_created": True})
        return thread_id

    async def _typing(self, request, params, body):
        return 204, None

    async def _sync_commands(self, request, params, body):
        scope = params.get("guild_id") or "global"
        synced = [
            {**command, "id": self._command_id(command["name"]), "application_id": str(BOT), "version": "1",
             **({"guild_id": scope} if scope != "global" else {})}
            for command in body or []
        ]
        self.commands[scope] = synced
        return 200, synced

    async def _interaction_callback(self, request, params, body):
        interaction_id = int(params["interaction_id"])
        self.callbacks[interaction_id] = body
        kind = body.get("type")
        answer: dict[str, Any] = {"interaction": {"id": str(interaction_id), "type": 2, "response_message_loading": False,
                                                  "response_message_ephemeral": False}}
        if kind == 4:
            data = body.get("data") or {}
            message = self._message(author=BOT_USER, channel_id=0, content=data.get("content") or "", flags=data.get("flags", 0))
            answer["interaction"].update(response_message_id=message["id"],
                                         response_message_ephemeral=bool(message["flags"] & 64))
            answer["resource"] = {"type": 4, "message": message}
        else:
            answer["resource"] = {"type": kind}
        return 200, answer

    async def _followup(self, request, params, body):
        return 200, self._message(author=BOT_USER, channel_id=0, content=(body or {}).get("content") or "",
                                  flags=(body or {}).get("flags", 0))

    async def _webhook_message(self, request, params, body):
        return 200, self._message(author=BOT_USER, channel_id=0, content=(body or {}).get("content") or "")

    # -- gateway

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.add(ws)
        await ws.send_json({"op": 10, "d": {"heartbeat_interval": 41_250}, "s": None, "t": None})
        try:
            async for frame in ws:
                if frame.type is not WSMsgType.TEXT:
                    continue
                payload = json.loads(frame.data)
                if payload["op"] == 1:
                    await ws.send_json({"op": 11, "d": None, "s": None, "t": None})
                elif payload["op"] == 2:
                    await self._identify(ws, payload["d"])
                elif payload["op"] == 6:
                    await self._resume(ws, payload["d"])
        finally:
            self._sockets.discard(ws)
            for session in self._sessions.values():
                if session.ws is ws:
                    session.ws = None
        return ws

    async def _identify(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> None:
        if data.get("token") != self.token:
            await ws.close(code=4004, message=b"Authentication failed.")
            return
        if int(data.get("intents", 0)) & MESSAGE_CONTENT_INTENT and not self.content_intent_enabled:
            await ws.close(code=4014, message=b"Disallowed intent(s).")
            return
        shard = tuple(data["shard"]) if data.get("shard") else None
        session = _Session(id=uuid.uuid4().hex, intents=int(data.get("intents", 0)), shard=shard, ws=ws)  # type: ignore[arg-type]
        self._sessions[session.id] = session
        guilds = [GUILD_ID] if session.covers(GUILD_ID) else []
        ready: dict[str, Any] = {
            "v": 10, "user": BOT_USER.payload(), "guilds": [{"id": str(g), "unavailable": True} for g in guilds],
            "session_id": session.id, "resume_gateway_url": self.gateway_url, "session_type": "normal",
            "application": {"id": str(BOT), "flags": 0}, "private_channels": [], "relationships": [],
            "geo_ordered_rtc_regions": [],
        }
        if shard:
            ready["shard"] = list(shard)
        await self._send_dispatch(session, "READY", ready)
        for _ in guilds:
            await self._send_dispatch(session, "GUILD_CREATE", self._guild())
        self.identifies.append(data)
        await self._notify()

    async def _resume(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> None:
        session = self._sessions.get(data.get("session_id", ""))
        if session is None or data.get("token") != self.token:
            await ws.send_json({"op": 9, "d": False, "s": None, "t": None})
            return
        session.ws = ws
        after = int(data.get("seq") or 0)
        if session.replay_from is not None:
            after = min(after, session.replay_from - 1)
            session.replay_from = None
        for seq, event, payload in list(session.events):
            if seq > after:
                await ws.send_json({"op": 0, "t": event, "s": seq, "d": self._as_seen(session, event, payload)})
        await self._send_dispatch(session, "RESUMED", {})
        self.resumes.append(data)
        await self._notify()

    async def _send_dispatch(self, session: _Session, event: str, data: dict[str, Any]) -> None:
        session.seq += 1
        payload = json.loads(json.dumps(data))  # a snapshot: later edits must not change what was sent
        session.events.append((session.seq, event, payload))
        if session.ws is not None and not session.ws.closed:
            await session.ws.send_json({"op": 0, "t": event, "s": session.seq, "d": self._as_seen(session, event, payload)})

    @staticmethod
    def _as_seen(session: _Session, event: str, data: dict[str, Any]) -> dict[str, Any]:
        """Without the message-content intent Discord blanks content, except in DMs and mentions of the bot."""
        if event not in ("MESSAGE_CREATE", "MESSAGE_UPDATE") or session.intents & MESSAGE_CONTENT_INTENT:
            return data
        mentioned = any(int(u["id"]) == BOT for u in data.get("mentions", []))
        if "guild_id" not in data or mentioned or int(data["author"]["id"]) == BOT:
            return data
        return {**data, "content": "", "embeds": [], "attachments": []}

    # -- the world's payloads

    def _snowflake(self) -> int:
        return ((int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22) | (next(self._counter) & 0x3FFFFF)

    def _command_id(self, name: str) -> str:
        return str(int(hashlib.sha1(name.encode()).hexdigest()[:12], 16))

    def _guild_of(self, channel_id: int) -> int | None:
        return None if channel_id in DM_CHANNELS else GUILD_ID

    def _channel(self, channel_id: int) -> dict[str, Any] | None:
        if channel_id in TEXT_CHANNELS:
            return {
                "id": str(channel_id), "type": 0, "guild_id": str(GUILD_ID), "name": TEXT_CHANNELS[channel_id],
                "position": list(TEXT_CHANNELS).index(channel_id), "permission_overwrites": [], "nsfw": False,
                "parent_id": None, "topic": None, "last_message_id": None, "rate_limit_per_user": 0,
                "default_auto_archive_duration": 1440, "flags": 0,
            }
        if channel_id in self.threads:
            return self.threads[channel_id]
        if channel_id in DM_CHANNELS:
            return {"id": str(channel_id), "type": 1, "recipients": [DM_CHANNELS[channel_id].payload()],
                    "last_message_id": None, "flags": 0}
        return None

    def _thread(self, *, thread_id: int, parent_id: int, owner: User, name: str, archive_minutes: int = 1440):
        now = _iso()
        return {
            "id": str(thread_id), "type": 11, "guild_id": str(GUILD_ID), "parent_id": str(parent_id),
            "owner_id": str(owner.id), "name": name, "last_message_id": None, "message_count": 0,
            "member_count": 1, "rate_limit_per_user": 0, "flags": 0, "total_message_sent": 0,
            "thread_metadata": {"archived": False, "auto_archive_duration": archive_minutes,
                                "archive_timestamp": now, "locked": False, "create_timestamp": now},
        }

    def _member(self, user: User) -> dict[str, Any]:
        return {"roles": [str(r) for r in user.roles], "joined_at": _iso(0.0 + 1_600_000_000), "deaf": False,
                "mute": False, "flags": 0, "nick": None, "avatar": None, "premium_since": None, "pending": False}

    def _permissions(self, user: User) -> int:
        bits = ROLES[GUILD_ID][1]
        for role in user.roles:
            bits |= ROLES[role][1]
        return bits

    def _guild(self) -> dict[str, Any]:
        return {
            "id": str(GUILD_ID), "name": "Parley test guild", "icon": None, "owner_id": str(OWNER.id),
            "afk_timeout": 300, "verification_level": 0, "default_message_notifications": 0,
            "explicit_content_filter": 0, "features": [], "mfa_level": 0, "system_channel_id": None,
            "system_channel_flags": 0, "rules_channel_id": None, "vanity_url_code": None, "description": None,
            "banner": None, "premium_tier": 0, "preferred_locale": "en-US", "nsfw_level": 0,
            "premium_progress_bar_enabled": False, "emojis": [], "stickers": [], "large": False,
            "unavailable": False, "member_count": len(USERS), "joined_at": _iso(),
            "roles": [
                {"id": str(rid), "name": name, "permissions": str(bits), "position": i, "color": 0, "hoist": False,
                 "icon": None, "unicode_emoji": None, "managed": False, "mentionable": True, "flags": 0}
                for i, (rid, (name, bits)) in enumerate(ROLES.items())
            ],
            "channels": [self._channel(cid) for cid in TEXT_CHANNELS],
            "threads": list(self.threads.values()),
            "members": [{**self._member(BOT_USER), "user": BOT_USER.payload()}],
            "voice_states": [], "presences": [], "stage_instances": [], "guild_scheduled_events": [],
        }

    def _message(self, *, author: User, channel_id: int, content: str, reference: dict | None = None, flags: int = 0):
        guild_id = self._guild_of(channel_id) if channel_id else None
        mentioned = [USERS[int(i)] for i in dict.fromkeys(re.findall(r"<@!?(\d+)>", content)) if int(i) in USERS]
        message: dict[str, Any] = {
            "id": str(self._snowflake()), "channel_id": str(channel_id), "author": author.payload(),
            "content": content, "timestamp": _iso(), "edited_timestamp": None, "tts": False,
            "mention_everyone": False, "attachments": [], "embeds": [], "pinned": False, "components": [],
            "mentions": [{**u.payload(), **({"member": self._member(u)} if guild_id else {})} for u in mentioned],
            "mention_roles": [r for r in dict.fromkeys(re.findall(r"<@&(\d+)>", content)) if int(r) in ROLES],
            "type": 19 if reference else 0, "flags": flags,
        }
        if guild_id:
            message["guild_id"] = str(guild_id)
            message["member"] = self._member(author)
        if reference:
            ids = {k: str(reference[k]) for k in ("message_id", "channel_id", "guild_id") if reference.get(k)}
            message["message_reference"] = {"type": 0, **ids}
        return message

    async def _interact(self, kind: int, user: User, channel_id: int, data: dict[str, Any]) -> int:
        interaction_id = self._snowflake()
        guild_id = self._guild_of(channel_id)
        payload: dict[str, Any] = {
            "id": str(interaction_id), "application_id": str(BOT), "type": kind, "data": data,
            "token": f"interaction-token-{interaction_id}", "version": 1, "attachment_size_limit": 10_485_760,
            "locale": "en-US", "entitlements": [], "channel_id": str(channel_id), "channel": self._channel(channel_id),
            "app_permissions": str(EVERYONE_PERMISSIONS), "context": 0 if guild_id else 1,
            "authorizing_integration_owners": {"0": str(GUILD_ID)} if guild_id else {"1": str(user.id)},
        }
        if guild_id:
            payload.update(guild_id=str(guild_id), guild={"id": str(guild_id), "locale": "en-US", "features": []},
                           guild_locale="en-US",
                           member={**self._member(user), "user": user.payload(), "permissions": str(self._permissions(user))})
        else:
            payload["user"] = user.payload()
        await self.dispatch("INTERACTION_CREATE", payload)
        return interaction_id

    async def _notify(self) -> None:
        assert self._changed is not None
        async with self._changed:
            self._changed.notify_all()


def _content_problem(body: Any) -> dict[str, Any] | None:
    content = (body or {}).get("content") or ""
    if len(content) > 2000:
        return {"message": "Invalid Form Body", "code": 50035, "errors": {"content": {"_errors": [
            {"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 2000 or fewer in length."}]}}}
    if not content.strip() and not (body or {}).get("embeds"):
        return {"message": "Cannot send an empty message", "code": 50006}
    return None
