"""BudgetCounterStore: holds, settling, and the release of a crashed request's hold (fake, SQLite, PostgreSQL)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta, timezone


from core.assembly import Stores
from core.channels.retention import BUDGET_HOLDS_KEPT, RetentionPurger
from core.limits.budgets import BudgetCaps, TokenBudget
from core.limits.pricing import Pricing
from core.messages import ConversationKey, IncomingMessage, Usage
from core.ports import BudgetCounterStore
from core.records import BudgetKey, BudgetLine, LimitDecision
from tests.core.fakes import FakeClock

DAY = BudgetKey(platform="slack", workspace="T1", user="", period="day:2026-11-23", unit="tokens")
MONTH = BudgetKey(platform="slack", workspace="T1", user="", period="month:2026-11", unit="tokens")
DAY_USD = BudgetKey(platform="slack", workspace="T1", user="", period="day:2026-11-23", unit="micro_usd")
CAP = 1_000


def now() -> datetime:
    return datetime.now(timezone.utc)


async def assert_reserved(store: BudgetCounterStore, key: BudgetKey, amount: int) -> None:
    """``key`` (cap CAP) has exactly ``amount`` reserved: what is left fits, one more does not (nothing kept)."""
    (used,) = (await store.used([key])).values()
    room = CAP - used - amount
    probe = f"probe-{uuid.uuid4().hex}"
    assert await store.reserve([BudgetLine(key, CAP, room + 1)], hold=probe) == key
    assert await store.reserve([BudgetLine(key, CAP, room)], hold=probe) is None
    await store.settle([(key, room, 0)], hold=probe)


async def test_a_reservation_is_all_or_nothing(budget_counters: BudgetCounterStore) -> None:
    assert await budget_counters.reserve([BudgetLine(MONTH, CAP, 900)], hold="big") is None

    assert await budget_counters.reserve([BudgetLine(DAY, CAP, 200), BudgetLine(MONTH, CAP, 200)], hold="both") == MONTH

    await assert_reserved(budget_counters, DAY, 0)  # the line that fitted was not kept either
    await assert_reserved(budget_counters, MONTH, 900)


async def test_when_several_lines_do_not_fit_the_first_in_key_order_is_refused(budget_counters: BudgetCounterStore) -> None:
    # The stores check (and lock) the counters in key order, whatever the order of the lines.
    assert await budget_counters.reserve([BudgetLine(DAY, 10, 50), BudgetLine(DAY_USD, 10, 50)], hold="h") == DAY_USD
    assert await budget_counters.reserve([BudgetLine(MONTH, 10, 50), BudgetLine(DAY, 10, 50)], hold="h") == DAY


async def test_lines_of_one_counter_add_up(budget_counters: BudgetCounterStore) -> None:
    assert await budget_counters.reserve([BudgetLine(DAY, CAP, 600), BudgetLine(DAY, CAP, 600)], hold="twice") == DAY
    assert await budget_counters.reserve([BudgetLine(DAY, CAP, 400), BudgetLine(DAY, CAP, 600)], hold="twice") is None
    await assert_reserved(budget_counters, DAY, 1_000)


async def test_no_lines_reserve_nothing_and_fit(budget_counters: BudgetCounterStore) -> None:
    assert await budget_counters.reserve([], hold="empty") is None


async def test_concurrent_reservations_never_exceed_the_cap(budget_counters: BudgetCounterStore) -> None:
    results = await asyncio.gather(
        *(budget_counters.reserve([BudgetLine(DAY, CAP, 100)], hold=f"h{n}") for n in range(25))
    )
    assert results.count(None) == 10 and results.count(DAY) == 15
    await assert_reserved(budget_counters, DAY, 1_000)


async def test_a_hold_never_settled_is_released_once_stale_and_a_late_settle_does_not_release_it_again(
    budget_counters: BudgetCounterStore,
) -> None:
    store = budget_counters
    assert await store.reserve([BudgetLine(DAY, CAP, 800), BudgetLine(MONTH, CAP, 800)], hold="crashed") is None
    assert await store.reserve([BudgetLine(DAY, CAP, 300)], hold="next") == DAY  # 800 reserved: no room

    assert await store.release_stale(now() - timedelta(minutes=5)) == 0  # not stale yet
    assert await store.release_stale(now() + timedelta(seconds=1)) == 2  # both counters of the hold
    assert await store.reserve([BudgetLine(DAY, CAP, 300)], hold="next") is None

    # The "crashed" request settles after all: its use counts, its reservation is not taken back twice.
    await store.settle([(DAY, 800, 100), (MONTH, 800, 100)], hold="crashed")
    assert await store.used([DAY, MONTH]) == {DAY: 100, MONTH: 100}
    await assert_reserved(store, DAY, 300)  # the "next" hold only
    await assert_reserved(store, MONTH, 0)


async def test_a_settled_hold_is_gone_and_usage_without_a_hold_only_counts(budget_counters: BudgetCounterStore) -> None:
    store = budget_counters
    assert await store.reserve([BudgetLine(DAY, CAP, 500)], hold="answered") is None
    await store.settle([(DAY, 500, 120)], hold="answered")
    await store.settle([(DAY, 0, 30)])  # a memory summary: no reservation
    assert await store.release_stale(now() + timedelta(seconds=1)) == 0
    assert await store.used([DAY]) == {DAY: 150}
    await assert_reserved(store, DAY, 0)


async def test_release_stale_handles_many_holds(budget_counters: BudgetCounterStore) -> None:
    """(tests/infra runs this on SQL in batches of one hold too.)"""
    for n in range(4):
        assert await budget_counters.reserve([BudgetLine(DAY, CAP, 100)], hold=f"h{n}") is None
    assert await budget_counters.release_stale(now() + timedelta(seconds=1)) == 4
    await assert_reserved(budget_counters, DAY, 0)


async def test_used_is_zero_for_a_counter_never_touched(budget_counters: BudgetCounterStore) -> None:
    assert await budget_counters.used([DAY, MONTH]) == {DAY: 0, MONTH: 0}
    assert await budget_counters.used([]) == {}


async def test_the_purge_gives_a_crashed_requests_budget_back(stores: Stores) -> None:
    """What a user notices: after a crash mid-answer, the budget is not "used up" for the rest of the day."""
    clock = FakeClock(now())
    counters = stores.budget_counters
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
        conversations=stores.conversations, settings=stores.channel_settings, inbox=stores.inbox, clock=clock,
        budget_counters=counters,
    )
    await purger.purge_once()
    assert isinstance(await budget.reserve(message, model="gpt-4o-mini", prompt_tokens=100, max_tokens=800), LimitDecision)

    clock.advance(seconds=BUDGET_HOLDS_KEPT.total_seconds() + 1)
    await purger.purge_once()
    answered = await budget.reserve(message, model="gpt-4o-mini", prompt_tokens=100, max_tokens=800)
    assert not isinstance(answered, LimitDecision)
    await budget.settle(answered, Usage(prompt_tokens=100, completion_tokens=50))
