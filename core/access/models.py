"""``/parley model``: a person picks, for themselves in a channel, one of the models its persona lists
(each also in the operator's ALLOWED_MODELS), remembered across restarts; the message path answers with it."""

from __future__ import annotations

from dataclasses import replace

import structlog

from core.admin import Actor, AdminError, CommandReply, record_change, where
from core.messages import ChannelScope
from core.personas.directory import PersonaDirectory
from core.personas.values import ModelPolicy, Persona
from core.ports import AccessStore, AuditLog, Clock

log = structlog.get_logger(__name__)

MODEL_USAGE = "Usage: `/parley model` (the models you may pick), `/parley model <name>`, `/parley model default`."


class ModelChoices:
    def __init__(
        self, *, store: AccessStore, directory: PersonaDirectory, models: ModelPolicy, audit: AuditLog, clock: Clock
    ) -> None:
        self._store = store
        self._directory = directory
        self._models = models
        self._audit = audit
        self._clock = clock

    def choosable(self, persona: Persona) -> tuple[str, ...]:
        """What a person may pick with ``persona``: its model and its other models that the operator allows."""
        return tuple(model for model in persona.choosable_models if self._models.permits(model))

    async def apply(self, scope: ChannelScope, *, user: str, persona: Persona) -> Persona:
        """``persona`` with the model ``user`` picked in the channel, when the persona (still) offers it."""
        if not persona.model_choice:
            return persona
        picked = await self._store.model_choice(scope, user=user)
        if picked is None or picked == persona.model:
            return persona
        if picked not in self.choosable(persona):
            log.info("model_choice.not_offered", persona=persona.name, model=picked)
            return persona
        return replace(persona, model=picked)

    async def command(self, actor: Actor, args: str) -> CommandReply:
        words = args.split()
        if len(words) > 1:
            raise AdminError(MODEL_USAGE)
        persona = await self._directory.resolve(actor.channel_scope)
        if not words:
            return CommandReply(await self._show(actor, persona))
        return CommandReply(await self.pick(actor, persona, None if words[0].lower() == "default" else words[0]))

    async def pick(self, actor: Actor, persona: Persona, model: str | None) -> str:
        scope = actor.channel_scope
        if not persona.model_choice:
            raise AdminError(f"The persona `{persona.name}` does not let people pick a model here.")
        offered = self.choosable(persona)
        if model is not None and model not in offered:
            raise AdminError(f"`{model[:128]}` is not one you can pick here. You can pick: {_listed(offered)}.")
        before = await self._store.model_choice(scope, user=actor.user)
        chosen = None if model == persona.model else model
        await self._store.set_model_choice(scope, user=actor.user, model=chosen)
        await record_change(
            self._audit, clock=self._clock, actor=actor, action="model.choose", target=f"{actor.channel}:{actor.user}",
            before={"model": before}, after={"model": chosen},
        )
        return f"Done: in this {where(actor)} I answer you with `{chosen or persona.model}`."

    async def _show(self, actor: Actor, persona: Persona) -> str:
        if not persona.model_choice:
            return f"This {where(actor)}'s persona `{persona.name}` answers with `{persona.model}`; it does not let people pick."
        current = (await self.apply(actor.channel_scope, user=actor.user, persona=persona)).model
        offered = self.choosable(persona)
        return (
            f"I answer you here with `{current}`. With persona `{persona.name}` you can pick: {_listed(offered)} "
            "(`/parley model <name>`; `/parley model default` for the persona's own)."
        )


def _listed(models: tuple[str, ...]) -> str:
    return ", ".join(f"`{model}`" for model in models)
