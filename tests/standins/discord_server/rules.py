"""Discord's documented rules that its OpenAPI request schemas do not say, per request body.

- A bot's channel message has at most 2,000 characters (the schema allows 4,000, Nitro's limit).
- Each route takes only some message flags (a deferral only EPHEMERAL).
- A modal's text input holds no more than its max_length, min_length ≤ max_length, and custom_ids are unique.
- Application commands: CHAT_INPUT names and option names match
  ``^[-_'\\p{L}\\p{N}\\p{sc=Deva}\\p{sc=Thai}]{1,32}$`` in lowercase; descriptions have 1–100 characters;
  names are unique among siblings; required options come first; subcommands and groups are not mixed
  with other options; at most 100 CHAT_INPUT commands; names, descriptions and choices of one command
  add up to at most 8,000 characters.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import regex

from tests.standins.discord_server.errors import FieldError, too_long

MESSAGE_LIMIT = 2_000
COMMAND_NAME = regex.compile(r"^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$")
CHAT_INPUT, SUBCOMMAND, SUBCOMMAND_GROUP = 1, 1, 2
MAX_CHAT_INPUT_COMMANDS = 100
MAX_COMMAND_CHARACTERS = 8_000

SUPPRESS_EMBEDS, EPHEMERAL, SUPPRESS_NOTIFICATIONS, VOICE_MESSAGE, COMPONENTS_V2 = 1 << 2, 1 << 6, 1 << 12, 1 << 13, 1 << 15
MESSAGE_FLAGS = SUPPRESS_EMBEDS | SUPPRESS_NOTIFICATIONS | VOICE_MESSAGE | COMPONENTS_V2
EDIT_FLAGS = SUPPRESS_EMBEDS | COMPONENTS_V2
INTERACTION_FLAGS = MESSAGE_FLAGS | EPHEMERAL


def problems(name: str, body: Any) -> Iterator[FieldError]:
    """What Discord refuses in a body that its schema (``name``) accepts."""
    body = body if body is not None else {}
    if name in ("message_create", "message_edit"):
        yield from _content(body, ())
        yield from _flags(body, (), MESSAGE_FLAGS if name == "message_create" else EDIT_FLAGS)
    elif name == "webhook_message":
        yield from _flags(body, (), INTERACTION_FLAGS)
    elif name == "webhook_message_edit":
        yield from _flags(body, (), EDIT_FLAGS)
    elif name == "interaction_response":
        yield from _interaction_response(body)
    elif name == "application_commands":
        yield from _commands(body)


def _content(message: dict[str, Any], path: Sequence[str | int]) -> Iterator[FieldError]:
    if len(message.get("content") or "") > MESSAGE_LIMIT:
        yield too_long([*path, "content"], MESSAGE_LIMIT)


def _flags(message: dict[str, Any], path: Sequence[str | int], allowed: int) -> Iterator[FieldError]:
    if (message.get("flags") or 0) & ~allowed:
        yield [*path, "flags"], "MESSAGE_FLAGS_INVALID", "Invalid flags for this message."


def _interaction_response(body: dict[str, Any]) -> Iterator[FieldError]:
    data = body.get("data") or {}
    if body["type"] == 4:
        yield from _flags(data, ("data",), INTERACTION_FLAGS)
    elif body["type"] == 5:
        yield from _flags(data, ("data",), EPHEMERAL)
    elif body["type"] == 9:
        yield from _modal(data)


def _modal(modal: dict[str, Any]) -> Iterator[FieldError]:
    seen: set[str] = set()
    for index, row in enumerate(modal["components"]):
        children = [(("component",), row["component"])] if row["type"] == 18 else [
            (("components", i), child) for i, child in enumerate(row.get("components") or [])]
        for where, child in children:
            path = ["data", "components", index, *where]
            if child.get("custom_id") in seen:
                yield [*path, "custom_id"], "COMPONENT_CUSTOM_ID_DUPLICATED", "Component custom id cannot be duplicated"
            seen.add(child.get("custom_id"))
            if child["type"] == 4:
                yield from _text_input(child, path)


def _text_input(text_input: dict[str, Any], path: list[str | int]) -> Iterator[FieldError]:
    low, high = text_input.get("min_length"), text_input.get("max_length")
    if low is not None and high is not None and low > high:
        yield [*path, "min_length"], "BASE_TYPE_BAD_LENGTH", f"Must be between 0 and {high} in length."
    if high is not None and len(text_input.get("value") or "") > high:
        yield too_long([*path, "value"], high)


def _commands(commands: list[dict[str, Any]] | None) -> Iterator[FieldError]:
    commands = commands or []
    chat_input = [c for c in commands if c.get("type") in (None, CHAT_INPUT)]
    if len(chat_input) > MAX_CHAT_INPUT_COMMANDS:
        yield [], "APPLICATION_COMMANDS_TOO_MANY", f"Must be {MAX_CHAT_INPUT_COMMANDS} or fewer chat input commands."
    yield from _unique_names(commands, [])
    for index, command in enumerate(commands):
        if command.get("type") not in (None, CHAT_INPUT):
            continue
        yield from _named(command, [index])
        yield from _options(command.get("options") or [], [index, "options"])
        if _characters(command) > MAX_COMMAND_CHARACTERS:
            yield [index], "APPLICATION_COMMAND_TOO_LARGE", f"Command exceeds maximum size ({MAX_COMMAND_CHARACTERS})"


def _options(options: list[dict[str, Any]], path: list[str | int]) -> Iterator[FieldError]:
    yield from _unique_names(options, path)
    nesting = [o["type"] in (SUBCOMMAND, SUBCOMMAND_GROUP) for o in options]
    if any(nesting) and not all(nesting):
        yield path, "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID", "Sub-command and sub-command group option types are mutually exclusive to all other types"
    seen_optional = False
    for index, option in enumerate(options):
        yield from _named(option, [*path, index])
        if option.get("required") and seen_optional:
            yield [*path, index, "required"], "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID", "Required options must be placed before non-required options"
        seen_optional = seen_optional or not option.get("required")
        yield from _options(option.get("options") or [], [*path, index, "options"])


def _named(item: dict[str, Any], path: list[str | int]) -> Iterator[FieldError]:
    name, description = item.get("name") or "", item.get("description") or ""
    if not COMMAND_NAME.match(name) or name != name.lower():
        yield [*path, "name"], "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid"
    if not 1 <= len(description) <= 100:
        yield [*path, "description"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."


def _unique_names(items: list[dict[str, Any]], path: list[str | int]) -> Iterator[FieldError]:
    seen: set[tuple[Any, str]] = set()
    for index, item in enumerate(items):
        key = (item.get("type") if not path else None, item.get("name") or "")
        if key in seen:
            yield [*path, index, "name"], "APPLICATION_COMMAND_DUPLICATE_NAME", "Application command names must be unique"
        seen.add(key)


def _characters(item: dict[str, Any]) -> int:
    own = len(item.get("name") or "") + len(item.get("description") or "")
    own += sum(len(str(choice.get("name", ""))) + len(str(choice.get("value", ""))) for choice in item.get("choices") or [])
    return own + sum(_characters(option) for option in item.get("options") or [])
