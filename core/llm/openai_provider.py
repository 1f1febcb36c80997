"""The production LLM provider: any OpenAI-compatible chat completions server.

Works with OpenAI itself and with local servers (llama.cpp, vLLM, Ollama, LM
Studio, ...) through ``base_url``.  Retrying is left to the openai SDK
(``max_retries``; it honours ``Retry-After``); only the opening of a stream is
retried, a stream that breaks midway raises ``LLMError``.

Cancellation (``asyncio.CancelledError``, a BaseException) is never caught
here: it propagates after the open stream is closed.

Logging never includes message text or the api key; error causes are built
from the status code, the error's ``type``/``code`` and exception class names,
never from the server's error message (which may echo a partial key or input).
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import openai
import structlog

from core.llm_types import (
    ChatMessage, CompletionRequest, ContextTooLong, LLMError, LLMRateLimited, LLMRejected, LLMTimeout, ToolCall,
)
from core.messages import Usage
from core.ports import TokenCounter
from core.tools.openai_wire import ToolCallDeltas, tool_fields, tool_options
from core.tokens import estimate_tokens

log = structlog.get_logger(__name__)

_CONTEXT_CODES = frozenset({"context_length_exceeded", "string_above_max_length"})
_CONTEXT_TYPES = frozenset({"exceed_context_size_error"})  # llama.cpp server
_CONTEXT_MESSAGE = re.compile(
    r"maximum context length|context length|context size|context window|too many tokens|prompt is too long",
    re.IGNORECASE,
)
_REJECTED_STATUSES = frozenset({400, 401, 403, 404, 422})


def _short(value: object, limit: int = 64) -> str:
    """An identifier-like value (error code/type) safe to log."""
    text = str(value)
    return text if len(text) <= limit and re.fullmatch(r"[\w.\-/:]*", text) else "<unprintable>"


def _is_context_error(err: openai.APIError) -> bool:
    if err.code is not None and str(err.code) in _CONTEXT_CODES:
        return True
    if err.type is not None and str(err.type) in _CONTEXT_TYPES:
        return True
    return bool(_CONTEXT_MESSAGE.search(err.message or ""))


def map_error(exc: BaseException) -> LLMError:
    """Translate an openai/transport exception into the core's LLMError family."""
    if isinstance(exc, LLMError):
        return exc
    if isinstance(exc, openai.APITimeoutError) and (refused := _connection_failure(exc)) is None:
        return LLMTimeout("timeout waiting for the LLM server")
    if isinstance(exc, openai.APITimeoutError):  # the aiohttp transport reports a refused connection so
        return LLMError(f"connection error ({refused})")
    if isinstance(exc, openai.APIConnectionError):
        under = type(exc.__cause__).__name__ if exc.__cause__ is not None else "unknown"
        return LLMError(f"connection error ({under})")
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        fields = (("type", exc.type), ("code", exc.code), ("param", exc.param))
        detail = ", ".join(f"{name}={_short(value)}" for name, value in fields if value)
        where = f"HTTP {status}" + (f", {detail}" if detail else "")
        if status == 400 and _is_context_error(exc):
            return ContextTooLong(f"context too long ({where})")
        if isinstance(exc, openai.RateLimitError) or status == 429:
            return LLMRateLimited(f"rate limited after retries ({where})")
        if status in _REJECTED_STATUSES:
            return LLMRejected(f"request rejected ({where})")
        if status >= 500:
            return LLMError(f"server error after retries ({where})")
        return LLMError(f"unexpected status ({where})")
    if isinstance(exc, openai.APIError):
        # An error event inside the stream (``data: {"error": ...}``).
        if _is_context_error(exc):
            return ContextTooLong("context too long (error event in stream)")
        code = f", code={_short(exc.code)}" if exc.code else ""
        return LLMError(f"error event in stream{code}")
    if isinstance(exc, openai.OpenAIError):
        return LLMError(f"openai error ({type(exc).__name__})")
    return LLMError(f"unexpected {type(exc).__name__} while talking to the LLM server")


def _connection_failure(exc: BaseException) -> str | None:
    """The name of a connection failure (refused, unreachable) under ``exc``, if that is what it is."""
    cause = exc.__cause__ or exc.__context__
    while cause is not None:
        if isinstance(cause, OSError) and not isinstance(cause, TimeoutError):
            return type(cause).__name__
        cause = cause.__cause__ or cause.__context__
    return None


def _status_of(exc: BaseException) -> int | None:
    return exc.status_code if isinstance(exc, openai.APIStatusError) else None


