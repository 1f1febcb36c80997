"""A core with tools: the real ``openai`` client against the stand-in, real MCP servers (stdio and HTTP)."""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass, field

import pytest

from core.admin import Actor
from core.assembly import CoreOptions, LimitOptions, ToolOptions, assemble_core
from core.llm.openai_provider import OpenAIProvider
from core.tokens import EstimatingTokenCounter
from core.tools.values import ApprovalPrompt, ApprovalVerdict, ServerConfig, ToolLimits
from tests.core.conftest import World
from tests.core.fakes import FakeClock, memory_stores
from tests.core.tools.mcp_server import serve_http
from tests.standins.openai_server import OpenAIStandIn

STDIO = ServerConfig(name="local", command=(sys.executable, "-m", "tests.core.tools.mcp_server"))
ADMIN = Actor(platform="slack", workspace="T1", channel="C1", user="U_OWNER", is_admin=True)


@dataclass
class ButtonsInTheThread:
    """The ApprovalPrompter port as a test sees it: the questions shown, and how each was closed."""

    shown: asyncio.Queue = field(default_factory=asyncio.Queue)
    closed: list[tuple[ApprovalPrompt, ApprovalVerdict]] = field(default_factory=list)

    async def show(self, prompt: ApprovalPrompt) -> None:
        await self.shown.put(prompt)

    async def close(self, prompt: ApprovalPrompt, verdict: ApprovalVerdict) -> None:
        self.closed.append((prompt, verdict))


@pytest.fixture
async def openai_server():
    async with OpenAIStandIn() as server:
        yield server


@pytest.fixture
async def http_url():
    async with serve_http() as url:
        yield url


@pytest.fixture
async def make_world(openai_server):
    made = []

    def build(*servers: ServerConfig, tool_limits: ToolLimits = ToolLimits(call_seconds=10), **options) -> World:
        clock = FakeClock()
        stores = memory_stores(clock)
        llm = OpenAIProvider(api_key="sk-test", base_url=openai_server.base_url, timeout=10, max_retries=0)
        core = assemble_core(
            stores=stores, llm=llm, tokens=EstimatingTokenCounter(), clock=clock,
            options=CoreOptions(
                default_model="gpt-4o-mini", admins=frozenset({"U_OWNER"}),
                tools=ToolOptions(servers=servers, limits=tool_limits), **options,
            ),
        )
        made.append((core, llm))
        return World(core=core, llm=llm, stores=stores, clock=clock)  # type: ignore[arg-type]

    yield build
    for core, llm in made:
        if core.tool_servers is not None:
            await core.tool_servers.close()
        await llm.close()


def budget_options(tokens: int) -> LimitOptions:
    from core.limits.budgets import BudgetCaps

    return LimitOptions(caps=BudgetCaps({("user", "daily", "tokens"): tokens}))


async def send(world: World, message) -> tuple[list, object]:
    """The reply stream: (the tool progress shown, the Outcome)."""
    from core.messages import Outcome
    from core.tools.values import ToolProgress

    progress, outcome = [], None
    async for event in world.core.chat.handle(message):
        if isinstance(event, ToolProgress):
            progress.append((event.tool, event.state))
        elif isinstance(event, Outcome):
            outcome = event
    return progress, outcome
