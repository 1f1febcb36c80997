"""The tools feature's stores in memory."""

from __future__ import annotations

from datetime import datetime

from core.messages import WorkspaceScope
from core.tools.values import ToolCallEntry, ToolRule


class MemoryToolSettingsStore:
    def __init__(self) -> None:
        self.rows: dict[tuple[WorkspaceScope, str, str], ToolRule] = {}

    async def rules(self, scope: WorkspaceScope, *, persona: str | None = None) -> list[ToolRule]:
        found = [r for (s, _, _), r in self.rows.items() if s == scope and (persona is None or r.persona == persona)]
        return sorted(found, key=lambda r: (r.persona, r.target))

    async def set_rule(self, scope: WorkspaceScope, rule: ToolRule) -> None:
        self.rows[(scope, rule.persona, rule.target)] = rule


class MemoryToolCallLog:
    def __init__(self) -> None:
        self.entries: list[ToolCallEntry] = []

    async def record(self, entry: ToolCallEntry) -> None:
        self.entries.append(entry)

    async def recent(self, scope: WorkspaceScope, *, limit: int = 20) -> list[ToolCallEntry]:
        mine = [e for e in self.entries if (e.platform, e.workspace) == (scope.platform, scope.workspace)]
        ordered = sorted(enumerate(mine), key=lambda p: (p[1].created_at, p[0]), reverse=True)
        return [e for _, e in ordered][:limit]

    async def forget_user(self, scope: WorkspaceScope, *, user: str) -> int:
        keep = [e for e in self.entries
                if not ((e.platform, e.workspace) == (scope.platform, scope.workspace) and e.user == user)]
        gone = len(self.entries) - len(keep)
        self.entries = keep
        return gone

    async def forget_before(self, before: datetime) -> int:
        keep = [e for e in self.entries if e.created_at >= before]
        gone = len(self.entries) - len(keep)
        self.entries = keep
        return gone
