"""Per-channel memory/persona settings and the workspace default persona (ChannelSettingsStore)."""

from __future__ import annotations

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from core.messages import ChannelScope
from core.records import ChannelSettings
from core.messages import WorkspaceScope
from core.storage.database import Database, channel_values, dialect_insert, in_channel
from core.storage.models import WORKSPACE_ROW, ChannelSettingsRow, utcnow

ChannelRow = ChannelSettingsRow
KEY = ["platform", "workspace", "channel"]
GET_SETTINGS = select(ChannelRow.persona, ChannelRow.retention_days, ChannelRow.memory_enabled).where(
    *in_channel(ChannelRow)
)


class SqlChannelSettingsStore:
    """Channel rows hold ChannelSettings; the ``channel == "*"`` row holds the workspace default persona."""

    def __init__(self, database: Database):
        self._db = database

    async def get(self, scope: ChannelScope) -> ChannelSettings:
        """The channel's settings, or the defaults when it has none."""
        def get(connection: Connection) -> ChannelSettings:
            row = connection.execute(GET_SETTINGS, channel_values(scope)).first()
            if row is None:
                return ChannelSettings()
            return ChannelSettings(persona=row.persona, retention_days=row.retention_days, memory_enabled=row.memory_enabled)

        return await self._db.run_quick(get)

    async def put(self, scope: ChannelScope, settings: ChannelSettings) -> None:
        """Replace the channel's settings."""
        if scope.channel == WORKSPACE_ROW:
            raise ValueError(f"channel {WORKSPACE_ROW!r} is reserved for the workspace default")
        await self._upsert(
            scope.platform,
            scope.workspace,
            scope.channel,
            persona=settings.persona,
            retention_days=settings.retention_days,
            memory_enabled=settings.memory_enabled,
        )

    async def get_workspace_default(self, scope: WorkspaceScope) -> str | None:
        query = select(ChannelRow.persona).where(
            ChannelRow.platform == scope.platform, ChannelRow.workspace == scope.workspace,
            ChannelRow.channel == WORKSPACE_ROW,
        )
        return await self._db.run_quick(lambda connection: connection.scalar(query))

    async def set_workspace_default(self, scope: WorkspaceScope, persona: str | None) -> None:
        """Set (or with None, clear) the workspace-wide default persona."""
        await self._upsert(scope.platform, scope.workspace, WORKSPACE_ROW, persona=persona)

    async def with_retention(self) -> list[tuple[ChannelScope, int]]:
        """Every channel (on every platform and workspace) with a retention period, in a stable order."""
        query = (
            select(ChannelRow.platform, ChannelRow.workspace, ChannelRow.channel, ChannelRow.retention_days)
            .where(ChannelRow.channel != WORKSPACE_ROW, ChannelRow.retention_days.is_not(None))
            .order_by(ChannelRow.platform, ChannelRow.workspace, ChannelRow.channel)
        )
        rows = await self._db.run(lambda session: session.execute(query).all())
        return [
            (ChannelScope(platform=platform, workspace=workspace, channel=channel), days)
            for platform, workspace, channel, days in rows
        ]

    async def _upsert(self, platform: str, workspace: str, channel: str, **fields: object) -> None:
        fields["updated_at"] = utcnow()

        def upsert(session: Session) -> None:
            insert = dialect_insert(session, ChannelRow).values(
                platform=platform, workspace=workspace, channel=channel, **fields
            )
            session.execute(insert.on_conflict_do_update(index_elements=KEY, set_=fields))

        await self._db.run(upsert)
