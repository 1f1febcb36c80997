"""Personas: the value, its validation, and the built-in default."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

NAME_PATTERN = re.compile(r"^[a-z0-9_-]{1,32}$")
MAX_PROMPT_CHARS = 8_000
MAX_MODEL_CHARS = 128  # the personas.model column
MAX_TOKENS_RANGE = (1, 32_000)
TEMPERATURE_RANGE = (0.0, 2.0)
MEMORY_BUDGET_RANGE = (0, 1_000_000)
CHANNEL_CONTEXT_RANGE = (0, 20)  # channel messages read before a top-level mention
BUILTIN_NAME = "default"

BUILTIN_PROMPT = (
    "You are Parley, a helpful assistant in a team chat. Answer clearly and "
    "concisely, use Markdown where it helps, and say so when you are not sure."
)


@dataclass(frozen=True, slots=True)
class Persona:
    name: str
    system_prompt: str
    model: str
    temperature: float = 0.7
    max_tokens: int = 1_024
    memory_budget: int = 3_000  # tokens of conversation history sent with each request
    channel_context: int = 0  # a mention at the top of a channel: this many channel messages before it as context


@dataclass(frozen=True, slots=True)
class PersonaForm:
    """Ask the platform to open a persona form, pre-filled with ``persona`` when editing."""

    persona: Persona | None = None


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    message: str


class PersonaInvalid(ValueError):
    """Raised with every field error at once, so a form can show them all."""

    def __init__(self, errors: list[FieldError]):
        self.errors = tuple(errors)
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))


@dataclass(frozen=True, slots=True)
class ModelPolicy:
    """What the operator lets admins give a persona: which models (ALLOWED_MODELS; empty: any) and at most
    how many tokens per answer (PERSONA_MAX_TOKENS)."""

    allowed: frozenset[str] = frozenset()
    max_tokens: int = MAX_TOKENS_RANGE[1]

    def permits(self, model: str) -> bool:
        return not self.allowed or model in self.allowed

    def problems(self, persona: Persona) -> list[FieldError]:
        """Why this persona is not allowed here (empty: it is)."""
        errors = []
        if not self.permits(persona.model):
            errors.append(FieldError("model", f"`{persona.model}` is not allowed here; allowed: {self.listed()}"))
        if persona.max_tokens > self.max_tokens:
            errors.append(FieldError("max_tokens", f"must be at most {self.max_tokens:,} here"))
        return errors

    def listed(self) -> str:
        return ", ".join(f"`{model}`" for model in sorted(self.allowed))

    def within(self, persona: Persona) -> Persona | None:
        """The persona as it may answer: None when its model is not allowed; its max_tokens capped."""
        if not self.permits(persona.model):
            return None
        return persona if persona.max_tokens <= self.max_tokens else replace(persona, max_tokens=self.max_tokens)


def builtin_persona(*, model: str) -> Persona:
    return Persona(name=BUILTIN_NAME, system_prompt=BUILTIN_PROMPT, model=model)


def validate_name(name: str) -> FieldError | None:
    if not NAME_PATTERN.fullmatch(name or ""):
        return FieldError("name", "use 1–32 characters: lowercase letters, digits, '-' or '_'")
    return None


def parse_persona(
    *,
    name: str,
    system_prompt: str,
    model: str,
    temperature: str | float | None = None,
    max_tokens: str | int | None = None,
    memory_budget: str | int | None = None,
    channel_context: str | int | None = None,
) -> Persona:
    """Build a Persona from raw form or command input, or raise PersonaInvalid."""
    errors: list[FieldError] = []
    name = (name or "").strip()
    if (err := validate_name(name)) is not None:
        errors.append(err)
    system_prompt = (system_prompt or "").strip()
    if not system_prompt:
        errors.append(FieldError("system_prompt", "must not be empty"))
    elif len(system_prompt) > MAX_PROMPT_CHARS:
        errors.append(
            FieldError("system_prompt", f"is {len(system_prompt):,} characters; the limit is {MAX_PROMPT_CHARS:,}")
        )
    model = (model or "").strip()
    if not model:
        errors.append(FieldError("model", "must not be empty"))
    elif len(model) > MAX_MODEL_CHARS:
        errors.append(FieldError("model", f"is {len(model):,} characters; the limit is {MAX_MODEL_CHARS}"))
    temp = _number(temperature, float, "temperature", TEMPERATURE_RANGE, default=0.7, errors=errors)
    max_tok = _number(max_tokens, int, "max_tokens", MAX_TOKENS_RANGE, default=1_024, errors=errors)
    memory = _number(memory_budget, int, "memory_budget", MEMORY_BUDGET_RANGE, default=3_000, errors=errors)
    context = _number(channel_context, int, "channel_context", CHANNEL_CONTEXT_RANGE, default=0, errors=errors)
    if errors:
        raise PersonaInvalid(errors)
    return Persona(
        name=name,
        system_prompt=system_prompt,
        model=model,
        temperature=float(temp),
        max_tokens=int(max_tok),
        memory_budget=int(memory),
        channel_context=int(context),
    )


def _number(raw, kind, field, bounds, *, default, errors: list[FieldError]):
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return default
    try:
        value = kind(raw.strip() if isinstance(raw, str) else raw)
    except (TypeError, ValueError):
        errors.append(FieldError(field, f"must be {'a whole number' if kind is int else 'a number'}"))
        return default
    low, high = bounds
    if not low <= value <= high:
        errors.append(FieldError(field, f"must be between {low:g} and {high:g}"))
    return value
