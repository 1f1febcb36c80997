"""A burst of Slack mentions, end to end: ``python -m bench.slack_burst``.

The real ``python -m bots.slack`` process (slack-bolt, slack_sdk, the openai SDK,
the core, SQLite or PostgreSQL) against the stand-in Slack (in this process)
and the stand-in OpenAI server (in a child process, so the two stand-ins do
not share a core with each other).  N app mentions, each in its own channel
from its own person, are delivered at once, the way Slack delivers them: over
the Socket Mode websocket, or as signed HTTP requests to the app's endpoint.

Measured per message, from the moment its delivery starts: the first text the
stand-in Slack shows (a started stream or a posted message carrying text), and
the whole answer shown (its last chat.* call); and from the LLM's first token
(the stand-in OpenAI's clock: CLOCK_MONOTONIC is one clock for every process on
the machine) to that first text.  For the Parley process: CPU time (user +
system, from /proc) per message over the burst, and its peak RSS (VmHWM).
For Slack: calls per answer, and the 429s its documented rate tiers gave.

Scenarios (``--only`` picks some): Socket Mode and HTTP mode, moderation off
and on, with the LLM answering at once; the LLM answering after 2 s; two
processes on PostgreSQL + Redis behind one HTTP endpoint (deliveries
alternate, as a round-robin balancer would) against one process on the same.
Prints one JSON object.

Parley's own limits are opened for the burst, as a deployment that expects
one sets them: rate limits far above 200 a minute, and LLM_MAX_CONCURRENCY=200
(the default, 8, protects a small self-hosted model server: 200 at once would
queue behind it and the queue's bound would turn some away).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
from collections import Counter
import json
import multiprocessing
import os
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from bench import code_version, machine, sampled, summarise_ms
from tests.bots.slack import payloads
from tests.bots.slack.conftest import APP_TOKEN, BOT_TOKEN, SIGNING_SECRET
from tests.bots.slack.test_main import environment, free_port
from tests.standins.slack_server import SlackStandIn, signed_headers

TICKS = os.sysconf("SC_CLK_TCK")
CHAT_METHODS = ("chat.startStream", "chat.appendStream", "chat.stopStream", "chat.postMessage", "chat.update")


# -- the stand-in OpenAI, in a child process -----------------------------------------------------------


def serve_llm(port_out, stop, delay: float) -> None:
    """The child: the stand-in OpenAI answering after ``delay`` s; sends back when each answer's first token went."""
    from tests.standins.openai_server import OpenAIStandIn

    first_token: dict[str, float] = {}

    class SlowStandIn(OpenAIStandIn):
        async def _answer(self, request, body, behaviour):
            if delay:
                await asyncio.sleep(delay)
            last = next((m.get("content") for m in reversed(body.get("messages") or []) if m.get("role") == "user"), "")
            marker = next((word for word in str(last).split() if word.startswith("burst-")), None)
            if marker:
                first_token.setdefault(marker, time.monotonic())
            return await super()._answer(request, body, behaviour)

    async def main() -> None:
        async with SlowStandIn() as server:
            port_out.send(server.port)
            await asyncio.get_running_loop().run_in_executor(None, stop.wait)
            port_out.send(first_token)

    asyncio.run(main())


@dataclass
class LLMChild:
    delay: float
    base_url: str = ""
    _process: Any = None
    _pipe: Any = None
    _stop: Any = None

    def __enter__(self) -> "LLMChild":
        context = multiprocessing.get_context("spawn")
        self._pipe, child_end = context.Pipe()
        self._stop = context.Event()
        self._process = context.Process(target=serve_llm, args=(child_end, self._stop, self.delay), daemon=True)
        self._process.start()
        self.base_url = f"http://127.0.0.1:{self._pipe.recv()}/v1"
        return self

    def first_tokens(self) -> dict[str, float]:
        self._stop.set()
        first = self._pipe.recv()
        self._process.join(10)
        return first

    def __exit__(self, *exc: object) -> None:
        if self._process.is_alive():
            self._stop.set()
            self._process.join(10)
            if self._process.is_alive():
                self._process.kill()


