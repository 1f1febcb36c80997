"""The core's ports: everything it needs from the outside, as Protocols.

Production implementations live in ``core/storage`` (SQLAlchemy), ``core/llm``
(openai) and the limits/filter modules; tests swap in fakes at exactly these
seams and nowhere else.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager
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
    cost_micro_usd: int | None = None  # None: the model has no price in MODEL_PRICES


@dataclass(frozen=True, slots=True)
class UsageRow:
    """One line of a usage report: ``group`` is the user, channel or model ("" when ungrouped)."""

    group: str
    requests: int
    prompt_tokens: int
    completion_tokens: int
    cost_micro_usd: int = 0


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

    async def add_exchange(self, turns: Sequence[NewTurn], *, usage: "UsageRecord") -> list[int]:
        """An answered exchange: its turns (may be none) and its usage record, atomically."""
        ...

    async def recent_turns(self, key: ConversationKey, *, limit: int, after_id: int = 0) -> list[Turn]:
        """The newest ``limit`` turns with status "ok" and id > after_id, oldest first."""
        ...

    async def load_window(self, key: ConversationKey, *, limit: int) -> tuple[Summary | None, list[Turn]]:
        """The running summary and the newest ``limit`` ok turns after it (one round trip)."""
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

    async def channel_turns(self, scope: ChannelScope, *, limit: int) -> list[Turn]:
        """The channel's stored turns (every thread, every status), oldest first, at most ``limit``."""
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


@dataclass(frozen=True, slots=True)
class BudgetKey:
    """One budget counter: a workspace's (user "") or a user's, for one period, in one unit."""

    platform: str
    workspace: str
    user: str  # "" for the workspace's own budget
    period: str  # "day:2026-11-23" | "month:2026-11"
    unit: str  # "tokens" | "micro_usd"


@dataclass(frozen=True, slots=True)
class BudgetLine:
    key: BudgetKey
    cap: int
    amount: int


class BudgetCounterStore(Protocol):
    async def reserve(self, lines: Sequence[BudgetLine], *, hold: str) -> BudgetKey | None:
        """Add each line's amount to its counter's reservations, all or nothing, as the hold ``hold``.

        Returns None when every counter stays within its cap (used + reserved),
        else the first key that would not (and nothing is reserved).  Must hold
        under concurrency, across processes.
        """
        ...

    async def settle(self, lines: Sequence[tuple[BudgetKey, int, int]], *, hold: str | None = None) -> None:
        """For each (key, reserved, actual): count the actual use and take back the hold's reservation.

        A hold already released as stale (``release_stale``) is not taken back
        twice; ``hold`` None (usage that had no reservation) only counts.
        """
        ...

    async def release_stale(self, before: datetime) -> int:
        """Take back the reservations of holds made before ``before`` and never settled
        (their process died while the model answered); returns how many counters' holds."""
        ...

    async def used(self, keys: Sequence[BudgetKey]) -> dict[BudgetKey, int]: ...


class LimitOverrideStore(Protocol):
    """Rate limits an admin set from chat: (channel, scope) → limit string.

    ``channel`` is "*" for workspace-wide overrides.
    """

    async def get(
        self, workspace: WorkspaceScope, *, channels: Sequence[str] | None = None
    ) -> dict[tuple[str, str], str]:
        """The overrides of those channels ("*" for workspace-wide ones); ``None``: all of the workspace's."""
        ...

    async def set(self, workspace: WorkspaceScope, *, channel: str, scope: str, value: str | None) -> None:
        """Store an override; ``None`` clears it."""
        ...


# --- hooks filled in by the limits and filtering issues ------------------------


@dataclass(frozen=True, slots=True)
class LimitDecision:
    """A refusal from the rate limiter; ``None`` from ``check`` means go ahead."""

    reason: str
    retry_after: float
    text: str


class Budget(Protocol):
    """Token/money budgets: reserve the worst case before the call, settle after."""

    async def reserve(
        self, message: IncomingMessage, *, model: str, prompt_tokens: int, max_tokens: int
    ) -> Any: ...  # a hold to settle later, or a LimitDecision

    async def settle(self, hold: Any, usage: Usage) -> None: ...

    async def charge(self, message: IncomingMessage, *, model: str, usage: Usage) -> None:
        """Count usage that had no reservation (a memory summary)."""
        ...


class RateLimiter(Protocol):
    async def check(self, message: IncomingMessage, *, persona: Persona) -> LimitDecision | None: ...


class ConversationLocking(Protocol):
    """One message at a time per conversation: in this process, or across every process sharing it."""

    def hold(self, key: ConversationKey) -> AbstractAsyncContextManager[None]: ...


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
