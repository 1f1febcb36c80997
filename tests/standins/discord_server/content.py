"""What makes a message a message on Discord: not empty, and how an edit changes one.

A message needs content (not only whitespace), an embed, an attachment, a
component, a sticker or a poll: one without is refused with 50006, whether it
is sent or edited into that state.  An edit changes only the fields it names;
flags alone are a valid edit.  Attachments an edit names by id are kept, files
it uploads are added.
"""

from __future__ import annotations

from typing import Any

from tests.standins.discord_server import payloads

SUBSTANCE = ("embeds", "attachments", "components", "sticker_ids", "sticker_items", "poll")
CLEARED = {"content": "", "embeds": [], "components": [], "flags": 0}  # what a field set to null becomes


def is_empty(message: dict[str, Any]) -> bool:
    return not (message.get("content") or "").strip() and not any(message.get(key) for key in SUBSTANCE)


def new_attachments(files, snowflake) -> list[dict[str, Any]]:
    """The attachment objects of uploaded ``files`` ((filename, bytes) pairs); ``snowflake()`` gives ids."""
    return [payloads.attachment(snowflake(), name, len(content)) for name, content in files]


def edited(message: dict[str, Any], changes: dict[str, Any], uploaded: list[dict[str, Any]]) -> dict[str, Any]:
    """``message`` as ``changes`` (a PATCH body) and the newly ``uploaded`` attachments leave it."""
    result = dict(message)
    for key, cleared in CLEARED.items():
        if key in changes:
            result[key] = cleared if changes[key] is None else changes[key]
    if "attachments" in changes:
        kept_ids = {str(a.get("id")) for a in changes["attachments"] or []}
        attachments = [a for a in message.get("attachments", []) if a["id"] in kept_ids]
    else:
        attachments = list(message.get("attachments", []))
    result["attachments"] = attachments + uploaded
    return result
