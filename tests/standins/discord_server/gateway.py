"""The gateway websocket at ``/gateway`` (plain-text JSON frames) and dispatching events to its sessions.

HELLO; heartbeat → ACK; IDENTIFY → READY then GUILD_CREATE (only the guilds of
the identified shard); RESUME → the missed dispatches, then RESUMED.  A session
gets only the events its intents ask for: guilds, channels and threads with
GUILDS, guild messages with GUILD_MESSAGES, DM messages with DIRECT_MESSAGES
(READY, RESUMED and interactions always).  Without
the message-content intent, content is blanked except in DMs and mentions of
the bot; asking for that intent with ``content_intent_enabled=False`` is
closed with 4014, as Discord does.  ``disconnect()`` closes the socket with
4000 (the client RESUMEs and gets what it missed); ``reconnect(replay_from=seq)``
does that, also redelivers every dispatch from ``seq`` on, and waits for the
RESUME.  ``disconnect(resumable=False)`` forgets the session first: its RESUME
gets INVALID_SESSION (op 9), and the client IDENTIFYs anew (a second READY).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.standins.discord_server import payloads
from tests.standins.discord_server.state import DiscordState
from tests.standins.discord_server.world import BOT, BOT_USER, GUILD_ID, MESSAGE_CONTENT_INTENT

GUILDS, GUILD_MESSAGES, DIRECT_MESSAGES = 1 << 0, 1 << 9, 1 << 12


@dataclass
class Session:
    id: str
    intents: int
    shard: tuple[int, int] | None
    ws: web.WebSocketResponse | None
    seq: int = 0
    events: list[tuple[int, str, dict[str, Any]]] = field(default_factory=list)
    replay_from: int | None = None

    def receives(self, event: str, data: dict[str, Any]) -> bool:
        """Whether its intents ask for ``event`` (READY, RESUMED and INTERACTION_CREATE need none)."""
        needed = intent_of(event, data)
        return needed is None or bool(self.intents & needed)

    def covers(self, guild_id: int | None) -> bool:
        if self.shard is None:
            return True
        shard_id, count = self.shard
        return (0 if guild_id is None else (guild_id >> 22) % count) == shard_id


def intent_of(event: str, data: dict[str, Any]) -> int | None:
    """The intent a session needs to receive ``event`` (Discord's list of gateway intents)."""
    if event in ("MESSAGE_CREATE", "MESSAGE_UPDATE", "MESSAGE_DELETE"):
        return GUILD_MESSAGES if data.get("guild_id") else DIRECT_MESSAGES
    if event in ("GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE") or event.startswith(("CHANNEL_", "THREAD_")):
        return GUILDS
    return None


class Gateway(DiscordState):
    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        guild_id = int(data["guild_id"]) if data.get("guild_id") else None
        for session in list(self._sessions.values()):
            if session.covers(guild_id):
                await self._send_dispatch(session, event, data)

    async def disconnect(self, *, code: int = 4000, replay_from: int | None = None, resumable: bool = True) -> None:
        """Close the session's socket with ``code`` (4000: the client will RESUME).

        On RESUME it gets every dispatch it missed, and with ``replay_from`` every
        dispatch from that sequence number on again (a redelivery).  Not
        ``resumable``: the session is gone (expired), so the RESUME is refused
        with INVALID_SESSION and the client starts a new session.
        """
        (session,) = [s for s in self._sessions.values() if s.ws is not None]
        session.replay_from = replay_from
        if not resumable:
            del self._sessions[session.id]
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

    async def _before_close(self) -> None:
        for ws in list(self._sockets):
            await ws.close(code=1001)

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
        session = Session(id=uuid.uuid4().hex, intents=int(data.get("intents", 0)), shard=shard, ws=ws)  # type: ignore[arg-type]
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
            await self._send_dispatch(session, "GUILD_CREATE", payloads.guild(self.threads.values()))
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

    async def _send_dispatch(self, session: Session, event: str, data: dict[str, Any]) -> None:
        if not session.receives(event, data):
            return
        session.seq += 1
        payload = json.loads(json.dumps(data))  # a snapshot: later edits must not change what was sent
        session.events.append((session.seq, event, payload))
        if session.ws is not None and not session.ws.closed:
            await session.ws.send_json({"op": 0, "t": event, "s": session.seq, "d": self._as_seen(session, event, payload)})

    @staticmethod
    def _as_seen(session: Session, event: str, data: dict[str, Any]) -> dict[str, Any]:
        """Without the message-content intent Discord blanks content, except in DMs and mentions of the bot."""
        if event not in ("MESSAGE_CREATE", "MESSAGE_UPDATE") or session.intents & MESSAGE_CONTENT_INTENT:
            return data
        mentioned = any(int(u["id"]) == BOT for u in data.get("mentions", []))
        if "guild_id" not in data or mentioned or int(data["author"]["id"]) == BOT:
            return data
        return {**data, "content": "", "embeds": [], "attachments": []}
