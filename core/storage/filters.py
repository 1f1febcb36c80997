"""Filter policy, blocklist rules (FilterSettingsStore) and filter decisions (FilterDecisionLog)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, delete, insert, select
from sqlalchemy.orm import Session

from core.filters.values import BlockRule, FilterDecision, FilterPolicy
from core.messages import WorkspaceScope
from core.storage.database import DELETE_BATCH_ROWS, Database, dialect_insert
from core.storage.models import FilterDecisionRow, FilterPolicyRow, FilterRuleRow, utcnow

P, R, D = FilterPolicyRow, FilterRuleRow, FilterDecisionRow


def _in(model, scope: WorkspaceScope) -> tuple:
    return (model.platform == scope.platform, model.workspace == scope.workspace)


def _decision(r: D) -> FilterDecision:
    return FilterDecision(
        platform=r.platform, workspace=r.workspace, channel=r.channel, user=r.user, direction=r.direction,
        filter=r.filter, category=r.category, action=r.action, created_at=r.created_at,
    )


class SqlFilterSettingsStore:
    def __init__(self, database: Database):
        self._db = database

    async def get_policy(self, scope: WorkspaceScope) -> FilterPolicy:
        query = select(P.pii, P.blocklist, P.moderation).where(*_in(P, scope))

        def get(connection: Connection) -> FilterPolicy:
            row = connection.execute(query).first()
            if row is None:
                return FilterPolicy()
            return FilterPolicy(pii=row.pii, blocklist=row.blocklist, moderation=row.moderation)

        return await self._db.run_quick(get)

    async def put_policy(self, scope: WorkspaceScope, policy: FilterPolicy) -> None:
        values = {"pii": policy.pii, "blocklist": policy.blocklist, "moderation": policy.moderation,
                  "updated_at": utcnow()}

        def put(session: Session) -> None:
            statement = dialect_insert(session, P).values(platform=scope.platform, workspace=scope.workspace, **values)
            session.execute(statement.on_conflict_do_update(index_elements=["platform", "workspace"], set_=values))

        await self._db.run(put)

    async def rules(self, scope: WorkspaceScope) -> list[BlockRule]:
        query = select(R).where(*_in(R, scope)).order_by(R.id)
        return await self._db.run(
            lambda session: [BlockRule(pattern=row.pattern, action=row.action) for row in session.scalars(query).all()]
        )

    async def add_rule(self, scope: WorkspaceScope, rule: BlockRule, *, author: str) -> bool:

        def add(session: Session) -> bool:
            statement = dialect_insert(session, R).values(
                platform=scope.platform, workspace=scope.workspace, pattern=rule.pattern, action=rule.action,
                author=author, created_at=utcnow(),
            )
            result = session.execute(statement.on_conflict_do_nothing(index_elements=["platform", "workspace", "pattern"]))
            return result.rowcount == 1

        return await self._db.run(add)

    async def remove_rule(self, scope: WorkspaceScope, pattern: str) -> bool:
        query = delete(R).where(*_in(R, scope), R.pattern == pattern)
        return await self._db.run(
            lambda session: session.execute(query, execution_options={"synchronize_session": False}).rowcount > 0
        )


class SqlFilterDecisionLog:
    def __init__(self, database: Database, *, delete_batch: int = DELETE_BATCH_ROWS):
        self._db = database
        self._delete_batch = delete_batch

    async def record(self, decisions: Sequence[FilterDecision]) -> None:
        if not decisions:
            return
        now = utcnow()
        rows = [
            {
                "platform": d.platform, "workspace": d.workspace, "channel": d.channel, "user": d.user,
                "direction": d.direction, "filter": d.filter, "category": d.category[:128],
                "action": d.action, "created_at": d.created_at or now,
            }
            for d in decisions
        ]

        def insert_all(connection: Connection) -> None:
            connection.execute(insert(D.__table__), rows)

        await self._db.run_quick(insert_all)

    async def recent(self, scope: WorkspaceScope, *, limit: int = 20) -> list[FilterDecision]:
        query = select(D).where(*_in(D, scope)).order_by(D.created_at.desc(), D.id.desc()).limit(limit)
        return await self._db.run(lambda session: [_decision(row) for row in session.scalars(query).all()])

    async def forget_before(self, before: datetime) -> int:
        """Drop decisions older than ``before``; returns how many (a batch per transaction)."""
        query = delete(D).where(D.id.in_(select(D.id).where(D.created_at < before).limit(self._delete_batch)))
        return await self._db.run_batches(
            lambda session: session.execute(query, execution_options={"synchronize_session": False}).rowcount,
            size=self._delete_batch,
        )