# -- the Parley processes ----------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def machine_busy() -> tuple[int, int]:
    """(busy, total) jiffies of every CPU of the machine so far, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return sum(fields) - idle, sum(fields)


def busy_share(before: tuple[int, int], after: tuple[int, int]) -> float:
    """How much of the machine's CPU (all cores, every process) was busy between two readings, 0-1."""
    total = after[1] - before[1]
    return round((after[0] - before[0]) / total, 2) if total else float("nan")


def peak_rss_mib(pid: int) -> float:
    return _status_mib(pid, "VmHWM:")


def rss_mib(pid: int) -> float:
    return _status_mib(pid, "VmRSS:")


def _status_mib(pid: int, field_name: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field_name):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


@dataclass
class Parley:
    process: asyncio.subprocess.Process
    port: int | None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


async def start_parley(
    workdir: Path, slack: SlackStandIn, *, mode: str, llm_url: str, database_url: str, moderation: bool,
    redis_url: str | None, index: int,
) -> Parley:
    env = environment(
        workdir, DATABASE_URL=database_url, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_API_URL=slack.base_url,
        OPENAI_BASE_URL=llm_url, OPENAI_API_KEY="bench-key", MODERATION_ENABLED=str(moderation).lower(),
        LOG_FORMAT="json", RATE_LIMIT_WORKSPACE="100000/minute", RATE_LIMIT_CHANNEL="100000/minute",
        RATE_LIMIT_USER="100000/minute", LLM_MAX_CONCURRENCY="200", LLM_QUEUE_MAX="1000",
    )
    if redis_url:
        env["RATE_LIMIT_STORAGE_URL"] = redis_url
    port = None
    if mode == "socket":
        env["SLACK_APP_TOKEN"] = APP_TOKEN
    else:
        env["SLACK_SIGNING_SECRET"] = SIGNING_SECRET
        port = free_port()
        env["PORT"] = str(port)
    log = open(workdir / f"parley-{index}.log", "wb")  # noqa: SIM115 (closed with the process)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bots.slack", cwd=workdir, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=log,
    )
    log.close()
    parley = Parley(process=process, port=port)
    if mode == "socket":
        await slack.wait_for_socket(opened=slack.sockets_opened + 1, timeout=60)
    else:
        async with aiohttp.ClientSession() as http, asyncio.timeout(60):
            while True:
                try:
                    async with http.get(parley.url + "/healthz") as response:
                        if response.status == 200:
                            break
                except aiohttp.ClientConnectionError:
                    pass
                await asyncio.sleep(0.05)
    return parley


async def stop_parley(parley: Parley) -> None:
    if parley.process.returncode is None:
        parley.process.terminate()
        try:
            await asyncio.wait_for(parley.process.wait(), 30)
        except TimeoutError:
            parley.process.kill()
            await parley.process.wait()


# -- one burst ---------------------------------------------------------------------------------------


@dataclass
class Burst:
    mentions: int
    round: int
    sent_at: dict[str, float] = field(default_factory=dict)  # channel → when its delivery started

    def events(self) -> list[tuple[str, dict[str, Any]]]:
        out = []
        for n in range(self.mentions):
            channel, user, ts = f"C{self.round:03d}B{n:05d}", f"U{self.round:03d}B{n:05d}", payloads.next_ts()
            text = f"<@{payloads.BOT_USER}> a question, burst-{self.round}-{n}"
            out.append((channel, payloads.app_mention(text, user=user, channel=channel, ts=ts)))
        return out


async def deliver_all(slack: SlackStandIn, parleys: list[Parley], burst: Burst, *, mode: str) -> list[int]:
    events = burst.events()
    for channel, event in events:
        slack.add_user(str(event["user"]), name=f"person-{channel.lower()}")
        slack.add_message(channel, str(event["ts"]), str(event["text"]), user=str(event["user"]))
    targets = itertools.cycle(parleys)
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as http:

        async def one(channel: str, event: dict[str, Any], to: Parley) -> int:
            body = payloads.envelope(event)
            burst.sent_at[channel] = time.monotonic()
            if mode == "socket":
                envelope_id = await slack.send_envelope("events_api", body)
                await slack.wait_for_ack(envelope_id, timeout=60)
                return 200
            text = json.dumps(body)
            headers = {"Content-Type": "application/json", **signed_headers(SIGNING_SECRET, text)}
            async with http.post(to.url + "/slack/events", data=text.encode(), headers=headers) as response:
                await response.read()
                return response.status

        return await asyncio.gather(*(one(channel, event, next(targets)) for channel, event in events))


