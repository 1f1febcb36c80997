"""Answers people may rate and their 👍 / 👎 (FeedbackStore)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, case, delete, func, select, update
from sqlalchemy.orm import Session

from core.feedback.values import Feedback, FeedbackCount, RatedAnswer, Rating, Recorded
from core.messages import ChannelScope, WorkspaceScope
from core.storage.database import Database, dialect_insert, per_dialect
from core.storage.models import FeedbackAnswerRow, FeedbackRow

Answer = FeedbackAnswerRow
Vote = FeedbackRow

NOTE_ANSWER = per_dialect(lambda insert: insert(Answer.__table__).on_conflict_do_nothing())  # once per answer


def insert_rated_answer(connection: Connection, answer: RatedAnswer) -> None:
    """Note the answer as rateable, in the conversation store's exchange transaction; noting it again changes
    nothing."""
    connection.execute(NOTE_ANSWER[connection.dialect.name], {
        "platform": answer.platform, "answer_id": answer.answer_id, "workspace": answer.workspace,
        "channel": answer.channel, "thread": answer.thread, "persona": answer.persona, "model": answer.model,
        "created_at": answer.created_at,
    })


def _answer(row: Answer | Vote, *, created_at: datetime) -> RatedAnswer:
    return RatedAnswer(
        platform=row.platform, answer_id=row.answer_id, workspace=row.workspace, channel=row.channel,
        thread=row.thread, persona=row.persona, model=row.model, created_at=created_at,
    )


def _feedback(row: Vote) -> Feedback:
    return Feedback(
        answer=_answer(row, created_at=row.answered_at), user=row.user, rating=Rating(row.rating), comment=row.comment,
        created_at=row.created_at, updated_at=row.updated_at,
    )


def _in_channel(table, scope: ChannelScope) -> tuple:
    return table.platform == scope.platform, table.workspace == scope.workspace, table.channel == scope.channel


class SqlFeedbackStore:
    def __init__(self, database: Database):
        self._db = database

    async def find_answer(self, *, platform: str, answer_id: str) -> RatedAnswer | None:
        query = select(Answer).where(Answer.platform == platform, Answer.answer_id == answer_id)
        return await self._db.run(lambda session: next((_answer(row, created_at=row.created_at) for row in session.scalars(query)), None))

    async def rate(self, answer: RatedAnswer, *, user: str, rating: Rating, at: datetime) -> Recorded:
        mine = (Vote.platform == answer.platform, Vote.answer_id == answer.answer_id, Vote.user == user)

        def put(session: Session) -> Recorded:
            # One row per person per answer, whoever clicks at the same time: insert or nothing, then compare.
            inserted = session.execute(
                dialect_insert(session, Vote).values(
                    platform=answer.platform, answer_id=answer.answer_id, user=user, workspace=answer.workspace,
                    channel=answer.channel, thread=answer.thread, persona=answer.persona, model=answer.model,
                    answered_at=answer.created_at, rating=rating.value, comment=None, created_at=at, updated_at=at,
                ).on_conflict_do_nothing()
            )
            if inserted.rowcount:
                return Recorded.NEW
            changed = session.execute(
                update(Vote).where(*mine, Vote.rating != rating.value)
                .values(rating=rating.value, comment=None, updated_at=at)
                .execution_options(synchronize_session=False)
            )
            return Recorded.CHANGED if changed.rowcount else Recorded.SAME

        return await self._db.run(put)

    async def comment(self, *, platform: str, answer_id: str, user: str, comment: str, at: datetime) -> bool:
        statement = (
            update(Vote)
            .where(Vote.platform == platform, Vote.answer_id == answer_id, Vote.user == user,
                   Vote.rating == Rating.DOWN.value)
            .values(comment=comment, updated_at=at)
            .execution_options(synchronize_session=False)
        )
        return await self._db.run(lambda session: session.execute(statement).rowcount > 0)

    async def counts(self, scope: WorkspaceScope, *, since: datetime) -> list[FeedbackCount]:
        up = func.coalesce(func.sum(case((Vote.rating == Rating.UP.value, 1), else_=0)), 0)
        down = func.coalesce(func.sum(case((Vote.rating == Rating.DOWN.value, 1), else_=0)), 0)
        query = (
            select(Vote.persona, Vote.model, up, down)
            .where(Vote.platform == scope.platform, Vote.workspace == scope.workspace, Vote.updated_at >= since)
            .group_by(Vote.persona, Vote.model)
            .order_by(Vote.persona, Vote.model)
        )
        rows = await self._db.run(lambda session: session.execute(query).all())
        return [FeedbackCount(persona, model, int(u), int(d)) for persona, model, u, d in rows]

    async def latest_comments(self, scope: WorkspaceScope, *, limit: int) -> list[Feedback]:
        query = (
            select(Vote)
            .where(Vote.platform == scope.platform, Vote.workspace == scope.workspace, Vote.comment.is_not(None))
            .order_by(Vote.updated_at.desc(), Vote.id.desc())
            .limit(limit)
        )
        return await self._db.run(lambda session: [_feedback(row) for row in session.scalars(query)])

    async def channel_feedback(self, scope: ChannelScope, *, limit: int) -> list[Feedback]:
        query = select(Vote).where(*_in_channel(Vote, scope)).order_by(Vote.created_at, Vote.id).limit(limit)
        return await self._db.run(lambda session: [_feedback(row) for row in session.scalars(query)])

    async def delete_user(self, scope: WorkspaceScope, *, user: str) -> int:
        statement = delete(Vote).where(
            Vote.platform == scope.platform, Vote.workspace == scope.workspace, Vote.user == user
        ).execution_options(synchronize_session=False)
        return await self._db.run(lambda session: session.execute(statement).rowcount)

    async def delete_channel(self, scope: ChannelScope) -> int:
        return await self._delete(_in_channel(Vote, scope), _in_channel(Answer, scope))

    async def delete_before(self, scope: ChannelScope, *, before: datetime) -> int:
        return await self._delete(
            (*_in_channel(Vote, scope), Vote.created_at < before),
            (*_in_channel(Answer, scope), Answer.created_at < before),
        )

    async def forget_answers_before(self, before: datetime) -> int:
        statement = delete(Answer).where(Answer.created_at < before).execution_options(synchronize_session=False)
        return await self._db.run(lambda session: session.execute(statement).rowcount)

    async def _delete(self, votes: tuple, answers: tuple) -> int:
        def delete_both(session: Session) -> int:
            deleted = session.execute(delete(Vote).where(*votes).execution_options(synchronize_session=False))
            session.execute(delete(Answer).where(*answers).execution_options(synchronize_session=False))
            return deleted.rowcount

        return await self._db.run(delete_both)
