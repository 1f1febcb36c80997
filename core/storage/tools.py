"""Persona tool rules (ToolSettingsStore) and the tool-call audit (ToolCallLog)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete, insert, select
from sqlalchemy.orm import Session

from core.messages import WorkspaceScope
from core.storage.database import DELETE_BATCH_ROWS, Database, dialect_insert
from core.storage.models import ToolCallRow, ToolRuleRow, utcnow
from core.tools.values import ToolCallEntry, ToolRule

R, C = ToolRuleRow, ToolCallRow


def _in(model, scope: WorkspaceScope) -> tuple:
    return (model.platform == scope.platform, model.workspace == scope.workspace)


class SqlToolSettingsStore:
    def __init__(self, database: Database):
        self._db = database

    async def rules(self, scope: WorkspaceScope, *, persona: str | None = None) -> list[ToolRule]:
        query = select(R.persona, R.target, R.policy).where(*_in(R, scope))
        if persona is not None:
            query = query.where(R.persona == persona)
        query = query.order_by(R.persona, R.target)

        def read(connection: Connection) -> list[ToolRule]:
            return [ToolRule(persona=r.persona, target=r.target, policy=r.policy) for r in connection.execute(query)]

        return await self._db.run_quick(read)

    async def set_rule(self, scope: WorkspaceScope, rule: ToolRule) -> None:
        values = {"policy": rule.policy, "updated_at": utcnow()}

        def put(session: Session) -> None:
            statement = dialect_insert(session, R).values(
                platform=scope.platform, workspace=scope.workspace, persona=rule.persona, target=rule.target, **values
            )
            session.execute(statement.on_conflict_do_update(
                index_elements=["platform", "workspace", "persona", "target"], set_=values,
            ))

        await self._db.run(put)


class SqlToolCallLog:
    def __init__(self, database: Database, *, delete_batch: int = DELETE_BATCH_ROWS):
        self._db = database
        self._delete_batch = delete_batch

    async def record(self, entry: ToolCallEntry) -> None:
        row = {
            "platform": entry.platform, "workspace": entry.workspace, "channel": entry.channel, "user": entry.user,
            "persona": entry.persona, "tool": entry.tool[:255], "outcome": entry.outcome,
            "arguments_digest": entry.arguments_digest, "result_chars": entry.result_chars,
            "approved_by": entry.approved_by, "created_at": entry.created_at,
        }
        await self._db.run_quick(lambda connection: connection.execute(insert(C.__table__), [row]))

    async def recent(self, scope: WorkspaceScope, *, limit: int = 20) -> list[ToolCallEntry]:
        query = select(C).where(*_in(C, scope)).order_by(C.created_at.desc(), C.id.desc()).limit(limit)

        def read(session: Session) -> list[ToolCallEntry]:
            return [
                ToolCallEntry(
                    platform=r.platform, workspace=r.workspace, channel=r.channel, user=r.user, persona=r.persona,
                    tool=r.tool, outcome=r.outcome, arguments_digest=r.arguments_digest, result_chars=r.result_chars,
                    approved_by=r.approved_by, created_at=r.created_at,
                )
                for r in session.scalars(query).all()
            ]

        return await self._db.run(read)

    async def forget_user(self, scope: WorkspaceScope, *, user: str) -> int:
        query = delete(C).where(C.id.in_(select(C.id).where(*_in(C, scope), C.user == user).limit(self._delete_batch)))
        return await self._db.run_batches(
            lambda session: session.execute(query, execution_options={"synchronize_session": False}).rowcount,
            size=self._delete_batch,
        )

    async def forget_before(self, before: datetime) -> int:
        query = delete(C).where(C.id.in_(select(C.id).where(C.created_at < before).limit(self._delete_batch)))
        return await self._db.run_batches(
            lambda session: session.execute(query, execution_options={"synchronize_session": False}).rowcount,
            size=self._delete_batch,
        )
