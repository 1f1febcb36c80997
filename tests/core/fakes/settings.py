"""What admins set and every message reads: personas, channel settings, rate-limit overrides."""

from __future__ import annotations

from collections.abc import Sequence

from core.messages import ChannelScope, WorkspaceScope
from core.personas.values import Persona
from core.records import ChannelSettings

WORKSPACE_ROW = "*"  # the SQL store keeps the workspace default in the channel row "*" (core.storage.models)


class MemoryPersonaStore:
    def __init__(self) -> None:
        self.rows: dict[tuple[WorkspaceScope, str], Persona] = {}

    async def list(self, scope: WorkspaceScope) -> list[Persona]:
        """The workspace's personas, by name (as the SQL store lists them)."""
        return sorted((p for (s, _), p in self.rows.items() if s == scope), key=lambda p: p.name)

    async def get(self, scope: WorkspaceScope, name: str) -> Persona | None:
        return self.rows.get((scope, name))

    async def save(self, scope: WorkspaceScope, persona: Persona) -> None:
        self.rows[(scope, persona.name)] = persona

    async def delete(self, scope: WorkspaceScope, name: str) -> bool:
        return self.rows.pop((scope, name), None) is not None


class MemoryChannelSettingsStore:
    def __init__(self) -> None:
        self.rows: dict[ChannelScope, ChannelSettings] = {}
        self.defaults: dict[WorkspaceScope, str | None] = {}

    async def get(self, scope: ChannelScope) -> ChannelSettings:
        return self.rows.get(scope, ChannelSettings())

    async def put(self, scope: ChannelScope, settings: ChannelSettings) -> None:
        if scope.channel == WORKSPACE_ROW:
            raise ValueError(f"channel {WORKSPACE_ROW!r} is reserved for the workspace default")
        self.rows[scope] = settings

    async def get_workspace_default(self, scope: WorkspaceScope) -> str | None:
        return self.defaults.get(scope)

    async def set_workspace_default(self, scope: WorkspaceScope, persona: str | None) -> None:
        self.defaults[scope] = persona

    async def with_retention(self) -> list[tuple[ChannelScope, int]]:
        """Channels with a retention period, by platform, workspace and channel (as the SQL store orders them)."""
        found = [(s, v.retention_days) for s, v in self.rows.items() if v.retention_days is not None]
        return sorted(found, key=lambda row: (row[0].platform, row[0].workspace, row[0].channel))


class MemoryLimitOverrideStore:
    def __init__(self) -> None:
        self.rows: dict[tuple[WorkspaceScope, str, str], str] = {}

    async def get(
        self, workspace: WorkspaceScope, *, channels: Sequence[str] | None = None
    ) -> dict[tuple[str, str], str]:
        return {
            (c, s): v for (w, c, s), v in self.rows.items() if w == workspace and (channels is None or c in channels)
        }

    async def set(self, workspace: WorkspaceScope, *, channel: str, scope: str, value: str | None) -> None:
        if value is None:
            self.rows.pop((workspace, channel, scope), None)
        else:
            self.rows[(workspace, channel, scope)] = value