class OpenAIProvider:
    """LLMProvider over ``openai.AsyncOpenAI``."""

    def __init__(
        self,
        *,
        api_key: str | None,
        base_url: str | None,
        timeout: float,
        max_retries: int,
        token_counter: TokenCounter | None = None,
        transport: str = "aiohttp",
    ) -> None:
        self._client = openai.AsyncOpenAI(
            api_key=api_key or "not-needed",
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            http_client=http_client_for(transport),
        )
        self._token_counter = token_counter
        self._max_retries = max_retries

    async def close(self) -> None:
        await self._client.close()

    async def ready(self, *, timeout: float = 0.8) -> str | None:
        """Readiness: does the server answer (``GET /models``, no retry)? None, or one line saying why not.

        Any answer but a refused key or a server error counts: a compatible server without ``/models`` (404)
        is up.  Never the server's own message (it may echo part of the key).
        """
        try:
            await self._client.with_options(timeout=timeout, max_retries=0).models.list()
        except openai.APIStatusError as exc:
            if exc.status_code in (401, 403):
                return f"the LLM server refused the API key (HTTP {exc.status_code})"
            if exc.status_code >= 500 or exc.status_code == 429:
                return f"the LLM server answers HTTP {exc.status_code}"
        except openai.APIError as exc:  # a refused connection, a timeout
            return f"the LLM server is not reachable ({type(exc).__name__})"
        return None

    supports_tools = True

    async def stream(self, request: CompletionRequest) -> AsyncIterator[str | ToolCall | Usage]:
        """Yield text deltas, the tool calls the model asked for (if any), then exactly one Usage.

        Raises core.llm_types.LLMError."""
        started = time.monotonic()
        # At DEBUG: every call ends in "llm.done" or "llm.failed", which carry what this says (one INFO event of
        # three a message; under a burst the three were a tenth of the process's CPU).
        log.debug(
            "llm.request", model=request.model, messages=len(request.messages),
            temperature=request.temperature, max_tokens=request.max_tokens,
        )
        chunks = await self._open(request, started)
        received = _Received()
        try:
            async for content in self._deltas(chunks, request, started, received):
                yield content
        finally:
            await chunks.close()
        usage = self._usage_at_end(request, received, started)
        for call in received.tool_calls.calls():
            yield call
        yield usage

    async def _open(self, request: CompletionRequest, started: float) -> Any:
        """Start the streamed completion (the SDK retries this part); raises LLMError.

        Sent with the SDK's ``post`` (its retries, timeouts, error classes and SSE reading), the body as the
        wire has it and each chunk kept as parsed JSON: the typed ``chat.completions.create`` checks every
        request against its types and builds a model object for every chunk, which with 200 streams at once
        cost three quarters of the SDK's CPU (bench/llm_transport.py, docs/PERFORMANCE.md).
        """
        body = {
            "model": request.model,
            "messages": [wire_message(m) for m in request.messages],
            "temperature": request.temperature,
            "max_tokens": request.max_tokens,
            "stream": True,
            "stream_options": {"include_usage": True},
            **tool_options(request),
        }
        try:
            return await self._client.post(
                "/chat/completions", body=body, cast_to=object, stream=True, stream_cls=openai.AsyncStream[object],
            )
        except Exception as exc:
            raise self._failed(exc, request, started, phase="open") from _chain(exc)

    async def _deltas(
        self, chunks: Any, request: CompletionRequest, started: float, received: _Received
    ) -> AsyncIterator[str]:
        """The text pieces of the stream; usage and finish reason noted in ``received``.

        Chunks are JSON objects; a compatible server's odd shapes (a missing or null field, a list where an
        object belongs) are passed over, never raised on."""
        iterator = chunks.__aiter__()
        while True:
            try:
                chunk = await iterator.__anext__()
            except StopAsyncIteration:
                return
            except Exception as exc:
                raise self._failed(exc, request, started, phase="stream", received=len(received.parts)) from _chain(exc)
            if not isinstance(chunk, dict):
                continue
            if (usage := _usage_of(chunk.get("usage"))) is not None:
                received.usage = usage
            choices = chunk.get("choices")
            if not choices or not isinstance(choices, list) or not isinstance(choice := choices[0], dict):
                continue  # the include_usage chunk has no choices
            if finish_reason := choice.get("finish_reason"):
                received.finish_reason = str(finish_reason)
            delta = choice.get("delta")
            if not isinstance(delta, dict):
                continue
            if tool_calls := delta.get("tool_calls"):
                received.tool_calls.add(tool_calls)
            content = delta.get("content")
            if content and isinstance(content, str):
                received.parts.append(content)
                yield content

    def _usage_at_end(self, request: CompletionRequest, received: _Received, started: float) -> Usage:
        """The server's usage, or an estimate when it sent none; a stream that never finished is an LLMError."""
        if received.finish_reason is None:
            # The body ended cleanly but the answer never finished: a truncated stream.
            err = LLMError("stream ended without a finish_reason")
            log.warning(
                "llm.failed", model=request.model, cause=err.cause, phase="stream",
                received_deltas=len(received.parts), duration_ms=_ms(started),
            )
            raise err
        usage = received.usage
        estimated = usage is None
        if usage is None:
            usage = self._estimate(request, "".join(received.parts))
            log.debug("llm.usage_estimated", model=request.model, counter=self._token_counter is not None)
        log.info(
            "llm.done", model=request.model, messages=len(request.messages), max_tokens=request.max_tokens,
            finish_reason=received.finish_reason, prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens, usage_estimated=estimated, duration_ms=_ms(started),
        )
        return usage

    # -- internals

    def _failed(
        self,
        exc: Exception,
        request: CompletionRequest,
        started: float,
        *,
        phase: str,
        received: int = 0,
    ) -> LLMError:
        err = map_error(exc)
        log.warning(
            "llm.failed",
            model=request.model,
            messages=len(request.messages),
            status=_status_of(exc),
            error=type(exc).__name__,
            error_class=type(err).__name__,
            cause=err.cause,
            phase=phase,
            received_deltas=received,
            max_retries=self._max_retries,
            duration_ms=_ms(started),
        )
        return err

    def _estimate(self, request: CompletionRequest, answer: str) -> Usage:
        usage = self._estimate_text(request, answer)
        images = sum(image.tokens for m in request.messages for image in m.images)  # by the provider's rule
        return Usage(prompt_tokens=usage.prompt_tokens + images, completion_tokens=usage.completion_tokens)

    def _estimate_text(self, request: CompletionRequest, answer: str) -> Usage:
        prompt_text = "\n".join(m.content for m in request.messages)
        if self._token_counter is not None:
            try:
                return Usage(
                    prompt_tokens=self._token_counter.count(prompt_text, model=request.model),
                    completion_tokens=self._token_counter.count(answer, model=request.model),
                )
            except Exception as exc:  # a counter bug must not lose an answered request
                log.warning("llm.token_count_failed", model=request.model, error=type(exc).__name__)
        return Usage(prompt_tokens=estimate_tokens(prompt_text), completion_tokens=estimate_tokens(answer))


