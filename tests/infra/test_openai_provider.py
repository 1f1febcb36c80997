"""OpenAIProvider through the real openai client against the stand-in server.

Nothing inside openai or httpx2 is mocked.  Retries use ``retry-after-ms: 1``
(openai ignores a Retry-After of 0 and backs off 0.5 s instead), timeouts are
0.5 s, and nothing sleeps to wait for work.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable

import openai
import pytest
from structlog.testing import capture_logs

from core.llm.complete import complete
from core.llm.openai_provider import OpenAIProvider
from core.llm_types import (
    ChatMessage, CompletionRequest, ContextTooLong, LLMError, LLMRateLimited, LLMRejected, LLMTimeout,
)
from core.messages import Usage
from tests.standins.openai_server import (
    CONTEXT_LENGTH_MESSAGE,
    BreakMidStream,
    ContextLengthError,
    Flagged,
    NoUsage,
    OddChunks,
    OpenAIStandIn,
    Reply,
    Stall,
    Status,
)

SECRET_KEY = "sk-test-0123456789abcdefghij"
USER_TEXT = "tell me about the secret garden"

REQUEST = CompletionRequest(
    model="gpt-test",
    messages=(
        ChatMessage("system", "You are terse."),
        ChatMessage("user", USER_TEXT),
    ),
    temperature=0.3,
    max_tokens=77,
)

ProviderFactory = Callable[..., OpenAIProvider]


@pytest.fixture(autouse=True)
def _no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    # httpx2 honours proxy variables; the stand-in is on 127.0.0.1.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
async def server() -> AsyncIterator[OpenAIStandIn]:
    async with OpenAIStandIn() as s:
        yield s


@pytest.fixture
async def make_provider(server: OpenAIStandIn) -> AsyncIterator[ProviderFactory]:
    made: list[OpenAIProvider] = []

    def make(**overrides: object) -> OpenAIProvider:
        kwargs: dict[str, object] = {
            "api_key": SECRET_KEY,
            "base_url": server.base_url,
            "timeout": 5.0,
            "max_retries": 2,
        }
        kwargs.update(overrides)
        provider = OpenAIProvider(**kwargs)  # type: ignore[arg-type]
        made.append(provider)
        return provider

    yield make
    for provider in made:
        await provider.close()


async def collect(provider: OpenAIProvider, request: CompletionRequest = REQUEST) -> list[str | Usage]:
    return [item async for item in provider.stream(request)]


class WordCounter:
    """A TokenCounter that counts words."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def count(self, text: str, *, model: str) -> int:
        self.calls.append((text, model))
        return len(text.split())


# --- the happy path -------------------------------------------------------------


async def test_streams_deltas_in_order_then_exactly_one_usage(server: OpenAIStandIn, make_provider: ProviderFactory):
    server.script(Reply("The quick brown fox.", usage=(42, 5)))

    items = await collect(make_provider())

    assert items[:-1] == ["The ", "quick ", "brown ", "fox."]
    assert "".join(items[:-1]) == "The quick brown fox."  # type: ignore[arg-type]
    assert items[-1] == Usage(prompt_tokens=42, completion_tokens=5)
    assert sum(isinstance(i, Usage) for i in items) == 1


async def test_request_body_carries_model_sampling_messages_and_stream_options(
    server: OpenAIStandIn, make_provider: ProviderFactory
):
    await collect(make_provider())

    (recorded,) = server.chat_requests
    body = recorded.json
    assert body["model"] == "gpt-test"
    assert body["temperature"] == 0.3
    assert body["max_tokens"] == 77
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert body["messages"] == [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": USER_TEXT},
    ]


async def test_default_answer_and_usage_come_from_the_server(server: OpenAIStandIn, make_provider: ProviderFactory):
    text, usage = await complete(make_provider(), REQUEST)

    assert text == f"echo: {USER_TEXT}"
    # The stand-in counts words: 3 + 6 in the prompt, 7 in the answer.
    assert usage == Usage(prompt_tokens=9, completion_tokens=7)


async def test_missing_usage_is_estimated_without_a_counter(server: OpenAIStandIn, make_provider: ProviderFactory):
    server.script(NoUsage("short answer"))

    with capture_logs() as logs:
        items = await collect(make_provider())

    assert items[:-1] == ["short ", "answer"]
    usage = items[-1]
    assert isinstance(usage, Usage)
    assert usage.prompt_tokens > 0 and usage.completion_tokens > 0
    assert any(e["event"] == "llm.usage_estimated" and e["log_level"] == "debug" for e in logs)


