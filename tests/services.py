"""External services the infra tests need (PostgreSQL, later Redis), and the rule for when they are missing.

Locally a missing service skips its tests with a reason.  With ``CI=true`` it
fails them instead: CI is supposed to provide every service, so a silent skip
there would hide that the production backends were never tested.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest

T = TypeVar("T")

POSTGRES_URL = os.environ.get("PARLEY_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


def require_service(name: str, reachable: bool, where: str) -> None:
    """Return if the service is reachable; otherwise skip the test, or fail it when CI=true."""
    if reachable:
        return
    if in_ci():
        pytest.fail(f"CI=true but {name} is not reachable at {where}", pytrace=False)
    pytest.skip(f"{name} is not reachable at {where} (start it to run these tests; with CI=true this fails)")


def run_in_fresh_loop(make: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to completion on its own event loop in a worker thread.

    For session-scoped setup from sync fixtures: it never shares a loop (or
    pooled connections) with the per-test loops pytest-asyncio runs tests on.
    """
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


def postgres_reachable(url: str = POSTGRES_URL) -> bool:
    """True if ``SELECT 1`` succeeds against ``url`` (within the connect timeout)."""
    from core.storage.database import Database, DatabaseUnavailable

    async def check() -> bool:
        database = Database.from_url(url, connect_args={"timeout": 3})
        try:
            await database.check()
            return True
        except DatabaseUnavailable:
            return False
        finally:
            await database.dispose()

    return run_in_fresh_loop(check)


REDIS_URL = os.environ.get("PARLEY_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def redis_reachable(url: str = REDIS_URL) -> bool:
    """True if Redis answers PING at ``url``."""
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping())
    except redis.RedisError:
        return False
