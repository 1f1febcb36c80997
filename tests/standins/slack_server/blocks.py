"""Block Kit in messages, as Slack checks it (chat.postMessage, chat.update, chat.stopStream).

Slack refuses a message whose blocks break Block Kit's rules with ``invalid_blocks`` and messages
in ``response_metadata.messages`` (a non-list is ``invalid_blocks_format``).  Checked here, from
Slack's Block Kit reference:

- at most 50 blocks in a message; ``block_id`` at most 255 characters and unique in the message;
- ``markdown`` block: ``text`` required, at most 12,000 characters, and all markdown blocks of one
  payload together at most 12,000;
- ``context_actions`` block: ``elements`` 1–5, each ``feedback_buttons`` or ``icon_button``;
- ``feedback_buttons``: ``positive_button`` and ``negative_button`` required, each with ``text`` a
  ``plain_text`` object of 1–75 characters and ``value`` of 1–2,000, an optional
  ``accessibility_label`` ≤ 75; ``action_id`` ≤ 255 and unique in its block;
- ``actions`` block (the tool approval buttons): ``elements`` 1–25 buttons, each with ``text`` a
  ``plain_text`` object of 1–75 characters, an ``action_id`` of 1–255 unique in the message, a
  ``value`` ≤ 2,000 and a ``style`` of primary or danger if any;
- ``section`` (text 1–3,000), ``context``, ``divider``, ``header`` and ``rich_text`` pass; any other
  type is refused (Parley sends no other).

A stream's ``task_update`` chunks (a tool's progress) need an ``id``, a ``title`` and a status of
pending, in_progress, complete or error, else ``invalid_chunks``.
"""

from __future__ import annotations

import json
from typing import Any

MAX_BLOCKS = 50
MAX_MARKDOWN_BLOCKS_TEXT = 12_000
KNOWN = ("markdown", "context_actions", "actions", "section", "context", "divider", "header", "rich_text")
TASK_STATUSES = frozenset({"pending", "in_progress", "complete", "error"})


