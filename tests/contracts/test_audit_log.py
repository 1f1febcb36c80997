"""AuditLog: who changed what, before and after (fake, SQLite, PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from core.messages import WorkspaceScope
from core.ports import AuditLog
from core.records import AuditEntry

WS = WorkspaceScope(platform="slack", workspace="T1")
WHO = {"platform": "slack", "workspace": "T1"}
T0 = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)


async def test_audit_recent_is_newest_first_with_before_and_after(audit: AuditLog) -> None:
    first = AuditEntry(
        **WHO,
        actor="U1",
        action="persona.create",
        target="pirate",
        after={"name": "pirate", "temperature": 1.3, "tags": ["a", "b"], "nested": {"n": 1}},
        created_at=T0,
    )
    second = AuditEntry(
        **WHO,
        actor="U2",
        action="persona.update",
        target="pirate",
        before={"temperature": 1.3},
        after={"temperature": 0.2},
        created_at=T0 + timedelta(minutes=1),
    )
    third = AuditEntry(**WHO, actor="U1", action="channel.reset", target="C1", created_at=T0 + timedelta(minutes=2))
    elsewhere = AuditEntry(platform="slack", workspace="T2", actor="U9", action="channel.reset", target="C1")
    for entry in (first, second, third, elsewhere):
        await audit.record(entry)

    assert await audit.recent(WS) == [third, second, first]
    assert await audit.recent(WS, limit=2) == [third, second]
    assert third.before is None and (await audit.recent(WS, limit=1))[0].after is None


async def test_audit_entry_without_a_time_is_stamped_now(audit: AuditLog) -> None:
    await audit.record(AuditEntry(platform="slack", workspace="T1", actor="U1", action="channel.reset", target="C1"))
    (entry,) = await audit.recent(WS)
    assert entry.created_at is not None and entry.created_at.tzinfo is not None
    assert abs(datetime.now(timezone.utc) - entry.created_at) < timedelta(minutes=5)


async def test_recent_is_by_time_not_by_when_it_was_recorded(audit: AuditLog) -> None:
    late = AuditEntry(**WHO, actor="U1", action="a.late", target="x", created_at=T0 + timedelta(hours=1))
    early = AuditEntry(**WHO, actor="U1", action="a.early", target="x", created_at=T0)
    same_time = AuditEntry(**WHO, actor="U1", action="a.same", target="x", created_at=T0)
    for entry in (late, early, same_time):
        await audit.record(entry)

    assert [e.action for e in await audit.recent(WS)] == ["a.late", "a.same", "a.early"]


async def test_before_and_after_come_back_as_json_gives_them(audit: AuditLog) -> None:
    after = {"tags": ("a", "b"), "nested": {"list": [1, 2]}}
    await audit.record(AuditEntry(**WHO, actor="U1", action="x.set", target="x", after=after, created_at=T0))
    after["nested"]["list"].append(3)  # the caller's dict changing later changes nothing stored

    (entry,) = await audit.recent(WS)

    assert entry.after == {"tags": ["a", "b"], "nested": {"list": [1, 2]}}
