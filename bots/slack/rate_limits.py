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

Better still is never to be answered 429: ``Rests.take`` keeps each tiered
method's calls of the last minute per workspace and says whether one more
fits its documented tier (``METHOD_TIERS``).  Under a burst the renderer
streams only the answers whose chat.startStream *and* chat.stopStream fit,
posts the others once they are complete, skips intermediate appends and edits
that do not fit, and ``UserDirectory`` does without a display name rather than
call users.info over its tier.  With several processes (Redis configured) the
allowance is counted in Redis (``SharedTiers``), since Slack's limit is the
app's, not a process's; a 429 is still remembered (``note``) and done without.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler

from bots.slack.shared_tiers import SharedTiers

MAX_WAIT = 10.0
# Slack's documented tiers (calls a minute per method and workspace) of the tiered methods Parley calls.
TIER_CALLS_PER_MINUTE = {2: 20, 3: 50, 4: 100}
METHOD_TIERS = {
    "chat.startStream": 2, "chat.stopStream": 2, "chat.update": 3, "conversations.open": 3,
    "chat.appendStream": 4, "chat.postEphemeral": 4, "users.info": 4, "views.open": 4, "views.update": 4,
    "files.getUploadURLExternal": 4, "files.completeUploadExternal": 4,
    "conversations.replies": 3, "conversations.history": 3, "conversations.members": 4, "usergroups.users.list": 2,
}


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
    """What Slack's rate limits allow now, per workspace: each tiered method's calls of the last minute
    (in this process, or shared by every process in Redis: ``SharedTiers``), and until when a method rests
    after Slack answered it 429."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic, shared: SharedTiers | None = None) -> None:
        self._clock = clock
        self._shared = shared
        self._until: dict[tuple[str, str], float] = {}
        self._calls: dict[tuple[str, str], deque[float]] = {}

    async def take(self, team: str, *methods: str, spare: int = 0) -> bool:
        """One call of each of ``methods`` fits its tier now, leaving ``spare`` calls of it for callers that
        cannot wait (and none rests): counted, True; else False (counted in this process: nothing; in Redis,
        the methods before the one that did not fit stay counted, see ``SharedTiers.take``)."""
        if any(self.resting(team, method) for method in methods):
            return False
        tiered = [(m, TIER_CALLS_PER_MINUTE[METHOD_TIERS[m]] - spare) for m in methods if m in METHOD_TIERS]
        if not tiered:
            return True
        if self._shared is not None:
            shared = await self._shared.take(team, tiered)
            if shared is not None:
                return shared
        return self._take_here(team, tiered)

    def _take_here(self, team: str, tiered: list[tuple[str, int]]) -> bool:
        now = self._clock()
        windows = []
        for method, allowed in tiered:
            window = self._calls.setdefault((team, method), deque())
            while window and window[0] <= now - 60.0:
                window.popleft()
            if len(window) >= allowed:
                return False
            windows.append(window)
        for window in windows:
            window.append(now)
        return True

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
