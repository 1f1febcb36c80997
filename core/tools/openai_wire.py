"""Tools on the OpenAI chat completions wire: what a request carries, and calls assembled from stream deltas."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.llm_types import ChatMessage, CompletionRequest, ToolCall


def tool_fields(message: ChatMessage) -> dict[str, Any]:
    """The extra keys of a message that asked for tools (assistant) or answers one (tool)."""
    if message.tool_call_id is not None:
        return {"tool_call_id": message.tool_call_id}
    if message.tool_calls:
        return {
            "tool_calls": [
                {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
                for c in message.tool_calls
            ]
        }
    return {}


def tool_options(request: CompletionRequest) -> dict[str, Any]:
    """``tools`` and ``tool_choice`` when the request offers tools; nothing otherwise."""
    if not request.tools:
        return {}
    return {
        "tools": [
            {"type": "function", "function": {"name": t.name, "description": t.description, "parameters": dict(t.parameters)}}
            for t in request.tools
        ],
        "tool_choice": "auto",
    }


@dataclass
class _Partial:
    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)


@dataclass
class ToolCallDeltas:
    """Pieces of tool calls as the stream sends them (by ``index``: id and name first, arguments in parts)."""

    _by_index: dict[int, _Partial] = field(default_factory=dict)

    def add(self, deltas: Any) -> None:
        for delta in deltas:
            partial = self._by_index.setdefault(delta.index, _Partial())
            if delta.id:
                partial.id = delta.id
            function = delta.function
            if function is not None:
                if function.name:
                    partial.name += function.name
                if function.arguments:
                    partial.arguments.append(function.arguments)

    def calls(self) -> list[ToolCall]:
        return [
            ToolCall(id=p.id or f"call_{i}", name=p.name, arguments="".join(p.arguments) or "{}")
            for i, p in sorted(self._by_index.items()) if p.name
        ]
