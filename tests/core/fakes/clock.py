"""Time: an injectable clock, and the rule the SQL stores keep for the times they store."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone


class FakeClock:
    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


def utcnow() -> datetime:
    """What a store stamps when it is given no time: the wall clock, as the SQL stores do."""
    return datetime.now(timezone.utc)


def as_utc(value: datetime) -> datetime:
    """A stored time as the SQL stores give it back: aware UTC, a naive one taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)
