"""A whole answer from any LLMProvider's stream (for summaries and tests)."""

from __future__ import annotations

from core.llm_types import CompletionRequest, LLMError
from core.messages import Usage


async def complete(llm, request: CompletionRequest) -> tuple[str, Usage]:
    """Consume ``llm.stream(request)``: the joined text and its Usage. Raises LLMError."""
    parts: list[str] = []
    usage: Usage | None = None
    async for item in llm.stream(request):
        if isinstance(item, Usage):
            usage = item
        else:
            parts.append(item)
    if usage is None:  # a provider's stream ends with exactly one Usage or raises
        raise LLMError("stream ended without usage")
    return "".join(parts), usage
