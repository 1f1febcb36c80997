"""Readiness: can this process do its work now?  Every check at once, each bounded, the whole within a second.

A check is an async callable that returns None when all is well, or one short
line saying what is wrong (it may also raise: the exception's class names the
problem).  ``Readiness.run`` starts them all together and waits at most
``timeout`` seconds; a check still running then is reported as not answering
and left to be cancelled, never awaited, so a probe never waits longer.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass

Check = Callable[[], Awaitable[str | None]]

READY_TIMEOUT_SECONDS = 0.8  # under the one second a probe may take, with room for the HTTP round trip
OK = "ok"


@dataclass(frozen=True, slots=True)
class ReadinessReport:
    checks: Mapping[str, str]  # name → "ok" or what is wrong
    seconds: float

    @property
    def ready(self) -> bool:
        return all(state == OK for state in self.checks.values())

    @property
    def down(self) -> list[str]:
        return [name for name, state in self.checks.items() if state != OK]

    def as_json(self) -> dict[str, object]:
        return {"ready": self.ready, "down": self.down, "checks": dict(self.checks), "seconds": round(self.seconds, 3)}


class Readiness:
    def __init__(self, checks: Mapping[str, Check] | None = None, *, timeout: float = READY_TIMEOUT_SECONDS) -> None:
        self._checks: dict[str, Check] = dict(checks or {})
        self._timeout = timeout

    def add(self, name: str, check: Check) -> None:
        """One more check (an adapter adds its platform connection once it has one)."""
        self._checks[name] = check

    async def run(self) -> ReadinessReport:
        started = time.perf_counter()
        tasks = {name: asyncio.ensure_future(_one(check)) for name, check in self._checks.items()}
        if tasks:
            await asyncio.wait(tasks.values(), timeout=self._timeout)
        states: dict[str, str] = {}
        for name, task in tasks.items():
            if task.done():
                states[name] = task.result()
            else:
                task.cancel()
                task.add_done_callback(_swallow)
                states[name] = f"no answer within {self._timeout:g} s"
        return ReadinessReport(checks=states, seconds=time.perf_counter() - started)


async def _one(check: Check) -> str:
    try:
        problem = await check()
    except Exception as error:  # a check that raises is a service that is down, said in one line
        return _describe(error)
    return OK if problem is None else problem


def not_yet(what: str) -> Check:
    """A check that fails until the adapter replaces it (``Readiness.add`` with the same name)."""

    async def check() -> str | None:
        return what

    return check


def _describe(error: BaseException) -> str:
    detail = " ".join(str(error).split())[:200]
    return f"{type(error).__name__}: {detail}" if detail else type(error).__name__


def _swallow(task: asyncio.Future) -> None:
    with suppress(asyncio.CancelledError, Exception):
        task.result()
