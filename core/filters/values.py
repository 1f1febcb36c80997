"""The filter package's vocabulary: policies, rules, decisions, moderation results (the stores are in core/ports/)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

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


@dataclass(frozen=True, slots=True)
class ModerationHit:
    category: str
    score: float


@dataclass(frozen=True, slots=True)
class ModerationResult:
    hits: tuple[ModerationHit, ...] = ()

    @property
    def categories(self) -> tuple[str, ...]:
        return tuple(h.category for h in self.hits)


@dataclass(frozen=True, slots=True)
class Availability:
    available: bool
    reason: str = ""  # why not, for the log and `/parley filter show`
    model: str = ""