def _text_of(params: dict[str, Any]) -> str:
    chunks = params.get("chunks") or []
    if isinstance(chunks, str):
        chunks = json.loads(chunks)
    return str(params.get("markdown_text") or params.get("text") or "".join(c.get("text", "") for c in chunks))


def answered(slack: SlackStandIn, burst: Burst) -> set[str]:
    done = set()
    for message in slack.messages.values():
        if message.user == slack.bot_user_id and not message.streaming and message.channel in burst.sent_at:
            if f"burst-{burst.round}-" in message.text:
                done.add(message.channel)
    return done


async def run_burst(
    slack: SlackStandIn, llm: LLMChild, parleys: list[Parley], burst: Burst, *, mode: str, timeout: float,
) -> dict[str, Any]:
    calls_before = len(slack.calls)
    cpu_before = sum(cpu_seconds(p.process.pid) for p in parleys)
    machine_before = machine_busy()
    started = time.monotonic()
    with sampled([p.process.pid for p in parleys], label=f"slack-{mode}-round{burst.round}"):
        statuses = await deliver_all(slack, parleys, burst, mode=mode)
        deadline = started + timeout
        while len(answered(slack, burst)) < burst.mentions and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
    wall = time.monotonic() - started
    cpu = sum(cpu_seconds(p.process.pid) for p in parleys) - cpu_before
    machine_share = busy_share(machine_before, machine_busy())
    calls = slack.calls[calls_before:]
    first_text: dict[str, float] = {}
    last_call: dict[str, float] = {}
    for call in calls:
        channel = str(call.params.get("channel") or "")
        if call.method in CHAT_METHODS and channel in burst.sent_at and call.status == 200 and call.response.get("ok"):
            if _text_of(call.params) and channel not in first_text:
                first_text[channel] = call.at
            last_call[channel] = call.at
    done = answered(slack, burst)
    return {
        "statuses": sorted(set(statuses)),
        "answered": len(done),
        "wall_s": round(wall, 3),
        "answers_per_s": round(len(done) / wall, 1) if wall else None,
        "first_text": summarise_ms([first_text[c] - burst.sent_at[c] for c in done if c in first_text]),
        "whole_answer": summarise_ms([last_call[c] - burst.sent_at[c] for c in done if c in last_call]),
        "cpu_ms_per_message": round(cpu * 1000 / burst.mentions, 2),
        "machine_cpu_busy": machine_share,  # every core, every process (stand-ins, databases included)
        "slack_calls_per_answer": round(len(calls) / burst.mentions, 2),
        "slack_calls": dict(sorted(Counter(call.method for call in calls).items())),
        "slack_429s": sum(1 for call in calls if call.status == 429),
        "_first_text_at": first_text,
    }


# -- scenarios ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    name: str
    mode: str
    moderation: bool = False
    llm_delay: float = 0.0
    processes: int = 1
    postgres: bool = False


SCENARIOS = (
    Scenario("socket", "socket"),
    Scenario("http", "http"),
    Scenario("socket_moderation", "socket", moderation=True),
    Scenario("http_moderation", "http", moderation=True),
    Scenario("http_llm_2s", "http", llm_delay=2.0),
    Scenario("http_postgres_1_process", "http", processes=1, postgres=True),
    Scenario("http_postgres_2_processes", "http", processes=2, postgres=True),
)


async def postgres_database() -> tuple[str, str]:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    name = f"parley_bench_{uuid.uuid4().hex[:8]}"
    engine = create_async_engine("postgresql+asyncpg://postgres@127.0.0.1:5432/test", isolation_level="AUTOCOMMIT")
    async with engine.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    await engine.dispose()
    return f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}", name


async def flush_redis(url: str) -> None:
    from redis.asyncio import Redis

    redis = Redis.from_url(url)
    try:
        await redis.flushdb()
    finally:
        await redis.aclose()


