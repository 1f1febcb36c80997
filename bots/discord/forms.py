"""The persona form: a Discord modal whose submission goes to the core's submit_persona_form."""

from __future__ import annotations

import discord

from bots.discord.apology import apologise
from bots.discord.interaction_reply import reply_in_time
from bots.discord.texts import FORM_FAILED, FORM_INVALID, FORM_LABELS
from core.admin import Actor, CommandReply
from core.commands import CommandRouter
from core.personas.values import MAX_MODEL_CHARS, MAX_TOKENS_RANGE, TEMPERATURE_RANGE, Persona, PersonaInvalid

FORM_TIMEOUT_SECONDS = 15 * 60
PROMPT_LIMIT = 4_000  # the longest text a Discord text input takes
TITLE_LIMIT = 45


class PersonaForm(discord.ui.Modal):
    """Create a persona (``persona`` None) or edit one (pre-filled; its name is fixed)."""

    def __init__(self, *, router: CommandRouter, actor_of, persona: Persona | None = None) -> None:
        title = f"Edit persona {persona.name}" if persona else "New persona"
        super().__init__(title=title[:TITLE_LIMIT], timeout=FORM_TIMEOUT_SECONDS)
        self._router = router
        self._actor_of = actor_of
        self._editing = persona.name if persona else None
        self._memory_budget = str(persona.memory_budget) if persona else ""
        self._channel_context = str(persona.channel_context) if persona else ""  # kept: a modal has 5 fields
        self._inputs: dict[str, discord.ui.TextInput] = {}
        if persona is None:
            self._add("name", description="1–32 of a-z 0-9 _ -", max_length=32, placeholder="pirate")
        self._add(
            "system_prompt", style=discord.TextStyle.paragraph, max_length=PROMPT_LIMIT,
            default=persona.system_prompt if persona else None, placeholder="You are a helpful pirate…",
        )
        self._add("model", required=False, max_length=MAX_MODEL_CHARS, default=persona.model if persona else None,
                  description="Empty: the default model")
        self._add("temperature", required=False, max_length=8, default=f"{persona.temperature:g}" if persona else None,
                  description=f"{TEMPERATURE_RANGE[0]:g}–{TEMPERATURE_RANGE[1]:g}", placeholder="0.7")
        self._add("max_tokens", required=False, max_length=6, default=str(persona.max_tokens) if persona else None,
                  description=f"Longest answer, {MAX_TOKENS_RANGE[0]:,}–{MAX_TOKENS_RANGE[1]:,} tokens",
                  placeholder="1024")

    def _add(self, field: str, *, description: str | None = None, **options) -> None:
        text_input = discord.ui.TextInput(custom_id=field, **options)
        self._inputs[field] = text_input
        self.add_item(discord.ui.Label(text=FORM_LABELS[field], description=description, component=text_input))

    def overflow(self) -> tuple[str, int] | None:
        """The first pre-filled field longer than its input takes, (label, limit): Discord would refuse the form."""
        for field, text_input in self._inputs.items():
            if text_input.max_length is not None and len(text_input.default or "") > text_input.max_length:
                return FORM_LABELS[field], text_input.max_length
        return None

    def submitted_fields(self) -> dict[str, str]:
        values = {field: text_input.value or "" for field, text_input in self._inputs.items()}
        if self._memory_budget:
            values["memory_budget"] = self._memory_budget
        if self._channel_context:
            values["channel_context"] = self._channel_context
        return values

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await reply_in_time(interaction, self._save(self._actor_of(interaction)))

    async def _save(self, actor: Actor) -> CommandReply:
        try:
            return await self._router.submit_persona_form(actor, editing=self._editing, fields=self.submitted_fields())
        except PersonaInvalid as invalid:
            return CommandReply(field_errors(invalid), ok=False)

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:
        await apologise(interaction, FORM_FAILED, event="discord.form_failed", error=error)


def field_errors(invalid: PersonaInvalid) -> str:
    """``PersonaInvalid`` → one reply naming each field by its form label (a Discord modal cannot mark fields)."""
    lines = [f"• **{FORM_LABELS.get(e.field, e.field)}** ({e.field}): {e.message}" for e in invalid.errors]
    return "\n".join([FORM_INVALID, *lines])
