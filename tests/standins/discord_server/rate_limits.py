"""Discord's rate limits as the stand-in applies them: a fixed window per bucket, announced in X-RateLimit-* headers,
and the global limit: a bot may make 50 requests a second in all (interaction and webhook routes aside)."""

from __future__ import annotations

import time


class RouteLimits:
    """Fixed windows per bucket (route template + major parameter), like Discord's."""

    def __init__(self, requests: int, seconds: float) -> None:
        self._requests, self._seconds = requests, seconds
        self._windows: dict[str, tuple[float, int]] = {}

    def take(self, bucket: str, major: str, *, now: float) -> tuple[dict[str, str], float | None]:
        start, used = self._windows.get(f"{bucket}:{major}", (now, 0))
        if now >= start + self._seconds:
            start, used = now, 0
        reset_after = start + self._seconds - now
        over = used >= self._requests
        if not over:
            used += 1
            self._windows[f"{bucket}:{major}"] = (start, used)
        headers = {
            "X-RateLimit-Limit": str(self._requests),
            "X-RateLimit-Remaining": str(self._requests - used),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": bucket,
        }
        return headers, (reset_after if over else None)


GLOBAL_REQUESTS_PER_SECOND = 50  # Discord's documented global limit for a bot


class GlobalLimit:
    """Every request of the bot in a one-second window; past it, a global 429 (``"global": true``)."""

    def __init__(self, requests: int = GLOBAL_REQUESTS_PER_SECOND, seconds: float = 1.0) -> None:
        self._requests, self._seconds = requests, seconds
        self._start, self._used = 0.0, 0
        self.refused = 0  # how many requests it answered 429

    def take(self, *, now: float) -> float | None:
        """None when the request may go ahead (it is counted); else the seconds to wait."""
        if now >= self._start + self._seconds:
            self._start, self._used = now, 0
        if self._used >= self._requests:
            self.refused += 1
            return self._start + self._seconds - now
        self._used += 1
        return None
