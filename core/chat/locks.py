"""One message at a time per conversation, in arrival order; others run freely."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager

import structlog

log = structlog.get_logger(__name__)

WAIT_SECONDS = 300.0  # as the Redis lock: past that, a message is answered without waiting any longer


class ConversationLocks:
    """A FIFO lock per key, created on demand and dropped when nobody holds or waits.

    asyncio.Lock wakes waiters in the order they started waiting, so messages
    of one conversation are answered in the order they arrived in this process.
    A message that waited ``wait`` seconds (an answer stuck upstream) goes
    ahead anyway: answering matters more than ordering.
    """

    def __init__(self, *, wait: float = WAIT_SECONDS) -> None:
        self._wait = wait
        self._locks: dict[Hashable, asyncio.Lock] = {}
        self._users: dict[Hashable, int] = {}

    @asynccontextmanager
    async def hold(self, key: Hashable) -> AsyncIterator[None]:
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        acquired = False
        try:
            try:
                acquired = await asyncio.wait_for(lock.acquire(), self._wait) if lock.locked() else await lock.acquire()
            except TimeoutError:
                log.warning("conversation.wait_expired", waited_s=self._wait)
            yield
        finally:
            if acquired:
                lock.release()
            self._users[key] -= 1
            if self._users[key] == 0:
                del self._users[key]
                del self._locks[key]

    def __len__(self) -> int:
        return len(self._locks)
