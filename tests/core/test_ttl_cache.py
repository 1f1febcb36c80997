"""TtlCache, the per-process cache each feature puts in front of its rarely-changed settings."""

from __future__ import annotations

import asyncio

from core.ttl_cache import TtlCache


def test_the_cache_is_bounded():
    cache = TtlCache(ttl=60, now=lambda: 0.0, max_entries=3)
    for i in range(10):
        cache.put(i, i)
    assert len(cache._entries) == 3  # noqa: SLF001


class Loads:
    """A load that waits until released, counting how often it was started."""

    def __init__(self, value: object = "fresh") -> None:
        self.started = 0
        self.release = asyncio.Event()
        self.value = value

    async def __call__(self) -> object:
        self.started += 1
        await self.release.wait()
        if isinstance(self.value, Exception):
            raise self.value
        return self.value


async def test_a_burst_of_misses_loads_once():
    cache, load = TtlCache(ttl=60, now=lambda: 0.0), Loads()
    waiting = [asyncio.create_task(cache.through("k", load)) for _ in range(50)]
    await asyncio.sleep(0)
    load.release.set()
    assert await asyncio.gather(*waiting) == ["fresh"] * 50
    assert load.started == 1
    assert await cache.through("k", load) == "fresh" and load.started == 1  # kept


async def test_an_expired_entry_is_reloaded_once_for_everyone():
    clock = [0.0]
    cache = TtlCache(ttl=10, now=lambda: clock[0])
    cache.put("k", "old")
    clock[0] = 10.5
    load = Loads()
    waiting = [asyncio.create_task(cache.through("k", load)) for _ in range(20)]
    await asyncio.sleep(0)
    load.release.set()
    assert set(await asyncio.gather(*waiting)) == {"fresh"} and load.started == 1


async def test_a_load_dropped_while_it_ran_is_not_kept():
    cache, stale = TtlCache(ttl=60, now=lambda: 0.0), Loads("before the change")
    first = asyncio.create_task(cache.through("k", stale))
    await asyncio.sleep(0)
    cache.drop(lambda key: key == "k")  # an admin changed it while the old row was being read
    stale.release.set()
    assert await first == "before the change"
    fresh = Loads("after the change")
    fresh.release.set()
    assert await cache.through("k", fresh) == "after the change"


async def test_a_failed_load_fails_every_caller_and_keeps_nothing():
    cache, broken = TtlCache(ttl=60, now=lambda: 0.0), Loads(RuntimeError("database down"))
    waiting = [asyncio.create_task(cache.through("k", broken)) for _ in range(3)]
    await asyncio.sleep(0)
    broken.release.set()
    results = await asyncio.gather(*waiting, return_exceptions=True)
    assert all(isinstance(r, RuntimeError) for r in results) and broken.started == 1
    again = Loads()
    again.release.set()
    assert await cache.through("k", again) == "fresh"


async def test_a_caller_that_gives_up_does_not_cancel_the_others_load():
    cache, load = TtlCache(ttl=60, now=lambda: 0.0), Loads()
    impatient = asyncio.create_task(cache.through("k", load))
    patient = asyncio.create_task(cache.through("k", load))
    await asyncio.sleep(0)
    impatient.cancel()
    load.release.set()
    assert await patient == "fresh"
    assert impatient.cancelled()
