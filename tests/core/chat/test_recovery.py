"""Nothing lost (issue 16): a message accepted by a process that died is answered once by another one,
late rather than never; what was half-shown is handed over to be ended; old ones get one apology."""

from __future__ import annotations

import asyncio
import contextlib
from contextlib import aclosing
from dataclasses import dataclass, field
from datetime import timedelta

from core.assembly import CoreOptions, assemble_core
from core.messages import Outcome, OutcomeKind, ReplyEvent, TextDelta
from core.records import FAILED, PENDING, STORED, NewTurn, PendingMessage, StoredAnswer, UsageRecord
from core.tokens import EstimatingTokenCounter
from tests.core.conftest import World, build_world, msg
from tests.core.fakes import FakeLLM

LEASE_AND_A_BIT = 61  # seconds: Deliveries' lease is 60 s


@dataclass
class ShownLater:
    """A fake adapter: what a take-over asked it to show."""

    replies: list[tuple[PendingMessage, list[ReplyEvent]]] = field(default_factory=list)
    apologies: list[tuple[PendingMessage, str]] = field(default_factory=list)

    async def redeliver(self, pending, replies) -> None:
        async with aclosing(replies) as events:
            self.replies.append((pending, [event async for event in events]))

    async def apologise(self, pending, text) -> None:
        self.apologies.append((pending, text))


def second_process(world: World, llm: FakeLLM | None = None):
    """Another process on the same stores (another owner)."""
    return assemble_core(
        stores=world.stores, llm=llm or world.llm, tokens=EstimatingTokenCounter(), clock=world.clock,
        options=CoreOptions(default_model="gpt-4o-mini"), owner="process-b",
    )


async def reads_then_stops(world: World, message, *, events: int) -> list[ReplyEvent]:
    """Read ``events`` events of the reply, then stop reading (an adapter that could not post)."""
    seen = []
    async with aclosing(world.core.chat.handle(message)) as stream:
        async for event in stream:
            seen.append(event)
            if len(seen) == events:
                break
    return seen


async def accepted_by_a_process_that_died(world: World, message, *, answer: str | None = None) -> None:
    """What a process leaves when it is killed (SIGKILL runs nothing): the message accepted under its lease,
    and, if it got that far, the exchange stored with it."""
    now = world.clock.now()
    await world.stores.inbox.accept(message, owner="dead", now=now, lease_until=now + timedelta(seconds=60))
    if answer is not None:
        usage = UsageRecord(platform="slack", workspace="T1", channel=message.key.channel, user=message.user,
                            model="gpt-4o-mini", prompt_tokens=5, completion_tokens=5, created_at=now)
        turns = [NewTurn(key=message.key, role="user", author=message.user, content=message.text, token_count=3),
                 NewTurn(key=message.key, role="assistant", author="parley", content=answer, token_count=3)]
        stored = StoredAnswer(platform="slack", event_id=message.event_id, answer=answer, notices=())
        await world.stores.conversations.add_exchange(turns, usage=usage, stored=stored)


def row(world: World, message) -> dict:
    return world.stores.inbox.rows[(message.key.platform, message.event_id)]


async def test_a_message_whose_process_died_mid_answer_is_answered_once_by_the_next():
    world = build_world()
    asked = msg("what is the plan?")
    await accepted_by_a_process_that_died(world, asked)

    other, shown = second_process(world), ShownLater()
    assert await other.recovery.run_once(shown, platform="slack") == 0  # the dead owner's lease still runs
    world.clock.advance(seconds=LEASE_AND_A_BIT)
    assert await other.recovery.run_once(shown, platform="slack") == 1
    [(pending, events)] = shown.replies
    outcome = events[-1]
    assert pending.message.event_id == asked.event_id and pending.message.text == "what is the plan?"
    assert outcome.kind is OutcomeKind.ANSWERED and outcome.text == "echo: what is the plan?"
    assert any("late" in notice for notice in outcome.notices)
    assert [(role, content) for role, content, _ in world.turns.contents()] == [
        ("user", "what is the plan?"), ("assistant", "echo: what is the plan?"),
    ]
    assert row(world, asked)["state"] == "answered" and row(world, asked)["message"].text == ""
    world.clock.advance(seconds=LEASE_AND_A_BIT)
    assert await other.recovery.run_once(shown, platform="slack") == 0  # finished: never again


