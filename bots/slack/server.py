"""The two ways Slack reaches the app: HTTP (Events API, commands, interactivity) or Socket Mode.

HTTP: bolt's aiohttp server app, ``POST /slack/events`` (bolt verifies the
signature and the timestamp: 401 otherwise), plus ``GET /healthz`` for load
balancers (or, given ``routes``, those: ``/healthz``, ``/readyz``, ``/metrics`` from
``core.observability.http``), run inside the already running event loop.
Socket Mode: bolt's ``AsyncSocketModeHandler``; it asks ``apps.connections.open``
through the app's own client, so SLACK_API_URL applies to it too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"


class HttpServer:
    def __init__(
        self, app: AsyncApp, *, host: str = "0.0.0.0", port: int,
        routes: Callable[[web.Application], None] | None = None,
    ) -> None:
        self._app = app
        self._routes = routes
        self._host = host
        self._port = port
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    async def start(self) -> int:
        """Start serving; returns the bound port (useful with port 0)."""
        web_app = self._app.server(port=self._port, path=EVENTS_PATH, host=self._host).web_app
        if self._routes is not None:
            self._routes(web_app)
        else:
            web_app.router.add_get(HEALTH_PATH, _healthy)
        self._runner = web.AppRunner(web_app, access_log=None, shutdown_timeout=5.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self.port

    async def aclose(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


async def _healthy(_request: web.Request) -> web.Response:
    return web.Response(text="ok")


async def connect_socket_mode(app: AsyncApp, *, app_token: str) -> AsyncSocketModeHandler:
    """Open the Socket Mode connection; close it with ``await handler.close_async()``."""
    handler = AsyncSocketModeHandler(app, app_token=app_token)
    await handler.connect_async()
    return handler


def socket_check(handler: AsyncSocketModeHandler) -> Callable[[], Awaitable[str | None]]:
    """Readiness: the Socket Mode websocket is open and answers its pings."""

    async def check() -> str | None:
        return None if await handler.client.is_connected() else "the Slack Socket Mode connection is not open"

    return check
