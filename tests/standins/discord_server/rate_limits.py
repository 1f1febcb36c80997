"""Discord's rate limits as the stand-in applies them: a fixed window per bucket, announced in X-RateLimit-* headers."""

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
