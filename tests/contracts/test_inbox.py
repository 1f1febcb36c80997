"""Inbox: each event handled once (fake, SQLite, PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from core.ports import Inbox


async def test_an_event_is_claimed_once(inbox: Inbox) -> None:
    assert await inbox.claim(platform="slack", event_id="Ev1") is True
    assert await inbox.claim(platform="slack", event_id="Ev1") is False
    # the same id on another platform is another event
    assert await inbox.claim(platform="discord", event_id="Ev1") is True


async def test_concurrent_claims_of_one_event_have_exactly_one_winner(inbox: Inbox) -> None:
    results = await asyncio.gather(*(inbox.claim(platform="slack", event_id="Ev-race") for _ in range(20)))
    assert sorted(results) == [False] * 19 + [True]


async def test_forget_before_lets_old_events_go(inbox: Inbox) -> None:
    """(tests/infra runs this again on SQL with small delete batches.)"""
    for n in range(5):
        await inbox.claim(platform="slack", event_id=f"old-{n}")
    assert await inbox.forget_before(datetime.now(timezone.utc) - timedelta(hours=1)) == 0

    assert await inbox.forget_before(datetime.now(timezone.utc) + timedelta(seconds=1)) == 5
    assert await inbox.claim(platform="slack", event_id="old-0") is True
    assert await inbox.claim(platform="slack", event_id="old-4") is True
