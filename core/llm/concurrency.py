"""Upstream protection: at most N calls to the LLM in flight per process.

The rest wait in a bounded queue, up to a timeout; past either bound the call
fails fast with ``LLMBusy`` (the user is told to try again in N seconds).  This
is separate from the SDK's own retries on the server's 429s.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import aclosing

import structlog

from core.llm_types import CompletionRequest, LLMBusy
from core.messages import Usage
from core.observability.no_metrics import NoMetrics
from core.ports import LLMProvider, Metrics

log = structlog.get_logger(__name__)


class ConcurrencyLimitedProvider:
    def __init__(
        self, inner: LLMProvider, *, max_in_flight: int, max_waiting: int, wait_timeout: float,
        metrics: Metrics | None = None,
    ) -> None:
        self._metrics = metrics or NoMetrics()
        self._inner = inner
        self._slots = asyncio.Semaphore(max_in_flight)
        self._max_waiting = max_waiting
        self._wait_timeout = wait_timeout
        self._waiting = 0

    @property
    def waiting(self) -> int:
        return self._waiting

    async def stream(self, request: CompletionRequest) -> AsyncIterator[str | Usage]:
        if self._slots.locked():
            if self._waiting >= self._max_waiting:
                log.warning("llm.busy", reason="queue_full", waiting=self._waiting)
                raise LLMBusy("LLM queue full", retry_after=self._wait_timeout)
            self._waiting += 1
            self._metrics.llm_queue_depth(self._waiting)
            try:
                await asyncio.wait_for(self._slots.acquire(), self._wait_timeout)
            except TimeoutError:
                log.warning("llm.busy", reason="wait_timeout", waited_s=self._wait_timeout)
                raise LLMBusy("timed out waiting for an LLM slot", retry_after=self._wait_timeout) from None
            finally:
                self._waiting -= 1
                self._metrics.llm_queue_depth(self._waiting)
        else:
            await self._slots.acquire()
        try:
            async with aclosing(self._inner.stream(request)) as pieces:
                async for piece in pieces:
                    yield piece
        finally:
            self._slots.release()

    async def close(self) -> None:
        close = getattr(self._inner, "close", None)
        if close is not None:
            await close()
