"""Error answers in OpenAI's shape: ``{"error": {message, type, param, code}}``."""

from __future__ import annotations

from aiohttp import web

from tests.standins.openai_server.behaviours import ContextLengthError, Status

_DEFAULT_TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    403: "invalid_request_error",
    404: "invalid_request_error",
    429: "rate_limit_exceeded",
}


def error_response(status: Status) -> web.Response:
    """A scripted ``Status``: its body (or OpenAI's error body) and its retry headers."""
    headers = dict(status.headers)
    if status.retry_after is not None:
        headers["retry-after"] = f"{status.retry_after:g}"
    if status.retry_after_ms is not None:
        headers["retry-after-ms"] = str(status.retry_after_ms)
    if status.body is not None:
        body = status.body
    else:
        body = {
            "error": {
                "message": status.message or f"stand-in error {status.status}",
                "type": status.type or _DEFAULT_TYPES.get(status.status, "server_error"),
                "param": None,
                "code": status.code,
            }
        }
    return web.json_response(body, status=status.status, headers=headers)


def context_length_response(behaviour: ContextLengthError) -> web.Response:
    """400 ``context_length_exceeded``, as OpenAI sends it."""
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
