"""SqlConversationStore, what only SQL has: a restart, the index, WAL, deletes in batches.

Its behaviour as a ConversationStore is in tests/contracts/test_conversation_store.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text

from core.records import Summary
from core.storage.conversations import SqlConversationStore
from core.storage.database import Database
from core.storage.migrate import upgrade_to_head
from tests.contracts.test_conversation_store import KEY, contents, turn
from tests.databases import same_url, sqlite_url

# The deletes again, a turn per batch: each batch its own transaction, the same outcome.
from tests.contracts.test_conversation_store import (  # noqa: F401  (collected here with the fixture below)
    test_delete_before_drops_the_channels_old_turns,
    test_delete_channel_forgets_every_thread_of_that_channel_only,
    test_delete_user_removes_only_that_users_messages_in_that_workspace,
    test_forgetting_a_user_drops_the_summaries_that_hold_their_words,
    test_retention_drops_summaries_that_folded_purged_turns,
)


@pytest.fixture
def conversations(database: Database) -> SqlConversationStore:
    """For the contract's delete tests above: batches of one turn."""
    return SqlConversationStore(database, delete_batch=1)


async def test_memory_survives_a_restart(database: Database) -> None:
    store = SqlConversationStore(database)
    await store.add_turns([turn(content="remember me"), turn(content="ok", role="assistant", author="bot")])
    await store.save_summary(KEY, Summary(text="so far", through_turn_id=1, token_count=2))
    await database.dispose()

    reopened = Database.from_url(same_url(database))
    try:
        again = SqlConversationStore(reopened)
        assert await contents(again) == ["remember me", "ok"]
        assert await again.get_summary(KEY) == Summary(text="so far", through_turn_id=1, token_count=2)
        assert await again.has_assistant_turns(KEY)
    finally:
        await reopened.dispose()


@pytest.fixture
async def sqlite_database(tmp_path) -> AsyncIterator[Database]:
    url = sqlite_url(tmp_path / "plain.db")
    await upgrade_to_head(url)
    database = Database.from_url(url)
    yield database
    await database.dispose()


async def test_sqlite_recent_turns_reads_through_the_conversation_index(sqlite_database: Database) -> None:
    await SqlConversationStore(sqlite_database).add_turns([turn(content="x")])
    sql = (
        "EXPLAIN QUERY PLAN SELECT * FROM conversation_turns WHERE platform = 'slack' AND workspace = 'T1' "
        "AND channel = 'C1' AND thread = '1' AND status = 'ok' AND id > 0 ORDER BY id DESC LIMIT 20"
    )
    async with sqlite_database.engine.connect() as connection:
        plan = " ".join(str(row[-1]) for row in await connection.execute(text(sql)))
    assert "ix_conversation_turns_conversation" in plan
    assert "TEMP B-TREE" not in plan  # no sort: the index already yields id order


async def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(sqlite_database: Database) -> None:
    async with sqlite_database.engine.connect() as connection:
        assert (await connection.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
        assert (await connection.execute(text("PRAGMA busy_timeout"))).scalar() > 0
