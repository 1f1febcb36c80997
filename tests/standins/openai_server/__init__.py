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
(``server.script_moderation(Flagged(...), Status(500), OddModeration(body), ...)``) and
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

Modules: ``behaviours`` (what a script can say), ``chat`` (the answer, JSON or
SSE), ``moderation`` (results), ``errors`` (OpenAI's error bodies), ``server``
(``OpenAIStandIn``: routes, scripts, recording, holding); starting and
stopping is ``tests.standins.serving``.
"""

from tests.standins.openai_server.behaviours import (
    CONTEXT_LENGTH_MESSAGE,
    Behaviour,
    BreakMidStream,
    CallTools,
    ContextLengthError,
    Flagged,
    ModerationBehaviour,
    NoUsage,
    OddChunks,
    OddModeration,
    Trickle,
    Reply,
    Stall,
    Status,
)
from tests.standins.openai_server.chat import answer_for, split_deltas, word_count
from tests.standins.openai_server.moderation import MODERATION_CATEGORIES
from tests.standins.openai_server.server import OpenAIStandIn, RecordedRequest

__all__ = [
    "BreakMidStream",
    "CallTools",
    "ContextLengthError",
    "Flagged",
    "MODERATION_CATEGORIES",
    "NoUsage",
    "OddChunks",
    "OddModeration",
    "Trickle",
    "OpenAIStandIn",
    "RecordedRequest",
    "Reply",
    "Stall",
    "Status",
    "answer_for",
    "split_deltas",
    "word_count",
]
