"""Slack's per-method rate limits: a moving window of calls per method, answered with 429 and Retry-After.

Every method Parley uses is limited by its documented tier (tier 2: 20 calls a
minute, tier 3: 50, tier 4: 100); ``limit(method, calls=, per=)`` sets a
tighter one for a test.  chat.postMessage ("1 per second per channel, short
bursts allowed") is not windowed: its burst allowance is not documented.
Time comes from the stand-in's clock, so a test can move it.

A call to a method that is still inside the Retry-After it was given is
refused again and recorded as a violation: the client did not wait.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable

TIER_CALLS_PER_MINUTE = {1: 1, 2: 20, 3: 50, 4: 100}
METHOD_TIERS = {
    "chat.startStream": 2, "chat.stopStream": 2, "chat.update": 3, "conversations.open": 3, "conversations.replies": 3, "conversations.history": 3, "conversations.members": 4,
    "chat.appendStream": 4, "chat.postEphemeral": 4, "users.info": 4, "views.open": 4, "views.update": 4,
    "files.getUploadURLExternal": 4, "files.completeUploadExternal": 4, "usergroups.users.list": 2,
}


class RateLimits:
    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._limits = {method: (TIER_CALLS_PER_MINUTE[tier], 60.0) for method, tier in METHOD_TIERS.items()}
        self._calls: dict[str, deque[float]] = {}
        self._blocked_until: dict[str, float] = {}
        self.violations: list[str] = []

    def limit(self, method: str, *, calls: int, per: float = 60.0) -> None:
        self._limits[method] = (calls, per)

    def retry_after(self, method: str) -> int | None:
        """None when the call may go ahead (and it is counted); else the seconds to wait."""
        if method not in self._limits:
            return None
        now = self._clock()
        until = self._blocked_until.get(method)
        if until is not None and now < until:
            self.violations.append(f"{method} called again {until - now:.1f} s before its Retry-After had passed")
            return max(1, math.ceil(until - now))
        calls, per = self._limits[method]
        window = self._calls.setdefault(method, deque())
        while window and window[0] <= now - per:
            window.popleft()
        if len(window) < calls:
            window.append(now)
            return None
        wait = max(1, math.ceil(window[0] + per - now)) if window else max(1, math.ceil(per))
        self._blocked_until[method] = now + wait
        return wait
