"""SqlBudgetCounterStore, what only SQL has: stale holds released in batches, the counters' rows.

Its behaviour as a BudgetCounterStore is in tests/contracts/test_budget_counter_store.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from core.records import BudgetKey, BudgetLine
from core.storage.budgets import SqlBudgetCounterStore
from core.storage.database import Database
from core.storage.models import BudgetCounterRow as B
from core.storage.models import BudgetHoldRow

DAY = BudgetKey(platform="slack", workspace="T1", user="", period="day:2026-11-23", unit="tokens")


def now() -> datetime:
    return datetime.now(timezone.utc)


async def reserved(database: Database, key: BudgetKey) -> int:
    query = select(B.reserved).where(
        B.platform == key.platform, B.workspace == key.workspace, B.user == key.user, B.period == key.period,
        B.unit == key.unit,
    )
    return await database.run(lambda session: session.execute(query).scalar_one())


async def holds(database: Database) -> int:
    return len(await database.run(lambda session: session.execute(select(BudgetHoldRow.id)).all()))


@pytest.mark.parametrize("batch", [5_000, 1], ids=["one batch", "one per batch"])
async def test_release_stale_handles_many_holds(database, batch):
    store = SqlBudgetCounterStore(database, release_batch=batch)
    for n in range(4):
        assert await store.reserve([BudgetLine(DAY, 1_000, 100)], hold=f"h{n}") is None
    assert await store.release_stale(now() + timedelta(seconds=1)) == 4
    assert await reserved(database, DAY) == 0
    assert await holds(database) == 0


async def test_a_refused_reservation_leaves_no_row_behind(database: Database) -> None:
    store = SqlBudgetCounterStore(database)
    assert await store.reserve([BudgetLine(DAY, 10, 50)], hold="refused") == DAY
    assert await database.run(lambda session: session.execute(select(B.id)).all()) == []
    assert await holds(database) == 0
