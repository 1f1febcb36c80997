"""Inbox: each message written when it arrives, kept until finished, taken over when its owner is gone
(fake, SQLite, PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest

from dataclasses import replace

from core.messages import Attachment, ConversationKey, IncomingMessage
from core.ports import ConversationStore, Inbox
from core.records import ANSWERED, PENDING, STORED, Acceptance, StoredAnswer, UsageRecord
from tests.core.fakes import claim_event

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=timezone.utc)
LEASE = timedelta(seconds=60)
KEY = ConversationKey(platform="slack", workspace="T1", channel="C1", thread="1700000000.000100")


def message(event_id: str, text: str = "what is the plan?") -> IncomingMessage:
    return IncomingMessage(
        event_id=event_id, key=KEY, user="U1", text=text, mentions_bot=True, user_name="Ada", sender_is_admin=True
    )


async def accept(inbox: Inbox, event_id: str, *, owner: str = "process-a", at: datetime = NOW) -> Acceptance:
    return await inbox.accept(message(event_id), owner=owner, now=at, lease_until=at + LEASE)


async def test_an_event_is_accepted_once(inbox: Inbox) -> None:
    assert await accept(inbox, "Ev1") is Acceptance.NEW
    assert await accept(inbox, "Ev1", owner="process-b") is Acceptance.DUPLICATE
    # the same id on another platform is another event
    assert await claim_event(inbox, platform="discord", event_id="Ev1") is True


async def test_concurrent_accepts_of_one_event_have_exactly_one_winner(inbox: Inbox) -> None:
    results = await asyncio.gather(*(accept(inbox, "Ev-race", owner=f"p{n}") for n in range(20)))
    assert sorted(results) == [Acceptance.DUPLICATE] * 19 + [Acceptance.NEW]


async def test_a_message_whose_owner_is_gone_is_taken_over_whole_oldest_first(inbox: Inbox) -> None:
    await accept(inbox, "first", at=NOW)
    await accept(inbox, "second", at=NOW + timedelta(seconds=1))
    await inbox.note_reply(platform="slack", event_id="first", reply_ref="1700000000.000200")
    assert await inbox.take_over(platform="slack", owner="b", now=NOW + LEASE - timedelta(seconds=1),
                                 lease_until=NOW + 2 * LEASE, limit=10) == []  # the lease still runs
    later = NOW + LEASE + timedelta(seconds=5)
    taken = await inbox.take_over(platform="slack", owner="b", now=later, lease_until=later + LEASE, limit=10)
    assert [p.message.event_id for p in taken] == ["first", "second"]
    first = taken[0]
    assert first.state == PENDING and first.reply_ref == "1700000000.000200" and first.attempts == 1
    assert first.message.key == KEY and first.message.text == "what is the plan?" and first.message.user == "U1"
    assert first.message.mentions_bot and first.message.sender_is_admin and not first.message.is_dm
    assert first.message.user_name == "Ada" and first.received_at == NOW
    # now b's, under b's lease: nobody else takes them
    assert await inbox.take_over(platform="slack", owner="c", now=later, lease_until=later + LEASE, limit=10) == []
    assert await inbox.take_over(platform="discord", owner="c", now=later + 2 * LEASE, lease_until=later, limit=10) == []


async def test_a_live_owner_renews_and_a_draining_one_releases(inbox: Inbox) -> None:
    await accept(inbox, "kept", owner="live")
    assert await inbox.renew(owner="live", lease_until=NOW + 10 * LEASE) == 1
    assert await inbox.take_over(platform="slack", owner="b", now=NOW + 5 * LEASE, lease_until=NOW + 6 * LEASE,
                                 limit=10) == []
    assert await inbox.release(owner="live", now=NOW + 5 * LEASE) == 1
    taken = await inbox.take_over(platform="slack", owner="b", now=NOW + 5 * LEASE + timedelta(seconds=1),
                                  lease_until=NOW + 6 * LEASE, limit=10)
    assert [p.message.event_id for p in taken] == ["kept"]


async def test_a_finished_message_is_never_taken_over_and_keeps_no_text(inbox: Inbox) -> None:
    await accept(inbox, "done")
    await inbox.finish(platform="slack", event_id="done", state=ANSWERED)
    assert await inbox.take_over(platform="slack", owner="b", now=NOW + 10 * LEASE, lease_until=NOW + 11 * LEASE,
                                 limit=10) == []
    assert await accept(inbox, "done", owner="b") is Acceptance.DUPLICATE  # a late retry is still a duplicate
    with pytest.raises(ValueError):
        await inbox.finish(platform="slack", event_id="done", state="pending")


async def test_an_exchange_stored_with_its_message_is_taken_over_as_stored(
    inbox: Inbox, conversations: ConversationStore
) -> None:
    await accept(inbox, "stored")
    usage = UsageRecord(platform="slack", workspace="T1", channel="C1", user="U1", model="m", prompt_tokens=3,
                        completion_tokens=4, created_at=NOW)
    await conversations.add_exchange(
        [], usage=usage, stored=StoredAnswer(platform="slack", event_id="stored", answer="the plan is X",
                                             notices=("footer",)),
    )
    later = NOW + 2 * LEASE
    [taken] = await inbox.take_over(platform="slack", owner="b", now=later, lease_until=later + LEASE, limit=10)
    assert taken.state == STORED and taken.answer == "the plan is X" and taken.notices == ("footer",)


async def test_take_over_takes_at_most_limit(inbox: Inbox) -> None:
    for n in range(5):
        await accept(inbox, f"m{n}", at=NOW + timedelta(seconds=n))
    later = NOW + 2 * LEASE
    taken = await inbox.take_over(platform="slack", owner="b", now=later, lease_until=later + LEASE, limit=2)
    assert [p.message.event_id for p in taken] == ["m0", "m1"]


async def test_forget_before_lets_old_finished_messages_go(inbox: Inbox) -> None:
    """(tests/infra runs this again on SQL with small delete batches.)"""
    for n in range(5):
        await claim_event(inbox, platform="slack", event_id=f"old-{n}")
        await inbox.finish(platform="slack", event_id=f"old-{n}", state=ANSWERED)
    await claim_event(inbox, platform="slack", event_id="still-pending")
    assert await inbox.forget_before(datetime.now(timezone.utc) - timedelta(hours=1)) == 0

    assert await inbox.forget_before(datetime.now(timezone.utc) + timedelta(seconds=1)) == 5
    assert await claim_event(inbox, platform="slack", event_id="old-0") is True
    assert await claim_event(inbox, platform="slack", event_id="old-4") is True
    assert await claim_event(inbox, platform="slack", event_id="still-pending") is False  # kept until finished


async def test_a_taken_over_message_keeps_its_attachments(inbox: Inbox) -> None:
    files = (
        Attachment(name="notes.md", mime_type="text/markdown", size=12, ref="https://files.slack.com/files-pri/T-F1/n"),
        Attachment(name="chart.png", mime_type="image/png", size=3_000, ref="https://files.slack.com/files-pri/T-F2/c"),
    )
    with_files = replace(message("with-files"), attachments=files)
    await inbox.accept(with_files, owner="a", now=NOW, lease_until=NOW + LEASE)
    later = NOW + 2 * LEASE
    (taken,) = await inbox.take_over(platform="slack", owner="b", now=later, lease_until=later + LEASE, limit=10)
    assert taken.message.attachments == files
