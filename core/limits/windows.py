"""Moving windows in this process's memory, for the ``limits`` rate limiter.

limits' own async memory storage expires old entries in passes over every key,
each key's search handed to a thread (``asyncio.to_thread``), and starts a new
pass whenever one ends while entries remain: after a burst of 200 mentions
(600 keys: a person, a channel and a workspace each) the passes went on for
the whole minute the entries lived: a Discord burst, whose answers are spread
over 10 s, cost 22 ms of CPU a message with them and 12 without
(docs/PERFORMANCE.md).  Here a key's window is pruned when the
key is used, and keys left idle are swept in the event loop itself, at most
once every SWEEP_SECONDS: no thread, no task.  The rate limiter calls only the
moving window's two methods (``acquire_entry``, ``get_moving_window``) and
``clear``; the rest is limits' own.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from limits.aio.storage import MemoryStorage

SWEEP_SECONDS = 10.0


class InProcessWindows(MemoryStorage):
    """limits' in-memory storage with moving windows kept per key and expired as they are used."""

    # No STORAGE_SCHEME of its own: "async+memory://" stays limits' storage for everyone else.

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self._clock = clock
        self._windows: dict[str, tuple[float, deque[float]]] = {}  # key → (its expiry, acquisition times, oldest first)
        self._swept = clock()

    async def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        if amount > limit:
            return False
        now = self._clock()
        self._sweep(now)
        times = self._current(key, expiry, now)
        if len(times) + amount > limit:
            return False
        if key not in self._windows:
            self._windows[key] = (float(expiry), times)
        times.extend([now] * amount)
        return True

    async def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        """(when the oldest acquisition still in the window was made, how many are in it), as limits has it."""
        now = self._clock()
        times = self._current(key, expiry, now)
        return (times[0], len(times)) if times else (now, 0)

    async def clear(self, key: str) -> None:
        self._windows.pop(key, None)
        await super().clear(key)

    async def reset(self) -> int | None:
        self._windows.clear()
        return await super().reset()

    def _current(self, key: str, expiry: float, now: float) -> deque[float]:
        """The key's acquisitions within the last ``expiry`` seconds (older ones dropped)."""
        found = self._windows.get(key)
        if found is None:
            return deque()
        times, cutoff = found[1], now - expiry
        while times and times[0] < cutoff:
            times.popleft()
        return times

    def _sweep(self, now: float) -> None:
        if now - self._swept < SWEEP_SECONDS:
            return
        self._swept = now
        idle = [key for key, (expiry, times) in self._windows.items() if not times or times[-1] < now - expiry]
        for key in idle:
            del self._windows[key]