async def drop_postgres_database(name: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine("postgresql+asyncpg://postgres@127.0.0.1:5432/test", isolation_level="AUTOCOMMIT")
    async with engine.connect() as connection:
        await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await engine.dispose()


async def run_scenario(scenario: Scenario, *, mentions: int, warmup: int, timeout: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="parley-burst-") as tmp, LLMChild(scenario.llm_delay) as llm:
        workdir = Path(tmp)
        database_url, pg_name = f"sqlite+aiosqlite:///{workdir / 'parley.db'}", None
        redis_url = None
        if scenario.postgres:
            database_url, pg_name = await postgres_database()
            redis_url = f"redis://127.0.0.1:6379/{7}"
            await flush_redis(redis_url)  # no tier counts or windows left from an earlier scenario or run
        try:
            async with SlackStandIn(
                team_id=payloads.TEAM, bot_user_id=payloads.BOT_USER, bot_id=payloads.BOT_ID,
            ) as slack:
                parleys = []
                for index in range(scenario.processes):
                    parleys.append(await start_parley(
                        workdir, slack, mode=scenario.mode, llm_url=llm.base_url, database_url=database_url,
                        moderation=scenario.moderation, redis_url=redis_url, index=index,
                    ))
                try:
                    if warmup:  # imports, connections, caches: what a running process has
                        await run_burst(slack, llm, parleys, Burst(warmup, round=0), mode=scenario.mode,
                                        timeout=timeout)
                        slack.rate_limits = type(slack.rate_limits)(lambda: slack.clock())  # a fresh minute
                        if redis_url:  # for Parley's count of Slack's tiers too
                            await flush_redis(redis_url)
                    rss_before = [rss_mib(p.process.pid) for p in parleys]
                    result = await run_burst(slack, llm, parleys, Burst(mentions, round=1), mode=scenario.mode,
                                             timeout=timeout)
                    result["rss_before_burst_mib"] = rss_before
                    result["peak_rss_mib"] = [peak_rss_mib(p.process.pid) for p in parleys]
                finally:
                    for parley in parleys:
                        await stop_parley(parley)
                result["violations"] = slack.violations[:5]
                result["notes_to_people"] = sorted({e.text[:120] for e in slack.ephemerals})[:5]
        finally:
            if pg_name:
                await drop_postgres_database(pg_name)
        first_tokens = llm.first_tokens()
    first_text_at = result.pop("_first_text_at")
    after_token = [first_text_at[channel] - first_tokens[marker]
                   for marker in first_tokens if marker.startswith("burst-1-")
                   for channel in [f"C001B{int(marker.rsplit('-', 1)[1]):05d}"] if channel in first_text_at]
    result["first_text_after_llm_first_token"] = summarise_ms(after_token)
    return {"scenario": scenario.name, "mode": scenario.mode, "moderation": scenario.moderation,
            "llm_delay_s": scenario.llm_delay, "processes": scenario.processes,
            "database": "postgresql+redis" if scenario.postgres else "sqlite", **result}


async def run_bursts(benchmark: str, scenarios, run_scenario, args: argparse.Namespace) -> dict[str, Any]:
    """Each chosen scenario (``--only``) in turn, each result also on stderr as it comes; one JSON object."""
    started_on = machine()  # its load average is the one before the bursts
    results = []
    for scenario in [s for s in scenarios if not args.only or s.name in args.only]:
        results.append(await run_scenario(scenario, mentions=args.mentions, warmup=args.warmup, timeout=args.timeout))
        print(json.dumps(results[-1]), file=sys.stderr)
    return {"benchmark": benchmark, "mentions": args.mentions, **code_version(), "machine": started_on,
            "loadavg_end": [round(x, 2) for x in os.getloadavg()], "scenarios": results}


def burst_arguments(description: str, scenarios) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--mentions", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for every answer")
    parser.add_argument("--only", nargs="*", choices=[s.name for s in scenarios])
    return parser.parse_args()


if __name__ == "__main__":
    arguments = burst_arguments(__doc__.split("\n")[0], SCENARIOS)
    print(json.dumps(asyncio.run(run_bursts("slack_burst", SCENARIOS, run_scenario, arguments)), indent=2))
