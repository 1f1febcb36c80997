"""Conversation memory: turns and running summaries (ConversationStore)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, bindparam, delete, exists, insert, select, tuple_
from sqlalchemy.orm import Session

from core.messages import ChannelScope, ConversationKey
from core.feedback.values import RatedAnswer
from core.records import NewTurn, StoredAnswer, Summary, Turn, UsageRecord
from core.messages import WorkspaceScope
from core.storage.database import DELETE_BATCH_ROWS, Database, dialect_insert
from core.storage.feedback import insert_rated_answer
from core.storage.inbox import mark_stored
from core.storage.usage import insert_usage
from core.storage.models import ConversationSummaryRow, ConversationTurnRow, utcnow

TurnRow = ConversationTurnRow
SummaryRow = ConversationSummaryRow

# The statements every message runs, built once on the tables (not the ORM
# classes) with their values as parameters: SQLAlchemy then finds each one
# compiled in its cache by identity instead of building and hashing a
# statement per call, and skips the ORM's result handling.
TURNS, SUMMARIES = TurnRow.__table__, SummaryRow.__table__
CONVERSATION = ("platform", "workspace", "channel", "thread")


def _of_conversation(table) -> tuple:
    """The table's rows of one conversation, its key as parameters (``_conversation_params``)."""
    return tuple(table.c[name] == bindparam(name) for name in CONVERSATION)


SUMMARY_OF = select(SUMMARIES.c.text, SUMMARIES.c.through_turn_id, SUMMARIES.c.token_count).where(
    *_of_conversation(SUMMARIES)
)
RECENT_TURNS = (
    select(TURNS.c.id, TURNS.c.role, TURNS.c.author, TURNS.c.content, TURNS.c.token_count, TURNS.c.status,
           TURNS.c.created_at)
    .where(*_of_conversation(TURNS), TURNS.c.status == "ok",
           TURNS.c.id > bindparam("after_id"))
    .order_by(TURNS.c.id.desc())
    .limit(bindparam("limit"))
)
INSERT_TURN = insert(TURNS).returning(TURNS.c.id)
HAS_ASSISTANT_TURNS = select(
    exists().where(*_of_conversation(TURNS), TURNS.c.role == "assistant")
)


def _in_channel(model: type[TurnRow] | type[SummaryRow], scope: ChannelScope) -> tuple:
    return (
        model.platform == scope.platform,
        model.workspace == scope.workspace,
        model.channel == scope.channel,
    )


def _turn(row: TurnRow) -> Turn:
    return Turn(
        id=row.id,
        key=ConversationKey(platform=row.platform, workspace=row.workspace, channel=row.channel, thread=row.thread),
        role=row.role,
        author=row.author,
        content=row.content,
        token_count=row.token_count,
        status=row.status,
        created_at=row.created_at,
    )


def _conversation_params(key: ConversationKey) -> dict[str, str]:
    """A conversation's key as the parameters of ``_of_conversation``."""
    return {"platform": key.platform, "workspace": key.workspace, "channel": key.channel, "thread": key.thread}


def _summary_of(connection: Connection, key: ConversationKey) -> Summary | None:
    row = connection.execute(SUMMARY_OF, _conversation_params(key)).first()
    return None if row is None else Summary(text=row[0], through_turn_id=row[1], token_count=row[2])


