"""Slack's rate tiers counted in Redis, so that every process of one app takes from one allowance.

Slack limits each method per app and workspace, however many processes call
it.  With RATE_LIMIT_STORAGE_URL on Redis, ``Rests.take`` asks here first: a
moving window of the last minute per (workspace, method), in the ``limits``
library's Redis storage (the one the request-rate limits use).  When Redis is
down or silent (no answer within half a second) each process counts alone
again, for a while (``core/circuit.py``): a 429 is then possible, and is still
remembered and done without.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from limits import RateLimitItemPerMinute
from limits.aio.strategies import MovingWindowRateLimiter

from core.circuit import ANSWER_WITHIN_SECONDS, Circuit
from core.limits.rate import limits_storage, remote_errors

KEY_PREFIX = "parley-slack-tiers"


class SharedTiers:
    def __init__(self, url: str, *, answer_within: float = ANSWER_WITHIN_SECONDS) -> None:
        self._limiter = MovingWindowRateLimiter(limits_storage(url, key_prefix=KEY_PREFIX))
        self._answer_within = answer_within
        self._errors = remote_errors()
        self._circuit = Circuit(name="slack.tiers")

    async def take(self, team: str, calls: Sequence[tuple[str, int]]) -> bool | None:
        """One call of each (method, calls a minute it may have) fits: counted, True; else False; None when
        Redis cannot say (the caller counts alone).

        Each method is taken with one atomic acquisition (limits' moving window script in Redis), in order:
        a test first and a hit after let concurrent callers (coroutines, processes) all pass the test for the
        last call of a minute, and went past a tier under a burst. When a later method does not fit, the
        earlier ones stay counted: a call of the minute may go unused, none is one too many."""
        if self._circuit.is_open:
            return None
        items = [(RateLimitItemPerMinute(allowed), method) for method, allowed in calls]
        try:
            async with asyncio.timeout(self._answer_within):
                for item, method in items:
                    if not await self._limiter.hit(item, team, method):
                        return False
        except self._errors as error:
            self._circuit.failed(error, fallback="each process counts Slack's tiers alone")
            return None
        self._circuit.succeeded()
        return True
