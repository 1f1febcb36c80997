"""Access rules, channel summoning modes and people's model choices (AccessStore)."""

from __future__ import annotations

from sqlalchemy import Connection, delete, select
from sqlalchemy.orm import Session

from core.access.values import AccessRule, Effect, Kind, Summoning, SummonMode, ThreadMode
from core.messages import ChannelScope, WorkspaceScope
from core.storage.database import Database, channel_values, dialect_insert, in_channel
from core.storage.models import AccessRuleRow, ChannelSummoningRow, ModelChoiceRow, utcnow

R, S, M = AccessRuleRow, ChannelSummoningRow, ModelChoiceRow
GET_SUMMONING = select(S.mode, S.threads).where(*in_channel(S))  # read for every message: built once
CHANNEL_CHOICES = select(M.user, M.model).where(*in_channel(M)).order_by(M.user)


def _in(model, scope: WorkspaceScope | ChannelScope) -> tuple:
    where = (model.platform == scope.platform, model.workspace == scope.workspace)
    return (*where, model.channel == scope.channel) if isinstance(scope, ChannelScope) else where


def _rule(row) -> AccessRule:
    return AccessRule(effect=Effect(row.effect), kind=Kind(row.kind), subject=row.subject, author=row.author)


def _deleted(session: Session, statement) -> int:
    return session.execute(statement, execution_options={"synchronize_session": False}).rowcount


class SqlAccessStore:
    def __init__(self, database: Database):
        self._db = database

    async def rules(self, scope: WorkspaceScope) -> list[AccessRule]:
        query = select(R.effect, R.kind, R.subject, R.author).where(*_in(R, scope)).order_by(R.kind, R.subject)
        return await self._db.run_quick(lambda connection: [_rule(row) for row in connection.execute(query).all()])

    async def put_rule(self, scope: WorkspaceScope, rule: AccessRule) -> AccessRule | None:
        where = (*_in(R, scope), R.kind == rule.kind.value, R.subject == rule.subject)

        def put(session: Session) -> AccessRule | None:
            before = session.execute(select(R.effect, R.kind, R.subject, R.author).where(*where)).first()
            values = {"effect": rule.effect.value, "author": rule.author, "created_at": utcnow()}
            statement = dialect_insert(session, R).values(
                platform=scope.platform, workspace=scope.workspace, kind=rule.kind.value, subject=rule.subject,
                **values,
            )
            session.execute(
                statement.on_conflict_do_update(index_elements=["platform", "workspace", "kind", "subject"], set_=values)
            )
            return None if before is None else _rule(before)

        return await self._db.run(put)

    async def remove_rule(self, scope: WorkspaceScope, *, kind: Kind, subject: str) -> AccessRule | None:
        where = (*_in(R, scope), R.kind == kind.value, R.subject == subject)

        def remove(session: Session) -> AccessRule | None:
            before = session.execute(select(R.effect, R.kind, R.subject, R.author).where(*where)).first()
            if before is None:
                return None
            _deleted(session, delete(R).where(*where))
            return _rule(before)

        return await self._db.run(remove)

    async def clear_rules(self, scope: WorkspaceScope) -> int:
        return await self._db.run(lambda session: _deleted(session, delete(R).where(*_in(R, scope))))

    async def summoning(self, scope: ChannelScope) -> Summoning | None:
        def get(connection: Connection) -> Summoning | None:
            row = connection.execute(GET_SUMMONING, channel_values(scope)).first()
            return None if row is None else Summoning(mode=SummonMode(row.mode), threads=ThreadMode(row.threads))

        return await self._db.run_quick(get)

    async def set_summoning(self, scope: ChannelScope, summoning: Summoning) -> None:
        values = {"mode": summoning.mode.value, "threads": summoning.threads.value, "updated_at": utcnow()}

        def put(session: Session) -> None:
            statement = dialect_insert(session, S).values(
                platform=scope.platform, workspace=scope.workspace, channel=scope.channel, **values
            )
            session.execute(
                statement.on_conflict_do_update(index_elements=["platform", "workspace", "channel"], set_=values)
            )

        await self._db.run(put)

    async def model_choice(self, scope: ChannelScope, *, user: str) -> str | None:
        query = select(M.model).where(*_in(M, scope), M.user == user)
        return await self._db.run_quick(lambda connection: connection.execute(query).scalar())

    async def set_model_choice(self, scope: ChannelScope, *, user: str, model: str | None) -> None:
        def put(session: Session) -> None:
            if model is None:
                _deleted(session, delete(M).where(*_in(M, scope), M.user == user))
                return
            values = {"model": model, "updated_at": utcnow()}
            statement = dialect_insert(session, M).values(
                platform=scope.platform, workspace=scope.workspace, channel=scope.channel, user=user, **values
            )
            session.execute(
                statement.on_conflict_do_update(
                    index_elements=["platform", "workspace", "channel", "user"], set_=values
                )
            )

        await self._db.run(put)

    async def channel_choices(self, scope: ChannelScope) -> dict[str, str]:
        return await self._db.run_quick(
            lambda connection: dict(connection.execute(CHANNEL_CHOICES, channel_values(scope)).all())
        )

    async def forget_channel_choices(self, scope: ChannelScope) -> int:
        return await self._db.run(lambda session: _deleted(session, delete(M).where(*_in(M, scope))))

    async def forget_user_choices(self, scope: WorkspaceScope, *, user: str) -> int:
        return await self._db.run(
            lambda session: _deleted(session, delete(M).where(*_in(M, scope), M.user == user))
        )
