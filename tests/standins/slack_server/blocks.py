"""The Block Kit rules the stand-in enforces on what Parley sends: message ``blocks`` (section and actions
with buttons) and the ``task_update`` chunks of a stream.

From Slack's Block Kit reference: at most 50 blocks in a message; ``block_id`` ≤ 255 characters; a section's
text ≤ 3,000; an actions block has 1–25 elements; a button's text is plain_text ≤ 75, its ``action_id`` ≤ 255
(unique within the message), its ``value`` ≤ 2,000, its ``style`` primary or danger. A ``task_update`` chunk
needs an ``id`` and a ``title`` and a status of pending, in_progress, complete or error. Anything else is
``invalid_blocks`` / ``invalid_chunks``, as Slack answers.
"""

from __future__ import annotations

import json
from typing import Any

TASK_STATUSES = frozenset({"pending", "in_progress", "complete", "error"})


def parse(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def blocks_error(blocks: Any) -> str | None:
    blocks = parse(blocks)
    if blocks is None:
        return None
    if not isinstance(blocks, list) or len(blocks) > 50:
        return "invalid_blocks"
    action_ids: set[str] = set()
    for block in blocks:
        if not isinstance(block, dict) or len(str(block.get("block_id", ""))) > 255:
            return "invalid_blocks"
        kind = block.get("type")
        if kind == "section":
            text = block.get("text") or {}
            if text.get("type") not in ("mrkdwn", "plain_text") or not 1 <= len(str(text.get("text", ""))) <= 3000:
                return "invalid_blocks"
        elif kind == "actions":
            elements = block.get("elements")
            if not isinstance(elements, list) or not 1 <= len(elements) <= 25:
                return "invalid_blocks"
            for element in elements:
                if _button_error(element, action_ids):
                    return "invalid_blocks"
        elif kind not in ("divider", "context", "header", "rich_text", "markdown"):
            return "invalid_blocks"
    return None


def _button_error(element: Any, action_ids: set[str]) -> bool:
    if not isinstance(element, dict) or element.get("type") != "button":
        return True
    text = element.get("text") or {}
    action_id = str(element.get("action_id", ""))
    if text.get("type") != "plain_text" or not 1 <= len(str(text.get("text", ""))) <= 75:
        return True
    if not action_id or len(action_id) > 255 or action_id in action_ids:
        return True
    action_ids.add(action_id)
    return len(str(element.get("value", ""))) > 2000 or element.get("style") not in (None, "primary", "danger")


def task_updates(chunks: Any) -> tuple[list[dict[str, Any]], str | None]:
    """The stream's task_update chunks, or the error Slack answers about one."""
    found = []
    for chunk in parse(chunks) or []:
        if isinstance(chunk, dict) and chunk.get("type") == "task_update":
            if not chunk.get("id") or not chunk.get("title") or chunk.get("status") not in TASK_STATUSES:
                return [], "invalid_chunks"
            found.append(chunk)
    return found, None
