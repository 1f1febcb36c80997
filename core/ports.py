"""The core's ports: everything it needs from the outside, as Protocols.

Production implementations live in ``core/storage`` (SQLAlchemy), ``core/llm``
(openai) and the limits/filter modules; tests swap in fakes at exactly these
seams and nowhere else.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from core.llm.types import CompletionRequest
from core.messages import ChannelScope, ConversationKey, IncomingMessage, Usage
from core.personas import Persona


@dataclass(frozen=True, slots=True)
class WorkspaceScope:
    platform: str
    workspace: str


# --- values the stores speak -------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewTurn:
    key: ConversationKey
    role: str  # "user" | "assistant"
    author: str
    content: str
    token_count: int
    status: str = "ok"  # "ok" | "failed" (a user turn whose answer failed)
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Turn:
    id: int
    key: ConversationKey
    role: str
    author: str
    content: str
    token_count: int
    status: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Summary:
    """A running summary of a conversation's turns up to ``through_turn_id``."""

    text: str
    through_turn_id: int
    token_count: int


@dataclass(frozen=True, slots=True)
class ChannelSettings:
    persona: str | None = None
    retention_days: int | None = None  # None: keep forever
    memory_enabled: bool = True


@dataclass(frozen=True, slots=True)
class UsageRecord:
    platform: str
    workspace: str
    channel: str
    user: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class UsageRow:
    """One line of a usage report: ``group`` is the user, channel or model ("" when ungrouped)."""

    group: str
    requests: int
    prompt_tokens: int
    completion_tokens: int


@dataclass(frozen=True, slots=True)
class AuditEntry:
    platform: str
    workspace: str
    actor: str
    action: str  # e.g. "persona.create", "channel.reset"
    target: str
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    created_at: datetime | None = None


# --- the ports ---------------------------------------------------------------


class Clock(Protocol):
    def now(self) -> datetime:
        """Timezone-aware UTC now."""
        ...


class TokenCounter(Protocol):
    def count(self, text: str, *, model: str) -> int: ...


class LLMProvider(Protocol):
    def stream(self, request: CompletionRequest) -> AsyncIterator[str | Usage]:
        """Yield text deltas, then exactly one Usage. Raises core.llm.types.LLMError."""
        ...


class ConversationStore(Protocol):
    async def add_turns(self, turns: Sequence[NewTurn]) -> list[int]: ...

    async def recent_turns(self, key: ConversationKey, *, limit: int, after_id: int = 0) -> list[Turn]:
        """The newest ``limit`` turns with status "ok" and id > after_id, oldest first."""
        ...

    async def has_assistant_turns(self, key: ConversationKey) -> bool: ...

    async def get_summary(self, key: ConversationKey) -> Summary | None: ...

    async def save_summary(self, key: ConversationKey, summary: Summary) -> None: ...

    async def delete_channel(self, scope: ChannelScope) -> int:
        """Delete every turn and summary of the channel; returns turns deleted."""
        ...

    async def delete_user(self, scope: WorkspaceScope, *, user: str) -> int:
        """Delete the user's turns in the workspace, and the summaries of their conversations."""
        ...

    async def delete_before(self, scope: ChannelScope, *, before: datetime) -> int:
        """Delete the channel's turns older than ``before``, and summaries that folded them."""
        ...


class PersonaStore(Protocol):
    async def list(self, scope: WorkspaceScope) -> list[Persona]: ...

    async def get(self, scope: WorkspaceScope, name: str) -> Persona | None: ...

    async def save(self, scope: WorkspaceScope, persona: Persona) -> None:
        """Insert or replace by name."""
        ...

    async def delete(self, scope: WorkspaceScope, name: str) -> bool: ...


class ChannelSettingsStore(Protocol):
    async def get(self, scope: ChannelScope) -> ChannelSettings: ...

    async def put(self, scope: ChannelScope, settings: ChannelSettings) -> None: ...

    async def get_workspace_default(self, scope: WorkspaceScope) -> str | None: ...

    async def set_workspace_default(self, scope: WorkspaceScope, persona: str | None) -> None: ...

    async def with_retention(self) -> list[tuple[ChannelScope, int]]: ...


class Inbox(Protocol):
    async def claim(self, *, platform: str, event_id: str) -> bool:
        """True the first time this event is seen (in any process), False after."""
        ...

    async def forget_before(self, before: datetime) -> int: ...


class UsageStore(Protocol):
    async def record(self, record: UsageRecord) -> None: ...

    async def report(
        self,
        scope: WorkspaceScope,
        *,
        since: datetime,
        user: str | None = None,
        group_by: str | None = None,  # None | "user" | "channel" | "model"
        limit: int = 10,
    ) -> list[UsageRow]: ...


class AuditLog(Protocol):
    async def record(self, entry: AuditEntry) -> None: ...

    async def recent(self, scope: WorkspaceScope, *, limit: int = 20) -> list[AuditEntry]: ...


# --- hooks filled in by the limits and filtering issues ------------------------


@dataclass(frozen=True, slots=True)
class LimitDecision:
    """A refusal from the rate limiter; ``None`` from ``check`` means go ahead."""

    reason: str
    retry_after: float
    text: str


class RateLimiter(Protocol):
    async def check(self, message: IncomingMessage, *, persona: Persona) -> LimitDecision | None: ...


@dataclass(frozen=True, slots=True)
class FilterVerdict:
    allowed: bool
    text: str  # the text to go on with (possibly redacted)
    reason: str = ""
    user_text: str = ""
    notices: tuple[str, ...] = field(default_factory=tuple)


class ContentFilter(Protocol):
    async def check_input(self, message: IncomingMessage, text: str) -> FilterVerdict: ...

    async def check_output(self, message: IncomingMessage, text: str, *, final: bool) -> FilterVerdict: ...
