"""This process's side of the inbox: accepting messages, finishing them, keeping its leases, taking over.

Every message is written durably (``Inbox.accept``) before anything else is
done with it, as pending and owned by this process under a lease that a
background job renews while the process lives.  It is finished once the
reader has taken its last event (the answer shown, or the refusal); an answer
stored with its exchange but not yet shown is ``stored``.  Whatever a process
leaves unfinished (a crash, a drain) another one takes over when the lease
runs out (``core/chat/recovery.py``).
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from datetime import timedelta

import structlog

from core.messages import IncomingMessage, Outcome, OutcomeKind
from core.observability.no_metrics import NoMetrics
from core.ports import Clock, Inbox, Metrics
from core.records import ANSWERED, FAILED, IGNORED, REFUSED, Acceptance, PendingMessage, StoredAnswer

log = structlog.get_logger(__name__)

LEASE_SECONDS = 60.0  # renewed every third of it; a process that dies leaves its messages for this long
_STATES = {OutcomeKind.ANSWERED: ANSWERED, OutcomeKind.IGNORED: IGNORED, OutcomeKind.FAILED: FAILED}


def process_identity() -> str:
    """Who owns a message: this host and process, and a random part (a restarted pid is another owner)."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Deliveries:
    def __init__(
        self, *, inbox: Inbox, clock: Clock, owner: str, lease_seconds: float = LEASE_SECONDS,
        metrics: Metrics | None = None,
    ) -> None:
        self._metrics = metrics or NoMetrics()
        self._inbox = inbox
        self._clock = clock
        self.owner = owner
        self._lease = timedelta(seconds=lease_seconds)

    async def accept(self, message: IncomingMessage) -> Acceptance:
        now = self._clock.now()
        return await self._inbox.accept(message, owner=self.owner, now=now, lease_until=now + self._lease)

    async def finish(self, message: IncomingMessage, outcome: Outcome) -> None:
        state = _STATES.get(outcome.kind, REFUSED)
        await self._inbox.finish(platform=message.key.platform, event_id=message.event_id, state=state)

    async def fail(self, message: IncomingMessage) -> None:
        await self._inbox.finish(platform=message.key.platform, event_id=message.event_id, state=FAILED)

    async def let_go(self, message: IncomingMessage) -> None:
        """This process will not finish the message: the next recovery round takes it over."""
        await self._inbox.release_one(
            platform=message.key.platform, event_id=message.event_id, now=self._clock.now()
        )

    async def note_reply(self, message: IncomingMessage, reply_ref: str) -> None:
        await self._inbox.note_reply(platform=message.key.platform, event_id=message.event_id, reply_ref=reply_ref)

    def stored(self, message: IncomingMessage, *, answer: str, notices: tuple[str, ...]) -> StoredAnswer:
        return StoredAnswer(platform=message.key.platform, event_id=message.event_id, answer=answer, notices=notices)

    async def take_over(self, *, platform: str, limit: int) -> list[PendingMessage]:
        now = self._clock.now()
        return await self._inbox.take_over(
            platform=platform, owner=self.owner, now=now, lease_until=now + self._lease, limit=limit
        )

    async def release(self) -> int:
        """Stopping: what this process did not finish may be taken over at once by the next one."""
        released = await self._inbox.release(owner=self.owner, now=self._clock.now())
        if released:
            log.info("inbox.released", messages=released)
        return released

    async def keep_leases(self) -> None:
        """Renew this process's leases every third of their length, for as long as it runs (and count them: the
        pending messages of the metrics)."""
        while True:
            await asyncio.sleep(self._lease.total_seconds() / 3)
            try:
                pending = await self._inbox.renew(owner=self.owner, lease_until=self._clock.now() + self._lease)
                self._metrics.inbox_pending(pending)
            except Exception:  # the database is away for a moment: the next round tries again
                log.exception("inbox.renew_failed")
