"""A real MCP server for the tests, built with the SDK's own server (``MCPServer``, FastMCP in mcp 1.x).

Run as a program it serves stdio (``python -m tests.core.tools.mcp_server``); ``serve_http`` serves the same
tools over streamable HTTP on 127.0.0.1, port 0, in the test's own event loop.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from contextlib import asynccontextmanager

from mcp.server.mcpserver import MCPServer


def build() -> MCPServer:
    server = MCPServer("parley-test-tools")

    @server.tool()
    def add(a: int, b: int) -> str:
        """Add two numbers."""
        return str(a + b)

    @server.tool()
    def lookup_contact(name: str) -> str:
        """Find a person's contact details."""
        return f"{name} can be reached at {name.lower()}@example.com"

    @server.tool()
    def crash() -> str:
        """Kill the server process in the middle of the call."""
        os._exit(3)

    return server


@asynccontextmanager
async def serve_http():
    """The server over streamable HTTP on 127.0.0.1:<free port>; yields its URL."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = build().streamable_http_app()
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with asyncio.timeout(10):
            while not server.started:
                await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)
        sock.close()


if __name__ == "__main__":
    build().run("stdio")
    sys.exit(0)
