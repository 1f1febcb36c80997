"""Token usage per request, and reports over it (UsageStore)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Connection, func, insert, literal, select

from core.records import DailyUsage, UsageRecord, UsageRow
from core.messages import WorkspaceScope
from core.storage.database import Database, dialect_of
from core.storage.models import UsageRecordRow, utcnow

Record = UsageRecordRow
GROUP_COLUMNS = {"user": Record.user, "channel": Record.channel, "model": Record.model}


INSERT_USAGE = insert(Record.__table__)  # prebuilt: one per answer, values as parameters


def insert_usage(connection: Connection, record: UsageRecord) -> None:
    """INSERT one usage record (also inside the conversation store's exchange transaction)."""
    connection.execute(INSERT_USAGE, {
        "platform": record.platform,
        "workspace": record.workspace,
        "channel": record.channel,
        "user": record.user,
        "model": record.model,
        "prompt_tokens": record.prompt_tokens,
        "completion_tokens": record.completion_tokens,
        "cost_micro_usd": record.cost_micro_usd,
        "created_at": record.created_at or utcnow(),
    })


class SqlUsageStore:
    def __init__(self, database: Database):
        self._db = database

    async def record(self, record: UsageRecord) -> None:
        await self._db.run_quick(lambda connection: insert_usage(connection, record))

    async def report(
        self,
        scope: WorkspaceScope,
        *,
        since: datetime,
        user: str | None = None,
        group_by: str | None = None,
        limit: int = 10,
    ) -> list[UsageRow]:
        """Requests and tokens since ``since``, optionally for one user.

        ``group_by`` None gives one row with group "" (none when nothing was
        used); "user", "channel" or "model" give one row per value, the biggest
        total (prompt + completion) first, at most ``limit`` rows.
        """
        if group_by is not None and group_by not in GROUP_COLUMNS:
            raise ValueError(f"group_by must be None, 'user', 'channel' or 'model', not {group_by!r}")
        prompt = func.coalesce(func.sum(Record.prompt_tokens), 0)
        completion = func.coalesce(func.sum(Record.completion_tokens), 0)
        cost = func.coalesce(func.sum(Record.cost_micro_usd), 0)
        group = GROUP_COLUMNS[group_by] if group_by else literal("")
        query = select(group, func.count(), prompt, completion, cost).where(
            Record.platform == scope.platform, Record.workspace == scope.workspace, Record.created_at >= since
        )
        if user is not None:
            query = query.where(Record.user == user)
        if group_by:
            query = query.group_by(group).order_by((prompt + completion).desc(), group).limit(limit)
        rows = await self._db.run(lambda session: session.execute(query).all())
        return [
            UsageRow(group=str(name), requests=n, prompt_tokens=int(p), completion_tokens=int(c), cost_micro_usd=int(m))
            for name, n, p, c, m in rows
            if n  # an ungrouped aggregate over no rows still yields one row
        ]

    async def daily(self, scope: WorkspaceScope, *, since: datetime, user: str | None = None) -> list[DailyUsage]:
        """Per UTC day and model, by day then model (the chart of ``/parley usage``)."""

        def per_day(session) -> list[DailyUsage]:
            day = _utc_day(dialect_of(session))
            query = select(
                day, Record.model, func.sum(Record.prompt_tokens), func.sum(Record.completion_tokens),
                func.coalesce(func.sum(Record.cost_micro_usd), 0),
            ).where(Record.platform == scope.platform, Record.workspace == scope.workspace, Record.created_at >= since)
            if user is not None:
                query = query.where(Record.user == user)
            rows = session.execute(query.group_by(day, Record.model).order_by(day, Record.model)).all()
            return [
                DailyUsage(day=date.fromisoformat(str(d)), model=m, prompt_tokens=int(p), completion_tokens=int(c),
                           cost_micro_usd=int(cost))
                for d, m, p, c, cost in rows
            ]

        return await self._db.run(per_day)


def _utc_day(dialect: str):
    """The UTC calendar day of ``created_at`` as ``YYYY-MM-DD`` (SQLite stores UTC text already)."""
    if dialect == "postgresql":
        return func.to_char(func.timezone("UTC", Record.created_at), "YYYY-MM-DD")
    return func.substr(Record.created_at, 1, 10)
