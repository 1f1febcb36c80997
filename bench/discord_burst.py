"""A burst of Discord mentions, end to end: ``python -m bench.discord_burst``.

The Discord counterpart of ``bench.slack_burst``.  The real ``python -m bots.discord``
process (discord.py, the openai SDK, the core, SQLite) runs against the stand-in
Discord (REST and the gateway websocket, in this process) and the stand-in
OpenAI server (in a child process, ``bench.slack_burst.LLMChild``).  N messages,
each mentioning the bot in a text channel of its own from a person of its own,
are delivered at once over the gateway (MESSAGE_CREATE, the stand-in's
``send_message``).  The channels are in the guild the stand-in sends at
IDENTIFY (GUILD_CREATE), as a guild that has them would be; Parley answers each
in a thread it starts on the message (thread id = message id).

Measured per message, from the moment its delivery starts: its thread started
(where the time before the model goes), the first text shown
(the bot's first message posted or edited with text, in the channel or its
thread) and the whole answer shown (the bot's last write there, once the echo
answer is complete and settled: the last edit carries the 👍 / 👎 buttons); and
from the LLM's first token (the stand-in OpenAI's clock: CLOCK_MONOTONIC is one
clock for every process on the machine) to that first text.  For the Parley
process: CPU time (user + system, from /proc) per message over the burst, and
its peak RSS (VmHWM).  For Discord: REST calls per answer (by route), the 429s
its per-route buckets gave, and the most calls in any one second (Discord also
limits a bot to 50 requests a second in all, which the stand-in does not apply:
this figure says how far a burst would go over it).

Scenarios (``--only`` picks some): moderation off and on with the LLM answering
at once, and the LLM answering after 2 s.  A warm-up burst (10) comes first.
Prints one JSON object.

Parley's own limits are opened for the burst, as in ``bench.slack_burst``: rate
limits far above 200 a minute, LLM_MAX_CONCURRENCY=200, LLM_QUEUE_MAX=1000.
STREAM_EDIT_INTERVAL_SECONDS keeps its default (1 s): the settling edit of an
answer waits for it, so the whole answer is shown about a second after the
first text however fast the model is.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from bench import sampled, summarise_ms
from bench.slack_burst import LLMChild, burst_arguments, cpu_seconds, peak_rss_mib, run_bursts
from tests.bots.discord.test_connection import bot_env
from tests.standins.discord_server import BOT, FAKE_TOKEN, TEXT_CHANNELS, DiscordStandIn, RestCall, User

CHANNEL_BASE = 1_310_000_000_000_000_000  # the burst's text channels: + round * 100,000 + n
USER_BASE = 1_510_000_000_000_000_000  # its people, likewise
MESSAGE_ROUTES = ("/channels/{channel_id}/messages", "/channels/{channel_id}/messages/{message_id}")
THREAD_ROUTE = "/channels/{channel_id}/messages/{message_id}/threads"
READY_TIMEOUT = 60.0


# -- the burst's channels, in the stand-in's guild ---------------------------------------------------


def channel_id(round_: int, n: int) -> int:
    return CHANNEL_BASE + round_ * 100_000 + n


@contextmanager
def burst_channels(rounds: dict[int, int]) -> Iterator[None]:
    """Text channels ``channel_id(round, n)`` for n < count, in the stand-in's one guild while it lasts.

    The stand-in's world is fixed (GENERAL and QUIET); its text channels are one
    dict, read when it sends GUILD_CREATE and when it serves a channel's routes.
    Added before Parley connects, they reach it as a guild with that many channels.
    """
    added = [channel_id(r, n) for r, count in rounds.items() for n in range(count)]
    for cid in added:
        TEXT_CHANNELS[cid] = f"burst-{cid - CHANNEL_BASE}"
    try:
        yield
    finally:
        for cid in added:
            TEXT_CHANNELS.pop(cid, None)


# -- the Parley process ------------------------------------------------------------------------------


async def start_parley(
    workdir: Path, discord: DiscordStandIn, *, llm_url: str, moderation: bool
) -> asyncio.subprocess.Process:
    """``python -m bots.discord``, once it has IDENTIFIed and its /readyz says the gateway is ready."""
    env = bot_env(
        workdir, DISCORD_BOT_TOKEN=FAKE_TOKEN, DISCORD_API_URL=discord.api_url,
        DISCORD_GATEWAY_URL=discord.gateway_url, OPENAI_BASE_URL=llm_url, OPENAI_API_KEY="bench-key",
        MODERATION_ENABLED=str(moderation).lower(), RATE_LIMIT_WORKSPACE="100000/minute",
        RATE_LIMIT_CHANNEL="100000/minute", RATE_LIMIT_USER="100000/minute", LLM_MAX_CONCURRENCY="200",
        LLM_QUEUE_MAX="1000",
    )  # also DATABASE_URL (SQLite in workdir), LOG_FORMAT=json, HEALTH_PORT=0
    log_path = workdir / "parley.log"
    with open(log_path, "wb") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bots.discord", cwd=workdir, env=env, stdout=asyncio.subprocess.DEVNULL,
            stderr=log,
        )
    try:
        await discord.wait_connected(identifies=len(discord.identifies) + 1, timeout=READY_TIMEOUT)
        await wait_ready(process, log_path)
    except BaseException:
        await stop_parley(process)
        sys.stderr.write(log_path.read_text(errors="replace")[-4000:])
        raise
    return process


async def wait_ready(process: asyncio.subprocess.Process, log_path: Path) -> None:
    """Until /readyz answers 200 (the port is in the ``health.started`` log line: HEALTH_PORT=0 picks one)."""
    async with asyncio.timeout(READY_TIMEOUT), aiohttp.ClientSession() as http:
        port = None
        while port is None:
            if process.returncode is not None:
                raise RuntimeError(f"python -m bots.discord exited with {process.returncode}")
            for line in log_path.read_text(errors="replace").splitlines():
                if '"health.started"' in line:
                    port = json.loads(line)["port"]
            await asyncio.sleep(0.05)
        while True:
            try:
                async with http.get(f"http://127.0.0.1:{port}/readyz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.05)


async def stop_parley(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 30)
        except TimeoutError:
            process.kill()
            await process.wait()


# -- one burst ---------------------------------------------------------------------------------------


@dataclass
class Asked:
    channel: int
    marker: str  # burst-<round>-<n>, the last word of the question and so of the echo answer
    sent_at: float
    message: int = 0  # the question's id, and the id of the thread Parley starts on it


@dataclass
class Burst:
    mentions: int
    round: int
    asked: dict[str, Asked] = field(default_factory=dict)  # marker → the question

    def places(self) -> dict[int, Asked]:
        """Channel and thread ids → their question."""
        out = {}
        for asked in self.asked.values():
            out[asked.channel] = asked
            if asked.message:
                out[asked.message] = asked
        return out


async def deliver_all(discord: DiscordStandIn, burst: Burst) -> None:
    async def one(n: int) -> None:
        person = User(USER_BASE + burst.round * 100_000 + n, f"person-{burst.round}-{n}", f"Person {n}")
        marker = f"burst-{burst.round}-{n}"
        asked = Asked(channel=channel_id(burst.round, n), marker=marker, sent_at=time.monotonic())
        burst.asked[marker] = asked
        message = await discord.send_message(person, asked.channel, f"<@{BOT}> a question, {marker}")
        asked.message = int(message["id"])

    await asyncio.gather(*(one(n) for n in range(burst.mentions)))


def settled(discord: DiscordStandIn, burst: Burst) -> set[str]:
    """The markers whose answer is shown whole: the bot's message reads the full echo and has its buttons."""
    places = burst.places()
    done = set()
    for message in discord.messages.values():
        asked = places.get(int(message["channel_id"]))
        if asked is None or int(message["author"]["id"]) != BOT or not message.get("components"):
            continue
        if re.search(rf"\b{re.escape(asked.marker)}(?!\d)", message["content"]):
            done.add(asked.marker)
    return done


