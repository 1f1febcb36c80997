"""Which persona a channel uses: the channel's choice, the workspace default, the built-in."""

from __future__ import annotations

import structlog

from core.messages import ChannelScope, WorkspaceScope
from core.personas.values import BUILTIN_NAME, Persona, builtin_persona
from core.ports import ChannelSettingsStore, PersonaStore
from core.records import ChannelSettings

log = structlog.get_logger(__name__)


class PersonaDirectory:
    """Resolves a channel's persona: channel's choice → workspace default → built-in."""

    def __init__(self, *, personas: PersonaStore, settings: ChannelSettingsStore, default_model: str) -> None:
        self._personas = personas
        self._settings = settings
        self._builtin = builtin_persona(model=default_model)

    @property
    def builtin(self) -> Persona:
        return self._builtin

    async def resolve(self, scope: ChannelScope, *, settings: ChannelSettings | None = None) -> Persona:
        """``settings``: the channel's, when the caller has them already."""
        workspace = WorkspaceScope(platform=scope.platform, workspace=scope.workspace)
        settings = settings or await self._settings.get(scope)
        choices = (
            ("channel", settings.persona),
            ("workspace", await self._settings.get_workspace_default(workspace)),
        )
        for level, name in choices:
            if not name:
                continue
            persona = await self.find(workspace, name)
            if persona is not None:
                return persona
            log.warning("persona.missing", level=level, persona=name)
        return self._builtin

    async def find(self, workspace: WorkspaceScope, name: str) -> Persona | None:
        stored = await self._personas.get(workspace, name)
        if stored is not None:
            return stored
        return self._builtin if name == BUILTIN_NAME else None

    async def list(self, workspace: WorkspaceScope) -> list[Persona]:
        stored = await self._personas.list(workspace)
        if all(p.name != BUILTIN_NAME for p in stored):
            stored = [self._builtin, *stored]
        return sorted(stored, key=lambda p: p.name)
