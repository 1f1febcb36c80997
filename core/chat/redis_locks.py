"""One message at a time per conversation across processes, with a lock in Redis.

Several processes (HTTP workers behind a load balancer) share one database;
without a shared lock, a follow-up that lands on another worker while the first
answer is still streaming is answered at once, without that exchange in its
memory window.  Here a message first waits its turn in its own process (the
in-process FIFO of ``ConversationLocks``), then for the conversation's lock in
Redis: a key with a lease that the holder renews while it answers, so a
process that dies frees the conversation when the lease runs out.

Answering matters more than ordering: when Redis cannot be reached or does not
answer within half a second, or the wait runs out, the message is answered
anyway (logged as a warning), and Redis is left alone for a while
(``core/circuit.py``) so the next messages do not wait on it either.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

import structlog
from redis.asyncio import Redis
from redis.asyncio.lock import Lock
from redis.exceptions import LockError, RedisError

from core.chat.locks import ConversationLocks
from core.circuit import ANSWER_WITHIN_SECONDS, Circuit
from core.log import one_line
from core.messages import ConversationKey

log = structlog.get_logger(__name__)

LEASE_SECONDS = 30.0  # a holder renews it every third of that; one that dies frees the conversation after it
WAIT_SECONDS = 300.0  # how long a message waits for another process's answer in its conversation
POLL_SECONDS = 0.05  # how often a waiting message asks again


class RedisConversationLocks:
    def __init__(
        self,
        redis: Redis,
        *,
        prefix: str = "parley",
        lease: float = LEASE_SECONDS,
        wait: float = WAIT_SECONDS,
        poll: float = POLL_SECONDS,
    ) -> None:
        self._redis = redis
        self._prefix = prefix
        self._lease = lease
        self._wait = wait
        self._poll = poll
        self._local = ConversationLocks()
        self._circuit = Circuit(name="conversation_locks.redis")

    @classmethod
    def from_url(cls, url: str, **options: float | str) -> RedisConversationLocks:
        """Locks on their own client for ``url`` (``close()`` closes it)."""
        return cls(Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5), **options)  # type: ignore[arg-type]

    async def close(self) -> None:
        await self._redis.aclose()

    @asynccontextmanager
    async def hold(self, key: ConversationKey) -> AsyncIterator[None]:
        async with self._local.hold(key):
            lock_log = log.bind(platform=key.platform, workspace=key.workspace, channel=key.channel, thread=key.thread)
            lock = await self._acquire(key, lock_log)
            renewal = asyncio.create_task(self._renew(lock, lock_log)) if lock is not None else None
            try:
                yield
            finally:
                if renewal is not None:
                    renewal.cancel()
                    with suppress(asyncio.CancelledError):
                        await renewal
                if lock is not None:
                    await self._release(lock, lock_log)

    def _name(self, key: ConversationKey) -> str:
        return f"{self._prefix}:conversation:{key.platform}:{key.workspace}:{key.channel}:{key.thread}"

    async def _acquire(self, key: ConversationKey, lock_log) -> Lock | None:
        lock = self._redis.lock(
            self._name(key), timeout=self._lease, sleep=self._poll, blocking_timeout=self._wait, thread_local=False
        )
        if self._circuit.is_open:  # Redis failed a moment ago: this process's order only, without waiting on it
            return None
        try:
            async with asyncio.timeout(ANSWER_WITHIN_SECONDS):
                free = await lock.acquire(blocking=False)
            self._circuit.succeeded()
            if free:
                return lock
            lock_log.info("conversation.waiting", reason="another process is answering in this conversation")
            if await lock.acquire():
                return lock
            lock_log.warning("conversation.lock_timeout", waited_seconds=self._wait)
        except (RedisError, OSError, TimeoutError) as exc:
            lock_log.warning("conversation.lock_unavailable", error=one_line(exc) or type(exc).__name__)
            self._circuit.failed(exc, fallback="one answer at a time per conversation in this process only")
        return None

    async def _renew(self, lock: Lock, lock_log) -> None:
        while True:
            await asyncio.sleep(self._lease / 3)
            try:
                await lock.reacquire()
            except (LockError, RedisError) as exc:
                lock_log.warning("conversation.lock_lost", error=one_line(exc))
                return

    async def _release(self, lock: Lock, lock_log) -> None:
        try:
            await lock.release()
        except (LockError, RedisError) as exc:  # expired (another process may hold it now) or Redis gone
            lock_log.warning("conversation.lock_release_failed", error=one_line(exc))
