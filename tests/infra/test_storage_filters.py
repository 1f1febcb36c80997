"""SqlFilterSettingsStore and SqlFilterDecisionLog on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from core.filters.values import BlockRule, FilterDecision, FilterPolicy
from core.messages import WorkspaceScope
from core.storage.database import Database
from core.storage.filters import SqlFilterDecisionLog, SqlFilterSettingsStore

WS = WorkspaceScope(platform="slack", workspace="T1")
OTHER = WorkspaceScope(platform="discord", workspace="T1")
T0 = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)


async def test_a_workspace_policy_is_stored_and_defaults_to_the_settings(database: Database) -> None:
    store = SqlFilterSettingsStore(database)
    assert await store.get_policy(WS) == FilterPolicy()
    await store.put_policy(WS, FilterPolicy(pii="off"))
    await store.put_policy(WS, FilterPolicy(pii="off", moderation="flag"))
    assert await store.get_policy(WS) == FilterPolicy(pii="off", moderation="flag")
    assert await store.get_policy(OTHER) == FilterPolicy()


async def test_rules_are_added_once_listed_in_order_and_removed(database: Database) -> None:
    store = SqlFilterSettingsStore(database)
    assert await store.add_rule(WS, BlockRule("falcon"), author="U1") is True
    assert await store.add_rule(WS, BlockRule("/\\d{4}-\\d{4}/", action="redact"), author="U1") is True
    assert await store.add_rule(WS, BlockRule("falcon", action="redact"), author="U2") is False
    assert await store.rules(WS) == [BlockRule("falcon"), BlockRule("/\\d{4}-\\d{4}/", action="redact")]
    assert await store.rules(OTHER) == []
    assert await store.remove_rule(WS, "falcon") is True
    assert await store.remove_rule(WS, "falcon") is False
    assert [r.pattern for r in await store.rules(WS)] == ["/\\d{4}-\\d{4}/"]


@pytest.mark.parametrize("batch", [5_000, 1], ids=["one batch", "one per batch"])
async def test_decisions_are_recorded_newest_first_and_old_ones_forgotten(database: Database, batch: int) -> None:
    log = SqlFilterDecisionLog(database, delete_batch=batch)

    def decision(minutes: int, category: str, workspace: str = "T1") -> FilterDecision:
        return FilterDecision(
            platform="slack", workspace=workspace, channel="C1", user="U1", direction="input", filter="pii",
            category=category, action="redacted", created_at=T0 + timedelta(minutes=minutes),
        )

    await log.record([decision(0, "email"), decision(1, "card")])
    await log.record([decision(2, "phone", workspace="T2")])
    await log.record([])
    recent = await log.recent(WS, limit=5)
    assert [d.category for d in recent] == ["card", "email"]
    assert recent[0].created_at == T0 + timedelta(minutes=1) and recent[0].user == "U1"
    assert await log.forget_before(T0 + timedelta(seconds=90)) == 2
    assert await log.recent(WS) == []
