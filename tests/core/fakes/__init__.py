"""Fakes at the core's ports, and only there.

The stores behave as the SQL ones do: tests/contracts runs the same tests on
both.  One idea per module; every name is importable from ``tests.core.fakes``.
"""

from tests.core.fakes.access import MemoryAccessStore
from tests.core.fakes.budgets import MemoryBudgetCounterStore
from tests.core.fakes.clock import FakeClock
from tests.core.fakes.feedback import MemoryFeedbackStore
from tests.core.fakes.conversations import MemoryConversationStore, with_thread
from tests.core.fakes.files import FakeFetcher
from tests.core.fakes.history import ScriptedHistory
from tests.core.fakes.filters import FakeModerator, MemoryFilterDecisionLog, MemoryFilterSettingsStore
from tests.core.fakes.llm import FakeLLM
from tests.core.fakes.records import MemoryAuditLog, MemoryInbox, MemoryUsageStore, claim_event
from tests.core.fakes.settings import MemoryChannelSettingsStore, MemoryLimitOverrideStore, MemoryPersonaStore
from tests.core.fakes.stores import memory_stores

__all__ = [
    "FakeClock",
    "FakeFetcher",
    "FakeLLM",
    "FakeModerator",
    "MemoryAccessStore",
    "MemoryAuditLog",
    "MemoryBudgetCounterStore",
    "MemoryChannelSettingsStore",
    "MemoryConversationStore",
    "MemoryFeedbackStore",
    "MemoryFilterDecisionLog",
    "MemoryFilterSettingsStore",
    "MemoryInbox",
    "claim_event",
    "MemoryLimitOverrideStore",
    "MemoryPersonaStore",
    "MemoryUsageStore",
    "ScriptedHistory",
    "memory_stores",
    "with_thread",
]
