"""The values of the tools feature: servers, per-persona rules, limits, approvals and audited calls."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from core.messages import ConversationKey

Policy = Literal["auto", "ask", "off"]
POLICIES: tuple[Policy, ...] = ("auto", "ask", "off")


@dataclass(frozen=True, slots=True)
class ServerConfig:
    """One MCP server the operator declared: a stdio ``command`` to start, or a streamable HTTP ``url``."""

    name: str
    command: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict, repr=False)  # may hold secrets: never in a repr or a log
    url: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)  # values resolved from the environment

    @property
    def kind(self) -> str:
        return "http" if self.url else "stdio"


@dataclass(frozen=True, slots=True)
class ToolRule:
    """An admin's choice for a persona: ``target`` is a server (``files``) or one tool (``files.read``)."""

    persona: str
    target: str
    policy: Policy

    @property
    def server(self) -> str:
        return self.target.partition(".")[0]

    @property
    def tool(self) -> str | None:
        return self.target.partition(".")[2] or None


@dataclass(frozen=True, slots=True)
class ToolLimits:
    max_rounds: int = 3  # tool rounds per answer (the model's last call then gets no tools)
    call_seconds: float = 30.0  # one tool call
    result_chars: int = 8_000  # a result longer than this is cut, with a note
    approval_seconds: float = 120.0  # no answer from the asker within this = declined


@dataclass(frozen=True, slots=True)
class ServerTool:
    """A tool a server offers, and the name the model sees it by (``server__tool``, OpenAI's alphabet)."""

    server: str
    name: str
    description: str
    parameters: Mapping[str, object]
    model_name: str

    @property
    def target(self) -> str:
        return f"{self.server}.{self.name}"


@dataclass(frozen=True, slots=True)
class ApprovalPrompt:
    """What the asker is asked before an ``ask`` tool runs, in the conversation they asked in."""

    id: str
    key: ConversationKey
    asker: str
    tool: str  # server.tool
    arguments: str  # a short, filtered preview of the arguments
    timeout: float


ApprovalOutcome = Literal["approved", "declined", "timeout"]


@dataclass(frozen=True, slots=True)
class ApprovalVerdict:
    outcome: ApprovalOutcome
    by: str | None = None  # the user who clicked


ClickResult = Literal["done", "not_yours", "unknown"]


@dataclass(frozen=True, slots=True)
class ToolCallEntry:
    """One tool call in the audit (no arguments, no result: their digest and size)."""

    platform: str
    workspace: str
    channel: str
    user: str  # who asked
    persona: str
    tool: str  # server.tool
    outcome: str  # ok | error | declined | timeout | off | unavailable
    arguments_digest: str
    result_chars: int
    approved_by: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ToolProgress:
    """A reply event while a tool runs (between the answer's text deltas): adapters show it as a status."""

    tool: str  # server.tool
    state: Literal["asking", "running", "done", "failed", "declined"]
