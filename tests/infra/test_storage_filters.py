"""SqlFilterDecisionLog, what only SQL has: old decisions forgotten in batches.

SqlFilterSettingsStore's and SqlFilterDecisionLog's behaviour as ports is in
tests/contracts/test_filter_settings_store.py and test_filter_decision_log.py.
"""

from __future__ import annotations

import pytest

from core.storage.database import Database
from core.storage.filters import SqlFilterDecisionLog
from tests.contracts.test_filter_decision_log import (  # noqa: F401  (again, a decision per batch)
    test_decisions_are_recorded_newest_first_and_old_ones_forgotten,
)


@pytest.fixture
def filter_decisions(database: Database) -> SqlFilterDecisionLog:
    """For the contract's forget test above: batches of one decision."""
    return SqlFilterDecisionLog(database, delete_batch=1)
