"""A channel's stored turns, then its ratings of answers, as JSON lines, for ``/parley export``."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import datetime

from core.messages import ChannelScope
from core.feedback.values import Feedback
from core.records import Turn

EXPORT_MAX_TURNS = 20_000
EXPORT_MAX_FEEDBACK = 20_000
EXPORT_MAX_BYTES = 8 * 1024 * 1024  # fits every platform's upload limit (Discord's is the smallest)
JSONL_MIME_TYPE = "application/x-ndjson"


def turns_as_jsonl(turns: Sequence[Turn], *, max_bytes: int = EXPORT_MAX_BYTES) -> tuple[bytes, int]:
    """One JSON object per line: id, thread, role, author, status, created_at (ISO 8601 UTC), content.

    Returns the bytes and how many turns they hold (the oldest, up to ``max_bytes``).
    """
    return _up_to(_lines(turns), max_bytes=max_bytes)


def feedback_as_jsonl(ratings: Sequence[Feedback], *, max_bytes: int = EXPORT_MAX_BYTES) -> tuple[bytes, int]:
    """One JSON object per rating, marked ``"record": "feedback"``: answer_id, thread, persona, model, user,
    rating (up | down), comment, created_at, updated_at. The bytes and how many they hold (up to ``max_bytes``)."""
    lines = (
        json.dumps(
            {
                "record": "feedback",
                "answer_id": f.answer.answer_id,
                "thread": f.answer.thread,
                "persona": f.answer.persona,
                "model": f.answer.model,
                "user": f.user,
                "rating": f.rating.value,
                "comment": f.comment,
                "created_at": f.created_at.isoformat(),
                "updated_at": f.updated_at.isoformat(),
            },
            ensure_ascii=False,
        )
        for f in ratings
    )
    return _up_to(lines, max_bytes=max_bytes)


def _up_to(lines, *, max_bytes: int) -> tuple[bytes, int]:
    out = bytearray()
    count = 0
    for line in lines:
        encoded = (line + "\n").encode()
        if len(out) + len(encoded) > max_bytes:
            break
        out += encoded
        count += 1
    return bytes(out), count


def _lines(turns: Sequence[Turn]):
    return (
        json.dumps(
            {
                "id": t.id,
                "thread": t.key.thread,
                "role": t.role,
                "author": t.author,
                "status": t.status,
                "created_at": t.created_at.isoformat(),
                "content": t.content,
            },
            ensure_ascii=False,
        )
        for t in turns
    )


def settings_as_jsonl(*, choices: dict[str, str], summoning: tuple[str, str] | None) -> bytes:
    """The channel's per-person and per-channel settings, one JSON object per line after the turns:
    ``{"setting": "summoning", "mode", "threads"}`` and ``{"setting": "model_choice", "user", "model"}``."""
    lines = []
    if summoning is not None:
        lines.append({"setting": "summoning", "mode": summoning[0], "threads": summoning[1]})
    lines += [{"setting": "model_choice", "user": user, "model": model} for user, model in choices.items()]
    return "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines).encode()


def export_filename(scope: ChannelScope, now: datetime) -> str:
    safe = re.sub(r"[^A-Za-z0-9_-]+", "-", f"{scope.platform}-{scope.channel}").strip("-")
    return f"parley-export-{safe}-{now:%Y%m%d-%H%M%S}.jsonl"
