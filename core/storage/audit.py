"""Who changed what, when (AuditLog)."""

from __future__ import annotations

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from core.records import AuditEntry
from core.messages import WorkspaceScope
from core.storage.database import Database
from core.storage.models import AuditLogRow, utcnow

Entry = AuditLogRow


def _entry(row: Entry) -> AuditEntry:
    return AuditEntry(
        platform=row.platform,
        workspace=row.workspace,
        actor=row.actor,
        action=row.action,
        target=row.target,
        before=row.before,
        after=row.after,
        created_at=row.created_at,
    )


class SqlAuditLog:
    def __init__(self, database: Database):
        self._db = database

    async def record(self, entry: AuditEntry) -> None:
        statement = insert(Entry).values(
            platform=entry.platform,
            workspace=entry.workspace,
            actor=entry.actor,
            action=entry.action,
            target=entry.target,
            before=entry.before,
            after=entry.after,
            created_at=entry.created_at or utcnow(),
        )

        def insert_one(session: Session) -> None:
            session.execute(statement)

        await self._db.run(insert_one)

    async def recent(self, scope: WorkspaceScope, *, limit: int = 20) -> list[AuditEntry]:
        """The workspace's latest ``limit`` entries, newest first."""
        query = (
            select(Entry)
            .where(Entry.platform == scope.platform, Entry.workspace == scope.workspace)
            .order_by(Entry.created_at.desc(), Entry.id.desc())
            .limit(limit)
        )
        return await self._db.run(lambda session: [_entry(row) for row in session.scalars(query).all()])
