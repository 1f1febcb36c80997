"""The persona form as a Slack modal: building the view, reading a submission (pure).

Each field is an input block whose ``block_id`` is the core's field name, so
a ``PersonaInvalid`` error maps straight onto the block Slack shows it under.
When editing, the name is shown read-only and travels in ``private_metadata``.
Slack refuses a view whose pre-filled value is longer than its input's
``max_length`` (``FIELD_LIMITS``), so a persona that does not fit is not put in
a form at all (``fits_in_form``).  A trigger_id lives 3 seconds: the modal
opens at once as ``loading_view`` and is then updated to the form.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bots.slack import texts
from core.personas.values import MAX_MODEL_CHARS, MAX_PROMPT_CHARS, Persona, PersonaInvalid

CALLBACK_ID = "parley_persona_form"
ACTION_ID = "value"
FIELDS = ("name", "system_prompt", "model", "temperature", "max_tokens", "memory_budget", "channel_context")
OPTIONAL = frozenset({"model", "temperature", "max_tokens", "memory_budget", "channel_context"})
SLACK_INPUT_MAX = 3_000  # Slack's limit for one plain_text_input
PROMPT_LIMIT = min(MAX_PROMPT_CHARS, SLACK_INPUT_MAX)  # the longest system prompt the form holds
FIELD_LIMITS = {  # each input's max_length
    "name": 32, "system_prompt": PROMPT_LIMIT, "model": MAX_MODEL_CHARS,
    "temperature": 20, "max_tokens": 20, "memory_budget": 20, "channel_context": 20,
}


@dataclass(frozen=True, slots=True)
class FormContext:
    """Where the form was opened, carried through Slack in ``private_metadata``."""

    channel: str
    is_dm: bool = False
    editing: str | None = None

    def encode(self) -> str:
        return json.dumps({"channel": self.channel, "dm": self.is_dm, "editing": self.editing})

    @classmethod
    def decode(cls, metadata: str) -> "FormContext":
        data = json.loads(metadata or "{}")
        return cls(channel=str(data.get("channel") or ""), is_dm=bool(data.get("dm")), editing=data.get("editing"))


def fits_in_form(persona: Persona | None) -> bool:
    """Whether every value of this persona fits its input (Slack refuses the view otherwise)."""
    values = _initial_values(persona)
    return all(len(value) <= FIELD_LIMITS[field] for field, value in values.items())


def loading_view() -> dict[str, Any]:
    """What the modal shows while the command is worked out (opened at once: a trigger_id lives 3 s)."""
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID + "_loading",
        "title": _plain(texts.FORM_TITLE_RESULT),
        "close": _plain(texts.FORM_CLOSE),
        "blocks": [_section(texts.FORM_LOADING)],
    }


def persona_view(persona: Persona | None, *, context: FormContext) -> dict[str, Any]:
    editing = persona is not None
    initial = _initial_values(persona)
    blocks: list[dict[str, Any]] = []
    if persona is not None:
        blocks.append(_section(f"*{texts.FORM_LABELS['name']}:* `{persona.name}`", block_id="name"))
    else:
        blocks.append(_input("name"))
    blocks.append(_input("system_prompt", initial=initial.get("system_prompt"), multiline=True))
    for field in ("model", "temperature", "max_tokens", "memory_budget", "channel_context"):
        blocks.append(_input(field, initial=initial.get(field)))
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "private_metadata": context.encode(),
        "title": _plain(texts.FORM_TITLE_EDIT if editing else texts.FORM_TITLE_CREATE),
        "submit": _plain(texts.FORM_SUBMIT),
        "close": _plain(texts.FORM_CLOSE),
        "blocks": blocks,
    }


def submitted_fields(state_values: Mapping[str, Any]) -> dict[str, str]:
    """``view.state.values`` → ``{field: text}`` for the fields that were filled in."""
    fields: dict[str, str] = {}
    for field in FIELDS:
        value = ((state_values.get(field) or {}).get(ACTION_ID) or {}).get("value")
        if value is not None and str(value).strip():
            fields[field] = str(value)
    return fields


def field_errors(invalid: PersonaInvalid, *, editing: bool) -> dict[str, str]:
    """``PersonaInvalid`` → Slack's ``response_action: errors`` map (block_id → message)."""
    errors: dict[str, list[str]] = {}
    for error in invalid.errors:
        block = error.field if error.field in FIELDS else "system_prompt"
        if editing and block == "name":  # no input to show it under
            block = "system_prompt"
        label = texts.FORM_LABELS.get(error.field, error.field)
        message = error.message if block == error.field else f"{label}: {error.message}"
        errors.setdefault(block, []).append(_sentence(message.rstrip(".") + "."))
    return {block: " ".join(messages) for block, messages in errors.items()}


def result_view(text: str) -> dict[str, Any]:
    """What the modal turns into after a submission: the outcome, and a Close button."""
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID + "_done",
        "title": _plain(texts.FORM_TITLE_RESULT),
        "close": _plain(texts.FORM_DONE),
        "blocks": [_section(text[:3_000])],
    }


def _initial_values(persona: Persona | None) -> dict[str, str]:
    if persona is None:
        return {}
    return {
        "system_prompt": persona.system_prompt,
        "model": persona.model,
        "temperature": f"{persona.temperature:g}",
        "max_tokens": str(persona.max_tokens),
        "memory_budget": str(persona.memory_budget),
        "channel_context": str(persona.channel_context),
    }


def _input(field: str, *, initial: str | None = None, multiline: bool = False) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": ACTION_ID, "max_length": FIELD_LIMITS[field]}
    if multiline:
        element["multiline"] = True
    if initial:
        element["initial_value"] = initial
    block: dict[str, Any] = {
        "type": "input",
        "block_id": field,
        "label": _plain(texts.FORM_LABELS[field]),
        "element": element,
        "optional": field in OPTIONAL,
    }
    if field in texts.FORM_HINTS:
        block["hint"] = _plain(texts.FORM_HINTS[field])
    return block


def _section(text: str, *, block_id: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "section", "text": {"type": "mrkdwn", "text": text}}
    if block_id:
        block["block_id"] = block_id
    return block


def _plain(text: str) -> dict[str, str]:
    return {"type": "plain_text", "text": text}


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]
