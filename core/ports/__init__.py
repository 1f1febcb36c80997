"""The core's ports: everything it needs from the outside, as Protocols, in one place.

Production implementations live in ``core/storage`` (SQLAlchemy), ``core/llm``
(openai, llama.cpp), ``core/limits``, ``core/filters`` and ``core/chat``; tests
swap in fakes at exactly these seams and nowhere else (``tests/core/fakes/``),
and ``tests/contracts`` runs the same behaviour against the fakes and the SQL
stores.  The values they speak are in ``core/messages.py``, ``core/records.py``,
``core/llm_types.py`` and each feature's ``values.py``.  The foundation's ports
are here; each later feature's are in a module of its own in this package
(``access``, ``departures``, ``feedback``, ``files``, ``history``,
``observability``, ``tools``), re-exported below: import them from ``core.ports``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Protocol

from core.feedback.values import RatedAnswer
from core.filters.values import Availability, BlockRule, FilterDecision, FilterPolicy, ModerationResult
from core.llm_types import CompletionRequest
from core.messages import ChannelScope, ConversationKey, IncomingMessage, ReplyEvent, Usage, WorkspaceScope
from core.personas.values import Persona
from core.records import (
    Acceptance, AuditEntry, BudgetHold, BudgetKey, BudgetLine, ChannelSettings, FilterVerdict, LimitDecision, NewTurn, Summary,
    DailyUsage, PendingMessage, StoredAnswer, Turn, UsageRecord, UsageRow,
)


class Clock(Protocol):
    def now(self) -> datetime:
        """Timezone-aware UTC now."""
        ...


class TokenCounter(Protocol):
    def count(self, text: str, *, model: str) -> int: ...


class LLMProvider(Protocol):
    def stream(self, request: CompletionRequest) -> AsyncIterator[str | Usage]:
        """Yield text deltas, then exactly one Usage. Raises core.llm_types.LLMError.

        With ``request.tools``, the calls the model asks for come as ``ToolCall`` values before the Usage."""
        ...


class ConversationStore(Protocol):
    async def add_turns(self, turns: Sequence[NewTurn]) -> list[int]: ...

    async def add_exchange(
        self, turns: Sequence[NewTurn], *, usage: UsageRecord, stored: StoredAnswer | None = None,
        rated: RatedAnswer | None = None,
    ) -> list[int]:
        """An answered exchange: its turns (may be none), its usage record, (``stored``) its inbox message
        marked STORED with the answer and (``rated``) the answer noted as rateable (FeedbackStore.find_answer
        finds it; noting it again changes nothing), atomically."""
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
    """Each message, written durably when it arrives and kept until its answer is delivered.

    States: PENDING (a process owns it under a lease and answers it) → STORED (the answer is stored with
    its exchange and being shown) → ANSWERED | REFUSED | FAILED | IGNORED (finished: text dropped).
    A live owner renews its leases; a message whose owner's lease ran out is taken over by another process.
    """

    async def accept(
        self, message: IncomingMessage, *, owner: str, now: datetime, lease_until: datetime
    ) -> Acceptance:
        """NEW the first time (in any process): pending, owned by ``owner``; DUPLICATE after."""
        ...

    async def note_reply(self, *, platform: str, event_id: str, reply_ref: str) -> None:
        """The platform's id of the reply now shown for the message (to end or replace it after a crash)."""
        ...

    async def finish(self, *, platform: str, event_id: str, state: str) -> None:
        """Answered, refused, failed or ignored: the text and any stored answer are dropped."""
        ...

    async def renew(self, *, owner: str, lease_until: datetime) -> int:
        """Extend every unfinished message of ``owner``; returns how many."""
        ...

    async def release(self, *, owner: str, now: datetime) -> int:
        """``owner`` stops (a drain): its unfinished messages may be taken over at once."""
        ...

    async def release_one(self, *, platform: str, event_id: str, now: datetime) -> None:
        """The owner will not finish this message: no owner any more, and it may be taken over at once."""
        ...

    async def take_over(
        self, *, platform: str, owner: str, now: datetime, lease_until: datetime, limit: int
    ) -> list[PendingMessage]:
        """Unfinished messages of ``platform`` whose lease ran out, oldest first, now owned by ``owner``.

        Two processes never take the same message (PostgreSQL: FOR UPDATE SKIP LOCKED).
        """
        ...

    async def forget_before(self, before: datetime) -> int:
        """Drop finished messages older than ``before``; returns how many."""
        ...


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

    async def daily(self, scope: WorkspaceScope, *, since: datetime, user: str | None = None) -> list[DailyUsage]:
        """Per UTC day and model since ``since`` (optionally one user's), by day then model; days without
        usage are absent."""
        ...


