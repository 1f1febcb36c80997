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
        """A chunk's ``delta.tool_calls`` as the wire has it (a list of JSON objects); anything else is passed over."""
        for delta in deltas if isinstance(deltas, list) else ():
            if not isinstance(delta, dict) or not isinstance(index := delta.get("index", 0), int):
                continue
            partial = self._by_index.setdefault(index, _Partial())
            if isinstance(call_id := delta.get("id"), str) and call_id:
                partial.id = call_id
            function = delta.get("function")
            if isinstance(function, dict):
                if isinstance(name := function.get("name"), str):
                    partial.name += name
                if isinstance(arguments := function.get("arguments"), str) and arguments:
                    partial.arguments.append(arguments)

    def calls(self) -> list[ToolCall]:
        return [
            ToolCall(id=p.id or f"call_{i}", name=p.name, arguments="".join(p.arguments) or "{}")
            for i, p in sorted(self._by_index.items()) if p.name
        ]
