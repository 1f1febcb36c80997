"""SqlBudgetCounterStore on SQLite and PostgreSQL: holds, settling, and the release of a crashed request's hold."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from core.limits.budgets import BudgetCaps, TokenBudget
from core.limits.pricing import Pricing
from core.messages import ConversationKey, IncomingMessage, Usage
from core.records import BudgetKey, BudgetLine, LimitDecision
from core.channels.retention import BUDGET_HOLDS_KEPT, RetentionPurger
from core.storage.budgets import SqlBudgetCounterStore
from core.storage.channel_settings import SqlChannelSettingsStore
from core.storage.conversations import SqlConversationStore
from core.storage.database import Database
from core.storage.models import BudgetCounterRow as B
from core.storage.inbox import SqlInbox
from tests.core.fakes import FakeClock

DAY = BudgetKey(platform="slack", workspace="T1", user="", period="day:2026-11-23", unit="tokens")
MONTH = BudgetKey(platform="slack", workspace="T1", user="", period="month:2026-11", unit="tokens")


def now() -> datetime:
    return datetime.now(timezone.utc)


async def reserved(database: Database, key: BudgetKey) -> int:
    query = select(B.reserved).where(
        B.platform == key.platform, B.workspace == key.workspace, B.user == key.user, B.period == key.period,
        B.unit == key.unit,
    )
    return await database.run(lambda session: session.execute(query).scalar_one())


async def test_a_hold_never_settled_is_released_once_stale_and_a_late_settle_does_not_release_it_again(database):
    store = SqlBudgetCounterStore(database)
    assert await store.reserve([BudgetLine(DAY, 1_000, 800), BudgetLine(MONTH, 1_000, 800)], hold="crashed") is None
    assert await store.reserve([BudgetLine(DAY, 1_000, 300)], hold="next") == DAY  # 800 reserved: no room

    assert await store.release_stale(now() - timedelta(minutes=5)) == 0  # not stale yet
    assert await store.release_stale(now() + timedelta(seconds=1)) == 2  # both counters of the hold
    assert await store.reserve([BudgetLine(DAY, 1_000, 300)], hold="next") is None

    # The "crashed" request settles after all: its use counts, its reservation is not taken back twice.
    await store.settle([(DAY, 800, 100), (MONTH, 800, 100)], hold="crashed")
    assert await store.used([DAY, MONTH]) == {DAY: 100, MONTH: 100}
    assert await reserved(database, DAY) == 300  # the "next" hold only
    assert await reserved(database, MONTH) == 0


async def test_a_settled_hold_is_gone_and_usage_without_a_hold_only_counts(database):
    store = SqlBudgetCounterStore(database)
    assert await store.reserve([BudgetLine(DAY, 1_000, 500)], hold="answered") is None
    await store.settle([(DAY, 500, 120)], hold="answered")
    await store.settle([(DAY, 0, 30)])  # a memory summary: no reservation
    assert await store.release_stale(now() + timedelta(seconds=1)) == 0
    assert await store.used([DAY]) == {DAY: 150}
    assert await reserved(database, DAY) == 0


@pytest.mark.parametrize("batch", [5_000, 1], ids=["one batch", "one per batch"])
async def test_release_stale_handles_many_holds(database, batch):
    store = SqlBudgetCounterStore(database, release_batch=batch)
    for n in range(4):
        assert await store.reserve([BudgetLine(DAY, 1_000, 100)], hold=f"h{n}") is None
    assert await store.release_stale(now() + timedelta(seconds=1)) == 4
    assert await reserved(database, DAY) == 0


async def test_the_purge_gives_a_crashed_requests_budget_back(database: Database):
    """What a user notices: after a crash mid-answer, the budget is not "used up" for the rest of the day."""
    clock = FakeClock(now())
    counters = SqlBudgetCounterStore(database)
    budget = TokenBudget(
        counters=counters, caps=BudgetCaps({("workspace", "daily", "tokens"): 1_000}), pricing=Pricing({}), clock=clock
    )
    message = IncomingMessage(
        event_id="Ev1", key=ConversationKey(platform="slack", workspace="T1", channel="D1"), user="U1", text="hi",
        is_dm=True,
    )
    crashed = await budget.reserve(message, model="gpt-4o-mini", prompt_tokens=100, max_tokens=800)
    assert not isinstance(crashed, LimitDecision)  # ... and its process dies before settling
    refused = await budget.reserve(message, model="gpt-4o-mini", prompt_tokens=100, max_tokens=800)
    assert isinstance(refused, LimitDecision) and "budget is used up" in refused.text

    purger = RetentionPurger(
        conversations=SqlConversationStore(database), settings=SqlChannelSettingsStore(database),
        inbox=SqlInbox(database), clock=clock, budget_counters=counters,
    )
    await purger.purge_once()
    assert isinstance(await budget.reserve(message, model="gpt-4o-mini", prompt_tokens=100, max_tokens=800), LimitDecision)

    clock.advance(seconds=BUDGET_HOLDS_KEPT.total_seconds() + 1)
    await purger.purge_once()
    answered = await budget.reserve(message, model="gpt-4o-mini", prompt_tokens=100, max_tokens=800)
    assert not isinstance(answered, LimitDecision)
    await budget.settle(answered, Usage(prompt_tokens=100, completion_tokens=50))
