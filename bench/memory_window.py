"""Loading the memory window vs stored history: ``python -m bench.memory_window``.

Times ``MemoryWindowBuilder.build()`` (the production builder over
``SqlConversationStore`` on migrated SQLite files, ``TiktokenCounter``, the
built-in persona's 3,000-token budget) with summaries off, so no LLM call is
made and every build reads the same rows: the running summary (none here) and
the newest turns (index + ``LIMIT fetch_limit``, 200).

Scenarios, each a conversation under test in some database:

small_10            a database whose channel holds 10 turns (the conversation).
channel_100k_conv_10
                    a channel holding 100,000 turns: 1,000 other threads of 99
                    turns, a 990-turn thread and the 10-turn conversation under
                    test; same window as small_10.
small_200           a database holding one 200-turn conversation: a full
                    fetch (200 rows), window trimmed to the budget.
channel_100k_conv_990
                    the 990-turn thread of that 100,000-turn channel.
conversation_100k   one conversation (a DM) that itself holds 100,000 turns.
conversation_100k_summarised
                    another 100,000-turn DM whose running summary covers all
                    but its newest 10 turns: the steady state of a long
                    conversation with summaries on (summary + 10 turns read).

Rows are bulk-inserted with one multi-row INSERT per 5,000 turns, the
threads interleaved so a conversation's ids are spread over the whole table.
Timed builds run round-robin over the scenarios (so background noise hits all
of them alike) after a warm-up.  Prints one JSON object on stdout, with the
SQLite query plans of the statements a build runs.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, insert, select

from bench import InstantLLM, code_version, machine, migrated_sqlite, quiet_logging, summarise_ms
from core.chat.memory import MemoryWindowBuilder
from core.messages import ConversationKey
from core.personas.values import builtin_persona
from core.storage.conversations import SqlConversationStore
from core.storage.database import Database
from core.storage.models import ConversationTurnRow
from core.records import Summary
from core.tokens import MESSAGE_OVERHEAD_TOKENS, TiktokenCounter

MODEL = "gpt-4o-mini"
BATCH = 5_000
PLATFORM, WORKSPACE = "slack", "T-bench"
USER_TEXTS = (
    "Can you remind me what we agreed about the deploy freeze next week?",
    "How do I rotate the API key for the staging cluster without downtime?",
    "Please draft a short note to the team about the new on-call rota.",
    "What's the difference between our p95 and p99 latency targets again?",
)
ASSISTANT_TEXTS = (
    "You agreed to freeze deploys from Thursday 18:00 until Monday 09:00, with an "
    "exception for security fixes approved by the on-call lead. Alex will post the "
    "reminder in #releases on Wednesday.",
    "Create the new key first, add it to the secret store next to the old one, roll "
    "the pods so they pick it up, check the error rate for a few minutes, and only "
    "then revoke the old key. Nothing is down at any point because both keys are "
    "valid during the roll.",
    "Hi all, from Monday the on-call rota changes to one-week shifts starting on "
    "Mondays at 10:00. The schedule is pinned in #ops; swap shifts there and tag the "
    "person you swap with. Thanks!",
    "The p95 target is 300 ms and the p99 target is 1 s, both measured at the load "
    "balancer over five-minute windows; p99 alerts page, p95 only opens a ticket.",
)


def conversation(channel: str, thread: str = "") -> ConversationKey:
    return ConversationKey(platform=PLATFORM, workspace=WORKSPACE, channel=channel, thread=thread)


class TurnFactory:
    """Rows for ``insert(ConversationTurnRow)``: alternating user/assistant texts, real token counts."""

    def __init__(self) -> None:
        tokens = TiktokenCounter()
        self._user = [(t, tokens.count(t, model=MODEL)) for t in USER_TEXTS]
        self._assistant = [(t, tokens.count(t, model=MODEL)) for t in ASSISTANT_TEXTS]
        self._clock = datetime(2026, 1, 1, tzinfo=timezone.utc)

    def row(self, key: ConversationKey, n: int) -> dict[str, Any]:
        assistant = n % 2 == 1
        content, count = (self._assistant if assistant else self._user)[(n // 2) % 4]
        self._clock += timedelta(seconds=1)
        return {
            "platform": key.platform, "workspace": key.workspace, "channel": key.channel, "thread": key.thread,
            "role": "assistant" if assistant else "user", "author": "parley" if assistant else f"U{n % 7}",
            "content": content, "token_count": count, "status": "ok", "created_at": self._clock,
        }


def interleaved(factory: TurnFactory, plan: list[tuple[ConversationKey, int]]) -> Iterator[dict[str, Any]]:
    """Rows for every (conversation, turns) in ``plan``, one turn of each in turn (round-robin)."""
    counters = [(key, total, itertools.count()) for key, total in plan]
    remaining = sum(total for _, total in plan)
    while remaining:
        for key, total, counter in counters:
            n = next(counter)
            if n < total:
                remaining -= 1
                yield factory.row(key, n)


async def fill(database: Database, rows: Iterator[dict[str, Any]]) -> int:
    written = 0
    for batch in iter(lambda: list(itertools.islice(rows, BATCH)), []):
        async with database.sessions.begin() as session:
            await session.execute(insert(ConversationTurnRow), batch)
        written += len(batch)
    return written


async def count_in_channel(database: Database, key: ConversationKey) -> int:
    T = ConversationTurnRow
    query = select(func.count()).select_from(T).where(
        T.platform == key.platform, T.workspace == key.workspace, T.channel == key.channel
    )
    async with database.sessions() as session:
        return int(await session.scalar(query))


SUMMARY_TEXT = (
    "The team discussed the deploy freeze (Thursday 18:00 to Monday 09:00, security "
    "fixes excepted), rotating the staging API key without downtime (add the new key, "
    "roll the pods, watch errors, revoke the old key), the new one-week on-call rota "
    "starting Mondays at 10:00, and the latency targets (p95 300 ms tickets, p99 1 s pages). "
) * 3


async def summarise_all_but(database: Database, key: ConversationKey, *, newest: int) -> None:
    """Give ``key`` a running summary through all but its ``newest`` turns."""
    T = ConversationTurnRow
    query = (
        select(T.id).where(T.platform == key.platform, T.workspace == key.workspace, T.channel == key.channel,
                           T.thread == key.thread)
        .order_by(T.id.desc()).offset(newest).limit(1)
    )
    async with database.sessions() as session:
        through = int(await session.scalar(query))
    tokens = TiktokenCounter().count(SUMMARY_TEXT, model=MODEL) + MESSAGE_OVERHEAD_TOKENS
    await SqlConversationStore(database).save_summary(
        key, Summary(text=SUMMARY_TEXT, through_turn_id=through, token_count=tokens)
    )


class Scenario:
    def __init__(self, name: str, database: Database, key: ConversationKey, stored_in_conversation: int) -> None:
        self.name = name
        self.database = database
        self.key = key
        self.stored_in_conversation = stored_in_conversation
        self.builder = MemoryWindowBuilder(
            conversations=SqlConversationStore(database), llm=InstantLLM(), tokens=TiktokenCounter(),
            summaries_enabled=False,
        )
        self.persona = builtin_persona(model=MODEL)
        self.durations: list[float] = []
        self.window: dict[str, Any] = {}

    async def build(self) -> float:
        started = time.perf_counter()
        window = await self.builder.build(self.key, persona=self.persona, user_text="And what about Friday?")
        elapsed = time.perf_counter() - started
        self.window = {
            "messages": len(window.messages), "history_tokens": window.history_tokens,
            "notices": len(window.notices),
        }
        return elapsed


async def query_plans(scenario: Scenario) -> list[dict[str, Any]]:
    """EXPLAIN QUERY PLAN of each statement one build runs (captured as executed)."""
    captured: list[tuple[str, Any]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _executemany) -> None:
        captured.append((statement, parameters))

    engine = scenario.database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", capture)
    try:
        await scenario.build()
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    plans = []
    async with scenario.database.engine.connect() as connection:
        for statement, parameters in captured:
            rows = await connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            plans.append({
                "statement": " ".join(statement.split())[:160] + ("..." if len(statement) > 160 else ""),
                "plan": [row[-1] for row in rows],
            })
    return plans


def ratio(a: dict[str, Any], b: dict[str, Any], key: str) -> float:
    return round(a[key] / b[key], 3)


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    quiet_logging(args.log_level)
    factory = TurnFactory()
    result: dict[str, Any] = {
        "benchmark": "memory_window",
        "machine": machine(),
        "code": code_version(),
        "settings": {
            "database": "SQLite files (aiosqlite, WAL), migrated to head",
            "builder": "MemoryWindowBuilder(summaries_enabled=False, fetch_limit=200)",
            "persona_memory_budget_tokens": builtin_persona(model=MODEL).memory_budget,
            "warmup_builds": args.warmup,
            "timed_builds_per_scenario": args.builds,
        },
    }
    with tempfile.TemporaryDirectory(prefix="parley-bench-") as tmp:
        folder = Path(tmp)
        databases: list[Database] = []

        async def database(name: str) -> Database:
            db = await migrated_sqlite(folder / f"{name}.db")
            databases.append(db)
            return db

        try:
            setup = time.perf_counter()
            small = await database("small")
            few_small = conversation("C-small", "1700000000.000100")
            await fill(small, interleaved(factory, [(few_small, 10)]))

            ref = await database("ref")
            ref_200 = conversation("C-ref", "1700000000.000200")
            await fill(ref, interleaved(factory, [(ref_200, 200)]))

            big = await database("big")
            few_big = conversation("C-big", "1700000000.000100")
            many_big = conversation("C-big", "1700000000.000990")
            fillers = [(conversation("C-big", f"1690000000.{i:06d}"), 99) for i in range(args.threads)]
            await fill(big, interleaved(factory, [*fillers, (many_big, 990), (few_big, 10)]))

            huge = await database("huge")
            dm = conversation("D-huge")
            dm_summarised = conversation("D-huge-summarised")
            await fill(huge, interleaved(factory, [(dm, args.turns), (dm_summarised, args.turns)]))
            await summarise_all_but(huge, dm_summarised, newest=10)
            setup = time.perf_counter() - setup

            scenarios = [
                Scenario("small_10", small, few_small, 10),
                Scenario("channel_100k_conv_10", big, few_big, 10),
                Scenario("small_200", ref, ref_200, 200),
                Scenario("channel_100k_conv_990", big, many_big, 990),
                Scenario("conversation_100k", huge, dm, args.turns),
                Scenario("conversation_100k_summarised", huge, dm_summarised, args.turns),
            ]
            stored = {
                "small_10": await count_in_channel(small, few_small),
                "channel_100k_conv_10": await count_in_channel(big, few_big),
                "small_200": await count_in_channel(ref, ref_200),
                "channel_100k_conv_990": await count_in_channel(big, many_big),
                "conversation_100k": await count_in_channel(huge, dm),
                "conversation_100k_summarised": await count_in_channel(huge, dm_summarised),
            }

            for _ in range(args.warmup):
                for scenario in scenarios:
                    await scenario.build()
            for _ in range(args.builds):
                for scenario in scenarios:
                    scenario.durations.append(await scenario.build())

            figures = {}
            for scenario in scenarios:
                figures[scenario.name] = {
                    "turns_in_channel": stored[scenario.name],
                    "turns_in_conversation": scenario.stored_in_conversation,
                    "window": scenario.window,
                    **summarise_ms(scenario.durations),
                }
            result["setup_s"] = round(setup, 1)
            result["database_bytes"] = {
                name: os.path.getsize(folder / f"{name}.db") for name in ("small", "ref", "big", "huge")
            }
            result["scenarios"] = figures
            f = figures
            result["ratios"] = {
                "channel_100k_conv_10 / small_10": {
                    "p50": ratio(f["channel_100k_conv_10"], f["small_10"], "p50_ms"),
                    "p99": ratio(f["channel_100k_conv_10"], f["small_10"], "p99_ms"),
                },
                "channel_100k_conv_990 / small_200": {
                    "p50": ratio(f["channel_100k_conv_990"], f["small_200"], "p50_ms"),
                    "p99": ratio(f["channel_100k_conv_990"], f["small_200"], "p99_ms"),
                },
                "conversation_100k / small_200": {
                    "p50": ratio(f["conversation_100k"], f["small_200"], "p50_ms"),
                    "p99": ratio(f["conversation_100k"], f["small_200"], "p99_ms"),
                },
                "channel_100k_conv_990 / small_10": {
                    "p50": ratio(f["channel_100k_conv_990"], f["small_10"], "p50_ms"),
                    "p99": ratio(f["channel_100k_conv_990"], f["small_10"], "p99_ms"),
                },
                "conversation_100k_summarised / small_10": {
                    "p50": ratio(f["conversation_100k_summarised"], f["small_10"], "p50_ms"),
                    "p99": ratio(f["conversation_100k_summarised"], f["small_10"], "p99_ms"),
                },
                "conversation_100k / small_10": {
                    "p50": ratio(f["conversation_100k"], f["small_10"], "p50_ms"),
                    "p99": ratio(f["conversation_100k"], f["small_10"], "p99_ms"),
                },
            }
            result["query_plans"] = await query_plans(scenarios[-2])
        finally:
            for db in databases:
                await db.dispose()
    result["machine"]["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    return result


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.memory_window", description=__doc__.split("\n")[0])
    parser.add_argument("--builds", type=int, default=500, help="timed builds per scenario (default 500)")
    parser.add_argument("--warmup", type=int, default=50, help="untimed builds per scenario first")
    parser.add_argument("--threads", type=int, default=1_000, help="other threads in the 100,000-turn channel")
    parser.add_argument("--turns", type=int, default=100_000, help="turns in the one big conversation")
    parser.add_argument("--log-level", default="INFO", help="core log level (logs go to /dev/null)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    print(json.dumps(asyncio.run(main_async(args)), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
