"""FeedbackStore: answers people may rate, one rating per person per answer (fake, SQLite, PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from core.feedback.values import FeedbackCount, RatedAnswer, Rating, Recorded
from core.messages import ChannelScope, WorkspaceScope
from core.assembly import Stores
from core.ports import FeedbackStore
from core.records import UsageRecord

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)
WS = WorkspaceScope("slack", "T1")
C1 = ChannelScope("slack", "T1", "C1")


def answer(answer_id: str, *, channel: str = "C1", persona: str = "default", model: str = "gpt-4o-mini",
           workspace: str = "T1", at: datetime = T0) -> RatedAnswer:
    return RatedAnswer(
        platform="slack", answer_id=answer_id, workspace=workspace, channel=channel, thread="100.1",
        persona=persona, model=model, created_at=at,
    )


async def noted(stores: Stores, *answers: RatedAnswer) -> None:
    """Answers made rateable as an answer is: stored with its exchange (here without turns)."""
    for rated in answers:
        usage = UsageRecord(platform=rated.platform, workspace=rated.workspace, channel=rated.channel, user="U1",
                            model=rated.model, prompt_tokens=3, completion_tokens=4, created_at=rated.created_at)
        await stores.conversations.add_exchange([], usage=usage, rated=rated)


async def test_an_answer_noted_is_found_and_noting_again_changes_nothing(feedback: FeedbackStore, stores: Stores) -> None:
    await noted(stores, answer("C1:1"))
    await noted(stores, answer("C1:1", persona="pirate"))
    assert await feedback.find_answer(platform="slack", answer_id="C1:1") == answer("C1:1")
    assert await feedback.find_answer(platform="discord", answer_id="C1:1") is None


async def test_one_rating_per_person_per_answer_a_second_click_changes_it(feedback: FeedbackStore) -> None:
    a = answer("C1:1")
    assert await feedback.rate(a, user="U1", rating=Rating.DOWN, at=T0) is Recorded.NEW
    assert await feedback.rate(a, user="U1", rating=Rating.DOWN, at=T0) is Recorded.SAME
    assert await feedback.comment(platform="slack", answer_id="C1:1", user="U1", comment="wrong date", at=T0)
    assert [f.comment for f in await feedback.latest_comments(WS, limit=5)] == ["wrong date"]
    assert await feedback.rate(a, user="U1", rating=Rating.UP, at=T0 + timedelta(minutes=1)) is Recorded.CHANGED
    assert await feedback.rate(a, user="U2", rating=Rating.UP, at=T0) is Recorded.NEW
    [first, second] = await feedback.channel_feedback(C1, limit=10)
    assert (first.user, first.rating, first.comment, first.answer) == ("U1", Rating.UP, None, a)
    assert first.created_at == T0 and first.updated_at == T0 + timedelta(minutes=1)
    assert (second.user, second.rating) == ("U2", Rating.UP)
    assert await feedback.latest_comments(WS, limit=5) == []  # a 👍 drops the 👎's comment


async def test_only_a_down_vote_takes_a_comment(feedback: FeedbackStore) -> None:
    await feedback.rate(answer("C1:1"), user="U1", rating=Rating.UP, at=T0)
    assert not await feedback.comment(platform="slack", answer_id="C1:1", user="U1", comment="x", at=T0)
    assert not await feedback.comment(platform="slack", answer_id="C1:1", user="U9", comment="x", at=T0)


async def test_counts_by_persona_and_model_since(feedback: FeedbackStore) -> None:
    await feedback.rate(answer("C1:1"), user="U1", rating=Rating.UP, at=T0)
    await feedback.rate(answer("C1:1"), user="U2", rating=Rating.DOWN, at=T0)
    await feedback.rate(answer("C1:2", persona="pirate", model="gpt-4o"), user="U1", rating=Rating.DOWN, at=T0)
    await feedback.rate(answer("C1:3"), user="U1", rating=Rating.UP, at=T0 - timedelta(days=10))
    await feedback.rate(answer("X:1", workspace="T2"), user="U1", rating=Rating.UP, at=T0)
    assert await feedback.counts(WS, since=T0 - timedelta(days=7)) == [
        FeedbackCount("default", "gpt-4o-mini", 1, 1), FeedbackCount("pirate", "gpt-4o", 0, 1),
    ]
    assert await feedback.counts(WS, since=T0 - timedelta(days=30)) == [
        FeedbackCount("default", "gpt-4o-mini", 2, 1), FeedbackCount("pirate", "gpt-4o", 0, 1),
    ]


async def test_latest_comments_newest_first_within_the_workspace(feedback: FeedbackStore) -> None:
    for n in range(3):
        await feedback.rate(answer(f"C1:{n}"), user="U1", rating=Rating.DOWN, at=T0)
        await feedback.comment(platform="slack", answer_id=f"C1:{n}", user="U1", comment=f"c{n}",
                               at=T0 + timedelta(minutes=n))
    await feedback.rate(answer("X:1", workspace="T2"), user="U1", rating=Rating.DOWN, at=T0)
    await feedback.comment(platform="slack", answer_id="X:1", user="U1", comment="elsewhere", at=T0 + timedelta(hours=1))
    assert [f.comment for f in await feedback.latest_comments(WS, limit=2)] == ["c2", "c1"]


async def test_forget_me_reset_and_retention(feedback: FeedbackStore, stores: Stores) -> None:
    await noted(stores, answer("C1:1"), answer("C2:1", channel="C2", at=T0 - timedelta(days=40)))
    await feedback.rate(answer("C1:1"), user="U1", rating=Rating.UP, at=T0)
    await feedback.rate(answer("C1:1"), user="U2", rating=Rating.UP, at=T0)
    await feedback.rate(answer("C2:1", channel="C2"), user="U1", rating=Rating.DOWN, at=T0 - timedelta(days=40))
    await feedback.rate(answer("C2:2", channel="C2"), user="U1", rating=Rating.DOWN, at=T0)

    assert await feedback.delete_user(WS, user="U2") == 1
    assert [f.user for f in await feedback.channel_feedback(C1, limit=10)] == ["U1"]
    c2 = ChannelScope("slack", "T1", "C2")
    assert await feedback.delete_before(c2, before=T0 - timedelta(days=30)) == 1
    assert await feedback.find_answer(platform="slack", answer_id="C2:1") is None
    assert [f.answer.answer_id for f in await feedback.channel_feedback(c2, limit=10)] == ["C2:2"]
    assert await feedback.delete_channel(C1) == 1
    assert await feedback.find_answer(platform="slack", answer_id="C1:1") is None
    assert await feedback.channel_feedback(C1, limit=10) == []


async def test_old_answers_are_forgotten_their_ratings_stay(feedback: FeedbackStore, stores: Stores) -> None:
    await noted(stores, answer("C1:1", at=T0 - timedelta(days=100)), answer("C1:2"))
    await feedback.rate(answer("C1:1", at=T0 - timedelta(days=100)), user="U1", rating=Rating.UP, at=T0)
    assert await feedback.forget_answers_before(T0 - timedelta(days=90)) == 1
    assert await feedback.find_answer(platform="slack", answer_id="C1:1") is None
    assert await feedback.find_answer(platform="slack", answer_id="C1:2") is not None
    assert len(await feedback.channel_feedback(C1, limit=10)) == 1

