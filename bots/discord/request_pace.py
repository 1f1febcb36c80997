"""Discord's global limit kept by Parley itself: at most 50 requests a second for a bot, in all.

discord.py waits out each route's bucket, and a global 429 once it has one;
but 200 answers started at once send far more than 50 requests in a second,
and then the retries of the refused ones collide again.  Every request of the
answer path (a thread started, a message sent, edited or deleted) first takes
its turn here: a token bucket of ``burst`` requests refilled at ``per_second``,
so that no second ever holds more than ``burst + per_second`` (10 + 38 = 48),
leaving room for what is not paced (interaction responses are exempt from the
global limit anyway).  What is only cosmetic (the typing indicator, an
answer's intermediate text) goes only when a turn is free at once (``spare``,
``behind``), never in the queue: under a burst an answer costs two requests
(its thread, its final text) instead of four.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

BURST = 10
PER_SECOND = 38.0


class RequestPace:
    def __init__(
        self, *, burst: int = BURST, per_second: float = PER_SECOND, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._burst = float(burst)
        self._rate = per_second
        self._clock = clock
        self._tokens = float(burst)
        self._at = clock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self._burst, self._tokens + (now - self._at) * self._rate)
        self._at = now

    async def turn(self) -> None:
        """Wait for this request's turn (at once while the bucket has tokens; the queue is first come, first
        served, since each caller reserves its token before it sleeps)."""
        wait = self.reserve()
        if wait > 0:
            await asyncio.sleep(wait)

    def reserve(self) -> float:
        """Take the next turn: how many seconds from now it comes."""
        self._refill()
        self._tokens -= 1.0
        return max(0.0, -self._tokens / self._rate)

    def behind(self) -> bool:
        """Requests are queueing for their turn (no free turn now): what can wait should."""
        self._refill()
        return self._tokens < 1.0

    def spare(self) -> bool:
        """A turn now, for a request that is only nice to have: True (taken) when one is free at once."""
        self._refill()
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False


async def take_turn(pace: RequestPace | None) -> None:
    """``pace.turn()`` before a request; nothing where no pace is kept (a part built alone, as tests do)."""
    if pace is not None:
        await pace.turn()
