"""Performance benchmarks: scripts that print one JSON object on stdout.

    python -m bench.core_overhead     # the core's own overhead per message
    python -m bench.memory_window     # memory window load time vs stored history
    python -m bench.local_model       # the bundled local model through the core (needs the local extra)

These are measurements, not tests: nothing here asserts a target.  The
figures and what they mean are in docs/PERFORMANCE.md.  This module holds the
helpers the scripts share.
"""

from __future__ import annotations

import contextlib
import math
import os
import platform
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from core.llm_types import CompletionRequest
from core.log import configure_logging
from core.messages import Usage
from core.storage.database import Database
from core.storage.migrate import upgrade_to_head

ANSWER_PIECES = ("Sure, ", "here is a short answer.")


class InstantLLM:
    """An in-process LLMProvider that answers at once.

    Two text pieces, then one Usage, with no I/O and no awaits in between: the
    time a message takes is then the core's own (storage, memory window,
    token counting, logging, the event loop), not the model's.
    """

    def __init__(self) -> None:
        self.requests = 0

    async def stream(self, request: CompletionRequest) -> AsyncIterator[str | Usage]:
        self.requests += 1
        for piece in ANSWER_PIECES:
            yield piece
        yield Usage(prompt_tokens=50, completion_tokens=6)


@contextlib.contextmanager
def sampled(pids: Sequence[int], *, label: str) -> Iterator[None]:
    """py-spy's samples of these processes while the block runs, when BENCH_PROFILE_DIR names a directory.

    Each process's stacks go to ``<dir>/<label>-<pid>.txt`` (py-spy's raw, collapsed format: one stack and
    its count a line), idle time left out: where the busy time of a burst went, without its start-up.
    ``BENCH_PROFILE_RATE``: samples a second (250); ``BENCH_PROFILE_DELAY``: seconds into the block before
    sampling starts (0), to see one part of a burst alone.
    py-spy is not a dependency: ``pip install py-spy`` (or BENCH_PY_SPY=/path/to/py-spy).
    """
    directory = os.environ.get("BENCH_PROFILE_DIR")
    if not directory:
        yield
        return
    py_spy = os.environ.get("BENCH_PY_SPY") or shutil.which("py-spy")
    if not py_spy:
        raise SystemExit("BENCH_PROFILE_DIR is set but py-spy is not installed (pip install py-spy)")
    Path(directory).mkdir(parents=True, exist_ok=True)
    rate = int(os.environ.get("BENCH_PROFILE_RATE") or 250)  # samples a second
    delay = float(os.environ.get("BENCH_PROFILE_DELAY") or 0)  # e.g. 2.05: only once the LLM's 2 s are over
    samplers = [
        subprocess.Popen(
            # py-spy starts BENCH_PROFILE_DELAY seconds into the block (sh sleeps, then becomes py-spy)
            ["sh", "-c", 'sleep "$0" && exec "$@"', str(delay), py_spy, "record", "--pid", str(pid), "--rate", str(rate),
             "--format", "raw", "-o", str(Path(directory) / f"{label}-{pid}.txt")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        for pid in pids
    ]
    try:
        yield
    finally:
        for sampler in samplers:
            sampler.send_signal(signal.SIGINT)  # py-spy writes what it has and exits
        for sampler in samplers:
            sampler.wait(timeout=30)


def percentile(ordered: Sequence[float], p: float) -> float:
    """The p-th percentile (0-100) of already sorted values, linear between ranks."""
    if not ordered:
        return math.nan
    rank = (len(ordered) - 1) * p / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summarise_ms(seconds: Sequence[float]) -> dict[str, Any]:
    """n, mean, p50/p95/p99/max in milliseconds (3 decimals) of durations in seconds."""
    ordered = sorted(s * 1000 for s in seconds)
    if not ordered:
        return {"n": 0}
    return {
        "n": len(ordered),
        "mean_ms": round(sum(ordered) / len(ordered), 3),
        "p50_ms": round(percentile(ordered, 50), 3),
        "p95_ms": round(percentile(ordered, 95), 3),
        "p99_ms": round(percentile(ordered, 99), 3),
        "max_ms": round(ordered[-1], 3),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine() -> dict[str, Any]:
    return {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "sqlite": sqlite3.sqlite_version,
        "sqlalchemy": _version("SQLAlchemy"),
        "aiosqlite": _version("aiosqlite"),
        "openai": _version("openai"),
        "loadavg_start": [round(x, 2) for x in os.getloadavg()],
    }


def code_version() -> dict[str, Any]:
    """The commit measured, and whether the working tree differed from it."""
    root = Path(__file__).resolve().parents[1]

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()

    try:
        return {"commit": git("rev-parse", "--short", "HEAD"), "dirty": bool(git("status", "--porcelain", "core"))}
    except (OSError, subprocess.SubprocessError):
        return {"commit": "unknown", "dirty": None}


def quiet_logging(level: str) -> None:
    """Production logging (JSON, secrets masked) at ``level``, written to /dev/null.

    The cost of building and rendering each log event stays in the figures;
    only the terminal I/O goes, and stdout carries nothing but the result.
    """
    configure_logging(log_format="json", level=level, stream=open(os.devnull, "w"))  # noqa: SIM115


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


async def migrated_sqlite(path: Path) -> Database:
    """A fresh SQLite file at ``path``, migrated to head, opened as the app opens it."""
    url = sqlite_url(path)
    await upgrade_to_head(url)
    return Database.from_url(url)