class AuditLog(Protocol):
    async def record(self, entry: AuditEntry) -> None: ...

    async def recent(self, scope: WorkspaceScope, *, limit: int = 20) -> list[AuditEntry]: ...


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


class Budget(Protocol):
    """Token/money budgets: reserve the worst case before the call, settle after."""

    async def reserve(
        self, message: IncomingMessage, *, model: str, prompt_tokens: int, max_tokens: int
    ) -> BudgetHold | LimitDecision:
        """The hold to settle later, or the refusal when a budget would be exceeded (nothing reserved)."""
        ...

    async def settle(self, hold: BudgetHold, usage: Usage) -> None: ...

    async def charge(self, message: IncomingMessage, *, model: str, usage: Usage) -> None:
        """Count usage that had no reservation (a memory summary)."""
        ...


class RateLimiter(Protocol):
    async def check(self, message: IncomingMessage, *, persona: Persona) -> LimitDecision | None: ...


class ConversationLocking(Protocol):
    """One message at a time per conversation: in this process, or across every process sharing it."""

    def hold(self, key: ConversationKey) -> AbstractAsyncContextManager[None]: ...


class ContentFilter(Protocol):
    async def check_input(self, message: IncomingMessage, text: str) -> FilterVerdict: ...

    async def check_output(self, message: IncomingMessage, text: str, *, final: bool, since: int = 0) -> FilterVerdict:
        """The answer so far (``final`` False, at a streaming checkpoint: what came before ``since`` was seen
        at the previous one) or whole (``final``)."""
        ...


class FilterSettingsStore(Protocol):
    """Per-workspace filter policy and blocklist rules (those added from chat)."""

    async def get_policy(self, scope: WorkspaceScope) -> FilterPolicy: ...

    async def put_policy(self, scope: WorkspaceScope, policy: FilterPolicy) -> None: ...

    async def rules(self, scope: WorkspaceScope) -> list[BlockRule]:
        """The workspace's own rules, oldest first."""
        ...

    async def add_rule(self, scope: WorkspaceScope, rule: BlockRule, *, author: str) -> bool:
        """False when the workspace already has a rule with that pattern."""
        ...

    async def remove_rule(self, scope: WorkspaceScope, pattern: str) -> bool: ...


class FilterDecisionLog(Protocol):
    async def record(self, decisions: Sequence[FilterDecision]) -> None: ...

    async def recent(self, scope: WorkspaceScope, *, limit: int = 20) -> list[FilterDecision]:
        """The workspace's latest decisions, newest first."""
        ...

    async def forget_before(self, before: datetime) -> int:
        """Delete decisions older than ``before`` (every workspace); returns how many."""
        ...


class Moderator(Protocol):
    @property
    def availability(self) -> Availability: ...

    async def probe(self) -> Availability:
        """Find out once, at start, whether there is an endpoint; logs a warning when there is none."""
        ...

    async def check(self, text: str) -> ModerationResult:
        """Score ``text``; raises ModerationUnavailable or ModerationFailed."""
        ...


class Redelivery(Protocol):
    """The adapter's way to show a message's reply after a take-over (``core/chat/recovery.py``)."""

    async def redeliver(self, pending: PendingMessage, replies: AsyncIterator[ReplyEvent]) -> None:
        """End or replace what was half-shown (``pending.reply_ref``), then show ``replies`` as any reply."""
        ...

    async def apologise(self, pending: PendingMessage, text: str) -> None:
        """End or replace what was half-shown, then tell the asker ``text`` where they asked."""
        ...


from core.ports.access import AccessStore  # noqa: E402
from core.ports.departures import DepartureStore  # noqa: E402
from core.ports.feedback import FeedbackStore  # noqa: E402
from core.ports.files import AttachmentFetcher  # noqa: E402
from core.ports.history import ConversationHistory  # noqa: E402
from core.ports.observability import Metrics, Span, Tracer  # noqa: E402
from core.ports.tools import ApprovalPrompter, ToolCallLog, ToolSettingsStore  # noqa: E402

__all__ = [  # the ports of the feature modules (those defined above are importable as they are)
    "AccessStore", "ApprovalPrompter", "AttachmentFetcher", "ConversationHistory", "DepartureStore", "FeedbackStore",
    "Metrics", "Span", "ToolCallLog", "ToolSettingsStore", "Tracer",
]
