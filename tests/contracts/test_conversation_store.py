"""ConversationStore: what a user would notice of memory (fake, SQLite, PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from core.assembly import Stores
from core.messages import ChannelScope, ConversationKey, WorkspaceScope
from core.ports import ConversationStore
from core.records import NewTurn, Summary, UsageRecord

KEY = ConversationKey(platform="slack", workspace="T1", channel="C1", thread="100.1")
T0 = datetime(2025, 1, 1, 12, 0, tzinfo=timezone.utc)


def turn(key: ConversationKey = KEY, content: str = "hi", *, role: str = "user", author: str = "U1", **kw) -> NewTurn:
    return NewTurn(key=key, role=role, author=author, content=content, token_count=len(content), **kw)


async def contents(store: ConversationStore, key: ConversationKey = KEY, limit: int = 100) -> list[str]:
    return [t.content for t in await store.recent_turns(key, limit=limit)]


async def test_recent_turns_are_the_newest_n_oldest_first(conversations: ConversationStore) -> None:
    ids = await conversations.add_turns([turn(content=f"m{i}", role="user" if i % 2 else "assistant") for i in range(6)])
    assert ids == sorted(ids) and len(set(ids)) == 6

    recent = await conversations.recent_turns(KEY, limit=3)

    assert [t.content for t in recent] == ["m3", "m4", "m5"]
    assert [t.id for t in recent] == ids[3:]
    assert recent[0].key == KEY and recent[0].role == "user" and recent[0].author == "U1"
    assert recent[0].token_count == 2 and recent[0].status == "ok"


async def test_adding_no_turns_adds_nothing(conversations: ConversationStore) -> None:
    assert await conversations.add_turns([]) == []
    assert await contents(conversations) == []


async def test_failed_turns_are_not_remembered(conversations: ConversationStore) -> None:
    await conversations.add_turns([turn(content="a"), turn(content="lost", status="failed"), turn(content="b")])
    assert await contents(conversations, limit=2) == ["a", "b"]


async def test_after_id_returns_only_later_turns(conversations: ConversationStore) -> None:
    ids = await conversations.add_turns([turn(content=c) for c in "abcd"])
    assert [t.content for t in await conversations.recent_turns(KEY, limit=10, after_id=ids[1])] == ["c", "d"]
    assert await conversations.recent_turns(KEY, limit=0) == []


async def test_a_new_turn_gets_an_id_above_every_stored_one(conversations: ConversationStore) -> None:
    neighbour = ConversationKey(platform="slack", workspace="T1", channel="C2")
    await conversations.add_turns([turn(neighbour, "a"), turn(neighbour, "b")])
    (kept,) = await conversations.add_turns([turn(content="c")])
    await conversations.delete_channel(neighbour.channel_scope())

    (added,) = await conversations.add_turns([turn(content="d")])

    assert added > kept
    assert [t.content for t in await conversations.recent_turns(KEY, limit=10, after_id=kept)] == ["d"]


async def test_threads_and_dms_are_separate_conversations(conversations: ConversationStore) -> None:
    other_thread = ConversationKey(platform="slack", workspace="T1", channel="C1", thread="200.2")
    dm = ConversationKey(platform="slack", workspace="T1", channel="D1")
    await conversations.add_turns([turn(content="thread one"), turn(other_thread, "thread two"), turn(dm, "dm")])

    assert await contents(conversations) == ["thread one"]
    assert await contents(conversations, other_thread) == ["thread two"]
    assert await contents(conversations, dm) == ["dm"]


async def test_has_assistant_turns(conversations: ConversationStore) -> None:
    assert not await conversations.has_assistant_turns(KEY)
    await conversations.add_turns([turn(content="question")])
    assert not await conversations.has_assistant_turns(KEY)
    await conversations.add_turns([turn(content="answer", role="assistant", author="bot")])
    assert await conversations.has_assistant_turns(KEY)


async def test_summary_is_saved_and_replaced(conversations: ConversationStore) -> None:
    assert await conversations.get_summary(KEY) is None
    await conversations.save_summary(KEY, Summary(text="first", through_turn_id=3, token_count=10))
    await conversations.save_summary(KEY, Summary(text="second", through_turn_id=9, token_count=20))

    assert await conversations.get_summary(KEY) == Summary(text="second", through_turn_id=9, token_count=20)
    assert await conversations.get_summary(ConversationKey(platform="slack", workspace="T1", channel="C1")) is None


async def test_load_window_is_the_summary_and_the_turns_after_it(conversations: ConversationStore) -> None:
    ids = await conversations.add_turns([turn(content=f"t{i}") for i in range(5)])
    assert await conversations.load_window(KEY, limit=3) == (None, await conversations.recent_turns(KEY, limit=3))
    summary = Summary(text="first three", through_turn_id=ids[2], token_count=3)
    await conversations.save_summary(KEY, summary)
    loaded, turns = await conversations.load_window(KEY, limit=10)
    assert loaded == summary and [t.content for t in turns] == ["t3", "t4"]


async def test_a_long_conversation_returns_only_the_limit(conversations: ConversationStore) -> None:
    await conversations.add_turns([turn(content=f"m{i}") for i in range(5_000)])
    await conversations.add_turns([turn(ConversationKey(platform="slack", workspace="T1", channel="C2"), "noise")] * 100)

    recent = await conversations.recent_turns(KEY, limit=20)

    assert [t.content for t in recent] == [f"m{i}" for i in range(4_980, 5_000)]


async def test_channel_turns_are_every_thread_and_status_oldest_first(conversations: ConversationStore) -> None:
    thread2 = ConversationKey(platform="slack", workspace="T1", channel="C1", thread="200.2")
    neighbour = ConversationKey(platform="slack", workspace="T1", channel="C2", thread="100.1")
    ids = await conversations.add_turns(
        [turn(content="a"), turn(neighbour, "elsewhere"), turn(thread2, "b", status="failed"), turn(content="c")]
    )

    turns = await conversations.channel_turns(KEY.channel_scope(), limit=10)

    assert [(t.id, t.key, t.content, t.status) for t in turns] == [
        (ids[0], KEY, "a", "ok"), (ids[2], thread2, "b", "failed"), (ids[3], KEY, "c", "ok"),
    ]
    assert [t.content for t in await conversations.channel_turns(KEY.channel_scope(), limit=2)] == ["a", "b"]


async def test_an_exchange_stores_its_turns_and_its_usage_together(stores: Stores) -> None:
    usage = UsageRecord(
        platform="slack", workspace="T1", channel="C1", user="U1", model="m",
        prompt_tokens=7, completion_tokens=3, created_at=T0,
    )
    await stores.conversations.add_exchange([turn(content="q"), turn(content="a", role="assistant")], usage=usage)
    await stores.conversations.add_exchange([], usage=usage)  # memory off: usage only
    assert await contents(stores.conversations) == ["q", "a"]
    (row,) = await stores.usage.report(WorkspaceScope("slack", "T1"), since=T0)
    assert (row.requests, row.prompt_tokens, row.completion_tokens) == (2, 14, 6)


async def test_times_come_back_as_aware_utc(conversations: ConversationStore) -> None:
    berlin = timezone(timedelta(hours=2))
    await conversations.add_turns([turn(content="given", created_at=datetime(2025, 6, 1, 14, 0, tzinfo=berlin))])
    await conversations.add_turns([turn(content="defaulted")])

    given, defaulted = await conversations.recent_turns(KEY, limit=2)

    assert given.created_at == datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)
    assert given.created_at.utcoffset() == timedelta(0)
    assert defaulted.created_at.tzinfo is not None
    assert abs(datetime.now(timezone.utc) - defaulted.created_at) < timedelta(minutes=5)
    # the cut-off compares instants, whatever zone it is given in
    assert await conversations.delete_before(KEY.channel_scope(), before=datetime(2025, 6, 1, 13, 59, tzinfo=berlin)) == 0
    assert await conversations.delete_before(KEY.channel_scope(), before=datetime(2025, 6, 1, 14, 1, tzinfo=berlin)) == 1


async def test_a_time_without_a_zone_is_taken_as_utc(conversations: ConversationStore) -> None:
    await conversations.add_turns([turn(content="naive", created_at=datetime(2025, 6, 1, 12, 0))])

    (naive,) = await conversations.recent_turns(KEY, limit=1)

    assert naive.created_at == datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)
    assert await conversations.delete_before(KEY.channel_scope(), before=datetime(2025, 6, 1, 11, 59)) == 0
    assert await conversations.delete_before(KEY.channel_scope(), before=datetime(2025, 6, 1, 12, 1)) == 1


# --- deletes: reset, forget-me, retention (tests/infra runs these again in batches of one turn) ---


async def test_delete_channel_forgets_every_thread_of_that_channel_only(conversations: ConversationStore) -> None:
    thread2 = ConversationKey(platform="slack", workspace="T1", channel="C1", thread="200.2")
    neighbour = ConversationKey(platform="slack", workspace="T1", channel="C2", thread="100.1")
    same_id_elsewhere = ConversationKey(platform="slack", workspace="T2", channel="C1", thread="100.1")
    await conversations.add_turns(
        [turn(content="a"), turn(thread2, "b"), turn(neighbour, "c"), turn(same_id_elsewhere, "d")]
    )
    for key in (KEY, thread2, neighbour):
        await conversations.save_summary(key, Summary(text=key.channel, through_turn_id=1, token_count=1))

    deleted = await conversations.delete_channel(ChannelScope(platform="slack", workspace="T1", channel="C1"))

    assert deleted == 2
    assert await contents(conversations) == [] and await contents(conversations, thread2) == []
    assert await conversations.get_summary(KEY) is None and await conversations.get_summary(thread2) is None
    assert await contents(conversations, neighbour) == ["c"]
    assert await conversations.get_summary(neighbour) is not None
    assert await contents(conversations, same_id_elsewhere) == ["d"]


async def test_delete_user_removes_only_that_users_messages_in_that_workspace(conversations: ConversationStore) -> None:
    other_channel = ConversationKey(platform="slack", workspace="T1", channel="C9")
    other_workspace = ConversationKey(platform="slack", workspace="T2", channel="C1")
    await conversations.add_turns(
        [
            turn(content="mine"),
            turn(content="reply", role="assistant", author="U1"),  # an assistant turn is never "the user's"
            turn(content="theirs", author="U2"),
            turn(other_channel, "mine too"),
            turn(other_workspace, "elsewhere"),
        ]
    )

    deleted = await conversations.delete_user(WorkspaceScope(platform="slack", workspace="T1"), user="U1")

    assert deleted == 2
    assert await contents(conversations) == ["reply", "theirs"]
    assert await contents(conversations, other_channel) == []
    assert await contents(conversations, other_workspace) == ["elsewhere"]


async def test_forgetting_a_user_drops_the_summaries_that_hold_their_words(conversations: ConversationStore) -> None:
    other = ConversationKey(platform="slack", workspace="T1", channel="C1", thread="200.2")
    ids = await conversations.add_turns([turn(content="my secret"), turn(other, "not me", author="U2")])
    await conversations.save_summary(KEY, Summary(text="U1 said a secret", through_turn_id=ids[0], token_count=5))
    await conversations.save_summary(other, Summary(text="U2 chatted", through_turn_id=ids[1], token_count=3))

    await conversations.delete_user(WorkspaceScope(platform="slack", workspace="T1"), user="U1")

    assert await conversations.get_summary(KEY) is None
    assert (await conversations.get_summary(other)).text == "U2 chatted"


async def test_delete_before_drops_the_channels_old_turns(conversations: ConversationStore) -> None:
    neighbour = ConversationKey(platform="slack", workspace="T1", channel="C2")
    await conversations.add_turns(
        [
            turn(content="old", created_at=T0 - timedelta(days=40)),
            turn(content="new", created_at=T0 - timedelta(days=1)),
            turn(neighbour, "old elsewhere", created_at=T0 - timedelta(days=40)),
        ]
    )

    deleted = await conversations.delete_before(KEY.channel_scope(), before=T0 - timedelta(days=30))

    assert deleted == 1
    assert await contents(conversations) == ["new"]
    assert await contents(conversations, neighbour) == ["old elsewhere"]


async def test_retention_drops_summaries_that_folded_purged_turns(conversations: ConversationStore) -> None:
    fresh = ConversationKey(platform="slack", workspace="T1", channel="C1", thread="300.3")
    ids = await conversations.add_turns(
        [turn(content="old", created_at=T0 - timedelta(days=40)), turn(fresh, "new", created_at=T0)]
    )
    await conversations.save_summary(KEY, Summary(text="old stuff", through_turn_id=ids[0], token_count=2))
    await conversations.save_summary(fresh, Summary(text="new stuff", through_turn_id=ids[1], token_count=2))

    await conversations.delete_before(KEY.channel_scope(), before=T0 - timedelta(days=30))

    assert await conversations.get_summary(KEY) is None
    assert (await conversations.get_summary(fresh)).text == "new stuff"
