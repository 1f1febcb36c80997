"""SqlConversationStore on SQLite and PostgreSQL: what a user would notice of memory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from core.messages import ChannelScope, ConversationKey
from core.records import NewTurn, Summary
from core.messages import WorkspaceScope
from core.storage.conversations import SqlConversationStore
from core.storage.database import DELETE_BATCH_ROWS, Database
from core.storage.migrate import upgrade_to_head
from tests.infra.conftest import same_url, sqlite_url

KEY = ConversationKey(platform="slack", workspace="T1", channel="C1", thread="100.1")
T0 = datetime(2025, 1, 1, 12, 0, tzinfo=timezone.utc)


def turn(key: ConversationKey = KEY, content: str = "hi", *, role: str = "user", author: str = "U1", **kw) -> NewTurn:
    return NewTurn(key=key, role=role, author=author, content=content, token_count=len(content), **kw)


@pytest.fixture
def store(database: Database) -> SqlConversationStore:
    return SqlConversationStore(database)


@pytest.fixture(params=[DELETE_BATCH_ROWS, 1], ids=["one batch", "a turn per batch"])
def deleting(database: Database, request: pytest.FixtureRequest) -> SqlConversationStore:
    """A store for the deletes, also with batches of one turn: each batch its own transaction."""
    return SqlConversationStore(database, delete_batch=request.param)


async def contents(store: SqlConversationStore, key: ConversationKey = KEY, limit: int = 100) -> list[str]:
    return [t.content for t in await store.recent_turns(key, limit=limit)]


async def test_recent_turns_are_the_newest_n_oldest_first(store: SqlConversationStore) -> None:
    ids = await store.add_turns([turn(content=f"m{i}", role="user" if i % 2 else "assistant") for i in range(6)])
    assert ids == sorted(ids) and len(set(ids)) == 6

    recent = await store.recent_turns(KEY, limit=3)

    assert [t.content for t in recent] == ["m3", "m4", "m5"]
    assert [t.id for t in recent] == ids[3:]
    assert recent[0].key == KEY and recent[0].role == "user" and recent[0].author == "U1"
    assert recent[0].token_count == 2 and recent[0].status == "ok"


async def test_failed_turns_are_not_remembered(store: SqlConversationStore) -> None:
    await store.add_turns([turn(content="a"), turn(content="lost", status="failed"), turn(content="b")])
    assert await contents(store, limit=2) == ["a", "b"]


async def test_after_id_returns_only_later_turns(store: SqlConversationStore) -> None:
    ids = await store.add_turns([turn(content=c) for c in "abcd"])
    assert [t.content for t in await store.recent_turns(KEY, limit=10, after_id=ids[1])] == ["c", "d"]
    assert await store.recent_turns(KEY, limit=0) == []


async def test_threads_and_dms_are_separate_conversations(store: SqlConversationStore) -> None:
    other_thread = ConversationKey(platform="slack", workspace="T1", channel="C1", thread="200.2")
    dm = ConversationKey(platform="slack", workspace="T1", channel="D1")
    await store.add_turns([turn(content="thread one"), turn(other_thread, "thread two"), turn(dm, "dm")])

    assert await contents(store) == ["thread one"]
    assert await contents(store, other_thread) == ["thread two"]
    assert await contents(store, dm) == ["dm"]


async def test_memory_survives_a_restart(store: SqlConversationStore, database: Database) -> None:
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


async def test_has_assistant_turns(store: SqlConversationStore) -> None:
    assert not await store.has_assistant_turns(KEY)
    await store.add_turns([turn(content="question")])
    assert not await store.has_assistant_turns(KEY)
    await store.add_turns([turn(content="answer", role="assistant", author="bot")])
    assert await store.has_assistant_turns(KEY)


async def test_summary_is_saved_and_replaced(store: SqlConversationStore) -> None:
    assert await store.get_summary(KEY) is None
    await store.save_summary(KEY, Summary(text="first", through_turn_id=3, token_count=10))
    await store.save_summary(KEY, Summary(text="second", through_turn_id=9, token_count=20))

    assert await store.get_summary(KEY) == Summary(text="second", through_turn_id=9, token_count=20)
    assert await store.get_summary(ConversationKey(platform="slack", workspace="T1", channel="C1")) is None


async def test_delete_channel_forgets_every_thread_of_that_channel_only(deleting: SqlConversationStore) -> None:
    thread2 = ConversationKey(platform="slack", workspace="T1", channel="C1", thread="200.2")
    neighbour = ConversationKey(platform="slack", workspace="T1", channel="C2", thread="100.1")
    same_id_elsewhere = ConversationKey(platform="slack", workspace="T2", channel="C1", thread="100.1")
    await deleting.add_turns([turn(content="a"), turn(thread2, "b"), turn(neighbour, "c"), turn(same_id_elsewhere, "d")])
    for key in (KEY, thread2, neighbour):
        await deleting.save_summary(key, Summary(text=key.channel, through_turn_id=1, token_count=1))

    deleted = await deleting.delete_channel(ChannelScope(platform="slack", workspace="T1", channel="C1"))

    assert deleted == 2
    assert await contents(deleting) == [] and await contents(deleting, thread2) == []
    assert await deleting.get_summary(KEY) is None and await deleting.get_summary(thread2) is None
    assert await contents(deleting, neighbour) == ["c"]
    assert await deleting.get_summary(neighbour) is not None
    assert await contents(deleting, same_id_elsewhere) == ["d"]


async def test_delete_user_removes_only_that_users_messages_in_that_workspace(deleting: SqlConversationStore) -> None:
    other_channel = ConversationKey(platform="slack", workspace="T1", channel="C9")
    other_workspace = ConversationKey(platform="slack", workspace="T2", channel="C1")
    await deleting.add_turns(
        [
            turn(content="mine"),
            turn(content="reply", role="assistant", author="U1"),  # an assistant turn is never "the user's"
            turn(content="theirs", author="U2"),
            turn(other_channel, "mine too"),
            turn(other_workspace, "elsewhere"),
        ]
    )

    deleted = await deleting.delete_user(WorkspaceScope(platform="slack", workspace="T1"), user="U1")

    assert deleted == 2
    assert await contents(deleting) == ["reply", "theirs"]
    assert await contents(deleting, other_channel) == []
    assert await contents(deleting, other_workspace) == ["elsewhere"]


async def test_delete_before_drops_the_channels_old_turns(deleting: SqlConversationStore) -> None:
    neighbour = ConversationKey(platform="slack", workspace="T1", channel="C2")
    await deleting.add_turns(
        [
            turn(content="old", created_at=T0 - timedelta(days=40)),
            turn(content="new", created_at=T0 - timedelta(days=1)),
            turn(neighbour, "old elsewhere", created_at=T0 - timedelta(days=40)),
        ]
    )

    deleted = await deleting.delete_before(KEY.channel_scope(), before=T0 - timedelta(days=30))

    assert deleted == 1
    assert await contents(deleting) == ["new"]
    assert await contents(deleting, neighbour) == ["old elsewhere"]


async def test_times_come_back_as_aware_utc(store: SqlConversationStore) -> None:
    berlin = timezone(timedelta(hours=2))
    await store.add_turns([turn(content="given", created_at=datetime(2025, 6, 1, 14, 0, tzinfo=berlin))])
    await store.add_turns([turn(content="defaulted")])

    given, defaulted = await store.recent_turns(KEY, limit=2)

    assert given.created_at == datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)
    assert given.created_at.utcoffset() == timedelta(0)
    assert defaulted.created_at.tzinfo is not None
    assert abs(datetime.now(timezone.utc) - defaulted.created_at) < timedelta(minutes=5)
    # the cut-off compares instants, whatever zone it is given in
    assert await store.delete_before(KEY.channel_scope(), before=datetime(2025, 6, 1, 13, 59, tzinfo=berlin)) == 0
    assert await store.delete_before(KEY.channel_scope(), before=datetime(2025, 6, 1, 14, 1, tzinfo=berlin)) == 1


async def test_a_long_conversation_returns_only_the_limit(store: SqlConversationStore) -> None:
    await store.add_turns([turn(content=f"m{i}") for i in range(5_000)])
    await store.add_turns([turn(ConversationKey(platform="slack", workspace="T1", channel="C2"), "noise")] * 100)

    recent = await store.recent_turns(KEY, limit=20)

    assert [t.content for t in recent] == [f"m{i}" for i in range(4_980, 5_000)]


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


async def test_forgetting_a_user_drops_the_summaries_that_hold_their_words(deleting: SqlConversationStore) -> None:
    other = ConversationKey(platform="slack", workspace="T1", channel="C1", thread="200.2")
    ids = await deleting.add_turns([turn(content="my secret"), turn(other, "not me", author="U2")])
    await deleting.save_summary(KEY, Summary(text="U1 said a secret", through_turn_id=ids[0], token_count=5))
    await deleting.save_summary(other, Summary(text="U2 chatted", through_turn_id=ids[1], token_count=3))

    await deleting.delete_user(WorkspaceScope(platform="slack", workspace="T1"), user="U1")

    assert await deleting.get_summary(KEY) is None
    assert (await deleting.get_summary(other)).text == "U2 chatted"


async def test_retention_drops_summaries_that_folded_purged_turns(deleting: SqlConversationStore) -> None:
    fresh = ConversationKey(platform="slack", workspace="T1", channel="C1", thread="300.3")
    ids = await deleting.add_turns(
        [turn(content="old", created_at=T0 - timedelta(days=40)), turn(fresh, "new", created_at=T0)]
    )
    await deleting.save_summary(KEY, Summary(text="old stuff", through_turn_id=ids[0], token_count=2))
    await deleting.save_summary(fresh, Summary(text="new stuff", through_turn_id=ids[1], token_count=2))

    await deleting.delete_before(KEY.channel_scope(), before=T0 - timedelta(days=30))

    assert await deleting.get_summary(KEY) is None
    assert (await deleting.get_summary(fresh)).text == "new stuff"


async def test_load_window_is_the_summary_and_the_turns_after_it(store: SqlConversationStore) -> None:
    ids = await store.add_turns([turn(content=f"t{i}") for i in range(5)])
    assert await store.load_window(KEY, limit=3) == (None, await store.recent_turns(KEY, limit=3))
    summary = Summary(text="first three", through_turn_id=ids[2], token_count=3)
    await store.save_summary(KEY, summary)
    loaded, turns = await store.load_window(KEY, limit=10)
    assert loaded == summary and [t.content for t in turns] == ["t3", "t4"]


async def test_an_exchange_stores_its_turns_and_its_usage_together(store: SqlConversationStore, database: Database) -> None:
    from core.records import UsageRecord
    from core.storage.usage import SqlUsageStore

    usage = UsageRecord(
        platform="slack", workspace="T1", channel="C1", user="U1", model="m",
        prompt_tokens=7, completion_tokens=3, created_at=T0,
    )
    await store.add_exchange([turn(content="q"), turn(content="a", role="assistant")], usage=usage)
    await store.add_exchange([], usage=usage)  # memory off: usage only
    assert await contents(store) == ["q", "a"]
    (row,) = await SqlUsageStore(database).report(WorkspaceScope("slack", "T1"), since=T0)
    assert (row.requests, row.prompt_tokens, row.completion_tokens) == (2, 14, 6)