async def test_missing_usage_is_estimated_with_the_token_counter(server: OpenAIStandIn, make_provider: ProviderFactory):
    server.script(NoUsage("one two three"))
    counter = WordCounter()

    text, usage = await complete(make_provider(token_counter=counter), REQUEST)

    assert text == "one two three"
    assert usage == Usage(prompt_tokens=3 + 6, completion_tokens=3)
    assert {model for _, model in counter.calls} == {"gpt-test"}


async def test_odd_chunks_from_a_compatible_server_are_passed_over_not_raised_on(
    server: OpenAIStandIn, make_provider: ProviderFactory
):
    def chunk(choices, usage=None):
        return {"id": "c", "object": "chat.completion.chunk", "choices": choices, "usage": usage}

    server.script(OddChunks((
        chunk([{"index": 0, "delta": {"role": "assistant", "content": None}}]),
        chunk(None),                                     # null choices
        chunk([{"index": 0, "delta": None}]),             # null delta
        chunk([{"index": 0, "delta": {"content": "Hello"}}]),
        ["not", "an", "object"],                          # a list where a chunk belongs
        chunk(["not an object"]),                         # a choice that is not an object
        chunk([{"index": 0, "delta": {"content": 7}}]),   # content that is not text
        chunk([{"index": 0, "delta": {"content": " there", "tool_calls": "nonsense"}}]),
        chunk([{"index": 0, "delta": {}, "finish_reason": "stop"}]),
        chunk([], {"prompt_tokens": "many", "completion_tokens": 2}),
    )))

    items = await collect(make_provider(token_counter=WordCounter()))

    # A usage that is not two counts is estimated (here by words), never taken as zero.
    assert items == ["Hello", " there", Usage(prompt_tokens=3 + 6, completion_tokens=2)]


async def test_an_error_event_in_the_stream_is_an_llm_error_of_its_kind(
    server: OpenAIStandIn, make_provider: ProviderFactory
):
    error = {"message": CONTEXT_LENGTH_MESSAGE, "type": "invalid_request_error", "code": "context_length_exceeded"}
    server.script(OddChunks(({"id": "c", "choices": [{"index": 0, "delta": {"content": "Hel"}}]}, {"error": error})))

    with pytest.raises(ContextTooLong):
        await collect(make_provider())


async def test_usage_from_the_server_is_not_recounted(server: OpenAIStandIn, make_provider: ProviderFactory):
    counter = WordCounter()
    await complete(make_provider(token_counter=counter), REQUEST)
    assert counter.calls == []


# --- retries (done by the SDK) -----------------------------------------------------


async def test_rate_limit_then_success_is_retried_by_the_sdk(server: OpenAIStandIn, make_provider: ProviderFactory):
    server.script(Status(429, retry_after_ms=1), Reply("made it"))

    text, _ = await complete(make_provider(max_retries=2), REQUEST)

    assert text == "made it"
    assert len(server.chat_requests) == 2
    assert [r.headers.get("x-stainless-retry-count") for r in server.chat_requests] == ["0", "1"]


async def test_retry_after_zero_still_retries(server: OpenAIStandIn, make_provider: ProviderFactory):
    # openai treats "Retry-After: 0" as unspecified and backs off ~0.4-0.5 s itself.
    server.script(Status(429, retry_after=0), Reply("made it"))

    text, _ = await complete(make_provider(max_retries=1), REQUEST)

    assert text == "made it"
    assert len(server.chat_requests) == 2


async def test_rate_limited_every_time_raises_after_max_retries(server: OpenAIStandIn, make_provider: ProviderFactory):
    server.script(*[Status(429, retry_after_ms=1)] * 5)

    with pytest.raises(LLMRateLimited) as caught:
        await collect(make_provider(max_retries=2))

    assert len(server.chat_requests) == 3
    assert "429" in caught.value.cause


async def test_server_error_is_retried_then_raises_llm_error(server: OpenAIStandIn, make_provider: ProviderFactory):
    server.script(*[Status(500, retry_after_ms=1)] * 5)

    with pytest.raises(LLMError) as caught:
        await collect(make_provider(max_retries=1))

    assert type(caught.value) is LLMError
    assert "500" in caught.value.cause
    assert len(server.chat_requests) == 2


