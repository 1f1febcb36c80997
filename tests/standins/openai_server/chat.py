"""Chat completions: the default echo answer, its word deltas and usage, and the JSON or SSE body.

Without a script a request gets ``"echo: <last user text>"``, streamed one
word per delta.  Usage is deterministic: prompt_tokens = words in all message
contents, completion_tokens = words in the answer.

A stream is ``text/event-stream``, each event ``data: {json}\\n\\n``: a role
chunk, the content deltas, a chunk with ``finish_reason``, the usage chunk
(``"choices": []``, only with ``stream_options.include_usage``; every chunk then
has ``"usage"``), then ``data: [DONE]``.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

from aiohttp import web

from tests.standins.openai_server.behaviours import Behaviour, BreakMidStream, NoUsage, Reply, Trickle


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


@dataclass(frozen=True)
class ChatPlan:
    """What one chat request will be answered, worked out from its body and its behaviour."""

    text: str
    deltas: Sequence[str]
    usage: dict[str, int]
    send_usage: bool = True
    finish_reason: str = "stop"
    gate: asyncio.Event | None = None
    gate_after: int = 0
    break_after: int | None = None  # drop (or end cleanly) after this many deltas
    clean_break: bool = False
    trickle: Trickle | None = None  # endless: a delta every interval until the client goes away


def plan_answer(body: Mapping[str, Any], behaviour: Behaviour | None) -> ChatPlan:
    """The answer for a ``Reply``, ``NoUsage``, ``BreakMidStream`` or no behaviour (the echo)."""
    text = answer_for(body.get("messages") or [])
    deltas: Sequence[str] | None = None
    usage: tuple[int, int] | None = None
    shape: dict[str, Any] = {}
    if isinstance(behaviour, Reply):
        text, usage, deltas = behaviour.text, behaviour.usage, behaviour.deltas
        shape = dict(finish_reason=behaviour.finish_reason, gate=behaviour.gate, gate_after=behaviour.gate_after)
    elif isinstance(behaviour, NoUsage):
        text = behaviour.text if behaviour.text is not None else text
        shape = dict(send_usage=False)
    elif isinstance(behaviour, Trickle):
        shape = dict(trickle=behaviour)
    elif isinstance(behaviour, BreakMidStream):
        text = behaviour.text
        shape = dict(break_after=behaviour.deltas_before_break, clean_break=behaviour.clean)
    if deltas is None:
        deltas = split_deltas(text)
    else:
        text = "".join(deltas)
    if usage is None:
        usage = (_prompt_tokens(body), word_count(text))
    usage_json = {"prompt_tokens": usage[0], "completion_tokens": usage[1], "total_tokens": usage[0] + usage[1]}
    return ChatPlan(text=text, deltas=deltas, usage=usage_json, **shape)


@dataclass(frozen=True)
class Completion:
    """The fields every chunk (or the one JSON body) of a completion repeats."""

    id: str
    model: str
    created: int
    include_usage: bool = False  # stream_options.include_usage

    def chunk(self, choices: list[dict[str, Any]], usage: dict[str, int] | None = None) -> bytes:
        data: dict[str, Any] = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "system_fingerprint": None,
            "choices": choices,
        }
        if self.include_usage:
            data["usage"] = usage
        return f"data: {json.dumps(data)}\n\n".encode()


def completion_body(completion: Completion, plan: ChatPlan) -> dict[str, Any]:
    """The whole answer as one ``chat.completion`` (a request without ``"stream": true``)."""
    return {
        "id": completion.id,
        "object": "chat.completion",
        "created": completion.created,
        "model": completion.model,
        "system_fingerprint": None,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": plan.text, "refusal": None},
                "logprobs": None,
                "finish_reason": plan.finish_reason,
            }
        ],
        "usage": plan.usage if plan.send_usage else None,
    }


def _choice(delta: dict[str, Any], finish: str | None = None) -> list[dict[str, Any]]:
    return [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]


async def stream_answer(
    request: web.Request,
    plan: ChatPlan,
    completion: Completion,
    *,
    park: Callable[[asyncio.Event], Awaitable[None]],
    drop: Callable[[], NoReturn],
) -> web.StreamResponse:
    """Send ``plan`` as SSE; ``park(gate)`` holds the stream, ``drop()`` cuts the connection."""
    response = web.StreamResponse(
        status=200, headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
    )
    await response.prepare(request)
    await response.write(completion.chunk(_choice({"role": "assistant", "content": "", "refusal": None})))
    while plan.trickle is not None:  # ends when the client disconnects (the write fails)
        await response.write(completion.chunk(_choice({"content": plan.trickle.delta})))
        await asyncio.sleep(plan.trickle.interval)
    for i, delta in enumerate(plan.deltas):
        if plan.break_after is not None and i >= plan.break_after:
            if plan.clean_break:
                await response.write_eof()
                return response
            drop()
        if plan.gate is not None and plan.gate_after and i == plan.gate_after:
            await park(plan.gate)
        await response.write(completion.chunk(_choice({"content": delta})))
    if plan.break_after is not None:  # fewer deltas than the break point
        if plan.clean_break:
            await response.write_eof()
            return response
        drop()
    if plan.gate is not None and plan.gate_after and plan.gate_after >= len(plan.deltas):  # hold before finish_reason
        await park(plan.gate)
    await response.write(completion.chunk(_choice({}, plan.finish_reason)))
    if completion.include_usage and plan.send_usage:
        await response.write(completion.chunk([], plan.usage))
    await response.write(b"data: [DONE]\n\n")
    await response.write_eof()
    return response
