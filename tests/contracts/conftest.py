"""Every contract test runs on three implementations of its port: the in-memory fake
(tests/core/fakes), and the SQL store on SQLite and on PostgreSQL (tests/databases.py).

A core test that passes on the fakes then means the same on SQL.  The
postgresql variants skip when the server is not running, and fail with CI=true.
"""

from __future__ import annotations

import pytest

from core.assembly import Stores
from core.storage.access import SqlAccessStore
from core.storage.audit import SqlAuditLog
from core.storage.budgets import SqlBudgetCounterStore
from core.storage.channel_settings import SqlChannelSettingsStore
from core.storage.conversations import SqlConversationStore
from core.storage.departures import SqlDepartureStore
from core.storage.database import Database
from core.storage.feedback import SqlFeedbackStore
from core.storage.filters import SqlFilterDecisionLog, SqlFilterSettingsStore
from core.storage.inbox import SqlInbox
from core.storage.limit_overrides import SqlLimitOverrideStore
from core.storage.personas import SqlPersonaStore
from core.storage.usage import SqlUsageStore
from core.storage.tools import SqlToolCallLog, SqlToolSettingsStore
from tests.core.fakes import memory_stores
from tests.databases import BACKENDS, require_backend

IMPLEMENTATIONS = ["memory", *BACKENDS]


@pytest.fixture(params=IMPLEMENTATIONS)
def backend(request: pytest.FixtureRequest) -> str:
    """Which implementation: "memory", "sqlite" or "postgresql"."""
    return require_backend(request, request.param)


@pytest.fixture
def stores(backend: str, request: pytest.FixtureRequest) -> Stores:
    """Every store of one implementation, sharing one database (or, for the fakes, wired the same way)."""
    if backend == "memory":
        return memory_stores()
    return sql_stores(request.getfixturevalue("database"))


def sql_stores(database: Database) -> Stores:
    """The SQL stores themselves (production puts a cache in front of three of them: tested in tests/core)."""
    return Stores(
        conversations=SqlConversationStore(database),
        personas=SqlPersonaStore(database),
        channel_settings=SqlChannelSettingsStore(database),
        inbox=SqlInbox(database),
        usage=SqlUsageStore(database),
        audit=SqlAuditLog(database),
        budget_counters=SqlBudgetCounterStore(database),
        limit_overrides=SqlLimitOverrideStore(database),
        filter_settings=SqlFilterSettingsStore(database),
        filter_decisions=SqlFilterDecisionLog(database),
        departures=SqlDepartureStore(database),
        feedback=SqlFeedbackStore(database),
        access=SqlAccessStore(database),
        tool_settings=SqlToolSettingsStore(database),
        tool_calls=SqlToolCallLog(database),
    )


@pytest.fixture
def tool_settings(stores: Stores):
    return stores.tool_settings


@pytest.fixture
def tool_calls(stores: Stores):
    return stores.tool_calls


@pytest.fixture
def conversations(stores: Stores):
    return stores.conversations


@pytest.fixture
def personas(stores: Stores):
    return stores.personas


@pytest.fixture
def channel_settings(stores: Stores):
    return stores.channel_settings


@pytest.fixture
def inbox(stores: Stores):
    return stores.inbox


@pytest.fixture
def usage(stores: Stores):
    return stores.usage


@pytest.fixture
def audit(stores: Stores):
    return stores.audit


@pytest.fixture
def budget_counters(stores: Stores):
    return stores.budget_counters


@pytest.fixture
def limit_overrides(stores: Stores):
    return stores.limit_overrides


@pytest.fixture
def filter_settings(stores: Stores):
    return stores.filter_settings


@pytest.fixture
def filter_decisions(stores: Stores):
    return stores.filter_decisions


@pytest.fixture
def departures(stores: Stores):
    return stores.departures


@pytest.fixture
def feedback(stores: Stores):
    return stores.feedback


@pytest.fixture
def access(stores: Stores):
    return stores.access
