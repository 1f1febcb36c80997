"""The periodic purge: turns (and ratings) older than their channel's retention, old event ids, rateable
answers and filter decisions, and the budget reservations of requests whose process died."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import structlog

from core.departures.departures import WorkspaceDepartures
from core.ports import FeedbackStore, FilterDecisionLog, ToolCallLog
from core.ports import BudgetCounterStore, ChannelSettingsStore, Clock, ConversationStore, Inbox

log = structlog.get_logger(__name__)

PROCESSED_EVENTS_KEPT = timedelta(days=7)  # platforms retry within minutes; a week is plenty
FILTER_DECISIONS_KEPT = timedelta(days=90)  # `/parley filter log` shows recent ones; no content in them
RATEABLE_ANSWERS_KEPT = timedelta(days=90)  # an answer older than this can no longer be rated
# A request settles its budget hold when the model is done; one older than this can only
# belong to a process that died meanwhile (model calls time out long before).
BUDGET_HOLDS_KEPT = timedelta(minutes=30)


class RetentionPurger:
    def __init__(
        self,
        *,
        conversations: ConversationStore,
        settings: ChannelSettingsStore,
        inbox: Inbox,
        clock: Clock,
        filter_decisions: FilterDecisionLog | None = None,
        budget_counters: BudgetCounterStore | None = None,
        departures: WorkspaceDepartures | None = None,
        feedback: FeedbackStore | None = None,
        tool_calls: ToolCallLog | None = None,
    ) -> None:
        self._feedback = feedback
        self._tool_calls = tool_calls
        self._conversations = conversations
        self._settings = settings
        self._inbox = inbox
        self._clock = clock
        self._filter_decisions = filter_decisions
        self._budget_counters = budget_counters
        self._departures = departures

    async def purge_once(self) -> int:
        """Delete what retention says must go; returns the number of turns deleted."""
        now = self._clock.now()
        total = 0
        for scope, days in await self._settings.with_retention():
            total += await self._conversations.delete_before(scope, before=now - timedelta(days=days))
            if self._feedback is not None:  # a rating and its comment go with the channel's messages
                await self._feedback.delete_before(scope, before=now - timedelta(days=days))
        await self._inbox.forget_before(now - PROCESSED_EVENTS_KEPT)
        if self._feedback is not None:
            await self._feedback.forget_answers_before(now - RATEABLE_ANSWERS_KEPT)
        if self._filter_decisions is not None:
            await self._filter_decisions.forget_before(now - FILTER_DECISIONS_KEPT)
        if self._tool_calls is not None:  # the tool-call audit is kept as long as the filter decisions
            await self._tool_calls.forget_before(now - FILTER_DECISIONS_KEPT)
        if self._budget_counters is not None:
            released = await self._budget_counters.release_stale(now - BUDGET_HOLDS_KEPT)
            if released:
                log.warning("budget.stale_holds_released", holds=released)
        if self._departures is not None:  # workspaces that removed the app, once their grace period ended
            await self._departures.erase_due()
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
