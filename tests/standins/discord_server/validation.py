"""Request bodies checked as Discord checks them: against its OpenAPI request schemas, then its documented rules.

The schemas are ``tests/discord_api_spec/request_bodies.schema.json`` (the
routes Parley calls, written from Discord's spec; see the README there).  A
body that fails them, or a rule of ``rules`` (2,000 characters for a bot's
message, the flags a route takes, modal and command rules), is refused with
400 50035 Invalid Form Body, each refused field under its path; a message
with nothing in it with 400 50006 Cannot send an empty message.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, ValidationError

from tests.standins.discord_server import content, errors, rules

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "discord_api_spec" / "request_bodies.schema.json"

#: (method, route) → the schema of its body, in the file's $defs
BODIES = {
    ("POST", "/channels/{channel_id}/messages"): "message_create",
    ("PATCH", "/channels/{channel_id}/messages/{message_id}"): "message_edit",
    ("POST", "/channels/{channel_id}/messages/{message_id}/threads"): "thread_from_message",
    ("PUT", "/applications/{application_id}/commands"): "application_commands",
    ("PUT", "/applications/{application_id}/guilds/{guild_id}/commands"): "application_commands",
    ("POST", "/interactions/{interaction_id}/{token}/callback"): "interaction_response",
    ("POST", "/webhooks/{application_id}/{token}"): "webhook_message",
    ("PATCH", "/webhooks/{application_id}/{token}/messages/{message_id}"): "webhook_message_edit",
    ("POST", "/users/@me/channels"): "private_channel_create",
}

#: bodies that make a new message, which must not be empty → where its fields are in the body
NEW_MESSAGES = {"message_create": (), "webhook_message": (), "interaction_response": ("data",)}


def refusal(method: str, route: str, body: Any, *, uploads: tuple = ()) -> errors.Answer | None:
    """Discord's answer to a body it refuses; None when the body is fine."""
    name = BODIES.get((method, route))
    if name is None:
        return None
    problems = list(schema_problems(name, body))
    if not problems:
        problems = list(rules.problems(name, body))
    if problems:
        return errors.invalid_form_body(problems)
    if name in NEW_MESSAGES and _makes_empty_message(name, body, uploads):
        return errors.empty_message()
    return None


def schema_problems(name: str, body: Any) -> Iterator[errors.FieldError]:
    for error in sorted(_validator(name).iter_errors(body), key=lambda e: list(e.absolute_path)):
        yield from _as_field_errors(error)


@cache
def _validator(name: str) -> Draft202012Validator:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator({"$ref": f"#/$defs/{name}", "$defs": schema["$defs"]})


def _as_field_errors(error: ValidationError) -> Iterator[errors.FieldError]:
    """One jsonschema error → Discord's (path, code, message); a missing field is named under its own name."""
    path = list(error.absolute_path)
    kind, limit = error.validator, error.validator_value
    if kind == "required":
        for missing in (name for name in limit if name not in error.instance):
            yield [*path, missing], "BASE_TYPE_REQUIRED", "This field is required"
    elif kind in ("maxLength", "maxItems"):
        yield errors.too_long(path, limit)
    elif kind in ("minLength", "minItems"):
        yield path, "BASE_TYPE_MIN_LENGTH", f"Must be {limit} or more in length."
    elif kind in ("enum", "const"):
        yield path, "BASE_TYPE_CHOICES", f"Value must be one of {limit if kind == 'enum' else [limit]}."
    elif kind in ("maximum", "minimum"):
        word = "less" if kind == "maximum" else "greater"
        yield path, f"NUMBER_TYPE_{kind[:3].upper()}", f"int value should be {word} than or equal to {limit}."
    else:
        yield path, f"BASE_TYPE_{kind.upper()}", error.message


def _makes_empty_message(name: str, body: Any, uploads: tuple) -> bool:
    if name == "interaction_response" and (body or {}).get("type") != 4:
        return False
    fields: Any = body or {}
    for key in NEW_MESSAGES[name]:
        fields = fields.get(key) or {}
    return not uploads and content.is_empty(fields)
