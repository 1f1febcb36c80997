"""SqlInbox, what only SQL has: claims from two processes, a restart, forgetting in batches.

Its behaviour as an Inbox is in tests/contracts/test_inbox.py; SqlUsageStore's and
SqlAuditLog's in tests/contracts/test_usage_store.py and test_audit_log.py.
"""

from __future__ import annotations

import asyncio

import pytest

from core.storage.database import Database
from core.storage.inbox import SqlInbox
from tests.contracts.test_inbox import test_forget_before_lets_old_finished_messages_go  # noqa: F401  (again, two per batch)
from tests.databases import same_url
from tests.core.fakes import claim_event


@pytest.fixture
def inbox(database: Database) -> SqlInbox:
    """For the contract's forget test above: batches of two claims."""
    return SqlInbox(database, delete_batch=2)


async def test_claims_from_two_processes_have_one_winner(database: Database) -> None:
    """Two engines (as two bot processes would have) racing for the same events."""
    other = Database.from_url(same_url(database))
    try:
        inboxes = [SqlInbox(database), SqlInbox(other)]
        for n in range(5):
            claims = (claim_event(inboxes[i % 2], platform="slack", event_id=f"E{n}") for i in range(6))
            results = await asyncio.gather(*claims)
            assert results.count(True) == 1
    finally:
        await other.dispose()


async def test_a_claim_survives_a_restart(database: Database) -> None:
    await claim_event(SqlInbox(database), platform="slack", event_id="Ev1")
    await database.dispose()
    reopened = Database.from_url(same_url(database))
    try:
        assert await claim_event(SqlInbox(reopened), platform="slack", event_id="Ev1") is False
    finally:
        await reopened.dispose()


async def test_two_processes_taking_over_at_once_never_take_the_same_message(database_url):
    """PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: writers take turns."""
    from datetime import datetime, timedelta, timezone

    from tests.contracts.test_inbox import accept

    first, second = Database.from_url(database_url), Database.from_url(database_url)
    try:
        inboxes = SqlInbox(first), SqlInbox(second)
        start = datetime.now(timezone.utc) - timedelta(hours=1)
        for n in range(40):
            await accept(inboxes[0], f"m{n}", owner="dead", at=start + timedelta(seconds=n))
        later = datetime.now(timezone.utc)
        rounds = await asyncio.gather(*(
            inboxes[n % 2].take_over(platform="slack", owner=f"worker-{n % 2}", now=later,
                                     lease_until=later + timedelta(minutes=1), limit=7)
            for n in range(8)
        ))
        taken = [p.message.event_id for batch in rounds for p in batch]
        assert sorted(taken) == sorted(f"m{n}" for n in range(40)) and len(taken) == len(set(taken))
    finally:
        await first.dispose()
        await second.dispose()
