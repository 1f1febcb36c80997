"""Moderation through the ``openai`` client: ``/moderations`` on OpenAI or any compatible server.

A 404 (or 405/501) from a server that never answered a moderation request
means it has no such endpoint (llama.cpp, vLLM and Ollama answer so):
moderation is *unavailable*, said once in the log, and asked again after a
pause that grows from a minute to a quarter of an hour (a server upgraded or
restarted with the endpoint is found again).  Once the endpoint has answered,
a 404 is a *failure* like a timeout, a 5xx or a connection error
(``ModerationFailed``), for the fail-open/fail-closed settings: one bad answer
never switches moderation off.
The text and the server's error message are never logged.

The request goes through the client's own ``post`` (its retries, timeouts and
error classes) with the wire body, and the answer is read as plain JSON: the
typed ``moderations.create`` built and dumped pydantic objects of every
category for every check, most of a check's CPU.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import openai
import structlog

from core.filters.values import Availability, ModerationResult
from core.llm.openai_provider import http_client_for
from core.filters.moderation import ModerationFailed, ModerationUnavailable, hits_above

log = structlog.get_logger(__name__)

PROBE_TEXT = "hello"
PROBE_TIMEOUT_SECONDS = 5.0
BATCH_WINDOW_SECONDS = 0.002  # checks this close together share one request
BATCH_MAX_INPUTS = 32
RECHECK_FIRST_SECONDS = 60.0
RECHECK_MAX_SECONDS = 900.0
_ABSENT_STATUSES = frozenset({404, 405, 501})


class OpenAIModeration:
    def __init__(
        self,
        *,
        api_key: str | None,
        base_url: str | None,
        model: str,
        thresholds: dict[str, float] | None = None,
        timeout: float = 10.0,
        max_retries: int = 1,
        clock: Callable[[], float] = time.monotonic,
        transport: str = "aiohttp",
    ) -> None:
        self._client = openai.AsyncOpenAI(
            api_key=api_key or "not-needed", base_url=base_url, timeout=timeout, max_retries=max_retries,
            http_client=http_client_for(transport),
        )
        self._model = model
        self._thresholds = dict(thresholds or {})
        self._where = "OpenAI" if base_url is None else "The moderation server"
        self._availability = Availability(available=True, model=model)
        self._clock = clock
        self._answered_once = False  # the endpoint exists: from now on a 404 is a failure, not an absence
        self._recheck_after = RECHECK_FIRST_SECONDS
        self._recheck_at = 0.0
        self._batch: tuple[list[str], list[asyncio.Future]] | None = None
        self._sending: set[asyncio.Task] = set()

    @property
    def availability(self) -> Availability:
        return self._availability

    async def close(self) -> None:
        await self._client.close()

    async def probe(self) -> Availability:
        """Ask once with a harmless word; a missing endpoint makes moderation unavailable (one warning)."""
        try:
            await self._ask([PROBE_TEXT], client=self._client.with_options(max_retries=0, timeout=PROBE_TIMEOUT_SECONDS))
        except ModerationUnavailable:
            pass  # _ask logged it
        except ModerationFailed as failed:
            log.warning("moderation.probe_failed", model=self._model, cause=failed.cause)
        else:
            log.info("moderation.available", model=self._model)
        return self._availability

    async def check(self, text: str) -> ModerationResult:
        """Checks that arrive within ``BATCH_WINDOW_SECONDS`` of each other share one request (the endpoint
        takes a list of inputs): fewer round trips when many people talk at once."""
        if not self._availability.available and self._clock() < self._recheck_at:
            raise ModerationUnavailable(self._availability.reason)
        loop = asyncio.get_running_loop()
        waiter = loop.create_future()
        if self._batch is None:
            self._batch = ([], [])
            loop.call_later(BATCH_WINDOW_SECONDS, self._send_batch)
        self._batch[0].append(text)
        self._batch[1].append(waiter)
        if len(self._batch[0]) >= BATCH_MAX_INPUTS:
            self._send_batch()
        return await waiter  # (unavailable and due: asking is the re-check)

    def _send_batch(self) -> None:
        if self._batch is None:
            return
        texts, waiters = self._batch
        self._batch = None
        task = asyncio.get_running_loop().create_task(self._answer_batch(texts, waiters))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _answer_batch(self, texts: list[str], waiters: list[asyncio.Future]) -> None:
        try:
            results = await self._ask(texts, client=self._client)
        except Exception as error:  # every check of the batch gets the same failure
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_exception(error)
            return
        for waiter, result in zip(waiters, results):
            if not waiter.done():
                waiter.set_result(result)

    async def _ask(self, texts: list[str], *, client: openai.AsyncOpenAI) -> list[ModerationResult]:
        started = time.monotonic()
        try:
            response = await client.post(
                "/moderations", body={"model": self._model, "input": texts[0] if len(texts) == 1 else texts},
                cast_to=object,
            )
        except openai.APIStatusError as error:
            if error.status_code in _ABSENT_STATUSES and not self._answered_once:
                self._mark_unavailable(error.status_code)
                raise ModerationUnavailable(self._availability.reason) from None
            raise ModerationFailed(f"HTTP {error.status_code}") from None
        except openai.APITimeoutError:
            raise ModerationFailed("timeout") from None
        except openai.APIConnectionError as error:
            under = type(error.__cause__).__name__ if error.__cause__ is not None else "unknown"
            raise ModerationFailed(f"connection error ({under})") from None
        except openai.OpenAIError as error:
            raise ModerationFailed(f"openai error ({type(error).__name__})") from None
        items = response.get("results") if isinstance(response, dict) else None
        if not isinstance(items, list):
            raise ModerationFailed("unexpected response shape")
        results = [self._result(item) for item in items]
        if len(results) != len(texts):
            raise ModerationFailed("unexpected response shape")
        self._answered()
        log.debug("moderation.checked", model=self._model, inputs=len(texts), ms=_ms(started))
        return results

    def _result(self, result: object) -> ModerationResult:
        """One item of ``results`` (as sent: ``categories`` and ``category_scores`` by category name)."""
        try:
            scores = {k: float(v) for k, v in result["category_scores"].items() if v is not None}  # type: ignore[index]
            flags = {k: bool(v) for k, v in result["categories"].items() if v is not None}  # type: ignore[index]
        except (AttributeError, KeyError, TypeError, ValueError):
            raise ModerationFailed("unexpected response shape") from None
        return ModerationResult(hits=hits_above(scores, flags, thresholds=self._thresholds))

    def _answered(self) -> None:
        self._answered_once = True
        if not self._availability.available:
            self._availability = Availability(available=True, model=self._model)
            self._recheck_after = RECHECK_FIRST_SECONDS
            log.info("moderation.available", model=self._model, found="again")

    def _mark_unavailable(self, status: int) -> None:
        self._recheck_at = self._clock() + self._recheck_after
        if not self._availability.available:
            self._recheck_after = min(self._recheck_after * 2, RECHECK_MAX_SECONDS)
            return
        self._availability = Availability(
            available=False, model=self._model,
            reason=f"{self._where} has no moderation endpoint (HTTP {status} for /moderations with model {self._model})",
        )
        log.warning("moderation.unavailable", model=self._model, status=status, reason=self._availability.reason)


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
