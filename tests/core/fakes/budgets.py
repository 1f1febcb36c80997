"""BudgetCounterStore in memory: counters and holds in dicts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from core.ports import Clock
from core.records import BudgetKey, BudgetLine
from tests.core.fakes.clock import as_utc, utcnow


def _order(key: BudgetKey) -> tuple[str, ...]:
    return (key.platform, key.workspace, key.user, key.period, key.unit)


class MemoryBudgetCounterStore:
    """All-or-nothing reservations; atomic because nothing awaits in between.

    As the SQL store: the lines are checked in key order (the order it locks the
    counters in), so when several would not fit the first of them in that order
    is the one refused; lines of one counter add up.  Holds are stamped by
    ``clock`` when given (for core tests on a fake clock), else by the wall
    clock, as the SQL store stamps them.
    """

    def __init__(self, clock: Clock | None = None) -> None:
        self.used_: dict[BudgetKey, int] = {}
        self.reserved: dict[BudgetKey, int] = {}
        self.holds: dict[str, tuple[datetime, list[BudgetLine]]] = {}  # hold -> (when, lines)
        self._clock = clock

    async def reserve(self, lines: Sequence[BudgetLine], *, hold: str) -> BudgetKey | None:
        ordered = sorted(lines, key=lambda line: _order(line.key))
        reserved = dict(self.reserved)
        for line in ordered:
            reserved[line.key] = reserved.get(line.key, 0) + line.amount
            if self.used_.get(line.key, 0) + reserved[line.key] > line.cap:
                return line.key
        self.reserved = reserved
        self.holds[hold] = (self._clock.now() if self._clock else utcnow(), list(lines))
        return None

    async def settle(self, lines: Sequence[tuple[BudgetKey, int, int]], *, hold: str | None = None) -> None:
        held = hold is not None and self.holds.pop(hold, None) is not None
        for key, reserved, actual in lines:
            self.reserved[key] = self.reserved.get(key, 0) - (reserved if held else 0)
            self.used_[key] = self.used_.get(key, 0) + actual

    async def release_stale(self, before: datetime) -> int:
        before = as_utc(before)
        stale = [h for h, (when, _) in self.holds.items() if when < before]
        released = 0
        for hold in stale:
            for line in self.holds.pop(hold)[1]:
                self.reserved[line.key] -= line.amount
                released += 1
        return released

    async def used(self, keys: Sequence[BudgetKey]) -> dict[BudgetKey, int]:
        return {key: self.used_.get(key, 0) for key in keys}
