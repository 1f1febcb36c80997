"""The checks every process's readiness runs: the database, Redis (when configured), the LLM.

The adapter adds its own (the Slack socket, the Discord gateway).  Each returns None when the service
answers, or one line (never a password or a key) saying what is wrong; ``Readiness`` bounds their time.
"""

from __future__ import annotations

from collections.abc import Mapping

from core.observability.readiness import Check
from core.storage.database import Database, DatabaseUnavailable


def database_check(database: Database) -> Check:
    async def check() -> str | None:
        try:
            await database.check()  # SELECT 1 (its message names the host, never the password)
        except DatabaseUnavailable as down:
            return str(down)
        return None

    return check


class RedisCheck:
    """PING on a connection of its own, with short socket timeouts (``close`` it at the end)."""

    def __init__(self, url: str, *, timeout: float = 0.8) -> None:
        from redis.asyncio import Redis

        self._redis = Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout, retry_on_timeout=False
        )

    async def __call__(self) -> str | None:
        from redis.exceptions import RedisError

        try:
            await self._redis.ping()
        except (RedisError, OSError) as error:
            return f"Redis does not answer ({type(error).__name__})"
        return None

    async def close(self) -> None:
        await self._redis.aclose()


def llm_check(llm: object) -> Check | None:
    """The provider's own ``ready()`` (OpenAIProvider: the server answers; LocalProvider: the model is loaded);
    None for a provider without one (a test's)."""
    ready = getattr(llm, "ready", None)
    return ready if callable(ready) else None


def core_checks(*, database: Database, llm: object, redis: RedisCheck | None) -> Mapping[str, Check]:
    checks: dict[str, Check] = {"database": database_check(database)}
    if redis is not None:
        checks["redis"] = redis
    llm_ready = llm_check(llm)
    if llm_ready is not None:
        checks["llm"] = llm_ready
    return checks
