"""Exactly-once event handling across processes (Inbox)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete, select, tuple_
from sqlalchemy.orm import Session

from core.storage.database import DELETE_BATCH_ROWS, Database, dialect_of, per_dialect
from core.storage.models import ProcessedEventRow, utcnow

Event = ProcessedEventRow
# Every message claims its event: a prebuilt Core statement, values as parameters.
CLAIM = per_dialect(
    lambda insert: insert(Event.__table__).on_conflict_do_nothing(index_elements=["platform", "event_id"])
)


class SqlInbox:
    def __init__(self, database: Database, *, delete_batch: int = DELETE_BATCH_ROWS):
        self._db = database
        self._delete_batch = delete_batch

    async def claim(self, *, platform: str, event_id: str) -> bool:
        """True for the one caller whose INSERT of (platform, event_id) commits.

        The primary key does the arbitration inside the database, so this holds
        across processes and hosts: every other concurrent or later claim
        inserts nothing (ON CONFLICT DO NOTHING, so no error in the server's
        log for each duplicate delivery) and gets False.
        """

        def claim(connection: Connection) -> bool:
            values = {"platform": platform, "event_id": event_id, "created_at": utcnow()}
            return connection.execute(CLAIM[dialect_of(connection)], values).rowcount == 1

        return await self._db.run_quick(claim)

    async def forget_before(self, before: datetime) -> int:
        """Drop claims older than ``before``; returns how many (a batch per transaction)."""
        batch = select(Event.platform, Event.event_id).where(Event.created_at < before).limit(self._delete_batch)

        def forget(session: Session) -> int:
            result = session.execute(
                delete(Event).where(tuple_(Event.platform, Event.event_id).in_(batch)),
                execution_options={"synchronize_session": False},
            )
            return result.rowcount

        return await self._db.run_batches(forget, size=self._delete_batch)
