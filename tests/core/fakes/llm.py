"""A scripted LLMProvider."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from core.llm_types import CompletionRequest, LLMError
from core.messages import Usage
from core.tokens import EstimatingTokenCounter

@dataclass
class FakeLLM:
    """Answers "echo: <last user message>" in two pieces unless scripted otherwise.

    ``script`` holds what the next calls do: a str answer, an LLMError to raise,
    or a callable(request) returning either.  ``gate`` (an asyncio.Event), when
    set, holds every call open until released.
    """

    script: list = field(default_factory=list)
    requests: list[CompletionRequest] = field(default_factory=list)
    gate: asyncio.Event | None = None
    started: asyncio.Event = field(default_factory=asyncio.Event)

    async def stream(self, request: CompletionRequest) -> AsyncIterator[str | Usage]:
        self.requests.append(request)
        self.started.set()
        if self.gate is not None:
            await self.gate.wait()
        step = self.script.pop(0) if self.script else None
        if callable(step):
            step = step(request)
        if isinstance(step, LLMError):
            raise step
        answer = step if isinstance(step, str) else "echo: " + request.messages[-1].content
        answer = answer[: request.max_tokens * 4]  # like a real model, stop at max_tokens
        half = len(answer) // 2
        for piece in (answer[:half], answer[half:]):
            if piece:
                yield piece
        counter = EstimatingTokenCounter()
        prompt = sum(counter.count(m.content, model=request.model) for m in request.messages)
        yield Usage(prompt_tokens=prompt, completion_tokens=counter.count(answer, model=request.model))
