"""Filter policy, blocklist rules (FilterSettingsStore) and filter decisions (FilterDecisionLog)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.filters.values import BlockRule, FilterDecision, FilterPolicy
from core.ports import WorkspaceScope
from core.storage.database import Database, dialect_insert, sessions_of
from core.storage.models import FilterDecisionRow, FilterPolicyRow, FilterRuleRow, utcnow

P, R, D = FilterPolicyRow, FilterRuleRow, FilterDecisionRow


def _in(model, scope: WorkspaceScope) -> tuple:
    return (model.platform == scope.platform, model.workspace == scope.workspace)


class SqlFilterSettingsStore:
    def __init__(self, database: Database | async_sessionmaker[AsyncSession]):
        self._sessions = sessions_of(database)

    async def get_policy(self, scope: WorkspaceScope) -> FilterPolicy:
        async with self._sessions() as session:
            row = await session.scalar(select(P).where(*_in(P, scope)))
        if row is None:
            return FilterPolicy()
        return FilterPolicy(pii=row.pii, blocklist=row.blocklist, moderation=row.moderation)

    async def put_policy(self, scope: WorkspaceScope, policy: FilterPolicy) -> None:
        values = {"pii": policy.pii, "blocklist": policy.blocklist, "moderation": policy.moderation,
                  "updated_at": utcnow()}
        async with self._sessions.begin() as session:
            statement = dialect_insert(session, P).values(platform=scope.platform, workspace=scope.workspace, **values)
            await session.execute(statement.on_conflict_do_update(index_elements=["platform", "workspace"], set_=values))

    async def rules(self, scope: WorkspaceScope) -> list[BlockRule]:
        async with self._sessions() as session:
            rows = (await session.scalars(select(R).where(*_in(R, scope)).order_by(R.id))).all()
        return [BlockRule(pattern=row.pattern, action=row.action) for row in rows]

    async def add_rule(self, scope: WorkspaceScope, rule: BlockRule, *, author: str) -> bool:
        async with self._sessions.begin() as session:
            statement = dialect_insert(session, R).values(
                platform=scope.platform, workspace=scope.workspace, pattern=rule.pattern, action=rule.action,
                author=author, created_at=utcnow(),
            )
            result = await session.execute(
                statement.on_conflict_do_nothing(index_elements=["platform", "workspace", "pattern"])
            )
            return result.rowcount == 1

    async def remove_rule(self, scope: WorkspaceScope, pattern: str) -> bool:
        async with self._sessions.begin() as session:
            result = await session.execute(
                delete(R).where(*_in(R, scope), R.pattern == pattern), execution_options={"synchronize_session": False}
            )
            return result.rowcount > 0


class SqlFilterDecisionLog:
    def __init__(self, database: Database | async_sessionmaker[AsyncSession]):
        self._sessions = sessions_of(database)

    async def record(self, decisions: Sequence[FilterDecision]) -> None:
        if not decisions:
            return
        now = utcnow()
        async with self._sessions.begin() as session:
            await session.execute(
                insert(D),
                [
                    {
                        "platform": d.platform, "workspace": d.workspace, "channel": d.channel, "user": d.user,
                        "direction": d.direction, "filter": d.filter, "category": d.category[:128],
                        "action": d.action, "created_at": d.created_at or now,
                    }
                    for d in decisions
                ],
            )

    async def recent(self, scope: WorkspaceScope, *, limit: int = 20) -> list[FilterDecision]:
        query = select(D).where(*_in(D, scope)).order_by(D.created_at.desc(), D.id.desc()).limit(limit)
        async with self._sessions() as session:
            rows = (await session.scalars(query)).all()
        return [
            FilterDecision(
                platform=r.platform, workspace=r.workspace, channel=r.channel, user=r.user, direction=r.direction,
                filter=r.filter, category=r.category, action=r.action, created_at=r.created_at,
            )
            for r in rows
        ]

    async def forget_before(self, before: datetime) -> int:
        async with self._sessions.begin() as session:
            result = await session.execute(
                delete(D).where(D.created_at < before), execution_options={"synchronize_session": False}
            )
            return result.rowcount
