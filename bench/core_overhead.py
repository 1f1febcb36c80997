"""The core's own overhead per message: ``python -m bench.core_overhead``.

The real core (``assemble_core`` over the SQL stores on a migrated SQLite file,
``TiktokenCounter``, ``SystemClock``, production logging sent to /dev/null) with
an in-process LLM that answers at once (``bench.InstantLLM``), so what is
timed is the core: gate, inbox claim, persona and channel settings, memory
window, streaming, persisting turns, accounting usage, logging.

Per message: wall time from calling ``ChatService.handle()`` to receiving its
``Outcome`` (``time.perf_counter``).  Phases, after a warm-up:

sequential   one message at a time (one conversation at a time): the
             overhead of a message with nothing else going on.
concurrent   N conversations (default 200 distinct DMs) in flight at once on
             the one event loop, each sending M messages in sequence (default
             10 → 2,000 messages).  Latency here includes waiting behind the
             other conversations' work (the loop, the connection pool, SQLite's
             single writer); ``wall_ms_per_message`` is the core's cost per
             message under that load (1 / throughput).  With SQLite, where
             the per-message SQL runs on the loop's thread (run_quick), a
             message to InstantLLM never yields, so ``max_in_flight`` is 1 and
             this is a throughput figure.
in_flight    N conversations in flight the way they are in production: each
             message waits on a model that takes a while (default uniform
             2.5-7.5 s, asyncio.sleep), so ~N/5 messages a second arrive, spread
             out, while N are open.  Per message the core's own overhead is
             the wall time minus the time spent inside the model's stream.
breakdown    a sequential pass with every port call timed, to show where the
             time of one message goes.
end_to_end   (unless --no-e2e) the sequential and concurrent phases again
             through ``OpenAIProvider`` (the real ``openai`` client) against
             the stand-in server ``tests/standins/openai_server/`` in the same
             process, which answers at once, streamed one word per delta.

Prints one JSON object on stdout.  ``--profile`` also writes a cProfile of a
sequential pass to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import cProfile
import inspect
import io
import json
import os
import pstats
import random
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from contextvars import ContextVar
from dataclasses import fields
from pathlib import Path
from typing import Any

from bench import InstantLLM, code_version, machine, migrated_sqlite, quiet_logging, summarise_ms
from core.assembly import Core, CoreOptions, Stores, assemble_core
from core.bootstrap import sql_stores
from core.clock import SystemClock
from core.llm_types import CompletionRequest
from core.observability.prometheus import PrometheusMetrics
from core.messages import ConversationKey, IncomingMessage, Outcome, OutcomeKind, Usage
from core.ports import LLMProvider, TokenCounter
from core.storage.database import Database
from core.tokens import TiktokenCounter

MODEL = "gpt-4o-mini"
STORE_FIELDS = tuple(f.name for f in fields(Stores))
QUESTIONS = (
    "How do I rotate the API key for the staging cluster without downtime?",
    "Can you summarise what we decided about the release date in two sentences?",
    "What's a good name for a service that resizes images on upload?",
    "Explain the difference between a mutex and a semaphore briefly.",
)


LLM_SPENT: ContextVar[list[float]] = ContextVar("LLM_SPENT")


class ThinkingLLM(InstantLLM):
    """InstantLLM after a random delay; adds the time spent to ``LLM_SPENT`` of the caller."""

    def __init__(self, low: float, high: float, seed: int = 7) -> None:
        super().__init__()
        self._low, self._high = low, high
        self._random = random.Random(seed)

    async def stream(self, request: CompletionRequest) -> AsyncIterator[str | Usage]:
        started = time.perf_counter()
        await asyncio.sleep(self._random.uniform(self._low, self._high))
        spent = LLM_SPENT.get(None)
        if spent is not None:
            spent[0] += time.perf_counter() - started
        async for piece in super().stream(request):
            yield piece


class Timed:
    """A port wrapped so that every call adds its duration to ``totals``."""

    def __init__(self, name: str, target: Any, totals: dict[str, float], calls: dict[str, int]) -> None:
        self._name, self._target, self._totals, self._calls = name, target, totals, calls

    def __getattr__(self, attr: str) -> Any:
        value = getattr(self._target, attr)
        if not callable(value):
            return value
        label = f"{self._name}.{attr}"
        totals, calls = self._totals, self._calls
        if inspect.iscoroutinefunction(value):
            async def timed_async(*args: Any, **kwargs: Any) -> Any:
                started = time.perf_counter()
                try:
                    return await value(*args, **kwargs)
                finally:
                    totals[label] += time.perf_counter() - started
                    calls[label] += 1
            return timed_async

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return value(*args, **kwargs)
            finally:
                totals[label] += time.perf_counter() - started
                calls[label] += 1
        return timed


class Driver:
    """Sends messages through one core and times each until its Outcome."""

    def __init__(self, core: Core, prefix: str) -> None:
        self.core = core
        self.prefix = prefix
        self._next_event = 0
        self.not_answered: dict[str, int] = defaultdict(int)
        self.in_flight = 0
        self.max_in_flight = 0
        self.llm_spent = 0.0
        self.in_flight_core: Core | None = None  # a core on the same stores with a ThinkingLLM

    def message(self, conversation: str, text: str) -> IncomingMessage:
        self._next_event += 1
        key = ConversationKey(platform="slack", workspace="T-bench", channel=f"D-{self.prefix}-{conversation}")
        return IncomingMessage(
            event_id=f"{self.prefix}-{self._next_event}", key=key, user=f"U-{conversation}", text=text, is_dm=True
        )

    async def send(self, conversation: str, n: int) -> float:
        """Wall time of one message (seconds); ``self.llm_spent`` is how much of it the model took."""
        message = self.message(conversation, f"{QUESTIONS[n % len(QUESTIONS)]} (#{n})")
        spent = [0.0]
        token = LLM_SPENT.set(spent)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        outcome: Outcome | None = None
        started = time.perf_counter()
        try:
            async for event in self.core.chat.handle(message):
                if isinstance(event, Outcome):
                    elapsed = time.perf_counter() - started
                    outcome = event
        finally:
            self.in_flight -= 1
            LLM_SPENT.reset(token)
        self.llm_spent = spent[0]
        if outcome is None:
            elapsed = time.perf_counter() - started
        if outcome is None or outcome.kind is not OutcomeKind.ANSWERED:
            self.not_answered[outcome.reason if outcome else "no outcome"] += 1
        return elapsed

    async def sequential(self, messages: int, *, conversations: int = 50, tag: str = "seq") -> list[float]:
        return [await self.send(f"{tag}{i % conversations}", i) for i in range(messages)]

    async def concurrent(self, conversations: int, messages: int, *, tag: str = "con") -> tuple[list[float], dict]:
        latencies: list[float] = []

        async def one_conversation(c: int) -> None:
            for n in range(messages):
                latencies.append(await self.send(f"{tag}{c}", n))

        self.max_in_flight = 0
        cpu, wall = time.process_time(), time.perf_counter()
        await asyncio.gather(*(one_conversation(c) for c in range(conversations)))
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        count = conversations * messages
        return latencies, {
            "wall_s": round(wall, 3),
            "messages_per_s": round(count / wall, 1),
            "wall_ms_per_message": round(wall * 1000 / count, 3),
            "cpu_ms_per_message": round(cpu * 1000 / count, 3),
            "max_in_flight": self.max_in_flight,
        }

    async def in_flight_phase(self, conversations: int, messages: int, *, spread: float,
                              tag: str = "inf") -> tuple[list[float], list[float], dict]:
        """Conversations starting at random times within ``spread`` seconds; overheads exclude the model."""
        latencies: list[float] = []
        overheads: list[float] = []
        starts = random.Random(11)
        offsets = [starts.uniform(0, spread) for _ in range(conversations)]

        async def one_conversation(c: int) -> None:
            await asyncio.sleep(offsets[c])
            for n in range(messages):
                elapsed = await self.send(f"{tag}{c}", n)
                latencies.append(elapsed)
                overheads.append(elapsed - self.llm_spent)

        self.max_in_flight = 0
        wall = time.perf_counter()
        await asyncio.gather(*(one_conversation(c) for c in range(conversations)))
        wall = time.perf_counter() - wall
        count = conversations * messages
        return latencies, overheads, {
            "wall_s": round(wall, 3),
            "messages_per_s": round(count / wall, 1),
            "max_in_flight": self.max_in_flight,
        }


def build_core(database: Database, llm: LLMProvider, *, stores: Stores | None = None,
               tokens: TokenCounter | None = None) -> Core:
    return assemble_core(
        stores=stores or sql_stores(database),
        llm=llm,
        tokens=tokens or TiktokenCounter(),
        clock=SystemClock(),
        options=CoreOptions(default_model=MODEL),
        metrics=PrometheusMetrics(),  # as every process counts (core/observability)
    )


async def run_phases(driver: Driver, args: argparse.Namespace, *, conversations: int, messages: int,
                     sequential: int) -> dict[str, Any]:
    # Warm-up: caches (SQLAlchemy's compiled statements, the BPE tables), the
    # connection pool, and one turn pair in every conversation measured later.
    await driver.sequential(args.warmup, tag="seq")
    await driver.concurrent(conversations, 1, tag="con")
    gc.freeze()  # as every Parley process does after start-up (core/process.py)

    cpu = time.process_time()
    seq = await driver.sequential(sequential, tag="seq")
    cpu = time.process_time() - cpu
    con, load = await driver.concurrent(conversations, messages, tag="con")
    if driver.in_flight_core is not None:
        in_flight = Driver(driver.in_flight_core, prefix=f"{driver.prefix}-inf")
        latencies, overheads, inf_load = await in_flight.in_flight_phase(
            conversations, args.inflight_messages, spread=(args.llm_delay_low + args.llm_delay_high) / 2
        )
        for reason, count in in_flight.not_answered.items():
            driver.not_answered[reason] += count
        in_flight_result = {
            "conversations": conversations, "messages_each": args.inflight_messages,
            "llm_delay_s": [args.llm_delay_low, args.llm_delay_high],
            "overhead": summarise_ms(overheads), "latency": summarise_ms(latencies), **inf_load,
        }
    return {
        "sequential": {**summarise_ms(seq), "cpu_ms_per_message": round(cpu * 1000 / sequential, 3)},
        "concurrent": {"conversations": conversations, "messages_each": messages, **summarise_ms(con), **load},
        **({"in_flight": in_flight_result} if driver.in_flight_core is not None else {}),
    }


async def breakdown(database: Database, messages: int) -> dict[str, Any]:
    """A sequential pass with every port call timed: mean ms per message."""
    totals: dict[str, float] = defaultdict(float)
    calls: dict[str, int] = defaultdict(int)
    plain = sql_stores(database)
    stores = Stores(**{name: Timed(name, getattr(plain, name), totals, calls) for name in STORE_FIELDS})
    tokens = Timed("tokens", TiktokenCounter(), totals, calls)
    driver = Driver(build_core(database, InstantLLM(), stores=stores, tokens=tokens), prefix="breakdown")
    await driver.sequential(20, tag="bd")
    totals.clear()
    calls.clear()
    latencies = await driver.sequential(messages, tag="bd")
    total_ms = sum(latencies) * 1000 / messages
    ports = {
        label: {"ms_per_message": round(totals[label] * 1000 / messages, 3), "calls_per_message": calls[label] / messages}
        for label in sorted(totals, key=totals.get, reverse=True)
    }
    in_ports = sum(totals.values()) * 1000 / messages
    return {
        "messages": messages,
        "mean_ms_per_message": round(total_ms, 3),
        "in_ports_ms": round(in_ports, 3),
        "outside_ports_ms": round(total_ms - in_ports, 3),
        "ports": ports,
    }


async def profile(database: Database, messages: int, top: int) -> None:
    driver = Driver(build_core(database, InstantLLM()), prefix="profile")
    await driver.sequential(20, tag="pr")
    profiler = cProfile.Profile()
    profiler.enable()
    await driver.sequential(messages, tag="pr")
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    print(out.getvalue(), file=sys.stderr)


async def end_to_end(folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    from core.llm.openai_provider import OpenAIProvider
    from tests.standins.openai_server import OpenAIStandIn

    database = await migrated_sqlite(folder / "e2e.db")
    try:
        async with OpenAIStandIn() as server:
            llm = OpenAIProvider(
                api_key="bench", base_url=server.base_url, timeout=30.0, max_retries=0,
                token_counter=TiktokenCounter(),
            )
            try:
                driver = Driver(build_core(database, llm), prefix="e2e")
                result = await run_phases(
                    driver, args, conversations=args.conversations, messages=args.e2e_messages,
                    sequential=args.e2e_sequential,
                )
                result["not_answered"] = dict(driver.not_answered)
                return result
            finally:
                await llm.close()
    finally:
        await database.dispose()


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    quiet_logging(args.log_level)
    result: dict[str, Any] = {
        "benchmark": "core_overhead",
        "machine": machine(),
        "code": code_version(),
        "settings": {
            "database": "SQLite file (WAL), migrated to head; stores via Database.run (sqlite3 on one worker thread)",
            "llm": "InstantLLM: in-process, answers at once (2 text pieces + usage)",
            "log_level": args.log_level,
            "warmup_messages": args.warmup + args.conversations,
        },
    }
    with tempfile.TemporaryDirectory(prefix="parley-bench-") as tmp:
        folder = Path(tmp)
        database = await migrated_sqlite(folder / "core.db")
        try:
            driver = Driver(build_core(database, InstantLLM()), prefix="core")
            if args.llm_delay_high > 0:
                driver.in_flight_core = build_core(database, ThinkingLLM(args.llm_delay_low, args.llm_delay_high))
            result.update(await run_phases(
                driver, args, conversations=args.conversations, messages=args.messages, sequential=args.sequential
            ))
            result["not_answered"] = dict(driver.not_answered)
            result["breakdown"] = await breakdown(database, args.breakdown)
            if args.profile:
                await profile(database, args.sequential, args.profile_top)
        finally:
            await database.dispose()
        if args.e2e:
            result["end_to_end"] = await end_to_end(folder, args)
    result["machine"]["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]

    def met(figures: dict[str, Any]) -> dict[str, bool]:
        return {"p50_le_5ms": figures["p50_ms"] <= 5, "p99_le_25ms": figures["p99_ms"] <= 25}

    result["targets"] = {
        "sequential": met(result["sequential"]),
        "concurrent_latency": met(result["concurrent"]),
        **({"in_flight_overhead": met(result["in_flight"]["overhead"])} if "in_flight" in result else {}),
    }
    return result


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.core_overhead", description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, default=200, help="conversations in flight (default 200)")
    parser.add_argument("--messages", type=int, default=10, help="messages per conversation, concurrent phase")
    parser.add_argument("--sequential", type=int, default=500, help="messages in the sequential phase")
    parser.add_argument("--warmup", type=int, default=100, help="sequential warm-up messages")
    parser.add_argument("--inflight-messages", type=int, default=3, help="messages per conversation, in-flight phase")
    parser.add_argument("--llm-delay-low", type=float, default=2.5, help="in-flight phase: shortest model time (s)")
    parser.add_argument("--llm-delay-high", type=float, default=7.5,
                        help="in-flight phase: longest model time (s); 0 skips the phase")
    parser.add_argument("--breakdown", type=int, default=300, help="messages in the per-port breakdown")
    parser.add_argument("--log-level", default="INFO", help="core log level (logs go to /dev/null)")
    parser.add_argument("--no-e2e", dest="e2e", action="store_false", help="skip the OpenAIProvider + stand-in run")
    parser.add_argument("--e2e-messages", type=int, default=3, help="messages per conversation, e2e concurrent")
    parser.add_argument("--e2e-sequential", type=int, default=300, help="messages in the e2e sequential phase")
    parser.add_argument("--profile", action="store_true", help="cProfile a sequential pass to stderr")
    parser.add_argument("--profile-top", type=int, default=40)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    result = asyncio.run(main_async(args))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