async def test_server_error_then_success(server: OpenAIStandIn, make_provider: ProviderFactory):
    server.script(Status(503, retry_after_ms=1), Reply("back again"))

    text, _ = await complete(make_provider(max_retries=1), REQUEST)

    assert text == "back again"
    assert len(server.chat_requests) == 2


# --- errors that are not retried ------------------------------------------------------


async def test_context_length_error_is_context_too_long_and_not_retried(
    server: OpenAIStandIn, make_provider: ProviderFactory
):
    server.script(ContextLengthError(), Reply("should never be used"))

    with pytest.raises(ContextTooLong) as caught:
        await collect(make_provider(max_retries=2))

    assert len(server.chat_requests) == 1
    assert "context_length_exceeded" in caught.value.cause
    assert "maximum context length" not in caught.value.cause  # no server text in the cause


async def test_context_length_recognised_by_message_alone(server: OpenAIStandIn, make_provider: ProviderFactory):
    # llama.cpp-style: no OpenAI code, the wording says it.
    server.script(Status(400, message="the request exceeds the available context size, try increasing it"))

    with pytest.raises(ContextTooLong):
        await collect(make_provider())


@pytest.mark.parametrize(
    "status",
    [
        Status(400, message="Unrecognized request argument supplied: foo"),
        Status(401, message=f"Incorrect API key provided: {SECRET_KEY[:8]}****ghij", code="invalid_api_key"),
        Status(403, message="Project does not have access to model"),
        Status(404, message="The model `gpt-test` does not exist", code="model_not_found"),
        Status(422, message="Unprocessable"),
    ],
    ids=lambda s: str(s.status),
)
async def test_client_errors_are_rejected_without_retry(
    server: OpenAIStandIn, make_provider: ProviderFactory, status: Status
):
    server.script(status, Reply("should never be used"))

    with capture_logs() as logs:
        with pytest.raises(LLMRejected) as caught:
            await collect(make_provider(max_retries=2))

    assert len(server.chat_requests) == 1
    assert str(status.status) in caught.value.cause
    assert status.message not in caught.value.cause
    assert SECRET_KEY[:8] not in caught.value.cause
    assert caught.value.__cause__ is None and caught.value.__suppress_context__  # server text stays out of tracebacks
    failed = [e for e in logs if e["event"] == "llm.failed"]
    assert failed and failed[0]["status"] == status.status


# --- timeouts, broken streams, no server --------------------------------------------------


async def test_stalled_server_times_out(server: OpenAIStandIn, make_provider: ProviderFactory):
    server.script(Stall())

    with pytest.raises(LLMTimeout):
        await collect(make_provider(timeout=0.5, max_retries=0))

    assert len(server.chat_requests) == 1


async def test_stream_stalling_midway_times_out_after_partial_deltas(
    server: OpenAIStandIn, make_provider: ProviderFactory
):
    never = asyncio.Event()
    server.script(Reply("alpha beta gamma delta", gate=never, gate_after=2))
    received: list[str | Usage] = []

    with pytest.raises(LLMTimeout):
        async for item in make_provider(timeout=0.5, max_retries=0).stream(REQUEST):
            received.append(item)

    assert received == ["alpha ", "beta "]


async def test_stream_broken_midway_raises_after_the_partial_deltas(
    server: OpenAIStandIn, make_provider: ProviderFactory
):
    server.script(BreakMidStream("one two three four five", deltas_before_break=2), Reply("never retried"))
    received: list[str | Usage] = []

    with pytest.raises(LLMError) as caught:
        async for item in make_provider(max_retries=2).stream(REQUEST):
            received.append(item)

    assert received == ["one ", "two "]  # no Usage: the partial answer is not presented as complete
    assert type(caught.value) is LLMError
    assert len(server.chat_requests) == 1  # a stream that broke midway is not retried


async def test_stream_that_ends_without_finishing_raises(server: OpenAIStandIn, make_provider: ProviderFactory):
    server.script(BreakMidStream("one two three", deltas_before_break=1, clean=True))
    received: list[str | Usage] = []

    with pytest.raises(LLMError):
        async for item in make_provider().stream(REQUEST):
            received.append(item)

    assert received == ["one "]


async def test_closed_port_is_an_llm_error():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # Nothing listens on ``port`` now.
    provider = OpenAIProvider(api_key=None, base_url=f"http://127.0.0.1:{port}/v1", timeout=2.0, max_retries=0)
    try:
        with pytest.raises(LLMError) as caught:
            await collect(provider)
    finally:
        await provider.close()

    assert type(caught.value) is LLMError
    assert "connection" in caught.value.cause


