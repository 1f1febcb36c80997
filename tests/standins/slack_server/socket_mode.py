"""Socket Mode: the websocket at ``/socket`` (apps.connections.open hands out its URL), envelopes and acks.

On connect the server sends ``{"type": "hello"}``.  ``send_envelope(type,
payload)`` pushes an envelope to the newest connection and returns its id;
``wait_for_ack(envelope_id)`` returns the client's ack; ``sockets_opened`` counts
the connections ever opened (``wait_for_socket(opened=n)``);
``wait_for_no_socket()`` waits until none is open.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import WSMsgType, web

from tests.standins.slack_server.state import SlackState


class SocketMode(SlackState):
    async def wait_for_ack(self, envelope_id: str, *, timeout: float = 5.0) -> dict[str, Any]:
        await self._wait(lambda: envelope_id in self.acks, timeout)
        return self.acks[envelope_id]

    async def wait_for_socket(self, *, opened: int = 1, timeout: float = 5.0) -> None:
        """Until a connection is open and at least ``opened`` were opened in all (a restarted app's is the next)."""
        await self._wait(lambda: bool(self._sockets) and self.sockets_opened >= opened, timeout)

    async def wait_for_no_socket(self, *, timeout: float = 5.0) -> None:
        """Until no connection is open (the app closed its own, or went away)."""
        await self._wait(lambda: not self._sockets, timeout)

    async def send_envelope(self, type: str, payload: dict[str, Any], *, retry_attempt: int = 0) -> str:
        envelope_id = f"env-{next(self._ids)}"
        await self._sockets[-1].send_str(json.dumps({
            "envelope_id": envelope_id, "type": type, "payload": payload,
            "accepts_response_payload": type != "events_api",
            "retry_attempt": retry_attempt, "retry_reason": "timeout" if retry_attempt else "",
        }))
        return envelope_id

    async def _before_close(self) -> None:
        for ws in list(self._sockets):
            await ws.close()

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        self.sockets_opened += 1
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
            self._notify()
        return ws
