"""Which persona a channel uses: the channel's choice, the workspace default, the built-in."""

from __future__ import annotations

from dataclasses import replace

import structlog

from core.messages import ChannelScope, WorkspaceScope
from core.personas.values import BUILTIN_NAME, ModelPolicy, Persona, builtin_persona
from core.ports import ChannelSettingsStore, PersonaStore
from core.records import ChannelSettings

log = structlog.get_logger(__name__)


class PersonaDirectory:
    """Resolves a channel's persona: channel's choice → workspace default → built-in.

    A stored persona whose model the operator no longer allows is passed over (and logged), and every
    persona answers with at most PERSONA_MAX_TOKENS: a persona saved before a policy changed cannot
    walk around it.
    """

    def __init__(
        self, *, personas: PersonaStore, settings: ChannelSettingsStore, default_model: str, models: ModelPolicy
    ) -> None:
        self._personas = personas
        self._settings = settings
        self._models = models
        builtin = builtin_persona(model=default_model)
        self._builtin = replace(builtin, max_tokens=min(builtin.max_tokens, models.max_tokens))

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
            if persona is None:
                log.warning("persona.missing", level=level, persona=name)
                continue
            allowed = self._models.within(persona)
            if allowed is not None:
                return allowed
            log.warning("persona.model_not_allowed", level=level, persona=name, model=persona.model)
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
