"""Request-rate limits per user, per channel and per workspace (the ``limits`` library).

Moving windows, counted in ``memory://`` by default or in Redis when
RATE_LIMIT_STORAGE_URL says so, so that several processes share the counts.
When Redis is down or silent (no answer within half a second) the counts fall
back to this process's memory for a while (``core/circuit.py``): limits keep
holding per process, and every message is still answered.
Defaults come from settings; admins override them from chat: the user and
workspace limits for the whole workspace, the channel limit per channel.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

import structlog
from limits import RateLimitItem
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from core.circuit import ANSWER_WITHIN_SECONDS, Circuit
from core.limits.parsing import describe, human_duration, parse_limits
from core.limits.windows import InProcessWindows
from core.messages import IncomingMessage
from core.personas.values import Persona
from core.records import LimitDecision
from core.ports import LimitOverrideStore
from core.messages import WorkspaceScope

log = structlog.get_logger(__name__)

SCOPES = ("user", "channel", "workspace")
WORKSPACE_WIDE = "*"
SCOPE_NAMES = {"user": "your personal", "channel": "this channel's", "workspace": "this workspace's"}


def override_channel(scope: str, channel: str) -> str:
    """Where an override of ``scope`` lives: the channel limit per channel, the others workspace-wide."""
    return channel if scope == "channel" else WORKSPACE_WIDE


def remote_errors() -> tuple[type[BaseException], ...]:
    """What a Redis storage raises when Redis is down, refuses or is silent; redis-py is imported only by a
    process that uses Redis (with it come OpenTelemetry and cryptography: about 17 MiB a process)."""
    from redis.exceptions import RedisError

    return (RedisError, OSError, TimeoutError)


def limits_storage(url: str, *, key_prefix: str = "parley"):
    """A ``limits`` async storage for ``memory://`` or ``redis://…``."""
    if url.startswith("memory://"):
        return InProcessWindows()
    return storage_from_string("async+" + url, implementation="redispy", key_prefix=key_prefix)


@dataclass(frozen=True, slots=True)
class LimitDefaults:
    user: str
    channel: str
    workspace: str

    def of(self, scope: str) -> str:
        return getattr(self, scope)


class RequestRateLimiter:
    """The core's RateLimiter port, filled in."""

    def __init__(
        self,
        *,
        storage,
        defaults: LimitDefaults,
        overrides: LimitOverrideStore,
        admins: frozenset[str] = frozenset(),
        exempt_admins: bool = False,
    ) -> None:
        self._limiter = MovingWindowRateLimiter(storage)
        self._remote = not isinstance(storage, MemoryStorage)
        self._remote_errors = remote_errors() if self._remote else ()
        self._local = MovingWindowRateLimiter(InProcessWindows()) if self._remote else self._limiter
        self._circuit = Circuit(name="limits.storage")
        self._defaults = defaults
        self._overrides = overrides
        self._admins = admins
        self._exempt_admins = exempt_admins

    async def effective(self, workspace: WorkspaceScope, channel: str) -> dict[str, str]:
        """The limit string in force for each scope in this channel."""
        stored = await self._overrides.get(workspace, channels=(channel, WORKSPACE_WIDE))
        return {
            scope: stored.get((override_channel(scope, channel), scope), self._defaults.of(scope))
            for scope in SCOPES
        }

    async def check(self, message: IncomingMessage, *, persona: Persona) -> LimitDecision | None:
        if self._exempt_admins and (message.sender_is_admin or message.user in self._admins):
            return None
        key = message.key
        workspace = WorkspaceScope(platform=key.platform, workspace=key.workspace)
        in_force = await self.effective(workspace, key.channel)
        billed = message.billed_workspace  # a DM outside any workspace: the sender's own windows
        identity = {
            "user": (key.platform, billed, "user", message.user),
            "channel": (key.platform, billed, "channel", key.channel),
            "workspace": (key.platform, billed, "workspace"),
        }
        checks = [(scope, item, identity[scope]) for scope in SCOPES for item in _parsed(in_force[scope])]
        if not checks:
            return None
        if self._remote and not self._circuit.is_open:
            try:
                async with asyncio.timeout(ANSWER_WITHIN_SECONDS):
                    decision = await self._check(self._limiter, checks, remote=True)
                self._circuit.succeeded()
                return decision
            except self._remote_errors as error:
                self._circuit.failed(error, fallback="this process's memory")
        return await self._check(self._local, checks, remote=False)

    async def _check(self, limiter: MovingWindowRateLimiter, checks: list, *, remote: bool) -> LimitDecision | None:
        # Test every window first so that a refusal by one scope uses up none of the
        # others; the windows are independent, so ask them all at once (one round
        # trip's latency on Redis instead of one per window).
        passed = await _each([limiter.test(item, *ids) for _, item, ids in checks], remote=remote)
        for (scope, item, ids), ok in zip(checks, passed):
            if not ok:
                return await self._refuse(limiter, scope, item, ids)
        hit = await _each([limiter.hit(item, *ids) for _, item, ids in checks], remote=remote)
        for (scope, item, ids), ok in zip(checks, hit):
            if not ok:  # lost a race since the test
                return await self._refuse(limiter, scope, item, ids)
        return None

    async def _refuse(
        self, limiter: MovingWindowRateLimiter, scope: str, item: RateLimitItem, ids: tuple[str, ...]
    ) -> LimitDecision:
        stats = await limiter.get_window_stats(item, *ids)
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        log.info("limit.hit", scope=scope, limit=str(item))
        return LimitDecision(
            reason=f"rate_limit.{scope}",
            retry_after=float(retry_after),
            text=f"You've reached {SCOPE_NAMES[scope]} limit of {describe(item)}. Try again in {human_duration(retry_after)}.",
        )


async def _each(calls: list, *, remote: bool) -> list[bool]:
    """Run the window calls: at once for a remote storage, one by one in memory (cheaper there)."""
    if remote:
        return list(await asyncio.gather(*calls))
    return [await call for call in calls]


_parsed = lru_cache(maxsize=256)(parse_limits)


def render_limits(in_force: Mapping[str, str]) -> str:
    return "\n".join(f"• {scope}: `{in_force[scope]}`" for scope in SCOPES)
