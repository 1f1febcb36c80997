"""One generation on llama.cpp's worker thread: the job, its hand-over to the event loop, the error mapping,
and the ``Llama`` subclass whose token generator counts tokens and can be stopped between two of them."""

from __future__ import annotations

import asyncio
import functools
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from core.llm_types import CompletionRequest, ContextTooLong, LLMError

_CONTEXT_ERROR = re.compile(r"exceed context window|context window|n_ctx", re.IGNORECASE)


@dataclass(eq=False)  # identity: jobs live in a set
class Job:
    request: CompletionRequest
    emit: Callable[[tuple], None]
    stop: threading.Event = field(default_factory=threading.Event)
    prompt_tokens: int | None = None  # the chat-formatted prompt, as llama.cpp tokenised it
    sampled: int = 0  # tokens llama.cpp sampled for the answer
    ended_on_eog: bool = False  # the last one was an end-of-generation token


def emitter(loop: asyncio.AbstractEventLoop, queue: asyncio.Queue) -> Callable[[tuple], None]:
    def emit(item: tuple) -> None:
        try:
            loop.call_soon_threadsafe(queue.put_nowait, item)
        except RuntimeError:  # the loop is closed: nobody is listening any more
            pass

    return emit


def map_error(exc: BaseException, *, n_ctx: int) -> LLMError:
    """Translate a llama-cpp-python exception into the core's LLMError family (no text from the prompt)."""
    if isinstance(exc, LLMError):
        return exc
    if isinstance(exc, ValueError) and _CONTEXT_ERROR.search(str(exc)):
        return ContextTooLong(f"context too long (the prompt does not fit the local model's {n_ctx}-token context)")
    if isinstance(exc, MemoryError):
        return LLMError("local model ran out of memory")
    return LLMError(f"local model error ({type(exc).__name__})")


@functools.cache
def counting_llama(llama_cpp: Any) -> type:
    """``llama_cpp.Llama`` whose token generator counts and can be stopped.

    ``create_chat_completion`` formats the chat with the model's template,
    tokenises it and calls ``generate(prompt_tokens, ...)``, which yields one
    sampled token at a time: the one place that sees both the exact prompt
    tokens and every generated token, and where returning stops llama.cpp
    between two tokens.
    """
    def is_eog(llama: Any, token: int) -> bool:
        try:
            return bool(llama_cpp.llama_vocab_is_eog(llama._model.vocab, token))
        except AttributeError:  # older/newer bindings
            return token == llama.token_eos()

    class _CountingLlama(llama_cpp.Llama):  # type: ignore[misc, name-defined]
        parley_job: Job | None = None

        def generate(self, tokens, *args, **kwargs):  # type: ignore[no-untyped-def]
            job = self.parley_job
            if job is None:
                yield from super().generate(tokens, *args, **kwargs)
                return
            job.prompt_tokens = len(tokens)
            generator = super().generate(tokens, *args, **kwargs)
            try:
                for token in generator:
                    job.sampled += 1
                    job.ended_on_eog = is_eog(self, token)
                    if job.stop.is_set():
                        return
                    yield token
            finally:
                generator.close()

    return _CountingLlama
