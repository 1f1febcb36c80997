"""A stand-in OpenAI-compatible server for tests (aiohttp on 127.0.0.1, port 0).

Tests drive the *real* ``openai`` client against it; nothing inside openai or
httpx2 is mocked.

    async with OpenAIStandIn() as server:
        client = openai.AsyncOpenAI(base_url=server.base_url, api_key="k")
        server.script(Status(429, retry_after_ms=1), Reply("hi", usage=(3, 1)))
        ...
        assert len(server.chat_requests) == 2

Endpoints
    POST /v1/chat/completions  plain JSON, or SSE with ``"stream": true``
    POST /v1/moderations       omni-moderation shape, not flagged by default; with
                               ``OpenAIStandIn(moderations=False)`` a plain-text 404, as servers
                               without the endpoint answer (llama.cpp, vLLM); still recorded

Without a script a chat request gets ``"echo: <last user text>"``, streamed one
word per delta.  Usage is deterministic: prompt_tokens = words in all message
contents, completion_tokens = words in the answer.

Scripting: ``server.script(*behaviours)`` appends to a FIFO; each chat request
takes the next one (the default answer when the queue is empty).  Behaviours:
``Reply``, ``Status``, ``ContextLengthError``, ``Stall``, ``BreakMidStream``,
``NoUsage``.  Moderation requests have their own FIFO
(``server.script_moderation(Flagged(...), Status(500), ...)``) and
``server.flag_text(word, category)`` flags any input containing ``word``.

Holding requests open without sleeping: ``gate = server.hold()`` makes every
chat request (recorded first, so ``wait_for_requests`` sees it) wait until
``gate.set()`` / ``server.release()``.  ``Reply(..., gate=event)`` holds one
reply; ``gate_after=n`` holds it after n content deltas (mid-stream).

Shutting the server down releases every held/stalled request (its connection is
dropped) so ``__aexit__`` never hangs.

Note on retries (openai 3.54): the SDK honours ``retry-after-ms`` /
``retry-after`` only when the value is > 0; ``retry-after: 0`` falls back to its
own backoff (0.5 s, 1 s, ...).  For fast retry tests use
``Status(429, retry_after_ms=1)``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

__all__ = [
    "BreakMidStream",
    "ContextLengthError",
    "Flagged",
    "MODERATION_CATEGORIES",
    "NoUsage",
    "OpenAIStandIn",
    "RecordedRequest",
    "Reply",
    "Stall",
    "Status",
    "answer_for",
    "split_deltas",
    "word_count",
]

MODERATION_CATEGORIES: tuple[str, ...] = (
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/intent",
    "self-harm/instructions",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
)
_IMAGE_CATEGORIES = frozenset(
    {"self-harm", "self-harm/intent", "self-harm/instructions", "sexual", "violence", "violence/graphic"}
)

CONTEXT_LENGTH_MESSAGE = (
    "This model's maximum context length is 128000 tokens. However, your messages resulted in "
    "130000 tokens. Please reduce the length of the messages."
)


# --- behaviours ----------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """Answer with ``text`` (split into word deltas unless ``deltas`` is given).

    ``usage=(prompt, completion)`` overrides the computed numbers.  ``gate``
    holds the reply until the event is set: before anything is sent when
    ``gate_after == 0``, else after that many content deltas (mid-stream).
    """

    text: str
    usage: tuple[int, int] | None = None
    deltas: Sequence[str] | None = None
    finish_reason: str = "stop"
    gate: asyncio.Event | None = None
    gate_after: int = 0


@dataclass(frozen=True)
class Status:
    """An error status with OpenAI's error body.

    ``retry_after`` sets ``Retry-After`` (seconds), ``retry_after_ms`` sets
    ``retry-after-ms``; the SDK ignores either when it is 0 (see module doc).
    """

    status: int
    retry_after: float | None = None
    retry_after_ms: int | None = None
    message: str | None = None
    type: str | None = None
    code: str | None = None
    body: Any = None  # replaces the whole JSON body when given
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ContextLengthError:
    """400 ``context_length_exceeded``, as OpenAI sends it."""

    message: str = CONTEXT_LENGTH_MESSAGE


@dataclass(frozen=True)
class Stall:
    """Never answer (no status line) until ``until`` is set or the server shuts down.

    Then the connection is dropped.
    """

    until: asyncio.Event | None = None


@dataclass(frozen=True)
class BreakMidStream:
    """Stream ``deltas_before_break`` deltas of ``text`` then drop the connection.

    With ``clean=True`` the HTTP body is ended properly instead (no
    finish_reason, no usage, no ``[DONE]``): a stream truncated by a proxy.
    """

    text: str = "this answer will be cut off before it ends"
    deltas_before_break: int = 2
    clean: bool = False


@dataclass(frozen=True)
class NoUsage:
    """Answer normally but never send usage (like some llama.cpp builds)."""

    text: str | None = None  # None: the default echo answer


@dataclass(frozen=True)
class Flagged:
    """A flagged moderation result for the given categories (score ``score``)."""

    categories: tuple[str, ...] = ("harassment",)
    score: float = 0.97


Behaviour = Reply | Status | ContextLengthError | Stall | BreakMidStream | NoUsage
ModerationBehaviour = Flagged | Status | Stall


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    json: Any  # parsed body, or None when it was not JSON

    @property
    def authorization(self) -> str | None:
        return self.headers.get("authorization")


# --- helpers -------------------------------------------------------------------


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def word_count(text: str) -> int:
    return len(text.split())


def answer_for(messages: Iterable[Mapping[str, Any]]) -> str:
    """The default answer: ``"echo: <last user text>"``."""
    last_user = ""
    for message in messages:
        if message.get("role") == "user":
            last_user = _content_text(message.get("content"))
    return f"echo: {last_user}"


def split_deltas(text: str) -> list[str]:
    """Split into word deltas whose concatenation is exactly ``text``."""
    parts = re.findall(r"\s*\S+\s*", text)
    return parts if parts else ([text] if text else [])


def _prompt_tokens(body: Mapping[str, Any]) -> int:
    return sum(word_count(_content_text(m.get("content"))) for m in body.get("messages") or [] if isinstance(m, dict))


class _Dropped(Exception):
    """The connection was dropped on purpose; the handler just ends."""


# --- the server ----------------------------------------------------------------


class OpenAIStandIn:
    def __init__(self, *, host: str = "127.0.0.1", moderations: bool = True) -> None:
        self._host = host
        self._serve_moderations = moderations
        self.requests: list[RecordedRequest] = []
        self._queue: deque[Behaviour] = deque()
        self._moderation_queue: deque[ModerationBehaviour] = deque()
        self._flag_words: dict[str, str] = {}
        self._hold: asyncio.Event | None = None
        self._closing: asyncio.Event | None = None
        self._changed: asyncio.Condition | None = None
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.port: int | None = None
        self.held = 0  # chat requests currently waiting on a gate or stalled

    # -- lifecycle

    async def start(self) -> "OpenAIStandIn":
        self._closing = asyncio.Event()
        self._changed = asyncio.Condition()
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_post("/v1/moderations", self._moderations if self._serve_moderations else self._absent)
        # shutdown_timeout is only a safety net: held handlers are released on close.
        self._runner = web.AppRunner(app, shutdown_timeout=2.0, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def close(self) -> None:
        if self._closing is not None:
            self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> "OpenAIStandIn":
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @property
    def base_url(self) -> str:
        return f"http://{self._host}:{self.port}/v1"

    # -- scripting

    def script(self, *behaviours: Behaviour) -> None:
        """Queue behaviours, consumed one per chat request (FIFO)."""
        self._queue.extend(behaviours)

    def script_moderation(self, *behaviours: ModerationBehaviour) -> None:
        self._moderation_queue.extend(behaviours)

    def flag_text(self, word: str, category: str = "harassment") -> None:
        """Flag any moderation input containing ``word`` (case-insensitive)."""
        if category not in MODERATION_CATEGORIES:
            raise ValueError(f"unknown moderation category {category!r}")
        self._flag_words[word.lower()] = category

    @property
    def scripted(self) -> int:
        """Chat behaviours still queued."""
        return len(self._queue)

    def hold(self) -> asyncio.Event:
        """Hold every chat request from now on until the returned event is set."""
        if self._hold is None or self._hold.is_set():
            self._hold = asyncio.Event()
        return self._hold

    def release(self) -> None:
        if self._hold is not None:
            self._hold.set()
            self._hold = None

    # -- inspection

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == "/v1/chat/completions"]

    @property
    def moderation_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == "/v1/moderations"]

    async def wait_for_requests(self, n: int, timeout: float = 5.0, *, path: str | None = None) -> list[RecordedRequest]:
        """Wait until at least ``n`` requests (to ``path``, if given) have arrived."""
        assert self._changed is not None, "server not started"

        def matching() -> list[RecordedRequest]:
            return [r for r in self.requests if path is None or r.path == path]

        async with asyncio.timeout(timeout):
            async with self._changed:
                await self._changed.wait_for(lambda: len(matching()) >= n)
        return matching()

    async def wait_for_held(self, n: int, timeout: float = 5.0) -> None:
        """Wait until at least ``n`` chat requests are parked on a gate or stalled."""
        assert self._changed is not None, "server not started"
        async with asyncio.timeout(timeout):
            async with self._changed:
                await self._changed.wait_for(lambda: self.held >= n)

    # -- internals

    async def _notify(self) -> None:
        assert self._changed is not None
        async with self._changed:
            self._changed.notify_all()

    async def _record(self, request: web.Request) -> RecordedRequest:
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        recorded = RecordedRequest(
            method=request.method,
            path=request.path,
            headers={k.lower(): v for k, v in request.headers.items()},
            json=body,
        )
        self.requests.append(recorded)
        await self._notify()
        return recorded

    async def _park(self, request: web.Request, gate: asyncio.Event | None) -> None:
        """Wait for ``gate`` (or forever when None); drop the connection on shutdown."""
        assert self._closing is not None
        self.held += 1
        await self._notify()
        try:
            waiters = [asyncio.ensure_future(self._closing.wait())]
            if gate is not None:
                waiters.append(asyncio.ensure_future(gate.wait()))
            try:
                await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for w in waiters:
                    w.cancel()
        finally:
            self.held -= 1
            await self._notify()
        if self._closing.is_set() or gate is None:
            self._drop(request)

    @staticmethod
    def _drop(request: web.Request) -> None:
        if request.transport is not None:
            request.transport.close()
        raise _Dropped()

    def _error(self, status: Status) -> web.Response:
        headers = dict(status.headers)
        if status.retry_after is not None:
            headers["retry-after"] = f"{status.retry_after:g}"
        if status.retry_after_ms is not None:
            headers["retry-after-ms"] = str(status.retry_after_ms)
        if status.body is not None:
            body = status.body
        else:
            default_type = {
                400: "invalid_request_error",
                401: "invalid_request_error",
                403: "invalid_request_error",
                404: "invalid_request_error",
                429: "rate_limit_exceeded",
            }.get(status.status, "server_error")
            body = {
                "error": {
                    "message": status.message or f"stand-in error {status.status}",
                    "type": status.type or default_type,
                    "param": None,
                    "code": status.code,
                }
            }
        return web.json_response(body, status=status.status, headers=headers)

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        recorded = await self._record(request)
        body = recorded.json if isinstance(recorded.json, dict) else {}
        behaviour: Behaviour | None = self._queue.popleft() if self._queue else None
        try:
            if self._hold is not None and not self._hold.is_set():
                await self._park(request, self._hold)
            return await self._answer(request, body, behaviour)
        except _Dropped:
            return web.Response(status=499)  # never reaches the client: the transport is closed

    async def _answer(self, request: web.Request, body: dict[str, Any], behaviour: Behaviour | None) -> web.StreamResponse:
        if isinstance(behaviour, Status):
            return self._error(behaviour)
        if isinstance(behaviour, ContextLengthError):
            return web.json_response(
                {
                    "error": {
                        "message": behaviour.message,
                        "type": "invalid_request_error",
                        "param": "messages",
                        "code": "context_length_exceeded",
                    }
                },
                status=400,
            )
        if isinstance(behaviour, Stall):
            await self._park(request, behaviour.until)
            self._drop(request)

        messages = body.get("messages") or []
        text = answer_for(messages)
        deltas: Sequence[str] | None = None
        usage: tuple[int, int] | None = None
        send_usage = True
        finish_reason = "stop"
        gate: asyncio.Event | None = None
        gate_after = 0
        break_after: int | None = None
        clean_break = False
        if isinstance(behaviour, Reply):
            text, usage, deltas = behaviour.text, behaviour.usage, behaviour.deltas
            finish_reason, gate, gate_after = behaviour.finish_reason, behaviour.gate, behaviour.gate_after
        elif isinstance(behaviour, NoUsage):
            text = behaviour.text if behaviour.text is not None else text
            send_usage = False
        elif isinstance(behaviour, BreakMidStream):
            text, break_after, clean_break = behaviour.text, behaviour.deltas_before_break, behaviour.clean
        if deltas is None:
            deltas = split_deltas(text)
        else:
            text = "".join(deltas)
        if usage is None:
            usage = (_prompt_tokens(body), word_count(text))
        usage_json = {"prompt_tokens": usage[0], "completion_tokens": usage[1], "total_tokens": usage[0] + usage[1]}

        if gate is not None and gate_after == 0:
            await self._park(request, gate)

        model = str(body.get("model") or "stand-in-model")
        completion_id = f"chatcmpl-standin-{next(self._ids)}"
        created = int(time.time())

        if not body.get("stream"):
            if break_after is not None:
                self._drop(request)
            result: dict[str, Any] = {
                "id": completion_id,
                "object": "chat.completion",
                "created": created,
                "model": model,
                "system_fingerprint": None,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": text, "refusal": None},
                        "logprobs": None,
                        "finish_reason": finish_reason,
                    }
                ],
                "usage": usage_json if send_usage else None,
            }
            return web.json_response(result)

        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))

        def chunk(choices: list[dict[str, Any]], chunk_usage: dict[str, int] | None = None) -> bytes:
            data: dict[str, Any] = {
                "id": completion_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "system_fingerprint": None,
                "choices": choices,
            }
            if include_usage:
                data["usage"] = chunk_usage
            return f"data: {json.dumps(data)}\n\n".encode()

        def choice(delta: dict[str, Any], finish: str | None = None) -> list[dict[str, Any]]:
            return [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]

        response = web.StreamResponse(
            status=200, headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        await response.write(chunk(choice({"role": "assistant", "content": "", "refusal": None})))
        for i, delta in enumerate(deltas):
            if break_after is not None and i >= break_after:
                if clean_break:
                    await response.write_eof()
                    return response
                self._drop(request)
            if gate is not None and gate_after and i == gate_after:
                await self._park(request, gate)
            await response.write(chunk(choice({"content": delta})))
        if break_after is not None:  # fewer deltas than the break point
            if clean_break:
                await response.write_eof()
                return response
            self._drop(request)
        if gate is not None and gate_after and gate_after >= len(deltas):  # hold before finish_reason
            await self._park(request, gate)
        await response.write(chunk(choice({}, finish_reason)))
        if include_usage and send_usage:
            await response.write(chunk([], usage_json))
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response

    async def _absent(self, request: web.Request) -> web.StreamResponse:
        await self._record(request)
        return web.Response(status=404, text="404: Not Found")

    async def _moderations(self, request: web.Request) -> web.StreamResponse:
        recorded = await self._record(request)
        body = recorded.json if isinstance(recorded.json, dict) else {}
        behaviour = self._moderation_queue.popleft() if self._moderation_queue else None
        try:
            if isinstance(behaviour, Status):
                return self._error(behaviour)
            if isinstance(behaviour, Stall):
                await self._park(request, behaviour.until)
                self._drop(request)
        except _Dropped:
            return web.Response(status=499)

        raw_input = body.get("input", "")
        inputs = raw_input if isinstance(raw_input, list) else [raw_input]
        results = []
        for item in inputs:
            if isinstance(item, dict):  # multi-modal input part {"type": "text", "text": ...}
                text = str(item.get("text", ""))
            else:
                text = item if isinstance(item, str) else ""
            flagged: dict[str, float] = {}
            if isinstance(behaviour, Flagged):
                flagged = {c: behaviour.score for c in behaviour.categories}
            for word, category in self._flag_words.items():
                if word in text.lower():
                    flagged[category] = 0.97
            results.append(
                {
                    "flagged": bool(flagged),
                    "categories": {c: c in flagged for c in MODERATION_CATEGORIES},
                    "category_scores": {c: flagged.get(c, 0.0001) for c in MODERATION_CATEGORIES},
                    "category_applied_input_types": {
                        c: (["text"] if c in flagged else []) for c in MODERATION_CATEGORIES
                    },
                }
            )
        return web.json_response(
            {
                "id": f"modr-standin-{next(self._ids)}",
                "model": str(body.get("model") or "omni-moderation-latest"),
                "results": results,
            }
        )
