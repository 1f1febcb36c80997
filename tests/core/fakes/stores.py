"""Every store port in memory, wired as the SQL ones are (an exchange's usage lands in the usage store)."""

from __future__ import annotations

from core.assembly import Stores
from core.ports import Clock
from tests.core.fakes.access import MemoryAccessStore
from tests.core.fakes.budgets import MemoryBudgetCounterStore
from tests.core.fakes.feedback import MemoryFeedbackStore
from tests.core.fakes.conversations import MemoryConversationStore
from tests.core.fakes.departures import MemoryDepartureStore
from tests.core.fakes.filters import MemoryFilterDecisionLog, MemoryFilterSettingsStore
from tests.core.fakes.records import MemoryAuditLog, MemoryInbox, MemoryUsageStore
from tests.core.fakes.settings import MemoryChannelSettingsStore, MemoryLimitOverrideStore, MemoryPersonaStore
from tests.core.fakes.tools import MemoryToolCallLog, MemoryToolSettingsStore


def memory_stores(clock: Clock | None = None) -> Stores:
    """``clock`` stamps the budget holds (the wall clock when None, as in production)."""
    usage, inbox, feedback = MemoryUsageStore(), MemoryInbox(), MemoryFeedbackStore()
    return Stores(
        conversations=MemoryConversationStore(usage=usage, inbox=inbox, feedback=feedback),
        personas=MemoryPersonaStore(),
        channel_settings=MemoryChannelSettingsStore(),
        inbox=inbox,
        usage=usage,
        audit=MemoryAuditLog(),
        budget_counters=MemoryBudgetCounterStore(clock),
        limit_overrides=MemoryLimitOverrideStore(),
        filter_settings=MemoryFilterSettingsStore(),
        filter_decisions=MemoryFilterDecisionLog(),
        departures=MemoryDepartureStore(),
        feedback=feedback,
        access=MemoryAccessStore(),
        tool_settings=MemoryToolSettingsStore(),
        tool_calls=MemoryToolCallLog(),
    )
