"""Moderation results in the omni-moderation shape: not flagged unless scripted or a flag word matches.

``Flagged(categories, score)`` (the moderation FIFO) flags every input of one
request; ``server.flag_text(word, category)`` flags any input containing
``word`` (case-insensitive) with score 0.97.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tests.standins.openai_server.behaviours import Flagged, ModerationBehaviour

MODERATION_CATEGORIES: tuple[str, ...] = (
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/intent",
    "self-harm/instructions",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
)
_IMAGE_CATEGORIES = frozenset(
    {"self-harm", "self-harm/intent", "self-harm/instructions", "sexual", "violence", "violence/graphic"}
)


def _input_text(item: Any) -> str:
    if isinstance(item, dict):  # multi-modal input part {"type": "text", "text": ...}
        return str(item.get("text", ""))
    return item if isinstance(item, str) else ""


def _result(flagged: Mapping[str, float]) -> dict[str, Any]:
    return {
        "flagged": bool(flagged),
        "categories": {c: c in flagged for c in MODERATION_CATEGORIES},
        "category_scores": {c: flagged.get(c, 0.0001) for c in MODERATION_CATEGORIES},
        "category_applied_input_types": {c: (["text"] if c in flagged else []) for c in MODERATION_CATEGORIES},
    }


def moderation_results(
    raw_input: Any, behaviour: ModerationBehaviour | None, flag_words: Mapping[str, str]
) -> list[dict[str, Any]]:
    """One result per input (a string, a list of strings or of input parts)."""
    inputs = raw_input if isinstance(raw_input, list) else [raw_input]
    results = []
    for item in inputs:
        text = _input_text(item)
        flagged: dict[str, float] = {}
        if isinstance(behaviour, Flagged):
            flagged = {c: behaviour.score for c in behaviour.categories}
        for word, category in flag_words.items():
            if word in text.lower():
                flagged[category] = 0.97
        results.append(_result(flagged))
    return results