# --- keys -----------------------------------------------------------------------------


async def test_api_key_is_sent_as_bearer(server: OpenAIStandIn, make_provider: ProviderFactory):
    await collect(make_provider(api_key=SECRET_KEY))
    assert server.chat_requests[0].authorization == f"Bearer {SECRET_KEY}"


async def test_no_api_key_is_needed_for_a_local_server(
    server: OpenAIStandIn, make_provider: ProviderFactory, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)

    text, _ = await complete(make_provider(api_key=None), REQUEST)

    assert text == f"echo: {USER_TEXT}"
    assert server.chat_requests[0].authorization == "Bearer not-needed"


async def test_logs_carry_neither_message_text_nor_the_key(server: OpenAIStandIn, make_provider: ProviderFactory):
    server.script(Reply("a private answer"), Status(401, message=f"Incorrect API key provided: {SECRET_KEY}"))
    provider = make_provider(max_retries=0)

    with capture_logs() as logs:
        await complete(provider, REQUEST)
        with pytest.raises(LLMRejected):
            await complete(provider, REQUEST)

    assert {"llm.request", "llm.done", "llm.failed"} <= {e["event"] for e in logs}
    dumped = repr(logs)
    for secret in (SECRET_KEY, "secret garden", "private answer", "You are terse"):
        assert secret not in dumped


# --- cancellation and held requests ------------------------------------------------------


async def test_cancellation_propagates(server: OpenAIStandIn, make_provider: ProviderFactory):
    gate = server.hold()
    provider = make_provider()
    task = asyncio.create_task(collect(provider))
    await server.wait_for_held(1)

    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    gate.set()


async def test_cancellation_midway_through_a_stream_propagates(server: OpenAIStandIn, make_provider: ProviderFactory):
    gate = asyncio.Event()
    server.script(Reply("first second third", gate=gate, gate_after=1))
    first_delta = asyncio.Event()

    async def consume() -> None:
        async for _ in make_provider().stream(REQUEST):
            first_delta.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(first_delta.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    gate.set()


async def test_held_requests_run_concurrently_and_finish_on_release(
    server: OpenAIStandIn, make_provider: ProviderFactory
):
    gate = server.hold()
    provider = make_provider()
    requests = [
        CompletionRequest(model="gpt-test", messages=(ChatMessage("user", f"question {i}"),)) for i in range(3)
    ]
    tasks = [asyncio.create_task(complete(provider, r)) for r in requests]

    await server.wait_for_requests(3)
    await server.wait_for_held(3)
    assert not any(t.done() for t in tasks)

    server.release()
    answers = sorted(text for text, _ in await asyncio.gather(*tasks))
    assert answers == ["echo: question 0", "echo: question 1", "echo: question 2"]
    assert gate.is_set()


async def test_shutdown_does_not_hang_on_a_stall():
    async with OpenAIStandIn() as server:
        server.script(Stall())
        provider = OpenAIProvider(api_key=None, base_url=server.base_url, timeout=5.0, max_retries=0)
        task = asyncio.create_task(collect(provider))
        await server.wait_for_held(1)
    # Leaving the block dropped the stalled connection.
    with pytest.raises(LLMError):
        await asyncio.wait_for(task, 5)
    await provider.close()


# --- the stand-in's other surfaces, through the real client ---------------------------------


async def test_standin_plain_json_and_moderations(server: OpenAIStandIn):
    client = openai.AsyncOpenAI(api_key="k", base_url=server.base_url, max_retries=0)
    try:
        completion = await client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "hi there"}]
        )
        assert completion.choices[0].message.content == "echo: hi there"
        assert completion.usage is not None and completion.usage.total_tokens == 2 + 3

        clean = await client.moderations.create(input="a friendly note", model="omni-moderation-latest")
        assert clean.results[0].flagged is False
        assert clean.results[0].categories.hate is False

        server.flag_text("nasty", "hate")
        server.script_moderation(Flagged(("violence",)))
        scripted, by_word = (
            await client.moderations.create(input="anything"),
            await client.moderations.create(input=["fine", "a NASTY thing"]),
        )
        assert scripted.results[0].flagged and scripted.results[0].categories.violence
        assert [r.flagged for r in by_word.results] == [False, True]
        assert by_word.results[1].categories.hate and by_word.results[1].category_scores.hate > 0.5
    finally:
        await client.close()
    assert [r.path for r in server.requests] == ["/v1/chat/completions"] + ["/v1/moderations"] * 3
