"""views.open and views.update, with Slack's trigger rules and Block Kit limits.

A trigger_id comes with each interaction Slack delivers (``new_trigger()``
hands one out and notes the stand-in clock's time); views.open takes it once
(``exchanged_trigger_id`` after), within 3 seconds (``expired_trigger_id``
after; ``TRIGGER_SECONDS``), and an id Slack never issued is
``invalid_trigger_id``.  A view breaking Block Kit's limits is refused with
``invalid_arguments`` and Slack's style of messages in
``response_metadata.messages``: modal title, submit and close at most 24
characters, 1–100 blocks, private_metadata ≤ 3,000, callback_id ≤ 255; input
labels and hints ≤ 2,000; a plain_text_input's max_length 1–3,000 and its
initial_value no longer than that; section text 1–3,000.  Opened views are
kept in ``views`` (id → view); views.update needs a known ``view_id``.
"""

from __future__ import annotations

import json
from typing import Any

from tests.standins.slack_server.state import SlackState

TRIGGER_SECONDS = 3.0


def _text(obj: Any, pointer: str, *, most: int, least: int = 1) -> list[str]:
    text = (obj or {}).get("text") if isinstance(obj, dict) else None
    if not isinstance(text, str) or not least <= len(text) <= most:
        return [f"[ERROR] must be between {least} and {most} characters [json-pointer:{pointer}/text]"]
    return []


def _input_problems(block: dict[str, Any], pointer: str) -> list[str]:
    problems = _text(block.get("label"), f"{pointer}/label", most=2_000)
    if "hint" in block:
        problems += _text(block["hint"], f"{pointer}/hint", most=2_000)
    element = block.get("element") or {}
    if element.get("type") == "plain_text_input":
        most = element.get("max_length", 3_000)
        if not isinstance(most, int) or not 1 <= most <= 3_000:
            problems.append(f"[ERROR] must be between 1 and 3000 [json-pointer:{pointer}/element/max_length]")
            most = 3_000
        if len(str(element.get("initial_value") or "")) > most:
            problems.append(f"[ERROR] initial_value is longer than max_length [json-pointer:{pointer}/element/initial_value]")
    return problems


def view_problems(view: dict[str, Any]) -> list[str]:
    """Why Slack would refuse this modal (empty: it is fine)."""
    problems = _text(view.get("title"), "/view/title", most=24)
    for button in ("submit", "close"):
        if button in view:
            problems += _text(view[button], f"/view/{button}", most=24)
    blocks = view.get("blocks") or []
    if not 1 <= len(blocks) <= 100:
        problems.append("[ERROR] must contain between 1 and 100 blocks [json-pointer:/view/blocks]")
    if len(str(view.get("private_metadata") or "")) > 3_000:
        problems.append("[ERROR] must be no more than 3000 characters [json-pointer:/view/private_metadata]")
    if len(str(view.get("callback_id") or "")) > 255:
        problems.append("[ERROR] must be no more than 255 characters [json-pointer:/view/callback_id]")
    if any(b.get("type") == "input" for b in blocks) and "submit" not in view:
        problems.append("[ERROR] submit is required when a view has input blocks [json-pointer:/view/submit]")
    for n, block in enumerate(blocks):
        pointer = f"/view/blocks/{n}"
        if block.get("type") == "input":
            problems += _input_problems(block, pointer)
        elif block.get("type") == "section":
            problems += _text(block.get("text"), f"{pointer}/text", most=3_000)
    return problems


class ViewMethods(SlackState):
    def new_trigger(self) -> str:
        """A trigger_id, as Slack puts in a slash command or an interaction it delivers now."""
        trigger = f"{next(self._ids)}.{1_000_000 + next(self._ids)}.{'%032x' % next(self._ids)}"
        self.triggers[trigger] = self.clock()
        return trigger

    def _m_views_open(self, params, token):
        trigger = str(params.get("trigger_id") or "")
        issued = self.triggers.get(trigger)
        if issued is None:
            return {"ok": False, "error": "invalid_trigger_id"}
        if trigger in self._exchanged:
            return {"ok": False, "error": "exchanged_trigger_id"}
        if self.clock() - issued > TRIGGER_SECONDS:
            return {"ok": False, "error": "expired_trigger_id"}
        self._exchanged.add(trigger)
        return self._keep_view(f"V{next(self._ids):08d}", params)

    def _m_views_update(self, params, token):
        view_id = str(params.get("view_id") or "")
        if view_id not in self.views:
            return {"ok": False, "error": "not_found"}
        if params.get("hash") and params["hash"] != self.views[view_id]["hash"]:
            return {"ok": False, "error": "hash_conflict"}
        return self._keep_view(view_id, params)

    def _keep_view(self, view_id: str, params: dict[str, Any]) -> dict[str, Any]:
        view = params.get("view")
        view = json.loads(view) if isinstance(view, str) else (view or {})
        problems = view_problems(view)
        if problems:
            return {"ok": False, "error": "invalid_arguments", "response_metadata": {"messages": problems}}
        for block in view.get("blocks") or []:
            text = block.get("text") or {}
            if block.get("type") == "section" and text.get("type") == "mrkdwn":
                self._check_mrkdwn("views section", str(text.get("text") or ""))
        kept = {**view, "id": view_id, "hash": f"{next(self._ids)}.hash"}
        self.views[view_id] = kept
        return {"ok": True, "view": kept}
