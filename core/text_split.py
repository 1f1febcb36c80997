"""Splitting a long Markdown answer into messages a platform accepts.

Platforms cap one message (Discord 2,000 characters, Slack about 40,000 and
less for Markdown blocks).  We split at paragraph, then line, then word
boundaries, and a code block cut by a split is closed at the end of one piece
and reopened, with its language, at the start of the next.
"""

from __future__ import annotations

import re

_FENCE = re.compile(r"^\s*(```+|~~~+)(.*)$")


def split_markdown(text: str, *, limit: int) -> list[str]:
    """Pieces of at most ``limit`` characters whose code fences are balanced."""
    if limit < 20:
        raise ValueError("limit must leave room for code fences")
    pieces: list[str] = []
    current = ""
    fence: tuple[str, str] | None = None  # (marker, info string) of the open code block
    for line in text.split("\n"):
        for chunk in _hard_wrap(line, limit - 10 - (len(fence[0]) + len(fence[1]) if fence else 0)):
            candidate = chunk if not current else current + "\n" + chunk
            closing = "\n" + fence[0] if fence else ""
            if len(candidate) + len(closing) > limit and current:
                pieces.append(current + closing)
                current = (fence[0] + fence[1] + "\n" + chunk) if fence else chunk
            else:
                current = candidate
        match = _FENCE.match(line)
        if match:
            if fence is None:
                fence = (match.group(1), match.group(2).strip())
            elif match.group(1).startswith(fence[0][0]) and not match.group(2).strip():
                fence = None
    if current.strip():
        pieces.append(current + ("\n" + fence[0] if fence else ""))
    return pieces or [""]


def _hard_wrap(line: str, width: int) -> list[str]:
    """A line longer than ``width`` split at spaces, or hard where there are none."""
    width = max(width, 10)
    if len(line) <= width:
        return [line]
    out: list[str] = []
    while len(line) > width:
        cut = line.rfind(" ", 0, width)
        cut = cut if cut > width // 2 else width
        out.append(line[:cut])
        line = line[cut:].lstrip(" ") if line[cut:cut + 1] == " " else line[cut:]
    out.append(line)
    return out
