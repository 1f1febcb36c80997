"""Who changed what, when (AuditLog)."""

from __future__ import annotations

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.ports import AuditEntry, WorkspaceScope
from core.storage.database import Database, sessions_of
from core.storage.models import AuditLogRow, utcnow

A = AuditLogRow


class SqlAuditLog:
    def __init__(self, database: Database | async_sessionmaker[AsyncSession]):
        self._sessions = sessions_of(database)

    async def record(self, entry: AuditEntry) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                insert(A).values(
                    platform=entry.platform,
                    workspace=entry.workspace,
                    actor=entry.actor,
                    action=entry.action,
                    target=entry.target,
                    before=entry.before,
                    after=entry.after,
                    created_at=entry.created_at or utcnow(),
                )
            )

    async def recent(self, scope: WorkspaceScope, *, limit: int = 20) -> list[AuditEntry]:
        """The workspace's latest ``limit`` entries, newest first."""
        query = (
            select(A)
            .where(A.platform == scope.platform, A.workspace == scope.workspace)
            .order_by(A.created_at.desc(), A.id.desc())
            .limit(limit)
        )
        async with self._sessions() as session:
            rows = (await session.scalars(query)).all()
        return [
            AuditEntry(
                platform=row.platform,
                workspace=row.workspace,
                actor=row.actor,
                action=row.action,
                target=row.target,
                before=row.before,
                after=row.after,
                created_at=row.created_at,
            )
            for row in rows
        ]