def parse_blocks(raw: Any) -> tuple[list[dict[str, Any]] | None, str | None]:
    """(blocks, None), or (None, the error Slack answers for a value that is no list of objects)."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return None, "invalid_blocks_format"
    if not isinstance(raw, list) or not all(isinstance(block, dict) for block in raw):
        return None, "invalid_blocks_format"
    return raw, None


def _length(value: Any, pointer: str, *, most: int, least: int = 1) -> list[str]:
    if not isinstance(value, str) or not least <= len(value) <= most:
        return [f"[ERROR] must be between {least} and {most} characters [json-pointer:{pointer}]"]
    return []


def _plain_text(obj: Any, pointer: str, *, most: int) -> list[str]:
    if not isinstance(obj, dict) or obj.get("type") != "plain_text":
        return [f"[ERROR] must be a plain_text object [json-pointer:{pointer}]"]
    return _length(obj.get("text"), f"{pointer}/text", most=most)


def _feedback_buttons(element: dict[str, Any], pointer: str) -> list[str]:
    problems: list[str] = []
    if "action_id" in element:
        problems += _length(element["action_id"], f"{pointer}/action_id", most=255)
    for side in ("positive_button", "negative_button"):
        button = element.get(side)
        if not isinstance(button, dict):
            problems.append(f"[ERROR] missing required field: {side} [json-pointer:{pointer}/{side}]")
            continue
        problems += _plain_text(button.get("text"), f"{pointer}/{side}/text", most=75)
        problems += _length(button.get("value"), f"{pointer}/{side}/value", most=2_000)
        if "accessibility_label" in button:
            problems += _length(button["accessibility_label"], f"{pointer}/{side}/accessibility_label", most=75)
    return problems


def _context_actions(block: dict[str, Any], pointer: str) -> list[str]:
    elements = block.get("elements")
    if not isinstance(elements, list) or not 1 <= len(elements) <= 5:
        return [f"[ERROR] must contain between 1 and 5 elements [json-pointer:{pointer}/elements]"]
    problems: list[str] = []
    action_ids = [e.get("action_id") for e in elements if isinstance(e, dict) and e.get("action_id")]
    if len(action_ids) != len(set(action_ids)):
        problems.append(f"[ERROR] action_id must be unique in the block [json-pointer:{pointer}/elements]")
    for n, element in enumerate(elements):
        kind = element.get("type") if isinstance(element, dict) else None
        if kind == "feedback_buttons":
            problems += _feedback_buttons(element, f"{pointer}/elements/{n}")
        elif kind != "icon_button":
            problems.append(f"[ERROR] invalid element type {kind!r} [json-pointer:{pointer}/elements/{n}/type]")
    return problems


def _actions(block: dict[str, Any], pointer: str, action_ids: set[str]) -> list[str]:
    elements = block.get("elements")
    if not isinstance(elements, list) or not 1 <= len(elements) <= 25:
        return [f"[ERROR] must contain between 1 and 25 elements [json-pointer:{pointer}/elements]"]
    problems: list[str] = []
    for n, element in enumerate(elements):
        at = f"{pointer}/elements/{n}"
        if not isinstance(element, dict) or element.get("type") != "button":
            problems.append(f"[ERROR] Parley sends only buttons in actions blocks [json-pointer:{at}/type]")
            continue
        problems += _plain_text(element.get("text"), f"{at}/text", most=75)
        problems += _length(element.get("action_id"), f"{at}/action_id", most=255)
        if element.get("action_id") in action_ids:
            problems.append(f"[ERROR] action_id must be unique in a message [json-pointer:{at}/action_id]")
        action_ids.add(str(element.get("action_id")))
        if "value" in element:
            problems += _length(element["value"], f"{at}/value", most=2_000)
        if element.get("style") not in (None, "primary", "danger"):
            problems.append(f"[ERROR] style must be primary or danger [json-pointer:{at}/style]")
    return problems


def block_problems(blocks: list[dict[str, Any]]) -> list[str]:
    """Why Slack would refuse these blocks (empty: they are fine)."""
    problems: list[str] = []
    if len(blocks) > MAX_BLOCKS:
        problems.append(f"[ERROR] no more than {MAX_BLOCKS} items allowed [json-pointer:/blocks]")
    ids = [b["block_id"] for b in blocks if "block_id" in b]
    if len(ids) != len(set(ids)):
        problems.append("[ERROR] block_id must be unique in a message [json-pointer:/blocks]")
    markdown_total = 0
    action_ids: set[str] = set()
    for n, block in enumerate(blocks):
        pointer, kind = f"/blocks/{n}", block.get("type")
        if "block_id" in block:
            problems += _length(block["block_id"], f"{pointer}/block_id", most=255)
        if kind == "markdown":
            problems += _length(block.get("text"), f"{pointer}/text", most=MAX_MARKDOWN_BLOCKS_TEXT)
            markdown_total += len(str(block.get("text") or ""))
        elif kind == "context_actions":
            problems += _context_actions(block, pointer)
        elif kind == "actions":
            problems += _actions(block, pointer, action_ids)
        elif kind == "section":
            problems += _length((block.get("text") or {}).get("text"), f"{pointer}/text/text", most=3_000)
        elif kind not in KNOWN:
            problems.append(f"[ERROR] unsupported type {kind!r} [json-pointer:{pointer}/type]")
    if markdown_total > MAX_MARKDOWN_BLOCKS_TEXT:
        problems.append(f"[ERROR] markdown blocks hold at most {MAX_MARKDOWN_BLOCKS_TEXT} characters in all [json-pointer:/blocks]")
    return problems


def markdown_of(blocks: list[dict[str, Any]]) -> str:
    """What a reader sees of the markdown blocks (the message's text, when it has them)."""
    return "\n".join(str(b.get("text") or "") for b in blocks if b.get("type") == "markdown")


def task_updates(chunks: Any) -> tuple[list[dict[str, Any]], str | None]:
    """A stream's task_update chunks, or the error Slack answers about one."""
    if isinstance(chunks, str):
        chunks = json.loads(chunks)
    found = []
    for chunk in chunks or []:
        if isinstance(chunk, dict) and chunk.get("type") == "task_update":
            if not chunk.get("id") or not chunk.get("title") or chunk.get("status") not in TASK_STATUSES:
                return [], "invalid_chunks"
            found.append(chunk)
    return found, None
