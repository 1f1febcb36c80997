"""A remote helper that failed (Redis) is left alone for a while, so every message does not pay for it.

Used where Parley can do without the service: the rate limits fall back to
this process's memory, the conversation lock to this process's order.  The
first failure is logged (a warning, once), the service is asked again after
``retry_after`` seconds, and its return is logged once too.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import structlog

from core.log import one_line

log = structlog.get_logger(__name__)

RETRY_AFTER_SECONDS = 30.0
ANSWER_WITHIN_SECONDS = 0.5  # how long a message waits for a healthy Redis to answer one call


class Circuit:
    def __init__(
        self, *, name: str, retry_after: float = RETRY_AFTER_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._name = name
        self._retry_after = retry_after
        self._clock = clock
        self._down = False
        self._until = 0.0

    @property
    def is_open(self) -> bool:
        """True while the service is to be left alone (it failed less than ``retry_after`` ago)."""
        return self._down and self._clock() < self._until

    def failed(self, error: BaseException, **context: object) -> None:
        if not self._down:
            log.warning(f"{self._name}.unavailable", error=one_line(error) or type(error).__name__,
                        retry_in_s=self._retry_after, **context)
        self._down = True
        self._until = self._clock() + self._retry_after

    def succeeded(self) -> None:
        if self._down:
            log.info(f"{self._name}.back")
        self._down = False
