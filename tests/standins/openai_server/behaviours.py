"""The scripted behaviours of the stand-in OpenAI: what the next chat or moderation request gets.

``server.script(*behaviours)`` queues chat behaviours and
``server.script_moderation(*behaviours)`` moderation ones; each request takes
the next (the default answer when its queue is empty).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

CONTEXT_LENGTH_MESSAGE = (
    "This model's maximum context length is 128000 tokens. However, your messages resulted in "
    "130000 tokens. Please reduce the length of the messages."
)

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
    ``retry-after-ms``; the SDK ignores either when it is 0 (see the package doc).
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
class Trickle:
    """Stream ``delta`` every ``interval`` seconds and never finish: each read is quick, the answer endless."""

    delta: str = "slowly "
    interval: float = 0.02


@dataclass(frozen=True)
class NoUsage:
    """Answer normally but never send usage (like some llama.cpp builds)."""

    text: str | None = None  # None: the default echo answer


@dataclass(frozen=True)
class Flagged:
    """A flagged moderation result for the given categories (score ``score``)."""

    categories: tuple[str, ...] = ("harassment",)
    score: float = 0.97


@dataclass(frozen=True)
class CallTools:
    """Answer with tool calls instead of text: ``calls`` is ``((function name, arguments), ...)``.

    Only to a request that offered tools, each of those names among them (else a 400, as a model cannot
    call a tool it was not given). Streamed as OpenAI does: id and name first, the arguments in pieces,
    then ``finish_reason: "tool_calls"``.
    """

    calls: tuple[tuple[str, Mapping[str, Any]], ...]
    usage: tuple[int, int] = (10, 5)


@dataclass(frozen=True)
class OddChunks:
    """Stream exactly these JSON values as ``data:`` events, then ``[DONE]``: the odd shapes compatible
    servers send (null fields, a list where an object belongs, a count that is not a number)."""

    events: tuple[Any, ...]


@dataclass(frozen=True)
class OddModeration:
    """Answer a moderation request 200 with exactly this JSON value (or, given a string, this text as
    text/plain): the odd shapes a compatible server may send."""

    body: Any


Behaviour = CallTools | Reply | Status | ContextLengthError | Stall | BreakMidStream | NoUsage | Trickle | OddChunks
ModerationBehaviour = Flagged | Status | Stall | OddModeration
