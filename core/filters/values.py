"""The filter package's vocabulary: policies, rules, decisions, and the stores behind them (ports)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from core.ports import WorkspaceScope

FILTERS = ("pii", "blocklist", "moderation")
MODES: dict[str, tuple[str, ...]] = {
    "pii": ("redact", "off"),
    "blocklist": ("block", "redact", "off"),
    "moderation": ("block", "flag", "off"),
}
RULE_ACTIONS = ("block", "redact")
INPUT, OUTPUT = "input", "output"


@dataclass(frozen=True, slots=True)
class FilterPolicy:
    """A workspace's choices; ``None`` follows the settings (the process-wide defaults)."""

    pii: str | None = None  # redact | off
    blocklist: str | None = None  # block | redact | off: the action of rules that name none
    moderation: str | None = None  # block | flag | off

    def mode(self, name: str) -> str | None:
        return getattr(self, name)

    def with_mode(self, name: str, mode: str | None) -> FilterPolicy:
        return replace(self, **{name: mode})


@dataclass(frozen=True, slots=True)
class BlockRule:
    """A blocklist entry: a word or phrase, or ``/a regular expression/``.

    ``action`` None follows the workspace's blocklist mode.  Rules from the
    BLOCKLIST setting have ``source`` "settings" and apply to every workspace.
    """

    pattern: str
    action: str | None = None
    source: str = "chat"

    @property
    def is_regex(self) -> bool:
        return len(self.pattern) >= 2 and self.pattern.startswith("/") and self.pattern.endswith("/")

    @property
    def label(self) -> str:
        """How the rule is named in decisions and listings (the admin's pattern, never user text)."""
        return self.pattern if len(self.pattern) <= 100 else self.pattern[:99] + "…"


@dataclass(frozen=True, slots=True)
class FilterDecision:
    """One thing a filter did, without the content: who, where, which way, which filter, what."""

    platform: str
    workspace: str
    channel: str
    user: str
    direction: str  # input | output
    filter: str  # pii | blocklist | moderation
    category: str  # e.g. "email", a rule's pattern, "hate", "error"
    action: str  # blocked | redacted | flagged | failed_open | failed_closed | skipped
    created_at: datetime | None = None


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