def _writes_text(call: RestCall) -> bool:
    return call.method in ("POST", "PATCH") and bool(str((call.json or {}).get("content") or "").strip())


def _peak_per_second(moments: list[float]) -> int:
    moments = sorted(moments)
    best, start = 0, 0
    for end, at in enumerate(moments):
        while at - moments[start] >= 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


async def run_burst(discord: DiscordStandIn, pid: int, burst: Burst, *, timeout: float) -> dict[str, Any]:
    calls_before = len(discord.calls)
    cpu_before = cpu_seconds(pid)
    started = time.monotonic()
    with sampled([pid], label=f"discord-round{burst.round}"):
        await deliver_all(discord, burst)
        deadline = started + timeout
        while len(settled(discord, burst)) < burst.mentions and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
    wall = time.monotonic() - started
    cpu = cpu_seconds(pid) - cpu_before
    calls = discord.calls[calls_before:]
    places = burst.places()
    thread_started: dict[str, float] = {}
    first_text: dict[str, float] = {}
    last_write: dict[str, float] = {}
    for call in calls:
        asked = places.get(int(call.params.get("channel_id") or 0))
        if asked is not None and call.route == THREAD_ROUTE and call.status < 300:
            thread_started.setdefault(asked.marker, call.at)
        if asked is None or call.route not in MESSAGE_ROUTES or call.status >= 300 or call.method == "GET":
            continue
        if _writes_text(call) and asked.marker not in first_text:
            first_text[asked.marker] = call.at
        last_write[asked.marker] = call.at
    done = settled(discord, burst)
    sent = {marker: asked.sent_at for marker, asked in burst.asked.items()}
    return {
        "answered": len(done),
        "wall_s": round(wall, 3),
        "answers_per_s": round(len(done) / wall, 1) if wall else None,
        "thread_started": summarise_ms([thread_started[m] - sent[m] for m in done if m in thread_started]),
        "first_text": summarise_ms([first_text[m] - sent[m] for m in done if m in first_text]),
        "whole_answer": summarise_ms([last_write[m] - sent[m] for m in done if m in last_write]),
        "cpu_ms_per_message": round(cpu * 1000 / burst.mentions, 2),
        "discord_calls_per_answer": round(len(calls) / burst.mentions, 2),
        "discord_calls": dict(sorted(Counter(f"{call.method} {call.route}" for call in calls).items())),
        "discord_429s": sum(1 for call in calls if call.status == 429),
        "discord_calls_peak_per_s": _peak_per_second([call.at for call in calls]),
        "_first_text_at": first_text,
    }


