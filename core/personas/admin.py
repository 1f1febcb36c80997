"""``/persona …``: the command (its own parsing and texts) and the audited admin actions on personas."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict, replace

from core.admin import Actor, AdminError, CommandHandler, AdminPolicy, CommandReply, Conflict, NotFound, problem, record_change, where
from core.personas.directory import PersonaDirectory
from core.personas.values import (
    BUILTIN_NAME, ModelPolicy, Persona, PersonaForm, PersonaInvalid, parse_persona, validate_name,
)
from core.ports import AuditLog, ChannelSettingsStore, Clock, PersonaStore

PERSONA_HELP = (
    "`/persona list` · `/persona show [name]` · `/persona use <name>` · `/persona default <name>` · "
    "`/persona delete <name>` · `/persona create <name> [model=…] [temperature=…] [max_tokens=…] "
    "[memory_budget=…] [models=a,b] [choice=on|off] [vision=auto|on|off] [channel_context=…] <system prompt>` · "
    "`/persona edit <name> [field=value …] [new system prompt]` · "
    "`/persona tools <name> [<server|server.tool> <auto|ask|off>]`"
)
_OPTION = re.compile(r"^(model|temperature|max_tokens|memory_budget|models|choice|vision|channel_context)=(\S+)$")
_FIELD_OF_OPTION = {"choice": "model_choice"}


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
        default_model: str,
        models: ModelPolicy,
        extra_commands: Mapping[str, CommandHandler] | None = None,
        show_extra: Callable[[Actor, Persona], Awaitable[str]] | None = None,
    ) -> None:
        self._extra_commands = dict(extra_commands or {})  # e.g. ``tools`` (core/tools/admin.py)
        self._show_extra = show_extra  # more lines for ``/persona show`` (the persona's tools)
        self._default_model = default_model
        self._models = models
        self._directory = directory
        self._personas = personas
        self._settings = settings
        self._audit = audit
        self._policy = policy
        self._clock = clock

    async def command(self, actor: Actor, args: str) -> CommandReply:
        """One ``/persona …`` line (after the word ``persona``)."""
        sub, _, rest = args.strip().partition(" ")
        sub = sub.lower()
        name, _, tail = rest.strip().partition(" ")
        if sub in ("", "list"):
            personas = await self.list(actor)
            current = await self.show(actor)
            lines = [f"{'→ ' if p.name == current.name else '• '}`{p.name}` ({p.model})" for p in personas]
            return CommandReply("Personas (→ this channel's):\n" + "\n".join(lines))
        if sub == "show":
            persona = await self.show(actor, name or None)
            extra = await self._show_extra(actor, persona) if self._show_extra is not None else ""
            head, _, prompt = describe(persona).partition("\n>>> ")
            return CommandReply(f"{head}{extra}\n>>> {prompt}")
        if sub in self._extra_commands:
            return await self._extra_commands[sub](actor, rest.strip())
        if sub in ("use", "default", "delete") and not name:
            return problem(f"Usage: `/persona {sub} <name>`.")
        if sub == "use":
            persona = await self.use(actor, name)
            return CommandReply(f"This {where(actor)} now uses persona `{persona.name}`.")
        if sub == "default":
            persona = await self.set_default(actor, name)
            return CommandReply(f"`{persona.name}` is now the default persona for this workspace.")
        if sub == "delete":
            await self.delete(actor, name)
            return CommandReply(f"Deleted persona `{name}`.")
        if sub == "create":
            return await self._create_from_line(actor, name, tail)
        if sub == "edit":
            return await self._edit_from_line(actor, name, tail)
        return problem(f"Unknown persona command `{sub}`. " + PERSONA_HELP)

    async def submit_form(self, actor: Actor, *, editing: str | None, fields: Mapping[str, str]) -> CommandReply:
        """Create (``editing`` None) or update a persona from form fields; raises PersonaInvalid. Fields a form
        does not have (``FORMLESS_FIELDS``) keep the persona's when editing (their defaults for a new one)."""
        if editing is not None and not FORMLESS_FIELDS <= fields.keys():
            kept = await self._personas.get(actor.workspace_scope, editing)
            if kept is not None:
                fields = {**_formless_fields(kept), **fields}
        persona = parse_persona(
            name=editing or fields.get("name", ""),
            system_prompt=fields.get("system_prompt", ""),
            model=fields.get("model", "") or self._default_model,
            temperature=fields.get("temperature"),
            max_tokens=fields.get("max_tokens"),
            memory_budget=fields.get("memory_budget"),
            models=fields.get("models"),
            model_choice=fields.get("model_choice"),
            vision=fields.get("vision") or None,
            channel_context=fields.get("channel_context"),
        )
        refused = self._models.problems(persona)
        if refused:
            raise PersonaInvalid(refused)
        try:
            if editing is None:
                await self.create(actor, persona)
                return CommandReply(f"Created persona `{persona.name}`.")
            await self.update(actor, persona)
            return CommandReply(f"Updated persona `{persona.name}`.")
        except AdminError as refusal:
            return problem(str(refusal))

    async def _create_from_line(self, actor: Actor, name: str, tail: str) -> CommandReply:
        options, prompt = _options_and_prompt(tail)
        if not name or not prompt:
            return CommandReply(
                "Fill in the new persona in the form, or type it in one line: " + PERSONA_HELP, form=PersonaForm()
            )
        return await self.submit_form(actor, editing=None, fields={"name": name, "system_prompt": prompt, **options})

    async def _edit_from_line(self, actor: Actor, name: str, tail: str) -> CommandReply:
        if not name:
            return problem("Usage: `/persona edit <name> [field=value …] [new system prompt]`.")
        options, prompt = _options_and_prompt(tail)
        existing = await self.show(actor, name)
        if not options and not prompt:
            return CommandReply("Edit the persona in the form.", form=PersonaForm(existing))
        fields = {k: _field_text(v) for k, v in asdict(existing).items()} | options
        fields["system_prompt"] = prompt or existing.system_prompt
        return await self.submit_form(actor, editing=name, fields=fields)

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


