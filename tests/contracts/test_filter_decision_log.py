"""FilterDecisionLog: what the filters did, without content (fake, SQLite, PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from core.filters.values import FilterDecision
from core.messages import WorkspaceScope
from core.ports import FilterDecisionLog

WS = WorkspaceScope(platform="slack", workspace="T1")
T0 = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)


def decision(minutes: int | None, category: str, workspace: str = "T1") -> FilterDecision:
    return FilterDecision(
        platform="slack", workspace=workspace, channel="C1", user="U1", direction="input", filter="pii",
        category=category, action="redacted", created_at=None if minutes is None else T0 + timedelta(minutes=minutes),
    )


async def test_decisions_are_recorded_newest_first_and_old_ones_forgotten(filter_decisions: FilterDecisionLog) -> None:
    """(tests/infra runs this on SQL in batches of one decision too.)"""
    log = filter_decisions
    await log.record([decision(0, "email"), decision(1, "card")])
    await log.record([decision(2, "phone", workspace="T2")])
    await log.record([])
    recent = await log.recent(WS, limit=5)
    assert [d.category for d in recent] == ["card", "email"]
    assert recent[0].created_at == T0 + timedelta(minutes=1) and recent[0].user == "U1"
    assert await log.forget_before(T0 + timedelta(seconds=90)) == 2
    assert await log.recent(WS) == []


async def test_recent_is_by_time_and_the_limit_keeps_the_newest(filter_decisions: FilterDecisionLog) -> None:
    await filter_decisions.record([decision(5, "late"), decision(0, "early"), decision(0, "same time")])

    assert [d.category for d in await filter_decisions.recent(WS)] == ["late", "same time", "early"]
    assert [d.category for d in await filter_decisions.recent(WS, limit=1)] == ["late"]


async def test_a_decision_without_a_time_is_stamped_now(filter_decisions: FilterDecisionLog) -> None:
    await filter_decisions.record([decision(None, "email")])

    (stamped,) = await filter_decisions.recent(WS)

    assert stamped.created_at is not None and stamped.created_at.tzinfo is not None
    assert abs(datetime.now(timezone.utc) - stamped.created_at) < timedelta(minutes=5)
    assert await filter_decisions.forget_before(datetime.now(timezone.utc) - timedelta(hours=1)) == 0
    assert await filter_decisions.forget_before(datetime.now(timezone.utc) + timedelta(seconds=1)) == 1


async def test_a_long_category_is_kept_to_128_characters(filter_decisions: FilterDecisionLog) -> None:
    await filter_decisions.record([decision(0, "x" * 300)])
    (kept,) = await filter_decisions.recent(WS)
    assert kept.category == "x" * 128
