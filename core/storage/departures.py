"""Workspaces that removed the app (DepartureStore), and erasing everything stored for one.

``erase`` covers every Parley table with a ``platform`` and a ``workspace``
column, found in the models' metadata: a table added later is covered without
a change here.  Each table is emptied of the workspace's rows in batches
(``Database.run_batches``), so the messages of other workspaces get the
database between two batches; the departure row goes last, so an erasure cut
short is done again by the next purge.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Table, delete, select, tuple_
from sqlalchemy.orm import Session

from core.messages import WorkspaceScope
from core.storage.database import DELETE_BATCH_ROWS, Database, dialect_insert
from core.storage.models import Base, WorkspaceDepartureRow

Departure = WorkspaceDepartureRow


def workspace_tables() -> list[Table]:
    """Every table holding rows of a workspace, the departures last."""
    tables = [t for t in Base.metadata.sorted_tables if "platform" in t.c and "workspace" in t.c]
    return sorted(tables, key=lambda t: t.name == Departure.__tablename__)


class SqlDepartureStore:
    def __init__(self, database: Database, *, delete_batch: int = DELETE_BATCH_ROWS) -> None:
        self._db = database
        self._delete_batch = delete_batch

    async def left(self, scope: WorkspaceScope, *, at: datetime, reason: str) -> bool:
        def insert_once(session: Session) -> bool:
            statement = dialect_insert(session, Departure).values(
                platform=scope.platform, workspace=scope.workspace, left_at=at, reason=reason
            )  # leaving already: the first time counts
            return session.execute(statement.on_conflict_do_nothing(index_elements=["platform", "workspace"])).rowcount == 1

        return await self._db.run(insert_once)

    async def returned(self, scope: WorkspaceScope) -> bool:
        statement = delete(Departure).where(*_of(Departure.__table__, scope))
        return await self._db.run(lambda session: session.execute(statement).rowcount > 0)

    async def due(self, *, left_before: datetime, limit: int = 100) -> list[WorkspaceScope]:
        query = (
            select(Departure.platform, Departure.workspace).where(Departure.left_at < left_before)
            .order_by(Departure.left_at, Departure.id).limit(limit)
        )
        return await self._db.run(
            lambda session: [WorkspaceScope(platform=r.platform, workspace=r.workspace) for r in session.execute(query)]
        )

    async def erase(self, scope: WorkspaceScope) -> int:
        total = 0
        for table in workspace_tables():
            total += await self._db.run_batches(self._batch_of(table, scope), size=self._delete_batch)
        return total

    def _batch_of(self, table: Table, scope: WorkspaceScope):
        key = list(table.primary_key.columns)
        chosen = select(*key).where(*_of(table, scope)).limit(self._delete_batch)

        def delete_batch(session: Session) -> int:
            rows = session.execute(chosen).all()
            if not rows:
                return 0
            if len(key) == 1:
                where = key[0].in_([row[0] for row in rows])
            else:
                where = tuple_(*key).in_([tuple(row) for row in rows])
            session.execute(delete(table).where(where))
            return len(rows)

        return delete_batch


def _of(table: Table, scope: WorkspaceScope) -> tuple:
    return table.c.platform == scope.platform, table.c.workspace == scope.workspace
