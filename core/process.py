"""What every process's composition root does the same way at start and exit.

A start-up problem is one line on stderr and an exit code, never a traceback:
2 for settings (including an LLM choice that cannot work), 1 for a service
that is down (the database, the platform).

At exit: ``stop_signal`` turns SIGTERM/SIGINT into an event to wait on, and
``InFlight`` counts the work still running after its delivery was taken, so
that a composition root can stop taking deliveries, drain what is in flight
for a bounded time, cancel the rest and close the core.
"""

from __future__ import annotations

import asyncio
import gc
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from typing import NoReturn

from core.bootstrap import RunningCore, start_core
from core.config import Settings, SettingsError, load_settings
from core.storage.database import DatabaseUnavailable

EXIT_SETTINGS = 2
EXIT_UNAVAILABLE = 1


class StartupFailed(Exception):
    """Stop the process with ``message`` (one line) and ``exit_code``."""

    def __init__(self, message: str, *, exit_code: int = EXIT_SETTINGS) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def settings_or_fail() -> Settings:
    try:
        return load_settings()
    except SettingsError as error:
        raise StartupFailed(str(error)) from None


async def core_or_fail(settings: Settings) -> RunningCore:
    """``start_core``, with its one-line errors turned into StartupFailed; background jobs started."""
    try:
        running = await start_core(settings)  # no OpenAI key or base URL: the bundled local model
    except SettingsError as error:  # an LLM choice that cannot work, a missing LOCAL_MODEL_PATH
        raise StartupFailed(str(error)) from None
    except DatabaseUnavailable as error:
        raise StartupFailed(str(error), exit_code=EXIT_UNAVAILABLE) from None
    running.start_background_jobs(purge_interval_seconds=settings.retention_purge_interval_seconds)
    collect_garbage_for_bursts()
    return running


# The cyclic garbage collector's thresholds once started (Python's are 700, 10, 10): a collection of the
# youngest objects every 50,000 allocations instead of 700, a full one every 10 of the middle ones.
# Most of a message's objects are freed by reference counting as soon as its answer is done; under a
# burst the defaults collected about 180 times (a full collection of 10–40 ms among them), scanning the
# objects of the answers in flight again and again. bench/slack_burst, 200 at once, five runs each:
# HTTP mode 3.35 → 3.0 ms of CPU a message and first text p99 0.73 → 0.67 s; Socket Mode 2.95 → 2.9 ms;
# peak RSS the same (docs/PERFORMANCE.md).
GC_THRESHOLDS = (50_000, 20, 10)


def collect_garbage_for_bursts() -> None:
    """After start-up: what start-up loaded is frozen (full collections skip it: shorter pauses mid-answer),
    and the collector runs far less often (``GC_THRESHOLDS``)."""
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def run_main(main: Callable[[], Awaitable[int]]) -> NoReturn:
    """``sys.exit(asyncio.run(main()))``, printing a StartupFailed as its one line."""
    try:
        code = asyncio.run(main())
    except StartupFailed as failed:
        print(failed, file=sys.stderr)
        code = failed.exit_code
    except KeyboardInterrupt:
        code = 130
    sys.exit(code)


STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


@contextmanager
def stop_signal() -> Iterator[asyncio.Event]:
    """An event that SIGTERM or SIGINT sets while the block runs (enter it inside the running loop).

    Leaving the block gives the signals back the handling they had before, so
    a second Ctrl-C while the process shuts down interrupts it.  Where the loop
    cannot handle signals (not the main thread, Windows) nothing sets the event.
    """
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    previous: dict[signal.Signals, object] = {}
    for signum in STOP_SIGNALS:
        before = signal.getsignal(signum)
        with suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signum, stop.set)
            previous[signum] = before
    try:
        yield stop
    finally:
        for signum, before in previous.items():
            loop.remove_signal_handler(signum)
            if before is not None:
                signal.signal(signum, before)  # type: ignore[arg-type]


class InFlight:
    """Deliveries being handled (answers, commands): counted, awaited at shutdown, cancelled if late.

    Platforms are answered before the work is done (Slack's ack, Discord's
    gateway dispatch), so the process needs its own view of what is still
    running: a graceful shutdown drains it, and tests wait on ``finished``
    instead of sleeping.
    """

    def __init__(self) -> None:
        self.active = 0
        self.finished = 0
        self._tasks: Counter[asyncio.Task] = Counter()
        self._changed = asyncio.Event()

    @asynccontextmanager
    async def track(self) -> AsyncIterator[None]:
        """Count the block as one delivery in flight (and remember its task, for ``cancel``)."""
        task = asyncio.current_task()
        self.active += 1
        if task is not None:
            self._tasks[task] += 1
        try:
            yield
        finally:
            self.active -= 1
            self.finished += 1
            if task is not None:
                self._tasks[task] -= 1
                if self._tasks[task] <= 0:
                    del self._tasks[task]
            self._notify()

    async def wait_finished(self, count: int, *, timeout: float) -> None:
        """Wait until at least ``count`` deliveries have been handled (raises TimeoutError)."""
        await self._wait(lambda: self.finished >= count, timeout)

    async def drain(self, *, timeout: float) -> bool:
        """Wait for the deliveries in flight to finish; False if some were still running at ``timeout``."""
        try:
            await self._wait(lambda: self.active == 0, timeout)
            return True
        except TimeoutError:
            return False

    async def cancel(self) -> int:
        """Cancel the deliveries still in flight (not the caller's own) and wait for them to end; how many."""
        late = [task for task in self._tasks if task is not asyncio.current_task() and not task.done()]
        for task in late:
            task.cancel()
        if late:
            await asyncio.wait(late)
        return len(late)

    async def _wait(self, done: Callable[[], bool], timeout: float) -> None:
        async with asyncio.timeout(timeout):
            while not done():
                await self._changed.wait()

    def _notify(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()
