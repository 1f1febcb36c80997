"""Deliveries being handled after their ack: counted, and awaited at shutdown.

Slack is answered before the work is done, so the process needs its own view
of what is still running: a graceful shutdown drains it, and tests wait on
``finished`` instead of sleeping.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager


class InFlight:
    def __init__(self) -> None:
        self.active = 0
        self.finished = 0
        self._changed = asyncio.Event()

    @asynccontextmanager
    async def track(self) -> AsyncIterator[None]:
        self.active += 1
        try:
            yield
        finally:
            self.active -= 1
            self.finished += 1
            self._notify()

    async def wait_finished(self, count: int, *, timeout: float) -> None:
        """Wait until at least ``count`` deliveries have been handled (raises TimeoutError)."""
        await self._wait(lambda: self.finished >= count, timeout)

    async def drain(self, *, timeout: float) -> bool:
        """Wait for the deliveries in flight to finish; False if some were still running at ``timeout``."""
        try:
            await self._wait(lambda: self.active == 0, timeout)
            return True
        except TimeoutError:
            return False

    async def _wait(self, done: Callable[[], bool], timeout: float) -> None:
        async with asyncio.timeout(timeout):
            while not done():
                await self._changed.wait()

    def _notify(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()
