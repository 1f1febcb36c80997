"""Slack's rate tiers counted once for every process of the app (real Redis), and alone again without it."""

from __future__ import annotations

import asyncio
import socket
import uuid

from bots.slack.rate_limits import Rests
from bots.slack.shared_tiers import SharedTiers
from tests.services import REDIS_URL, redis_reachable, require_service

STREAM_TIER = 20  # chat.startStream and chat.stopStream: tier 2


async def test_two_processes_share_one_allowance_per_workspace():
    require_service("Redis", redis_reachable(), REDIS_URL)
    team = f"T{uuid.uuid4().hex[:10]}"  # a workspace of this test's own: nothing else counts in it
    a, b = Rests(shared=SharedTiers(REDIS_URL)), Rests(shared=SharedTiers(REDIS_URL))

    taken = [await (a if n % 2 else b).take(team, "chat.startStream", "chat.stopStream") for n in range(STREAM_TIER)]

    assert taken == [True] * STREAM_TIER
    assert not await a.take(team, "chat.startStream", "chat.stopStream")  # the app's tier is used up, in both
    assert not await b.take(team, "chat.startStream", "chat.stopStream")
    assert await a.take(f"{team}X", "chat.startStream", "chat.stopStream")  # another workspace has its own
    assert await b.take(team, "chat.appendStream")  # another method (tier 4) too


async def test_a_burst_from_two_processes_at_once_never_passes_the_tier():
    require_service("Redis", redis_reachable(), REDIS_URL)
    team = f"T{uuid.uuid4().hex[:10]}"
    a, b = Rests(shared=SharedTiers(REDIS_URL)), Rests(shared=SharedTiers(REDIS_URL))

    # All asked at once, as 200 answers finishing together ask: each take awaits Redis, so the others run
    # between one caller's reads and writes.
    taken = await asyncio.gather(*(
        (a if n % 2 else b).take(team, "chat.startStream", "chat.stopStream") for n in range(3 * STREAM_TIER)
    ))

    assert 0 < taken.count(True) <= STREAM_TIER


async def test_without_redis_each_process_counts_alone():
    with socket.socket() as probe:  # a port where nothing listens: Redis refuses at once
        probe.bind(("127.0.0.1", 0))
        url = f"redis://127.0.0.1:{probe.getsockname()[1]}/0"
    rests = Rests(shared=SharedTiers(url))

    taken = [await rests.take("T1", "chat.startStream", "chat.stopStream") for _ in range(STREAM_TIER + 1)]

    assert taken == [True] * STREAM_TIER + [False]  # the documented tier still holds, in this process
