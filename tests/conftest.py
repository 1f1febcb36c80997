"""Fixtures shared by every test package."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.databases import database, database_url, postgres_url  # noqa: F401  (fixtures for tests/infra, tests/contracts)
from tests.standins.openai_server import OpenAIStandIn


@pytest.fixture
async def llm() -> AsyncIterator[OpenAIStandIn]:
    """A stand-in OpenAI-compatible server on 127.0.0.1, port 0 (see tests/standins/openai_server/)."""
    async with OpenAIStandIn() as server:
        yield server
