"""UsageStore: tokens per request and the reports over them (fake, SQLite, PostgreSQL)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from core.messages import WorkspaceScope
from core.ports import UsageStore
from core.records import DailyUsage, UsageRecord, UsageRow

WS = WorkspaceScope(platform="slack", workspace="T1")
T0 = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)
SINCE = T0 - timedelta(days=30)


def record_of(
    user: str, model: str, p: int, c: int, *, channel: str = "C1", at: datetime = T0, ws: str = "T1",
    cost: int | None = None,
) -> UsageRecord:
    return UsageRecord(
        platform="slack", workspace=ws, channel=channel, user=user, model=model, prompt_tokens=p, completion_tokens=c,
        created_at=at, cost_micro_usd=cost,
    )


@pytest.fixture
async def filled(usage: UsageStore) -> UsageStore:
    for record in [
        record_of("alice", "gpt-4o", 100, 50),
        record_of("alice", "gpt-4o-mini", 10, 5, channel="C2"),
        record_of("bob", "gpt-4o-mini", 300, 300, channel="C2"),
        record_of("carol", "gpt-4o", 1, 1),
        record_of("alice", "gpt-4o", 1_000, 1_000, at=T0 - timedelta(days=40)),  # before the window
        record_of("alice", "gpt-4o", 7_000, 7_000, ws="T2"),  # another workspace
    ]:
        await usage.record(record)
    return usage


async def test_usage_total(filled: UsageStore) -> None:
    assert await filled.report(WS, since=SINCE) == [UsageRow("", 4, 411, 356)]
    assert await filled.report(WS, since=SINCE, user="alice") == [UsageRow("", 2, 110, 55)]
    assert await filled.report(WS, since=T0 + timedelta(seconds=1)) == []
    assert await filled.report(WS, since=T0 + timedelta(seconds=1), group_by="user") == []


async def test_usage_grouped_biggest_first(filled: UsageStore) -> None:
    assert await filled.report(WS, since=SINCE, group_by="user") == [
        UsageRow("bob", 1, 300, 300),
        UsageRow("alice", 2, 110, 55),
        UsageRow("carol", 1, 1, 1),
    ]
    assert await filled.report(WS, since=SINCE, group_by="channel") == [
        UsageRow("C2", 2, 310, 305),
        UsageRow("C1", 2, 101, 51),
    ]
    assert await filled.report(WS, since=SINCE, group_by="model", user="alice") == [
        UsageRow("gpt-4o", 1, 100, 50),
        UsageRow("gpt-4o-mini", 1, 10, 5),
    ]
    assert await filled.report(WS, since=SINCE, group_by="user", limit=1) == [UsageRow("bob", 1, 300, 300)]


async def test_usage_since_includes_older_records_when_asked(filled: UsageStore) -> None:
    rows = await filled.report(WS, since=T0 - timedelta(days=60), group_by="user")
    assert rows[0] == UsageRow("alice", 3, 1_110, 1_055)


async def test_usage_rejects_an_unknown_grouping(filled: UsageStore) -> None:
    with pytest.raises(ValueError, match="group_by"):
        await filled.report(WS, since=SINCE, group_by="workspace")


async def test_equal_totals_are_ordered_by_name_and_the_limit_is_for_groups(usage: UsageStore) -> None:
    for user in ("zoe", "amy", "max"):
        await usage.record(record_of(user, "m", 5, 5))

    assert [r.group for r in await usage.report(WS, since=SINCE, group_by="user")] == ["amy", "max", "zoe"]
    assert await usage.report(WS, since=SINCE, limit=0) == [UsageRow("", 3, 15, 15)]


async def test_costs_add_up_and_a_record_without_a_price_adds_none(usage: UsageStore) -> None:
    await usage.record(record_of("amy", "priced", 5, 5, cost=1_500))
    await usage.record(record_of("amy", "priced", 5, 5, cost=500))
    await usage.record(record_of("amy", "unpriced", 5, 5))

    assert await usage.report(WS, since=SINCE, group_by="model") == [
        UsageRow("priced", 2, 10, 10, cost_micro_usd=2_000), UsageRow("unpriced", 1, 5, 5, cost_micro_usd=0),
    ]


async def test_usage_per_utc_day_and_model(usage: UsageStore) -> None:
    day1 = datetime(2025, 3, 1, 23, 59, tzinfo=timezone.utc)
    day2_in_berlin_time = datetime(2025, 3, 2, 0, 30, tzinfo=timezone(timedelta(hours=1)))  # 23:30 UTC on day 1
    for record in [
        record_of("alice", "gpt-4o", 100, 50, at=day1, cost=7),
        record_of("bob", "gpt-4o", 1, 1, at=day2_in_berlin_time, cost=3),
        record_of("alice", "gpt-4o-mini", 10, 5, at=day1 + timedelta(minutes=2)),
        record_of("alice", "gpt-4o", 5, 5, at=day1 - timedelta(days=40)),  # before the window
        record_of("alice", "gpt-4o", 7, 7, at=day1, ws="T2"),  # another workspace
    ]:
        await usage.record(record)
    assert await usage.daily(WS, since=day1 - timedelta(days=30)) == [
        DailyUsage(date(2025, 3, 1), "gpt-4o", 101, 51, 10),
        DailyUsage(date(2025, 3, 2), "gpt-4o-mini", 10, 5, 0),
    ]
    assert await usage.daily(WS, since=day1 - timedelta(days=30), user="bob") == [
        DailyUsage(date(2025, 3, 1), "gpt-4o", 1, 1, 3),
    ]
