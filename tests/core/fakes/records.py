"""What happened, appended and read back: processed events (Inbox), usage, the audit log."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from core.messages import ConversationKey, IncomingMessage, WorkspaceScope
from core.records import (
    DailyUsage,
    FINISHED_STATES, PENDING, STORED, UNFINISHED, Acceptance, AuditEntry, PendingMessage, StoredAnswer, UsageRecord,
    UsageRow,
)
from tests.core.fakes.clock import as_utc, utcnow

GROUPS = ("user", "channel", "model")


class MemoryInbox:
    """The inbox in memory: rows by (platform, event id), each a dict like the SQL row."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], dict[str, Any]] = {}

    async def accept(self, message: IncomingMessage, *, owner: str, now: datetime, lease_until: datetime) -> Acceptance:
        key = (message.key.platform, message.event_id)
        if key in self.rows:
            return Acceptance.DUPLICATE
        self.rows[key] = {
            "message": replace(message, received_at=as_utc(now)), "state": PENDING, "owner": owner,
            "lease_until": as_utc(lease_until), "created_at": as_utc(now), "reply_ref": "", "answer": "",
            "notices": (), "attempts": 0,
        }
        return Acceptance.NEW

    async def note_reply(self, *, platform: str, event_id: str, reply_ref: str) -> None:
        if (platform, event_id) in self.rows:
            self.rows[(platform, event_id)]["reply_ref"] = reply_ref[:255]

    async def finish(self, *, platform: str, event_id: str, state: str) -> None:
        if state not in FINISHED_STATES:
            raise ValueError(f"not a finished state: {state!r}")
        row = self.rows.get((platform, event_id))
        if row is not None:
            row.update(state=state, answer="", notices=(), owner=None, lease_until=None)
            row["message"] = replace(row["message"], text="")

    def mark_stored(self, stored: StoredAnswer) -> None:
        row = self.rows.get((stored.platform, stored.event_id))
        if row is not None and row["state"] == PENDING:
            row.update(state=STORED, answer=stored.answer, notices=tuple(stored.notices))

    async def renew(self, *, owner: str, lease_until: datetime) -> int:
        mine = [row for row in self.rows.values() if row["owner"] == owner and row["state"] in UNFINISHED]
        for row in mine:
            row["lease_until"] = as_utc(lease_until)
        return len(mine)

    async def release(self, *, owner: str, now: datetime) -> int:
        return await self.renew(owner=owner, lease_until=now)

    async def release_one(self, *, platform: str, event_id: str, now: datetime) -> None:
        row = self.rows.get((platform, event_id))
        if row is not None and row["state"] in UNFINISHED:
            row.update(owner=None, lease_until=as_utc(now))

    async def take_over(
        self, *, platform: str, owner: str, now: datetime, lease_until: datetime, limit: int
    ) -> list[PendingMessage]:
        now = as_utc(now)
        due = sorted(
            (row for (p, _), row in self.rows.items()
             if p == platform and row["state"] in UNFINISHED and row["lease_until"] < now),
            key=lambda row: row["created_at"],
        )[:limit]
        for row in due:
            row.update(owner=owner, lease_until=as_utc(lease_until), attempts=row["attempts"] + 1)
        return [
            PendingMessage(
                message=row["message"], state=row["state"], received_at=row["created_at"], reply_ref=row["reply_ref"],
                answer=row["answer"], notices=row["notices"], attempts=row["attempts"],
            )
            for row in due
        ]

    async def forget_before(self, before: datetime) -> int:
        before = as_utc(before)
        old = [k for k, row in self.rows.items() if row["created_at"] < before and row["state"] not in UNFINISHED]
        for k in old:
            del self.rows[k]
        return len(old)


async def claim_event(inbox, *, platform: str, event_id: str, owner: str = "test", now: datetime | None = None) -> bool:
    """Accept a bare message for ``event_id``: True the first time (what ``claim`` used to be)."""
    now = now or utcnow()
    message = IncomingMessage(event_id=event_id, key=ConversationKey(platform, "W", "C"), user="U", text="")
    return await inbox.accept(message, owner=owner, now=now, lease_until=now + timedelta(minutes=1)) is Acceptance.NEW


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

    async def daily(self, scope: WorkspaceScope, *, since: datetime, user: str | None = None) -> list[DailyUsage]:
        """As the SQL store: per UTC day and model, by day then model."""
        totals: dict[tuple[date, str], list[int]] = {}
        for r in self.records:
            if (r.platform, r.workspace) != (scope.platform, scope.workspace) or r.created_at < as_utc(since):
                continue
            if user is not None and r.user != user:
                continue
            acc = totals.setdefault((r.created_at.date(), r.model), [0, 0, 0])
            acc[0] += r.prompt_tokens
            acc[1] += r.completion_tokens
            acc[2] += r.cost_micro_usd or 0
        return [DailyUsage(day, model, *acc) for (day, model), acc in sorted(totals.items())]


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
