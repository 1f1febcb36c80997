"""A pooled PostgreSQL connection is pinged before use only after an idle moment (``ping_when_idle``): a server
that restarted while the pool was idle is found again without a failed statement; within the moment the
statement fails as one in flight would, and the next one gets a new connection."""

from __future__ import annotations

from contextlib import suppress

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from core.storage.database import ping_when_idle
from tests.infra.test_observability import Relay
from tests.services import POSTGRES_URL, postgres_reachable, require_service


async def select_one(engine) -> int:
    async with engine.connect() as connection:
        return (await connection.execute(text("SELECT 1"))).scalar_one()


async def test_a_restart_while_idle_costs_no_statement_and_one_within_the_moment_costs_one():
    require_service("PostgreSQL", postgres_reachable(POSTGRES_URL), POSTGRES_URL)
    url = make_url(POSTGRES_URL)
    relay = Relay(url.host or "127.0.0.1", url.port or 5432)
    await relay.open()
    engine = create_async_engine(url.set(host="127.0.0.1", port=relay.port), pool_use_lifo=True)
    now = [100.0]
    ping_when_idle(engine.sync_engine, idle_seconds=1.0, clock=lambda: now[0])
    try:
        assert await select_one(engine) == 1
        await relay.close()  # the server "restarts": every open connection is cut
        await relay.open()
        now[0] += 5  # the pool was idle meanwhile: pinged, found dead, replaced before the statement
        assert await select_one(engine) == 1

        assert await select_one(engine) == 1  # back in the pool a moment ago
        await relay.close()
        await relay.open()
        with pytest.raises(DBAPIError) as failed:  # not pinged: fails as a statement in flight would
            await select_one(engine)
        assert failed.value.connection_invalidated
        assert await select_one(engine) == 1  # and the pool is new from then on
    finally:
        with suppress(Exception):
            await relay.close()
        await engine.dispose()
