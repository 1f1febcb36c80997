"""The values the core's stores and collaborators speak: turns, summaries, settings, usage, audit,
budget counters, limit and filter decisions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import enum

from core.messages import ConversationKey, IncomingMessage


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
class DailyUsage:
    """Tokens and estimated cost of one model on one day (UTC), for the usage chart."""

    day: date
    model: str
    prompt_tokens: int
    completion_tokens: int
    cost_micro_usd: int = 0

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


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


@dataclass(frozen=True, slots=True)
class BudgetHold:
    """What was reserved for one request (no lines: nothing to settle)."""

    lines: tuple[BudgetLine, ...]
    model: str
    id: str = ""  # the counters' hold (one per request that reserved anything)


@dataclass(frozen=True, slots=True)
class LimitDecision:
    """A refusal from the rate limiter; ``None`` from ``check`` means go ahead."""

    reason: str
    retry_after: float
    text: str


@dataclass(frozen=True, slots=True)
class FilterVerdict:
    allowed: bool
    text: str  # the text to go on with (possibly redacted)
    reason: str = ""
    user_text: str = ""
    notices: tuple[str, ...] = field(default_factory=tuple)


# --- the inbox: each message kept until its answer is delivered ------------------

PENDING, STORED = "pending", "stored"  # not finished: a process answers it, or it is answered and being shown
ANSWERED, REFUSED, FAILED, IGNORED = "answered", "refused", "failed", "ignored"
UNFINISHED = (PENDING, STORED)
FINISHED_STATES = (ANSWERED, REFUSED, FAILED, IGNORED)


class Acceptance(enum.StrEnum):
    NEW = "new"  # written durably, pending, owned by this process: answer it
    DUPLICATE = "duplicate"  # seen before (a platform's retry): answered, or being answered, or being recovered


@dataclass(frozen=True, slots=True)
class PendingMessage:
    """A message whose owner went away before it was finished (taken over by this process).

    ``state`` PENDING: answer it (late); STORED: the answer was stored with its exchange, show ``answer``.
    ``reply_ref`` is the platform's id of the reply that was being shown ("" when none was posted).
    """

    message: IncomingMessage
    state: str
    received_at: datetime
    reply_ref: str = ""
    answer: str = ""
    notices: tuple[str, ...] = ()
    attempts: int = 0


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    """Marks the inbox row STORED, in the same transaction as the exchange: memory holds it once."""

    platform: str
    event_id: str
    answer: str
    notices: tuple[str, ...] = ()
