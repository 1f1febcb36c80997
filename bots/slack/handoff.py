"""Acknowledging Slack once a delivery is safe, and doing the rest of the work after.

The app runs with bolt's ``process_before_response=True``: bolt acknowledges a
delivery (the HTTP 200, the Socket Mode ack) when its listener returns, not
before.  A listener hands its delivery to ``hand_off``: the work runs as a
task of its own, counted in ``InFlight`` from its first step (so a drain waits
for it and a cancel reaches it), and the listener returns as soon as the work
calls ``ready()`` (for a message: once the core has written it durably) or
ends.  Whatever the work does after ``ready()`` (the answer, a command's
reply) no longer holds up Slack's 3-second deadline.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import structlog

from core.process import InFlight

log = structlog.get_logger(__name__)

Ready = Callable[[], None]


async def hand_off(in_flight: InFlight, work: Callable[[Ready], Awaitable[None]]) -> None:
    """Run ``work(ready)`` in its own task; return once it called ``ready()`` or ended (raising or not)."""
    acknowledged: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def ready() -> None:
        if not acknowledged.done():
            acknowledged.set_result(None)

    async def run() -> None:
        try:
            async with in_flight.track():  # holds the task until it ends
                await work(ready)
        except Exception:  # the work logs its own failures; this is the last resort
            log.exception("slack.delivery_failed")
        finally:
            ready()

    asyncio.create_task(run())
    await asyncio.shield(acknowledged)  # the listener being cancelled does not cancel the work