async def test_an_answer_stored_but_not_yet_shown_is_shown_without_asking_the_model_again():
    world = build_world()
    asked = msg("hello")
    await accepted_by_a_process_that_died(world, asked, answer="hi there")
    assert row(world, asked)["state"] == STORED

    world.clock.advance(seconds=LEASE_AND_A_BIT)
    shown = ShownLater()
    await second_process(world).recovery.run_once(shown, platform="slack")
    [(_, events)] = shown.replies
    assert [type(e) for e in events] == [Outcome] and events[0].text == "hi there"
    assert world.llm.requests == [] and len(world.turns.turns) == 2  # the exchange once


async def test_a_reader_that_took_the_answer_finishes_it_even_if_it_stops_reading_there():
    world = build_world()
    asked = msg("hello")
    seen = await reads_then_stops(world, asked, events=3)  # two deltas and the outcome, then the reader closes
    assert isinstance(seen[-1], Outcome) and row(world, asked)["state"] == "answered"


async def test_a_reader_that_could_not_post_lets_the_message_go_to_be_answered_late():
    world = build_world()
    asked = msg("what now?")
    await reads_then_stops(world, asked, events=1)  # the adapter failed after the first piece
    assert row(world, asked)["state"] == PENDING and row(world, asked)["owner"] is None
    world.clock.advance(seconds=1)
    shown = ShownLater()
    assert await world.core.recovery.run_once(shown, platform="slack") == 1  # this very process, next round
    assert shown.replies[0][1][-1].kind is OutcomeKind.ANSWERED
    assert len(world.turns.turns) == 2


async def test_a_retry_of_a_message_being_answered_by_a_live_process_is_not_answered_twice():
    world = build_world()
    asked = msg("slow question")
    await accepted_by_a_process_that_died(world, asked)  # (or alive and mid-answer: pending under a lease)
    _, again = await world.send(asked)
    assert again.kind is OutcomeKind.IGNORED and again.reason == "duplicate"
    _, from_elsewhere = await World(second_process(world), world.llm, world.stores, world.clock).send(asked)
    assert from_elsewhere.kind is OutcomeKind.IGNORED


async def test_a_message_too_old_to_answer_gets_one_apology():
    world = build_world()
    asked = msg("anyone?")
    await accepted_by_a_process_that_died(world, asked)
    world.clock.advance(minutes=11)
    shown = ShownLater()
    await second_process(world).recovery.run_once(shown, platform="slack")
    [(pending, text)] = shown.apologies
    assert pending.message.event_id == asked.event_id and "send it again" in text and shown.replies == []
    assert row(world, asked)["state"] == FAILED


async def test_a_drained_process_releases_what_it_did_not_finish_for_the_next_one_at_once():
    world = build_world()
    asked = msg("question before a deploy")
    world.llm.gate = asyncio.Event()
    answering = asyncio.create_task(world.send(asked))
    await world.llm.started.wait()
    assert await world.core.deliveries.release() == 1  # SIGTERM: the drain time is over
    answering.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await answering
    world.clock.advance(seconds=1)
    shown = ShownLater()
    world.llm.gate.set()
    assert await second_process(world).recovery.run_once(shown, platform="slack") == 1
    assert shown.replies[0][1][-1].kind is OutcomeKind.ANSWERED


async def test_refusals_and_ignored_deliveries_are_finished_too():
    world = build_world()
    _, refused = await world.send(msg(""))
    assert refused.kind is OutcomeKind.INVALID
    states = {r["state"] for r in world.stores.inbox.rows.values()}
    assert states == {"refused"}


async def test_a_redelivery_that_fails_before_it_reads_lets_the_message_go_for_the_next_round():
    class Broken(ShownLater):
        async def redeliver(self, pending, replies) -> None:
            await replies.aclose()
            raise ConnectionError("the platform is away")

    world = build_world()
    asked = msg("anyone?")
    await accepted_by_a_process_that_died(world, asked)
    world.clock.advance(seconds=LEASE_AND_A_BIT)
    assert await world.core.recovery.run_once(Broken(), platform="slack") == 1
    assert row(world, asked)["owner"] is None  # not held by this (live) process's lease
    world.clock.advance(seconds=1)
    shown = ShownLater()
    assert await world.core.recovery.run_once(shown, platform="slack") == 1
    assert shown.replies[0][1][-1].kind is OutcomeKind.ANSWERED
