"""Slack's rate limits: a short Retry-After waited out, a longer one remembered and done without.

Any Web API method may answer 429 with ``Retry-After`` (seconds); limits are
per method and per workspace (chat.startStream and chat.stopStream are tier 2,
about 20 calls a minute; chat.update tier 3, about 50).  ``ShortWaitRetry``,
on the client's ``retry_handlers`` (slack_sdk's own mechanism), waits that
long and calls again, at most twice, when the wait is at most ``MAX_WAIT``
seconds; a longer one reaches the caller as ``ratelimited``.  The callers do
without instead of waiting a minute with an answer in hand: the renderer
posts instead of streaming, skips an intermediate edit, or sends the final
text as a new message; and ``Rests`` remembers until when a method rests in a
workspace, so the next answer does not call it inside its Retry-After.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler

MAX_WAIT = 10.0


def retry_after(headers: Mapping[str, Any] | None) -> float | None:
    """The ``Retry-After`` seconds in ``headers`` (a value or a list of values, any key case), if any."""
    for key, value in (headers or {}).items():
        if str(key).lower() == "retry-after":
            first = value[0] if isinstance(value, list) and value else value
            try:
                return max(0.0, float(first))
            except (TypeError, ValueError):
                return None
    return None


def is_rate_limited(error: SlackApiError) -> bool:
    return getattr(error.response, "status_code", None) == 429 or error.response.get("error") == "ratelimited"


class ShortWaitRetry(AsyncRateLimitErrorRetryHandler):
    """slack_sdk's 429 handler (wait Retry-After, call again), for waits of at most ``max_wait`` seconds."""

    def __init__(self, *, max_retry_count: int = 2, max_wait: float = MAX_WAIT) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait = max_wait

    async def _can_retry_async(self, *, state, request, response=None, error=None) -> bool:
        if response is None or response.status_code != 429:
            return False
        wait = retry_after(response.headers)
        return wait is None or wait <= self.max_wait


class Rests:
    """Until when a method rests in a workspace after Slack answered it 429 (one per process)."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._until: dict[tuple[str, str], float] = {}

    def note(self, team: str, method: str, error: SlackApiError) -> bool:
        """Remember a 429's Retry-After (1 s when it names none); False when ``error`` is no 429."""
        if not is_rate_limited(error):
            return False
        seconds = retry_after(getattr(error.response, "headers", None))
        self._until[(team, method)] = self._clock() + (1.0 if seconds is None else seconds)
        return True

    def resting(self, team: str, method: str) -> bool:
        until = self._until.get((team, method))
        if until is None:
            return False
        if self._clock() >= until:
            del self._until[(team, method)]
            return False
        return True
