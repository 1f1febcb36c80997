"""A total deadline for every LLM call, on top of the HTTP client's read timeout.

A server that trickles a few characters at a time never trips a read timeout,
and would hold a concurrency slot, the conversation's turn and a budget
reservation for as long as it likes.  Here the call ends with ``LLMTimeout``
(the user is told, what was received is charged) at the first piece after
``total_seconds``; a server that goes silent is ended by the read timeout, so
a call lasts at most the deadline plus one read timeout.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import aclosing

import structlog

from core.llm_types import CompletionRequest, LLMTimeout
from core.messages import Usage
from core.ports import LLMProvider

log = structlog.get_logger(__name__)


class DeadlineProvider:
    def __init__(
        self, inner: LLMProvider, *, total_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._inner = inner
        self._total = total_seconds
        self._clock = clock

    async def stream(self, request: CompletionRequest) -> AsyncIterator[str | Usage]:
        deadline = self._clock() + self._total
        received = 0
        async with aclosing(self._inner.stream(request)) as pieces:
            async for piece in pieces:
                if self._clock() > deadline and not isinstance(piece, Usage):
                    log.warning("llm.deadline", model=request.model, seconds=self._total, received_chars=received)
                    raise LLMTimeout(f"no complete answer within {self._total:g} s (LLM_TOTAL_TIMEOUT_SECONDS)")
                if isinstance(piece, str):
                    received += len(piece)
                yield piece

    async def close(self) -> None:
        close = getattr(self._inner, "close", None)
        if close is not None:
            await close()
