"""The values of feedback: an answer that can be rated, a rating, and what admins count."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

COMMENT_MAX_CHARS = 1_000  # a 👎's comment; the modals on Slack and Discord cap their field at this too


class Rating(enum.StrEnum):
    UP = "up"
    DOWN = "down"


class Recorded(enum.StrEnum):
    """What a click did to the person's feedback on that answer."""

    NEW = "new"
    CHANGED = "changed"
    SAME = "same"  # the same rating again: nothing changed


@dataclass(frozen=True, slots=True)
class RatedAnswer:
    """An answer people can rate, noted when it was stored: where, and the persona and model that wrote it.

    ``answer_id`` is the asking message's ``event_id`` (one answer per message on a platform).
    """

    platform: str
    answer_id: str
    workspace: str
    channel: str
    thread: str
    persona: str
    model: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Feedback:
    """One person's rating of one answer (and a 👎's comment), with the answer's persona and model."""

    answer: RatedAnswer
    user: str
    rating: Rating
    comment: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class FeedbackCount:
    persona: str
    model: str
    up: int
    down: int