# -- scenarios ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    name: str
    moderation: bool = False
    llm_delay: float = 0.0


SCENARIOS = (
    Scenario("gateway"),
    Scenario("gateway_moderation", moderation=True),
    Scenario("gateway_llm_2s", llm_delay=2.0),
)


async def run_scenario(scenario: Scenario, *, mentions: int, warmup: int, timeout: float) -> dict[str, Any]:
    rounds = {0: warmup, 1: mentions}
    with tempfile.TemporaryDirectory(prefix="parley-discord-burst-") as tmp, LLMChild(scenario.llm_delay) as llm, \
            burst_channels(rounds):
        workdir = Path(tmp)
        async with DiscordStandIn() as discord:
            parley = await start_parley(workdir, discord, llm_url=llm.base_url, moderation=scenario.moderation)
            try:
                if warmup:  # imports, connections, caches: what a running process has
                    await run_burst(discord, parley.pid, Burst(warmup, round=0), timeout=timeout)
                    await asyncio.sleep(1.0)  # the stand-in's rate windows (1 s) start afresh
                result = await run_burst(discord, parley.pid, Burst(mentions, round=1), timeout=timeout)
                result["peak_rss_mib"] = peak_rss_mib(parley.pid)
            finally:
                await stop_parley(parley)
            result["broken_rules"] = [f"{c.method} {c.path} {c.code}" for c in discord.broken_rules[:5]]
            result["pings"] = len(discord.pings)
            result["unguarded_sends"] = len(discord.unguarded_sends)
        first_tokens = llm.first_tokens()
    first_text_at = result.pop("_first_text_at")
    after_token = [first_text_at[marker] - at for marker, at in first_tokens.items()
                   if marker.startswith("burst-1-") and marker in first_text_at]
    result["first_text_after_llm_first_token"] = summarise_ms(after_token)
    return {"scenario": scenario.name, "moderation": scenario.moderation, "llm_delay_s": scenario.llm_delay,
            "database": "sqlite", **result}


if __name__ == "__main__":
    arguments = burst_arguments(__doc__.split("\n")[0], SCENARIOS)
    print(json.dumps(asyncio.run(run_bursts("discord_burst", SCENARIOS, run_scenario, arguments)), indent=2))
