"""How often an adapter may change a message it is streaming into: one change per interval, the first at once.

The platforms limit edits (Slack's method tiers, Discord's per-channel buckets), and people cannot read
faster anyway.  The caller passes the time (like discord.py's ``Cooldown.update_rate_limit(current=...)``),
so tests decide it, not the wall clock.
"""

from __future__ import annotations


class EditPacer:
    def __init__(self, interval: float) -> None:
        self._interval = interval
        self._last: float | None = None

    def delay(self, *, now: float) -> float:
        """How long to wait before the next change (0: it may happen now)."""
        return 0.0 if self._last is None else max(0.0, self._last + self._interval - now)

    def mark(self, *, now: float) -> None:
        """A change happened at ``now``."""
        self._last = now
