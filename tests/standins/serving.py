"""How every stand-in is served: an aiohttp app on 127.0.0.1, port 0, started and stopped the same way.

A stand-in subclasses ``HttpStandIn`` and gives its routes in ``_build_app``
(called by ``start``, inside the running event loop, so it is also where the
stand-in makes its asyncio conditions and events).  Then

    async with SomeStandIn() as server:      # start(): bind host, port 0
        server.port                          # the port the OS picked
        server.url("/v1")                    # "http://127.0.0.1:<port>/v1"
        server.url("/gateway", scheme="ws")  # "ws://127.0.0.1:<port>/gateway"
                                             # close(): _before_close(), then the runner's cleanup

``_before_close`` is where a stand-in lets go of what would otherwise keep
the cleanup waiting (open websockets, requests it is holding open).
"""

from __future__ import annotations

from typing import Self

from aiohttp import web

__all__ = ["HttpStandIn"]


class HttpStandIn:
    """Start/stop and address discovery shared by the stand-ins."""

    #: seconds aiohttp waits for handlers still running at cleanup (only a safety net)
    shutdown_timeout: float = 1.0

    def __init__(self, *, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port: int | None = None  # set by start()
        self._runner: web.AppRunner | None = None

    def _build_app(self) -> web.Application:
        raise NotImplementedError

    async def _before_close(self) -> None:
        """Release open sockets and held requests before the runner's cleanup (nothing by default)."""

    async def start(self) -> Self:
        self._runner = web.AppRunner(self._build_app(), shutdown_timeout=self.shutdown_timeout, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, 0).start()
        self.port = self._runner.addresses[0][1]
        return self

    async def close(self) -> None:
        await self._before_close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def url(self, path: str = "", *, scheme: str = "http") -> str:
        """``scheme://host:port`` followed by ``path`` (which starts with ``/``)."""
        return f"{scheme}://{self.host}:{self.port}{path}"
