"""The periodic purge of turns older than their channel's retention."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import structlog

from core.filters.values import FilterDecisionLog
from core.ports import ChannelSettingsStore, Clock, ConversationStore, Inbox

log = structlog.get_logger(__name__)

PROCESSED_EVENTS_KEPT = timedelta(days=7)  # platforms retry within minutes; a week is plenty
FILTER_DECISIONS_KEPT = timedelta(days=90)  # `/parley filter log` shows recent ones; no content in them


class RetentionPurger:
    def __init__(
        self,
        *,
        conversations: ConversationStore,
        settings: ChannelSettingsStore,
        inbox: Inbox,
        clock: Clock,
        filter_decisions: FilterDecisionLog | None = None,
    ) -> None:
        self._conversations = conversations
        self._settings = settings
        self._inbox = inbox
        self._clock = clock
        self._filter_decisions = filter_decisions

    async def purge_once(self) -> int:
        """Delete what retention says must go; returns the number of turns deleted."""
        now = self._clock.now()
        total = 0
        for scope, days in await self._settings.with_retention():
            total += await self._conversations.delete_before(scope, before=now - timedelta(days=days))
        await self._inbox.forget_before(now - PROCESSED_EVENTS_KEPT)
        if self._filter_decisions is not None:
            await self._filter_decisions.forget_before(now - FILTER_DECISIONS_KEPT)
        if total:
            log.info("retention.purged", turns_deleted=total)
        return total

    async def run_forever(self, *, interval_seconds: float) -> None:
        while True:
            try:
                await self.purge_once()
            except Exception:  # a purge failing must not take the bot down
                log.exception("retention.failed")
            await asyncio.sleep(interval_seconds)
