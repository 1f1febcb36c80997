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
MAX_CHOOSABLE_MODELS = 10
ON_WORDS, OFF_WORDS = frozenset({"on", "yes", "true", "1"}), frozenset({"off", "no", "false", "0"})
VISION_CHOICES = ("auto", "on", "off")  # images go to the model: from VISION_MODELS, always, never
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
    models: tuple[str, ...] = ()  # other models a person may pick for themselves (``/parley model``)
    model_choice: bool = True  # False: admins forbid picking a model with this persona
    vision: str = "auto"  # VISION_CHOICES: whether attached images go to the model (core/files)

    @property
    def choosable_models(self) -> tuple[str, ...]:
        """The persona's own model, then the others a person may pick (none when picking is forbidden)."""
        return tuple(dict.fromkeys((self.model, *self.models))) if self.model_choice else (self.model,)
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
        refused = [model for model in persona.models if not self.permits(model)]
        if refused:
            names = ", ".join(f"`{model}`" for model in refused)
            errors.append(FieldError("models", f"{names} not allowed here; allowed: {self.listed()}"))
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
    models: str | tuple[str, ...] | None = None,
    model_choice: str | bool | None = None,
    vision: str | None = None,
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
    others = _models(models, errors=errors)
    choice = _switch(model_choice, "model_choice", default=True, errors=errors)
    vision = (vision or "auto").strip().lower()
    if vision not in VISION_CHOICES:
        errors.append(FieldError("vision", "must be auto, on or off"))
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
        models=tuple(m for m in others if m != model),
        model_choice=choice,
        vision=vision,
        channel_context=int(context),
    )


def _models(raw: str | tuple[str, ...] | None, *, errors: list[FieldError]) -> tuple[str, ...]:
    """``a,b`` (or a tuple) → the other models people may pick; ``none`` or empty: none."""
    items = raw.split(",") if isinstance(raw, str) else list(raw or ())
    names = tuple(dict.fromkeys(item.strip() for item in items if item.strip()))
    if names == ("none",):
        return ()
    if len(names) > MAX_CHOOSABLE_MODELS:
        errors.append(FieldError("models", f"list at most {MAX_CHOOSABLE_MODELS} models"))
    if any(len(name) > MAX_MODEL_CHARS or " " in name for name in names):
        errors.append(FieldError("models", f"are model names separated by commas, each at most {MAX_MODEL_CHARS} characters"))
    return names


def _switch(raw: str | bool | None, field: str, *, default: bool, errors: list[FieldError]) -> bool:
    if raw is None or isinstance(raw, bool):
        return default if raw is None else raw
    word = raw.strip().lower()
    if not word:
        return default
    if word in ON_WORDS | OFF_WORDS:
        return word in ON_WORDS
    errors.append(FieldError(field, "must be on or off"))
    return default


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
