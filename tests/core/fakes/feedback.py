"""FeedbackStore in memory, behaving as core/storage/feedback.py does (tests/contracts checks both)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from core.feedback.values import Feedback, FeedbackCount, RatedAnswer, Rating, Recorded
from core.messages import ChannelScope, WorkspaceScope
from core.storage.models import as_utc


def _in(answer: RatedAnswer, scope: ChannelScope | WorkspaceScope) -> bool:
    where = (answer.platform, answer.workspace)
    if isinstance(scope, ChannelScope):
        return (*where, answer.channel) == (scope.platform, scope.workspace, scope.channel)
    return where == (scope.platform, scope.workspace)


class MemoryFeedbackStore:
    def __init__(self) -> None:
        self.answers: dict[tuple[str, str], RatedAnswer] = {}
        self.votes: dict[tuple[str, str, str], Feedback] = {}  # (platform, answer_id, user)

    def remember(self, answer: RatedAnswer) -> None:
        """An answer stored with its exchange (``MemoryConversationStore.add_exchange(rated=...)``)."""
        self.answers.setdefault((answer.platform, answer.answer_id), replace(answer, created_at=as_utc(answer.created_at)))

    async def find_answer(self, *, platform: str, answer_id: str) -> RatedAnswer | None:
        return self.answers.get((platform, answer_id))

    async def rate(self, answer: RatedAnswer, *, user: str, rating: Rating, at: datetime) -> Recorded:
        key, at = (answer.platform, answer.answer_id, user), as_utc(at)
        current = self.votes.get(key)
        if current is None:
            self.votes[key] = Feedback(answer=answer, user=user, rating=rating, comment=None, created_at=at, updated_at=at)
            return Recorded.NEW
        if current.rating is rating:
            return Recorded.SAME
        self.votes[key] = replace(current, rating=rating, comment=None, updated_at=at)
        return Recorded.CHANGED

    async def comment(self, *, platform: str, answer_id: str, user: str, comment: str, at: datetime) -> bool:
        current = self.votes.get((platform, answer_id, user))
        if current is None or current.rating is not Rating.DOWN:
            return False
        self.votes[(platform, answer_id, user)] = replace(current, comment=comment, updated_at=as_utc(at))
        return True

    async def counts(self, scope: WorkspaceScope, *, since: datetime) -> list[FeedbackCount]:
        totals: dict[tuple[str, str], list[int]] = {}
        for vote in self.votes.values():
            if _in(vote.answer, scope) and vote.updated_at >= as_utc(since):
                pair = totals.setdefault((vote.answer.persona, vote.answer.model), [0, 0])
                pair[0 if vote.rating is Rating.UP else 1] += 1
        return [FeedbackCount(persona, model, up, down) for (persona, model), (up, down) in sorted(totals.items())]

    async def latest_comments(self, scope: WorkspaceScope, *, limit: int) -> list[Feedback]:
        mine = [v for v in self.votes.values() if _in(v.answer, scope) and v.comment is not None]
        return sorted(mine, key=lambda v: v.updated_at, reverse=True)[:limit]

    async def channel_feedback(self, scope: ChannelScope, *, limit: int) -> list[Feedback]:
        return [v for v in self.votes.values() if _in(v.answer, scope)][:limit]  # insertion order: oldest first

    async def delete_user(self, scope: WorkspaceScope, *, user: str) -> int:
        return self._drop_votes(lambda v: _in(v.answer, scope) and v.user == user)

    async def delete_channel(self, scope: ChannelScope) -> int:
        self._drop_answers(lambda a: _in(a, scope))
        return self._drop_votes(lambda v: _in(v.answer, scope))

    async def delete_before(self, scope: ChannelScope, *, before: datetime) -> int:
        before = as_utc(before)
        self._drop_answers(lambda a: _in(a, scope) and a.created_at < before)
        return self._drop_votes(lambda v: _in(v.answer, scope) and v.created_at < before)

    async def forget_answers_before(self, before: datetime) -> int:
        return self._drop_answers(lambda a: a.created_at < as_utc(before))

    def _drop_votes(self, doomed) -> int:
        keys = [k for k, v in self.votes.items() if doomed(v)]
        for key in keys:
            del self.votes[key]
        return len(keys)

    def _drop_answers(self, doomed) -> int:
        keys = [k for k, a in self.answers.items() if doomed(a)]
        for key in keys:
            del self.answers[key]
        return len(keys)
