"""InProcessWindows: limits' moving window, in memory, expired as it is used and never by a thread or a task."""

from __future__ import annotations

import asyncio

from limits import RateLimitItemPerMinute
from limits.aio.strategies import MovingWindowRateLimiter

from core.limits.windows import SWEEP_SECONDS, InProcessWindows


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


async def test_a_window_holds_its_limit_and_frees_as_its_minute_passes():
    clock = Clock()
    limiter = MovingWindowRateLimiter(InProcessWindows(clock=clock))
    three = RateLimitItemPerMinute(3)

    assert [await limiter.hit(three, "U1") for _ in range(4)] == [True, True, True, False]
    assert await limiter.hit(three, "U2")  # another person's window
    clock.now += 30
    assert not await limiter.test(three, "U1")
    stats = await limiter.get_window_stats(three, "U1")
    assert stats.remaining == 0 and stats.reset_time == 1_000_000.0 + 60  # the oldest of the three, a minute on
    clock.now += 30.5
    assert await limiter.test(three, "U1")
    assert await limiter.hit(three, "U1")
    assert (await limiter.get_window_stats(three, "U1")).remaining == 2


async def test_a_refused_hit_takes_nothing_and_clear_forgets():
    clock = Clock()
    windows = InProcessWindows(clock=clock)
    limiter = MovingWindowRateLimiter(windows)
    two = RateLimitItemPerMinute(2)
    await limiter.hit(two, "C1", cost=2)
    assert not await limiter.hit(two, "C1")
    assert not await limiter.hit(two, "C1", cost=3)  # more than the limit: never
    await limiter.clear(two, "C1")
    assert await limiter.hit(two, "C1", cost=2)


async def test_after_a_burst_nothing_keeps_running_and_idle_windows_go():
    clock = Clock()
    windows = InProcessWindows(clock=clock)
    limiter = MovingWindowRateLimiter(windows)
    item = RateLimitItemPerMinute(100)
    tasks_before = asyncio.all_tasks()

    for n in range(600):
        await limiter.hit(item, f"key-{n}")

    assert asyncio.all_tasks() == tasks_before  # limits' own storage starts an expiry task (and threads) here
    clock.now += 61 + SWEEP_SECONDS
    await limiter.hit(item, "key-late")
    assert len(windows._windows) == 1  # the 600 idle windows were swept in passing; key-late stays
