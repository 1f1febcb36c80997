"""The operator's MCP servers, through the official ``mcp`` SDK as the client.

Each server gets one connection, opened at its first use and held by a task of its own (the SDK's
transports are anyio context managers: they must be entered and left in one task). A server that fails
to start, or whose connection drops, is reported once in the log and in ``status()`` and left out of the
answer; the next use tries again (a reconnect). A call has a time limit; a server that dies during a call
makes that call fail (``ToolFailed``), never the answer.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import structlog

from core.tools.values import ServerConfig, ServerTool

log = structlog.get_logger(__name__)

CONNECT_SECONDS = 20.0
RETRY_SECONDS = 30.0  # a server that failed is tried again at its first use after this long


class ToolFailed(Exception):
    """A call that produced no result (server down, dead, too slow, protocol error); ``str`` is for the model."""


@dataclass(frozen=True, slots=True)
class ToolResult:
    text: str
    is_error: bool = False


def model_name(server: str, tool: str) -> str:
    """``server__tool`` in OpenAI's function-name alphabet, at most 64 characters."""
    return re.sub(r"[^a-zA-Z0-9_-]", "_", f"{server}__{tool}")[:64]


class _Connection:
    """One server's session, held open by its own task until ``close`` or until the connection fails."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.client: Any = None
        self.tools: list[ServerTool] = []
        self._ready = asyncio.Event()
        self._closing = asyncio.Event()
        self.error: str | None = None
        self._task = asyncio.create_task(self._hold(), name=f"mcp:{config.name}")

    @property
    def alive(self) -> bool:
        return not self._task.done() and self.error is None

    async def ready(self, timeout: float) -> None:
        try:
            await asyncio.wait_for(asyncio.shield(self._ready.wait()), timeout)
        except TimeoutError:
            self.error = self.error or "did not answer in time"
        if self.error is not None:
            raise ToolFailed(self.error)

    async def _hold(self) -> None:
        from mcp import Client

        try:
            async with self._transport() as transport_target, Client(transport_target) as client:
                listed = await client.list_tools()
                self.tools = [
                    ServerTool(
                        server=self.config.name, name=t.name, description=t.description or "",
                        parameters=t.input_schema or {"type": "object"}, model_name=model_name(self.config.name, t.name),
                    )
                    for t in listed.tools
                ]
                self.client = client
                self._ready.set()
                await self._closing.wait()
        except BaseException as exc:  # noqa: BLE001 - anyio wraps failures in exception groups
            if isinstance(exc, asyncio.CancelledError) and self._closing.is_set():
                return
            self.error = _cause(exc)
        finally:
            self.client = None
            if self.error is None and not self._closing.is_set():
                self.error = "the connection ended"
            self._ready.set()

    def _transport(self):
        from contextlib import asynccontextmanager

        config = self.config

        @asynccontextmanager
        async def target():
            if config.url is None:
                from mcp import StdioServerParameters

                yield StdioServerParameters(command=config.command[0], args=list(config.command[1:]), env=dict(config.env) or None)
                return
            from mcp.client.streamable_http import streamable_http_client
            from mcp.shared._httpx_utils import create_mcp_http_client

            async with create_mcp_http_client(headers=dict(config.headers)) as http:
                yield streamable_http_client(config.url, http_client=http)

        return target()

    async def close(self) -> None:
        self._closing.set()
        if not self._task.done():
            try:
                await asyncio.wait_for(asyncio.shield(self._task), 5)
            except (TimeoutError, Exception):
                self._task.cancel()


class McpServers:
    """Every declared server: their tools, calls with a time limit, and what is wrong with which."""

    def __init__(
        self, configs: Sequence[ServerConfig], *, call_seconds: float, connect_seconds: float = CONNECT_SECONDS,
        retry_seconds: float = RETRY_SECONDS,
    ) -> None:
        self._retry_seconds = retry_seconds
        self._failed_at: dict[str, float] = {}
        self._configs = {c.name: c for c in configs}
        self._call_seconds = call_seconds
        self._connect_seconds = connect_seconds
        self._connections: dict[str, _Connection] = {}
        self._problems: dict[str, str] = {}  # reported once each, until the server works again
        self._lock = asyncio.Lock()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._configs)

    def status(self) -> Mapping[str, str]:
        """Each server's state for ``/persona show``: ``ready``, ``not started`` or what failed."""
        out = {}
        for name in self._configs:
            connection = self._connections.get(name)
            if name in self._problems:
                out[name] = f"failing: {self._problems[name]}"
            elif connection is not None and connection.alive:
                out[name] = "ready"
            else:
                out[name] = "not started"
        return out

    async def tools(self, servers: Sequence[str]) -> list[ServerTool]:
        """The tools of ``servers`` that answer now (the others are reported and left out)."""
        found: list[ServerTool] = []
        for name in servers:
            connection = await self._connected(name)
            if connection is not None:
                found.extend(connection.tools)
        return found

    async def call(self, server: str, tool: str, arguments: Mapping[str, Any]) -> ToolResult:
        connection = await self._connected(server)
        if connection is None or connection.client is None:
            raise ToolFailed(f"the tool server {server!r} is not available ({self._problems.get(server, 'unknown')})")
        try:
            result = await asyncio.wait_for(connection.client.call_tool(tool, dict(arguments)), self._call_seconds)
        except TimeoutError:
            raise ToolFailed(f"the tool did not answer within {self._call_seconds:g} s") from None
        except Exception as exc:  # the SDK's MCPError, a closed stream, a dead process
            reason = _cause(exc)
            connection.error = connection.error or reason  # the next use starts a new connection
            self._report(server, reason)
            raise ToolFailed(f"the tool failed ({reason})") from None
        return ToolResult(text=_text_of(result), is_error=bool(getattr(result, "is_error", False)))

    async def _connected(self, name: str) -> _Connection | None:
        if name not in self._configs:
            return None
        if name in self._problems and time.monotonic() - self._failed_at.get(name, 0.0) < self._retry_seconds:
            return None  # failed a moment ago: the answer goes on without it, no wait for another failure
        async with self._lock:
            connection = self._connections.get(name)
            if connection is None or not connection.alive:
                if connection is not None:
                    await connection.close()
                connection = self._connections[name] = _Connection(self._configs[name])
        try:
            await connection.ready(self._connect_seconds)
        except ToolFailed as failed:
            self._report(name, str(failed))
            return None
        if name in self._problems:
            log.info("tools.server_recovered", server=name)
            del self._problems[name]
        return connection

    def _report(self, name: str, problem: str) -> None:
        self._failed_at[name] = time.monotonic()
        if name not in self._problems:
            log.warning("tools.server_failed", server=name, kind=self._configs[name].kind, problem=problem)
        self._problems[name] = problem

    async def close(self) -> None:
        for connection in list(self._connections.values()):
            await connection.close()
        self._connections.clear()


def _cause(exc: BaseException) -> str:
    """A short, loggable reason: the innermost exception's class and first line (no arguments, no secrets)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    text = str(exc).splitlines()[0][:120] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _text_of(result: Any) -> str:
    parts = []
    for block in getattr(result, "content", None) or []:
        kind = getattr(block, "type", "")
        if kind == "text":
            parts.append(block.text)
        else:
            parts.append(f"[{kind or 'content'} not shown]")
    if not parts and getattr(result, "structured_content", None) is not None:
        import json

        parts.append(json.dumps(result.structured_content, default=str))
    return "\n".join(parts)
