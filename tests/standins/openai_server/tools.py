"""Tool calling on the stand-in: OpenAI's rules for ``tools``, ``tool_choice`` and tool messages, and a
streamed answer that calls tools.

Checked against OpenAI's API reference (chat completions): a function name is ``^[a-zA-Z0-9_-]{1,64}$``;
``tool_choice`` is only allowed with ``tools``; a ``tool`` message must answer a ``tool_call_id`` of the
assistant message right before it (or of the tool messages that follow it), and an assistant message with
``tool_calls`` must be followed by a tool message for each of its ids. Each violation is a 400
``invalid_request_error`` naming the parameter, as OpenAI answers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from aiohttp import web

_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
MAX_TOOLS = 128


def _invalid(message: str, param: str) -> web.Response:
    body = {"error": {"message": message, "type": "invalid_request_error", "param": param, "code": None}}
    return web.json_response(body, status=400)


def check_tools(body: Mapping[str, Any]) -> web.Response | None:
    """The 400 OpenAI would answer about tools or tool messages, or None."""
    tools = body.get("tools")
    if tools is not None:
        if not isinstance(tools, list) or len(tools) > MAX_TOOLS:
            return _invalid(f"'tools' must be an array of at most {MAX_TOOLS} tools.", "tools")
        for i, tool in enumerate(tools):
            function = tool.get("function") if isinstance(tool, dict) else None
            if not isinstance(tool, dict) or tool.get("type") != "function" or not isinstance(function, dict):
                return _invalid(f"Invalid 'tools[{i}]': expected an object of type 'function'.", f"tools[{i}]")
            if not isinstance(function.get("name"), str) or not _NAME.match(function["name"]):
                return _invalid(
                    f"Invalid 'tools[{i}].function.name': string does not match pattern. Expected a string that "
                    "matches the pattern '^[a-zA-Z0-9_-]+$'.", f"tools[{i}].function.name",
                )
            if "parameters" in function and not isinstance(function["parameters"], dict):
                return _invalid(f"Invalid 'tools[{i}].function.parameters': expected an object.", f"tools[{i}].function.parameters")
    if "tool_choice" in body and not tools:
        return _invalid("'tool_choice' is only allowed when 'tools' are specified.", "tool_choice")
    return _check_tool_messages(body.get("messages") or [])


def _check_tool_messages(messages: list[Any]) -> web.Response | None:
    open_ids: set[str] = set()  # ids of the latest assistant tool_calls not answered yet
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            continue
        role = message.get("role")
        if role == "tool":
            call_id = message.get("tool_call_id")
            if call_id not in open_ids:
                return _invalid(
                    "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with "
                    "'tool_calls'.", f"messages.[{i}].role",
                )
            open_ids.discard(call_id)
            continue
        if open_ids:
            return _invalid(
                "An assistant message with 'tool_calls' must be followed by tool messages responding to each "
                f"'tool_call_id'. The following tool_call_ids did not have response messages: {', '.join(sorted(open_ids))}",
                f"messages.[{i}].role",
            )
        if role == "assistant" and message.get("tool_calls"):
            open_ids = {c.get("id") for c in message["tool_calls"] if isinstance(c, dict)}
    if open_ids:
        return _invalid("An assistant message with 'tool_calls' must be followed by tool messages.", "messages")
    return None


def tool_call_deltas(calls: tuple[tuple[str, Mapping[str, Any]], ...], *, first_id: int) -> list[dict[str, Any]]:
    """The stream's deltas for ``calls``: per call, its id and name, then its arguments in two pieces."""
    deltas: list[dict[str, Any]] = []
    for index, (name, arguments) in enumerate(calls):
        text = json.dumps(dict(arguments))
        call_id = f"call_standin_{first_id + index}"
        deltas.append({"tool_calls": [{"index": index, "id": call_id, "type": "function",
                                       "function": {"name": name, "arguments": ""}}]})
        half = len(text) // 2
        for piece in (text[:half], text[half:]):
            deltas.append({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
    return deltas
