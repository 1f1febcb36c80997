"""Taking over what a process left unfinished: every message is answered once, late rather than never.

A process that starts, and every running process every ``interval`` seconds,
takes over the unfinished messages of its platform whose owner's lease ran
out (the owner was killed, or drained and released them).  A message whose
answer was stored is shown; one still pending is answered now, with a note
that it is late; one older than ``late_after`` (or tried ``max_attempts``
times) gets one apology asking to send it again.  The adapter does the
showing (``Redelivery``): it first ends or replaces what the dead process had
half-shown (``PendingMessage.reply_ref``).
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from datetime import timedelta

import structlog

from core.chat.delivery import Deliveries
from core.chat.service import ChatService
from core.chat.texts import LATE_APOLOGY_TEXT
from core.ports import Clock, Redelivery
from core.records import PENDING, PendingMessage

log = structlog.get_logger(__name__)

LATE_AFTER = timedelta(minutes=10)
MAX_ATTEMPTS = 3
BATCH = 20


class Recovery:
    def __init__(
        self,
        *,
        chat: ChatService,
        deliveries: Deliveries,
        clock: Clock,
        late_after: timedelta = LATE_AFTER,
        max_attempts: int = MAX_ATTEMPTS,
        batch: int = BATCH,
    ) -> None:
        self._chat = chat
        self._deliveries = deliveries
        self._clock = clock
        self._late_after = late_after
        self._max_attempts = max_attempts
        self.batch = batch

    async def run_once(self, redelivery: Redelivery, *, platform: str) -> int:
        """Take over and deliver what is due now; returns how many messages were taken over."""
        taken = await self._deliveries.take_over(platform=platform, limit=self.batch)
        for pending in taken:
            await self._deliver(redelivery, pending)
        return len(taken)

    async def run_round(self, redelivery: Redelivery, *, platform: str) -> None:
        """Batches until one is not full (there may be more behind a full one); never raises."""
        try:
            while await self.run_once(redelivery, platform=platform) == self.batch:
                pass
        except Exception:  # the database is away for a moment: the next round tries again
            log.exception("recovery.failed")

    async def run_forever(self, redelivery: Redelivery, *, platform: str, interval: float) -> None:
        while True:
            await self.run_round(redelivery, platform=platform)
            await asyncio.sleep(interval)

    async def _deliver(self, redelivery: Redelivery, pending: PendingMessage) -> None:
        message = pending.message
        message_log = log.bind(platform=message.key.platform, channel=message.key.channel, event_id=message.event_id,
                               state=pending.state, attempt=pending.attempts)
        try:
            if pending.state == PENDING and self._too_late(pending):
                message_log.warning("recovery.apology", reason="too late" if pending.attempts <= self._max_attempts
                                    else "too many attempts")
                await redelivery.apologise(pending, LATE_APOLOGY_TEXT.format(when=f"{pending.received_at:%H:%M} UTC"))
                await self._deliveries.fail(message)
                return
            message_log.info("recovery.answering")
            await redelivery.redeliver(pending, self._chat.resume(pending))
        except Exception:  # let go: the next round (here or elsewhere) tries again, up to MAX_ATTEMPTS
            message_log.exception("recovery.delivery_failed")
            with suppress(Exception):
                await self._deliveries.let_go(message)

    def _too_late(self, pending: PendingMessage) -> bool:
        return pending.attempts > self._max_attempts or self._clock.now() - pending.received_at > self._late_after
