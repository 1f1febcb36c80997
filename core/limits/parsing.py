"""Rate-limit strings: ``"20/minute;200/day"``, or ``none`` for no limit."""

from __future__ import annotations

import math

from limits import RateLimitItem, parse_many

NO_LIMIT_WORDS = frozenset({"none", "off", "unlimited"})
MAX_LIMIT_CHARS = 255  # the limit_overrides.value column


class LimitSyntaxError(ValueError):
    pass


def parse_limits(text: str) -> tuple[RateLimitItem, ...]:
    """Parse ``N/second|minute|hour|day`` items separated by ``;``; ``none`` → ()."""
    cleaned = text.strip().lower()
    if cleaned in NO_LIMIT_WORDS:
        return ()
    if len(cleaned) > MAX_LIMIT_CHARS:
        raise LimitSyntaxError(f"that limit is {len(cleaned):,} characters; at most {MAX_LIMIT_CHARS}, please")
    try:
        items = tuple(parse_many(cleaned))
    except ValueError:
        items = ()
    if not items or any(item.amount < 1 for item in items):
        raise LimitSyntaxError(
            f"{text!r} is not a limit; write it like 20/minute, 200/day or 10/minute;100/day, or none"
        )
    return items


def describe(item: RateLimitItem) -> str:
    """``20 per minute``."""
    per = item.GRANULARITY.name
    return f"{item.amount} per {item.multiples} {per}s" if item.multiples > 1 else f"{item.amount} per {per}"


def human_duration(seconds: float) -> str:
    """``42 s``, ``5 min``, ``3 h 12 min``: for "try again in …" texts."""
    seconds = max(1, math.ceil(seconds))
    if seconds < 90:
        return f"{seconds} s"
    if seconds < 90 * 60:
        return f"{math.ceil(seconds / 60)} min"
    hours, minutes = divmod(math.ceil(seconds / 60), 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"
