"""``OpenAIStandIn``: the routes, the scripts, what was received, and holding requests open."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, NoReturn

from aiohttp import web

from tests.standins.openai_server.behaviours import (
    Behaviour, CallTools, ContextLengthError, ModerationBehaviour, OddChunks, OddModeration, Stall, Status,
)
from tests.standins.openai_server.chat import Completion, completion_body, plan_answer, stream_answer
from tests.standins.openai_server.content_parts import content_problem
from tests.standins.openai_server.errors import context_length_response, error_response
from tests.standins.openai_server.tools import check_tools, tool_call_deltas
from tests.standins.openai_server.moderation import MODERATION_CATEGORIES, moderation_results
from tests.standins.serving import HttpStandIn


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    json: Any  # parsed body, or None when it was not JSON

    @property
    def authorization(self) -> str | None:
        return self.headers.get("authorization")


class _Dropped(Exception):
    """The connection was dropped on purpose; the handler just ends."""


class OpenAIStandIn(HttpStandIn):
    # only a safety net: held handlers are released on close
    shutdown_timeout = 2.0

    #: models that take image parts (any other gets OpenAI's 400 for an image_url part)
    DEFAULT_VISION_MODELS = frozenset({"gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini"})

    def __init__(
        self, *, host: str = "127.0.0.1", moderations: bool = True, vision_models: frozenset[str] = DEFAULT_VISION_MODELS
    ) -> None:
        super().__init__(host=host)
        self.vision_models = vision_models
        self._serve_moderations = moderations
        self.requests: list[RecordedRequest] = []
        self._queue: deque[Behaviour] = deque()
        self._moderation_queue: deque[ModerationBehaviour] = deque()
        self._flag_words: dict[str, str] = {}
        self._hold: asyncio.Event | None = None
        self._closing: asyncio.Event | None = None
        self._changed: asyncio.Condition | None = None
        self._ids = itertools.count(1)
        self.held = 0  # chat requests currently waiting on a gate or stalled

    # -- lifecycle

    def _build_app(self) -> web.Application:
        self._closing = asyncio.Event()
        self._changed = asyncio.Condition()
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_post("/v1/moderations", self._moderations if self._serve_moderations else self._absent)
        app.router.add_get("/v1/models", self._models)
        return app

    async def _before_close(self) -> None:
        if self._closing is not None:
            self._closing.set()

    @property
    def base_url(self) -> str:
        return self.url("/v1")

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

    # -- recording and holding

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
    def _drop(request: web.Request) -> NoReturn:
        if request.transport is not None:
            request.transport.close()
        raise _Dropped()

    # -- routes

    async def _models(self, request: web.Request) -> web.Response:
        """``GET /v1/models`` (Parley's readiness probe): OpenAI's list; 401 without a bearer key, as OpenAI does."""
        await self._record(request)
        if not request.headers.get("Authorization", "").startswith("Bearer "):
            return error_response(Status(401, message="You didn't provide an API key.", code="missing_api_key"))
        models = ("gpt-4o-mini", "stand-in-model")
        return web.json_response({
            "object": "list",
            "data": [{"id": m, "object": "model", "created": 1_700_000_000, "owned_by": "stand-in"} for m in models],
        })

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
        if (refused := content_problem(body, vision_models=self.vision_models)) is not None:
            return refused
        if (invalid := check_tools(body)) is not None:
            return invalid
        if isinstance(behaviour, CallTools):
            return await self._call_tools(request, body, behaviour)
        if isinstance(behaviour, Status):
            return error_response(behaviour)
        if isinstance(behaviour, ContextLengthError):
            return context_length_response(behaviour)
        if isinstance(behaviour, Stall):
            await self._park(request, behaviour.until)
            self._drop(request)
        if isinstance(behaviour, OddChunks):
            response = web.StreamResponse(status=200, headers={"Content-Type": "text/event-stream"})
            await response.prepare(request)
            for event in behaviour.events:
                await response.write(f"data: {json.dumps(event)}\n\n".encode())
            await response.write(b"data: [DONE]\n\n")
            await response.write_eof()
            return response
        plan = plan_answer(body, behaviour)
        if plan.gate is not None and plan.gate_after == 0:
            await self._park(request, plan.gate)
        completion = Completion(
            id=f"chatcmpl-standin-{next(self._ids)}",
            model=str(body.get("model") or "stand-in-model"),
            created=int(time.time()),
            include_usage=bool((body.get("stream_options") or {}).get("include_usage")),
        )
        if not body.get("stream"):
            if plan.break_after is not None:
                self._drop(request)
            return web.json_response(completion_body(completion, plan))

        async def park(gate: asyncio.Event) -> None:
            await self._park(request, gate)

        def drop() -> NoReturn:
            self._drop(request)

        return await stream_answer(request, plan, completion, park=park, drop=drop)

    async def _call_tools(self, request: web.Request, body: dict[str, Any], behaviour: CallTools) -> web.StreamResponse:
        offered = {t["function"]["name"] for t in body.get("tools") or []}
        unknown = [name for name, _ in behaviour.calls if name not in offered]
        if unknown:
            return error_response(Status(400, message=f"stand-in: the test scripted a call of {unknown} but the "
                                                      "request offered no such tool"))
        completion = Completion(
            id=f"chatcmpl-standin-{next(self._ids)}", model=str(body.get("model") or "stand-in-model"),
            created=int(time.time()), include_usage=bool((body.get("stream_options") or {}).get("include_usage")),
        )
        usage = {"prompt_tokens": behaviour.usage[0], "completion_tokens": behaviour.usage[1],
                 "total_tokens": sum(behaviour.usage)}
        response = web.StreamResponse(status=200, headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        choice = lambda delta, finish=None: [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]  # noqa: E731
        await response.write(completion.chunk(choice({"role": "assistant", "content": None})))
        for delta in tool_call_deltas(behaviour.calls, first_id=next(self._ids)):
            await response.write(completion.chunk(choice(delta)))
        await response.write(completion.chunk(choice({}, "tool_calls")))
        if completion.include_usage:
            await response.write(completion.chunk([], usage))
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
                return error_response(behaviour)
            if isinstance(behaviour, OddModeration):
                if isinstance(behaviour.body, str):
                    return web.Response(text=behaviour.body)
                return web.json_response(behaviour.body)
            if isinstance(behaviour, Stall):
                await self._park(request, behaviour.until)
                self._drop(request)
        except _Dropped:
            return web.Response(status=499)
        results = moderation_results(body.get("input", ""), behaviour, self._flag_words)
        return web.json_response(
            {
                "id": f"modr-standin-{next(self._ids)}",
                "model": str(body.get("model") or "omni-moderation-latest"),
                "results": results,
            }
        )
