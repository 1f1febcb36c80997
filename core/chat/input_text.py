"""Cleaning and checking the text of a user message before anything else sees it."""

from __future__ import annotations

import re
from dataclasses import dataclass

# C0/C1 control characters except tab and newline; carriage returns become newlines.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

EMPTY_HINT = "Say something after the mention and I'll answer. `/parley help` lists what I can do."


@dataclass(frozen=True, slots=True)
class TextProblem:
    reason: str
    user_text: str


def valid_text(text: str) -> str:
    """Text every library can encode: a lone surrogate (invalid UTF-8 read with ``surrogateescape``, a
    broken pair from a platform's JSON) becomes U+FFFD; a proper pair becomes its character."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def clean_text(text: str) -> str:
    """Control characters out, line ends unified. The text is valid already (``ChatService.accept``)."""
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).strip()


def check_text(text: str, *, max_chars: int) -> TextProblem | None:
    if not text:
        return TextProblem("empty", EMPTY_HINT)
    if len(text) > max_chars:
        return TextProblem(
            "too_long",
            f"That message is {len(text):,} characters; the limit is {max_chars:,}. "
            "Please shorten it or split it up.",
        )
    return None
