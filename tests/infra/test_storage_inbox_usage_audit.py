"""SqlInbox, SqlUsageStore and SqlAuditLog on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest

from core.records import AuditEntry, UsageRecord, UsageRow
from core.messages import WorkspaceScope
from core.storage.audit import SqlAuditLog
from core.storage.database import Database
from core.storage.inbox import SqlInbox
from core.storage.usage import SqlUsageStore
from tests.infra.conftest import same_url

WS = WorkspaceScope(platform="slack", workspace="T1")
WHO = {"platform": "slack", "workspace": "T1"}
T0 = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)


# --- inbox -------------------------------------------------------------------


async def test_an_event_is_claimed_once(database: Database) -> None:
    inbox = SqlInbox(database)
    assert await inbox.claim(platform="slack", event_id="Ev1") is True
    assert await inbox.claim(platform="slack", event_id="Ev1") is False
    # the same id on another platform is another event
    assert await inbox.claim(platform="discord", event_id="Ev1") is True


async def test_concurrent_claims_of_one_event_have_exactly_one_winner(database: Database) -> None:
    inbox = SqlInbox(database)
    results = await asyncio.gather(*(inbox.claim(platform="slack", event_id="Ev-race") for _ in range(20)))
    assert sorted(results) == [False] * 19 + [True]


async def test_claims_from_two_processes_have_one_winner(database: Database) -> None:
    """Two engines (as two bot processes would have) racing for the same events."""
    other = Database.from_url(same_url(database))
    try:
        inboxes = [SqlInbox(database), SqlInbox(other)]
        for n in range(5):
            claims = (inboxes[i % 2].claim(platform="slack", event_id=f"E{n}") for i in range(6))
            results = await asyncio.gather(*claims)
            assert results.count(True) == 1
    finally:
        await other.dispose()


async def test_a_claim_survives_a_restart(database: Database) -> None:
    await SqlInbox(database).claim(platform="slack", event_id="Ev1")
    await database.dispose()
    reopened = Database.from_url(same_url(database))
    try:
        assert await SqlInbox(reopened).claim(platform="slack", event_id="Ev1") is False
    finally:
        await reopened.dispose()


@pytest.mark.parametrize("batch", [5_000, 2], ids=["one batch", "two per batch"])
async def test_forget_before_lets_old_events_go(database: Database, batch: int) -> None:
    inbox = SqlInbox(database, delete_batch=batch)
    for n in range(5):
        await inbox.claim(platform="slack", event_id=f"old-{n}")
    assert await inbox.forget_before(datetime.now(timezone.utc) - timedelta(hours=1)) == 0

    assert await inbox.forget_before(datetime.now(timezone.utc) + timedelta(seconds=1)) == 5
    assert await inbox.claim(platform="slack", event_id="old-0") is True
    assert await inbox.claim(platform="slack", event_id="old-4") is True


# --- usage -------------------------------------------------------------------


def usage(
    user: str, model: str, p: int, c: int, *, channel: str = "C1", at: datetime = T0, ws: str = "T1"
) -> UsageRecord:
    return UsageRecord(
        platform="slack",
        workspace=ws,
        channel=channel,
        user=user,
        model=model,
        prompt_tokens=p,
        completion_tokens=c,
        created_at=at,
    )


@pytest.fixture
async def usage_store(database: Database) -> SqlUsageStore:
    store = SqlUsageStore(database)
    for record in [
        usage("alice", "gpt-4o", 100, 50),
        usage("alice", "gpt-4o-mini", 10, 5, channel="C2"),
        usage("bob", "gpt-4o-mini", 300, 300, channel="C2"),
        usage("carol", "gpt-4o", 1, 1),
        usage("alice", "gpt-4o", 1_000, 1_000, at=T0 - timedelta(days=40)),  # before the window
        usage("alice", "gpt-4o", 7_000, 7_000, ws="T2"),  # another workspace
    ]:
        await store.record(record)
    return store


SINCE = T0 - timedelta(days=30)


async def test_usage_total(usage_store: SqlUsageStore) -> None:
    assert await usage_store.report(WS, since=SINCE) == [UsageRow("", 4, 411, 356)]
    assert await usage_store.report(WS, since=SINCE, user="alice") == [UsageRow("", 2, 110, 55)]
    assert await usage_store.report(WS, since=T0 + timedelta(seconds=1)) == []
    assert await usage_store.report(WS, since=T0 + timedelta(seconds=1), group_by="user") == []


async def test_usage_grouped_biggest_first(usage_store: SqlUsageStore) -> None:
    assert await usage_store.report(WS, since=SINCE, group_by="user") == [
        UsageRow("bob", 1, 300, 300),
        UsageRow("alice", 2, 110, 55),
        UsageRow("carol", 1, 1, 1),
    ]
    assert await usage_store.report(WS, since=SINCE, group_by="channel") == [
        UsageRow("C2", 2, 310, 305),
        UsageRow("C1", 2, 101, 51),
    ]
    assert await usage_store.report(WS, since=SINCE, group_by="model", user="alice") == [
        UsageRow("gpt-4o", 1, 100, 50),
        UsageRow("gpt-4o-mini", 1, 10, 5),
    ]
    assert await usage_store.report(WS, since=SINCE, group_by="user", limit=1) == [UsageRow("bob", 1, 300, 300)]


async def test_usage_since_includes_older_records_when_asked(usage_store: SqlUsageStore) -> None:
    rows = await usage_store.report(WS, since=T0 - timedelta(days=60), group_by="user")
    assert rows[0] == UsageRow("alice", 3, 1_110, 1_055)


async def test_usage_rejects_an_unknown_grouping(usage_store: SqlUsageStore) -> None:
    with pytest.raises(ValueError, match="group_by"):
        await usage_store.report(WS, since=SINCE, group_by="workspace")


# --- audit -------------------------------------------------------------------


async def test_audit_recent_is_newest_first_with_before_and_after(database: Database) -> None:
    audit = SqlAuditLog(database)
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


async def test_audit_entry_without_a_time_is_stamped_now(database: Database) -> None:
    audit = SqlAuditLog(database)
    await audit.record(AuditEntry(platform="slack", workspace="T1", actor="U1", action="channel.reset", target="C1"))
    (entry,) = await audit.recent(WS)
    assert entry.created_at is not None and entry.created_at.tzinfo is not None
    assert abs(datetime.now(timezone.utc) - entry.created_at) < timedelta(minutes=5)
