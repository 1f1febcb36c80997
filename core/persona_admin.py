"""Personas: which one a conversation uses, and the audited admin actions on them."""

from __future__ import annotations

from dataclasses import asdict, replace

import structlog

from core.admin import Actor, AdminPolicy, Conflict, NotFound, record_change
from core.messages import ChannelScope
from core.personas import BUILTIN_NAME, Persona, builtin_persona, validate_name
from core.ports import AuditLog, ChannelSettings, ChannelSettingsStore, Clock, PersonaStore, WorkspaceScope

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


class PersonaAdmin:
    def __init__(
        self,
        *,
        directory: PersonaDirectory,
        personas: PersonaStore,
        settings: ChannelSettingsStore,
        audit: AuditLog,
        policy: AdminPolicy,
        clock: Clock,
    ) -> None:
        self._directory = directory
        self._personas = personas
        self._settings = settings
        self._audit = audit
        self._policy = policy
        self._clock = clock

    async def list(self, actor: Actor) -> list[Persona]:
        return await self._directory.list(actor.workspace_scope)

    async def show(self, actor: Actor, name: str | None = None) -> Persona:
        """The named persona, or the one this channel uses now."""
        if not name:
            return await self._directory.resolve(actor.channel_scope)
        return await self._require(actor, name)

    async def create(self, actor: Actor, persona: Persona) -> Persona:
        self._policy.require_admin(actor, doing="create personas")
        if await self._personas.get(actor.workspace_scope, persona.name) is not None:
            raise Conflict(f"A persona named `{persona.name}` already exists; use edit to change it.")
        await self._personas.save(actor.workspace_scope, persona)
        await self._record(actor, "persona.create", persona.name, before=None, after=asdict(persona))
        return persona

    async def update(self, actor: Actor, persona: Persona) -> Persona:
        self._policy.require_admin(actor, doing="edit personas")
        before = await self._require(actor, persona.name)
        await self._personas.save(actor.workspace_scope, persona)
        await self._record(actor, "persona.update", persona.name, before=asdict(before), after=asdict(persona))
        return persona

    async def delete(self, actor: Actor, name: str) -> None:
        self._policy.require_admin(actor, doing="delete personas")
        before = await self._personas.get(actor.workspace_scope, name)
        if before is None:
            raise NotFound(_unknown(name) if name != BUILTIN_NAME else "The built-in persona cannot be deleted.")
        await self._personas.delete(actor.workspace_scope, name)
        await self._record(actor, "persona.delete", name, before=asdict(before), after=None)

    async def use(self, actor: Actor, name: str) -> Persona:
        """Choose the persona of the actor's channel (or, in a DM, of that DM)."""
        self._policy.require_channel_admin(actor, doing="change the persona")
        persona = await self._require(actor, name)
        scope = actor.channel_scope
        current = await self._settings.get(scope)
        await self._settings.put(scope, replace(current, persona=name))
        await self._record(actor, "channel.persona", scope.channel, before={"persona": current.persona}, after={"persona": name})
        return persona

    async def set_default(self, actor: Actor, name: str) -> Persona:
        self._policy.require_admin(actor, doing="set the workspace's default persona")
        persona = await self._require(actor, name)
        before = await self._settings.get_workspace_default(actor.workspace_scope)
        await self._settings.set_workspace_default(actor.workspace_scope, name)
        await self._record(actor, "workspace.default_persona", actor.workspace, before={"persona": before}, after={"persona": name})
        return persona

    async def _require(self, actor: Actor, name: str) -> Persona:
        if validate_name(name) is None:
            persona = await self._directory.find(actor.workspace_scope, name)
            if persona is not None:
                return persona
        raise NotFound(_unknown(name))

    async def _record(self, actor: Actor, action: str, target: str, *, before, after) -> None:
        await record_change(
            self._audit, clock=self._clock, actor=actor, action=action, target=target, before=before, after=after
        )


def _unknown(name: str) -> str:
    return f"There is no persona named `{name}`. `/persona list` shows the ones there are."