def wire_message(message: ChatMessage) -> dict[str, Any]:
    """A message as the chat completions API takes it: its text, or with images a list of content parts
    (the text, then each image as an ``image_url`` part with its ``data:`` URL); with the tool calls it
    asked for, or the id of the call it answers (``core/tools``)."""
    if not message.images:
        return {"role": message.role, "content": message.content, **tool_fields(message)}
    parts: list[dict[str, Any]] = [{"type": "text", "text": message.content}] if message.content else []
    parts.extend(
        {"type": "image_url", "image_url": {"url": image.data_url, "detail": image.detail}} for image in message.images
    )
    return {"role": message.role, "content": parts, **tool_fields(message)}


@dataclass
class _Received:
    """What one stream has sent so far."""

    parts: list[str] = field(default_factory=list)
    usage: Usage | None = None
    finish_reason: str | None = None
    tool_calls: ToolCallDeltas = field(default_factory=lambda: ToolCallDeltas())


def http_client_for(transport: str) -> Any:
    """The SDK's HTTP stack: ``aiohttp`` (``openai.DefaultAioHttpClient``) or its default ``httpx``.

    With a couple of hundred streams open, the default stack's connection pool is walked on every request
    (see bench/llm_transport.py and docs/PERFORMANCE.md); aiohttp's is not.
    """
    if transport == "aiohttp":
        return openai.DefaultAioHttpClient()
    if transport == "httpx":
        return None
    raise ValueError(f"unknown LLM transport {transport!r} (aiohttp or httpx)")


def _usage_of(value: object) -> Usage | None:
    """A chunk's ``usage``, when it has both counts as non-negative whole numbers (else it is estimated, never
    taken as zero: a budget must not be passed by a server that sends nonsense)."""
    if not isinstance(value, dict):
        return None
    prompt, completion = value.get("prompt_tokens"), value.get("completion_tokens")
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in (prompt, completion)):
        return None
    return Usage(prompt_tokens=prompt, completion_tokens=completion)


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _chain(exc: Exception) -> Any:
    """What to chain an LLMError to.

    openai's errors carry the server's message (OpenAI's 401 echoes part of the
    key; other servers may echo input), so they are not chained into
    tracebacks; other exceptions are (they point at bugs).
    """
    return None if isinstance(exc, openai.OpenAIError) else exc


__all__ = ["OpenAIProvider", "map_error"]
