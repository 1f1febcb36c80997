"""The infra tests run each storage test on both SQL backends (the fixtures: tests/databases.py)."""

from __future__ import annotations

import pytest

from tests.databases import BACKENDS, require_backend


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The backend under test; for postgresql, also makes sure the server is there and migrated."""
    return require_backend(request, request.param)
