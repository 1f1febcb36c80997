"""Discord's error answers, as (status, JSON body): the codes and messages of its docs' JSON error code table.

``invalid_form_body`` builds the nested ``errors`` object of 50035 from the
path of each refused field (``("data", "components", 0, "component", "value")``),
the way Discord names a refused field.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

Answer = tuple[int, dict[str, Any]]

UNKNOWN_CHANNEL = 10003
UNKNOWN_MESSAGE = 10008
UNKNOWN_WEBHOOK = 10015
UNKNOWN_INTERACTION = 10062
ALREADY_ACKNOWLEDGED = 40060
MISSING_ACCESS = 50001
CANNOT_EDIT_OTHERS = 50005
EMPTY_MESSAGE = 50006
MISSING_PERMISSIONS = 50013
INVALID_WEBHOOK_TOKEN = 50027
INVALID_FORM_BODY = 50035
THREAD_ALREADY_CREATED = 160004

#: refusals that mean the client broke a documented rule (a bad body, too late, twice, no such webhook)
RULE_CODES = frozenset({
    UNKNOWN_WEBHOOK, UNKNOWN_INTERACTION, ALREADY_ACKNOWLEDGED, EMPTY_MESSAGE, INVALID_WEBHOOK_TOKEN, INVALID_FORM_BODY,
})


def unknown_channel() -> Answer:
    return 404, {"message": "Unknown Channel", "code": UNKNOWN_CHANNEL}


def unknown_message() -> Answer:
    return 404, {"message": "Unknown Message", "code": UNKNOWN_MESSAGE}


def unknown_webhook() -> Answer:
    return 404, {"message": "Unknown Webhook", "code": UNKNOWN_WEBHOOK}


def unknown_interaction() -> Answer:
    return 404, {"message": "Unknown interaction", "code": UNKNOWN_INTERACTION}


def already_acknowledged() -> Answer:
    return 400, {"message": "Interaction has already been acknowledged.", "code": ALREADY_ACKNOWLEDGED}


def invalid_webhook_token() -> Answer:
    return 401, {"message": "Invalid Webhook Token", "code": INVALID_WEBHOOK_TOKEN}


def missing_access() -> Answer:
    return 403, {"message": "Missing Access", "code": MISSING_ACCESS}


def missing_permissions() -> Answer:
    return 403, {"message": "Missing Permissions", "code": MISSING_PERMISSIONS}


def cannot_edit_others() -> Answer:
    return 403, {"message": "Cannot edit a message authored by another user", "code": CANNOT_EDIT_OTHERS}


def empty_message() -> Answer:
    return 400, {"message": "Cannot send an empty message", "code": EMPTY_MESSAGE}


def thread_already_created() -> Answer:
    return 400, {"message": "A thread has already been created for this message", "code": THREAD_ALREADY_CREATED}


FieldError = tuple[Sequence[str | int], str, str]  # (path, Discord's error code, message)


def invalid_form_body(problems: Iterable[FieldError]) -> Answer:
    """50035 with each field's errors under its path, e.g. {"content": {"_errors": [{"code", "message"}]}}."""
    errors: dict[str, Any] = {}
    for path, code, message in problems:
        node = errors
        for part in path:
            node = node.setdefault(str(part), {})
        node.setdefault("_errors", []).append({"code": code, "message": message})
    return 400, {"message": "Invalid Form Body", "code": INVALID_FORM_BODY, "errors": errors}


def too_long(path: Sequence[str | int], limit: int) -> FieldError:
    return path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length."
