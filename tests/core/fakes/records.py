"""What happened, appended and read back: processed events (Inbox), usage, the audit log."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from typing import Any

from core.messages import WorkspaceScope
from core.records import AuditEntry, UsageRecord, UsageRow
from tests.core.fakes.clock import as_utc, utcnow

GROUPS = ("user", "channel", "model")


class MemoryInbox:
    def __init__(self) -> None:
        self.seen: dict[tuple[str, str], datetime] = {}

    async def claim(self, *, platform: str, event_id: str) -> bool:
        if (platform, event_id) in self.seen:
            return False
        self.seen[(platform, event_id)] = utcnow()
        return True

    async def forget_before(self, before: datetime) -> int:
        before = as_utc(before)
        old = [k for k, v in self.seen.items() if v < before]
        for k in old:
            del self.seen[k]
        return len(old)


class MemoryUsageStore:
    def __init__(self) -> None:
        self.records: list[UsageRecord] = []

    async def record(self, record: UsageRecord) -> None:
        self.records.append(replace(record, created_at=as_utc(record.created_at) if record.created_at else utcnow()))

    async def report(
        self,
        scope: WorkspaceScope,
        *,
        since: datetime,
        user: str | None = None,
        group_by: str | None = None,
        limit: int = 10,
    ) -> list[UsageRow]:
        """As the SQL store: grouped rows biggest total first, ties by name, at most ``limit``; ungrouped, one row."""
        if group_by is not None and group_by not in GROUPS:
            raise ValueError(f"group_by must be None, 'user', 'channel' or 'model', not {group_by!r}")
        since = as_utc(since)
        rows: dict[str, list[int]] = {}
        for r in self.records:
            if (r.platform, r.workspace) != (scope.platform, scope.workspace) or r.created_at < since:
                continue
            if user is not None and r.user != user:
                continue
            group = "" if group_by is None else getattr(r, group_by)
            acc = rows.setdefault(group, [0, 0, 0, 0])
            acc[0] += 1
            acc[1] += r.prompt_tokens
            acc[2] += r.completion_tokens
            acc[3] += r.cost_micro_usd or 0
        ordered = sorted(rows.items(), key=lambda kv: (-(kv[1][1] + kv[1][2]), kv[0]))
        if group_by is not None:
            ordered = ordered[:limit]
        return [UsageRow(g, *v) for g, v in ordered]


def _as_json(value: dict[str, Any] | None) -> dict[str, Any] | None:
    """What a JSON column gives back: a copy, tuples as lists, keys as strings (and no value JSON cannot hold)."""
    return None if value is None else json.loads(json.dumps(value))


class MemoryAuditLog:
    def __init__(self) -> None:
        self.entries: list[AuditEntry] = []

    async def record(self, entry: AuditEntry) -> None:
        self.entries.append(
            replace(
                entry, before=_as_json(entry.before), after=_as_json(entry.after),
                created_at=as_utc(entry.created_at) if entry.created_at else utcnow(),
            )
        )

    async def recent(self, scope: WorkspaceScope, *, limit: int = 20) -> list[AuditEntry]:
        """The workspace's latest entries by time, the later recorded first among equal times."""
        mine = [
            (e.created_at, n, e) for n, e in enumerate(self.entries)
            if (e.platform, e.workspace) == (scope.platform, scope.workspace)
        ]
        return [e for _, _, e in sorted(mine, key=lambda row: row[:2], reverse=True)][:limit]