class SqlConversationStore:
    def __init__(self, database: Database, *, delete_batch: int = DELETE_BATCH_ROWS):
        self._db = database
        self._delete_batch = delete_batch

    async def add_turns(self, turns: Sequence[NewTurn]) -> list[int]:
        """Insert ``turns`` in order in one transaction; returns their ids in the same order."""
        if not turns:
            return []
        return await self._db.run_quick(lambda connection: self._insert(connection, turns))

    async def add_exchange(
        self, turns: Sequence[NewTurn], *, usage: UsageRecord, stored: StoredAnswer | None = None,
        rated: RatedAnswer | None = None,
    ) -> list[int]:
        """An answered exchange: its turns (none when memory is off), its usage, (``stored``) its inbox
        message marked stored with the answer and (``rated``) the answer noted for feedback, in one transaction."""

        def add(connection: Connection) -> list[int]:
            insert_usage(connection, usage)
            if stored is not None:
                mark_stored(connection, stored)
            if rated is not None:
                insert_rated_answer(connection, rated)
            return self._insert(connection, turns) if turns else []

        return await self._db.run_quick(add)

    @staticmethod
    def _insert(connection: Connection, turns: Sequence[NewTurn]) -> list[int]:
        """The turns in order, one prebuilt INSERT … RETURNING id each (an exchange is two)."""
        now = utcnow()
        return [
            connection.execute(INSERT_TURN, {
                "platform": turn.key.platform,
                "workspace": turn.key.workspace,
                "channel": turn.key.channel,
                "thread": turn.key.thread,
                "role": turn.role,
                "author": turn.author,
                "content": turn.content,
                "token_count": turn.token_count,
                "status": turn.status,
                "created_at": turn.created_at or now,
            }).scalar_one()
            for turn in turns
        ]

    async def recent_turns(self, key: ConversationKey, *, limit: int, after_id: int = 0) -> list[Turn]:
        """The newest ``limit`` "ok" turns with id > after_id, oldest first.

        ``ORDER BY id DESC LIMIT n`` over ix_conversation_turns_conversation, so
        the cost depends on ``limit``, not on the conversation's length.
        """
        if limit <= 0:
            return []
        return await self._db.run_quick(lambda connection: self._recent(connection, key, limit=limit, after_id=after_id))

    async def load_window(self, key: ConversationKey, *, limit: int) -> tuple[Summary | None, list[Turn]]:
        """The summary and the newest ``limit`` turns after it, in one session."""

        def load(connection: Connection) -> tuple[Summary | None, list[Turn]]:
            summary = _summary_of(connection, key)
            after_id = summary.through_turn_id if summary else 0
            return summary, self._recent(connection, key, limit=limit, after_id=after_id)

        return await self._db.run_quick(load)

    @staticmethod
    def _recent(connection: Connection, key: ConversationKey, *, limit: int, after_id: int) -> list[Turn]:
        # Plain columns, not ORM objects: a full window is a few hundred rows on every message.
        rows = connection.execute(RECENT_TURNS, {**_conversation_params(key), "after_id": after_id, "limit": limit}).all()
        return [
            Turn(id=i, key=key, role=role, author=author, content=content, token_count=tokens, status=status,
                 created_at=created)
            for i, role, author, content, tokens, status, created in reversed(rows)
        ]

    async def has_assistant_turns(self, key: ConversationKey) -> bool:
        return await self._db.run_quick(
            lambda connection: bool(connection.scalar(HAS_ASSISTANT_TURNS, _conversation_params(key)))
        )

    async def get_summary(self, key: ConversationKey) -> Summary | None:
        return await self._db.run_quick(lambda connection: _summary_of(connection, key))

    async def save_summary(self, key: ConversationKey, summary: Summary) -> None:
        """Insert or replace the conversation's summary (one statement, race-free)."""
        values = {
            "text": summary.text,
            "through_turn_id": summary.through_turn_id,
            "token_count": summary.token_count,
            "updated_at": utcnow(),
        }

        def save(connection: Connection) -> None:
            insert = dialect_insert(connection, SUMMARIES).values(
                platform=key.platform, workspace=key.workspace, channel=key.channel, thread=key.thread, **values
            )
            connection.execute(
                insert.on_conflict_do_update(index_elements=["platform", "workspace", "channel", "thread"], set_=values)
            )

        await self._db.run_quick(save)

    async def delete_channel(self, scope: ChannelScope) -> int:
        """Delete every turn and summary of every thread in the channel; returns turns deleted."""
        deleted = await self._delete_turns(scope.platform, scope.workspace, _in_channel(TurnRow, scope))
        await self._db.run(
            lambda session: session.execute(
                delete(SummaryRow).where(*_in_channel(SummaryRow, scope)), execution_options={"synchronize_session": False}
            )
        )
        return deleted

    async def delete_user(self, scope: WorkspaceScope, *, user: str) -> int:
        """Delete the turns the user wrote (role "user") anywhere in the workspace.

        The running summaries of the conversations they took part in go too:
        a summary would otherwise keep what they said.
        """
        mine = (
            TurnRow.platform == scope.platform, TurnRow.workspace == scope.workspace,
            TurnRow.author == user, TurnRow.role == "user",
        )
        return await self._delete_turns(scope.platform, scope.workspace, mine)

    async def delete_before(self, scope: ChannelScope, *, before: datetime) -> int:
        """Delete the channel's turns created before ``before``; returns turns deleted.

        A summary that folded any of those turns is deleted with them.
        """
        old = (*_in_channel(TurnRow, scope), TurnRow.created_at < before)
        return await self._delete_turns(scope.platform, scope.workspace, old)

    async def _delete_turns(self, platform: str, workspace: str, where: tuple) -> int:
        """Delete the workspace's turns matching ``where``, and the summaries of their conversations.

        A batch of turns per transaction (``Database.run_batches``); a summary
        goes with the batch that deletes any turn of its conversation.
        """
        batch = select(TurnRow.id, TurnRow.channel, TurnRow.thread).where(*where).limit(self._delete_batch)

        def delete_batch(session: Session) -> int:
            rows = session.execute(batch).all()
            if rows:
                session.execute(
                    delete(TurnRow).where(TurnRow.id.in_([row.id for row in rows])), execution_options={"synchronize_session": False}
                )
                self._delete_summaries(session, platform, workspace, sorted({(row.channel, row.thread) for row in rows}))
            return len(rows)

        return await self._db.run_batches(delete_batch, size=self._delete_batch)

    async def channel_turns(self, scope: ChannelScope, *, limit: int) -> list[Turn]:
        """The channel's turns (every thread and status), oldest first, at most ``limit`` (for export)."""
        query = select(TurnRow).where(*_in_channel(TurnRow, scope)).order_by(TurnRow.id).limit(limit)
        return await self._db.run(lambda session: [_turn(row) for row in session.scalars(query).all()])

    @staticmethod
    def _delete_summaries(session: Session, platform: str, workspace: str, conversations: list[tuple[str, str]]) -> None:
        for start in range(0, len(conversations), 500):
            batch = conversations[start : start + 500]
            session.execute(
                delete(SummaryRow).where(
                    SummaryRow.platform == platform, SummaryRow.workspace == workspace,
                    tuple_(SummaryRow.channel, SummaryRow.thread).in_(batch),
                ),
                execution_options={"synchronize_session": False},
            )
