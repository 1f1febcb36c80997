"""The filters' ports in memory: workspace policy and rules, the decision log, and a scripted moderator."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from core.filters.moderation import ModerationFailed, ModerationUnavailable
from core.filters.values import Availability, BlockRule, FilterDecision, FilterPolicy, ModerationHit, ModerationResult
from core.messages import WorkspaceScope
from tests.core.fakes.clock import as_utc, utcnow

CATEGORY_CHARS = 128  # the SQL store keeps this much of a decision's category


class MemoryFilterSettingsStore:
    def __init__(self) -> None:
        self.policies: dict[WorkspaceScope, FilterPolicy] = {}
        self.rule_rows: dict[WorkspaceScope, list[BlockRule]] = {}

    async def get_policy(self, scope: WorkspaceScope) -> FilterPolicy:
        return self.policies.get(scope, FilterPolicy())

    async def put_policy(self, scope: WorkspaceScope, policy: FilterPolicy) -> None:
        self.policies[scope] = policy

    async def rules(self, scope: WorkspaceScope) -> list[BlockRule]:
        return list(self.rule_rows.get(scope, []))

    async def add_rule(self, scope: WorkspaceScope, rule: BlockRule, *, author: str) -> bool:
        rules = self.rule_rows.setdefault(scope, [])
        if any(r.pattern == rule.pattern for r in rules):
            return False
        rules.append(replace(rule, source="chat"))
        return True

    async def remove_rule(self, scope: WorkspaceScope, pattern: str) -> bool:
        rules = self.rule_rows.get(scope, [])
        keep = [r for r in rules if r.pattern != pattern]
        self.rule_rows[scope] = keep
        return len(keep) != len(rules)


class MemoryFilterDecisionLog:
    """As the SQL log: a decision without a time is stamped now, its category cut to 128 characters."""

    def __init__(self) -> None:
        self.decisions: list[FilterDecision] = []

    async def record(self, decisions: Sequence[FilterDecision]) -> None:
        now = utcnow()
        self.decisions.extend(
            replace(d, category=d.category[:CATEGORY_CHARS], created_at=as_utc(d.created_at) if d.created_at else now)
            for d in decisions
        )

    async def recent(self, scope: WorkspaceScope, *, limit: int = 20) -> list[FilterDecision]:
        """The workspace's latest decisions by time, the later recorded first among equal times."""
        mine = [
            (d.created_at, n, d) for n, d in enumerate(self.decisions)
            if (d.platform, d.workspace) == (scope.platform, scope.workspace)
        ]
        return [d for _, _, d in sorted(mine, key=lambda row: row[:2], reverse=True)][:limit]

    async def forget_before(self, before: datetime) -> int:
        before = as_utc(before)
        keep = [d for d in self.decisions if d.created_at >= before]
        gone = len(self.decisions) - len(keep)
        self.decisions[:] = keep
        return gone

    def summary(self) -> list[tuple[str, str, str, str]]:
        """(direction, filter, category, action) of every decision, oldest first."""
        return [(d.direction, d.filter, d.category, d.action) for d in self.decisions]


class FakeModerator:
    """Flags any text containing one of ``words`` (word → category); ``fail``/``absent`` script the endpoint."""

    def __init__(self, words: dict[str, str] | None = None, *, absent: bool = False) -> None:
        self.words = dict(words or {})
        self.fail = False
        self.absent = absent
        self.checked: list[str] = []

    @property
    def availability(self) -> Availability:
        return Availability(available=not self.absent, reason="no endpoint" if self.absent else "", model="fake")

    async def probe(self) -> Availability:
        return self.availability

    async def check(self, text: str) -> ModerationResult:
        self.checked.append(text)
        if self.absent:
            raise ModerationUnavailable("no endpoint")
        if self.fail:
            raise ModerationFailed("HTTP 500")
        hits = tuple(ModerationHit(c, 0.99) for w, c in self.words.items() if w in text.lower())
        return ModerationResult(hits=hits)
