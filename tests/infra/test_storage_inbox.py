"""SqlInbox, what only SQL has: claims from two processes, a restart, forgetting in batches.

Its behaviour as an Inbox is in tests/contracts/test_inbox.py; SqlUsageStore's and
SqlAuditLog's in tests/contracts/test_usage_store.py and test_audit_log.py.
"""

from __future__ import annotations

import asyncio

import pytest

from core.storage.database import Database
from core.storage.inbox import SqlInbox
from tests.contracts.test_inbox import test_forget_before_lets_old_events_go  # noqa: F401  (again, two per batch)
from tests.databases import same_url


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
