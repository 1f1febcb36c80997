"""The store of people's 👍 / 👎 on answers (``core/feedback``)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from core.feedback.values import Feedback, FeedbackCount, RatedAnswer, Rating, Recorded
from core.messages import ChannelScope, WorkspaceScope


class FeedbackStore(Protocol):
    """Answers people may rate (persona, model, where; no text) and each person's 👍 / 👎 on them. An answer
    becomes rateable when it is stored with its exchange (``ConversationStore.add_exchange(rated=...)``)."""

    async def find_answer(self, *, platform: str, answer_id: str) -> RatedAnswer | None: ...

    async def rate(self, answer: RatedAnswer, *, user: str, rating: Rating, at: datetime) -> Recorded:
        """One rating per person per answer: NEW, CHANGED (a 👍 drops a 👎's comment), or SAME."""
        ...

    async def comment(self, *, platform: str, answer_id: str, user: str, comment: str, at: datetime) -> bool:
        """The comment on the person's 👎 of that answer; False when they have no 👎 on it."""
        ...

    async def counts(self, scope: WorkspaceScope, *, since: datetime) -> list[FeedbackCount]:
        """👍 and 👎 given (or last changed) since ``since``, by persona and model, sorted by them."""
        ...

    async def latest_comments(self, scope: WorkspaceScope, *, limit: int) -> list[Feedback]:
        """The workspace's feedback with a comment, newest first."""
        ...

    async def channel_feedback(self, scope: ChannelScope, *, limit: int) -> list[Feedback]:
        """The channel's feedback, oldest first (for ``/parley export``)."""
        ...

    async def delete_user(self, scope: WorkspaceScope, *, user: str) -> int:
        """Delete the person's feedback in the workspace; returns how many."""
        ...

    async def delete_channel(self, scope: ChannelScope) -> int:
        """Delete the channel's feedback and noted answers; returns feedback deleted."""
        ...

    async def delete_before(self, scope: ChannelScope, *, before: datetime) -> int:
        """Delete the channel's feedback and noted answers older than ``before`` (retention); feedback deleted."""
        ...

    async def forget_answers_before(self, before: datetime) -> int:
        """Forget answers noted before ``before`` (every workspace; they cannot be rated any more)."""
        ...
