"""Rate limits set by admins from chat (LimitOverrideStore)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core.messages import WorkspaceScope
from core.storage.database import Database, dialect_insert
from core.storage.models import LimitOverrideRow, utcnow

Override = LimitOverrideRow


class SqlLimitOverrideStore:
    def __init__(self, database: Database):
        self._db = database

    async def get(
        self, workspace: WorkspaceScope, *, channels: Sequence[str] | None = None
    ) -> dict[tuple[str, str], str]:
        query = select(Override.channel, Override.scope, Override.value).where(
            Override.platform == workspace.platform, Override.workspace == workspace.workspace
        )
        if channels is not None:
            query = query.where(Override.channel.in_(list(channels)))
        return await self._db.run_quick(
            lambda connection: {(channel, scope): value for channel, scope, value in connection.execute(query).all()}
        )

    async def set(self, workspace: WorkspaceScope, *, channel: str, scope: str, value: str | None) -> None:
        where = (
            Override.platform == workspace.platform, Override.workspace == workspace.workspace,
            Override.channel == channel, Override.scope == scope,
        )

        def put(session: Session) -> None:
            if value is None:
                session.execute(delete(Override).where(*where), execution_options={"synchronize_session": False})
                return
            statement = dialect_insert(session, Override).values(
                platform=workspace.platform, workspace=workspace.workspace, channel=channel, scope=scope,
                value=value, updated_at=utcnow(),
            )
            session.execute(
                statement.on_conflict_do_update(
                    index_elements=["platform", "workspace", "channel", "scope"],
                    set_={"value": value, "updated_at": utcnow()},
                )
            )

        await self._db.run(put)