def describe(p: Persona) -> str:
    return (
        f"**{p.name}** · model `{p.model}` · temperature {p.temperature:g} · max tokens {p.max_tokens:,} · "
        f"memory {p.memory_budget:,} tokens · vision {p.vision}{_choices(p)}"
        + (f" · {p.channel_context} channel messages before a mention" if p.channel_context else "")
        + f"\n>>> {p.system_prompt}"
    )


FORMLESS_FIELDS = frozenset({"models", "model_choice", "vision", "channel_context"})


def _formless_fields(p: Persona) -> dict[str, str]:
    """A persona's settings that the persona forms have no field for, as form values."""
    return {
        "models": ",".join(p.models), "model_choice": _on_off(p.model_choice), "vision": p.vision,
        "channel_context": str(p.channel_context),
    }


def _choices(p: Persona) -> str:
    if not p.model_choice:
        return " · people may not pick a model"
    if p.models:
        return " · people may also pick " + ", ".join(f"`{m}`" for m in p.models) + " (`/parley model`)"
    return ""


def invalid_text(invalid: PersonaInvalid) -> str:
    return "That persona is not valid: " + "; ".join(f"{e.field} {e.message}" for e in invalid.errors)


def _on_off(value: bool) -> str:
    return "on" if value else "off"


def _field_text(value: object) -> str:
    if isinstance(value, bool):
        return _on_off(value)
    if isinstance(value, tuple):
        return ",".join(value)
    return str(value)


def _options_and_prompt(tail: str) -> tuple[dict[str, str], str]:
    options: dict[str, str] = {}
    words = tail.split(" ")
    while words and (match := _OPTION.match(words[0])):
        options[_FIELD_OF_OPTION.get(match.group(1), match.group(1))] = match.group(2)
        words.pop(0)
    return options, " ".join(words).strip()
