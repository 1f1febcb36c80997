"""Nothing lost (issue 16): a message accepted by a process that died is answered once by another one,
late rather than never; what was half-shown is handed over to be ended; old ones get one apology."""

from __future__ import annotations

from contextlib import aclosing
from dataclasses import dataclass, field

from core.assembly import CoreOptions, assemble_core
from core.messages import Outcome, OutcomeKind, ReplyEvent, TextDelta
from core.records import FAILED, PENDING, STORED, PendingMessage
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


async def killed_after(world: World, message, *, events: int) -> list[ReplyEvent]:
    """Read ``events`` events of the reply, then stop as a killed process does (the rest never happens)."""
    seen = []
    async with aclosing(world.core.chat.handle(message)) as stream:
        async for event in stream:
            seen.append(event)
            if len(seen) == events:
                break
    return seen


def row(world: World, message) -> dict:
    return world.stores.inbox.rows[(message.key.platform, message.event_id)]


async def test_a_message_whose_process_died_mid_answer_is_answered_once_by_the_next():
    world = build_world()
    asked = msg("what is the plan?")
    world.llm.script.append("the plan is to ship on Friday")
    assert isinstance((await killed_after(world, asked, events=1))[0], TextDelta)  # half-shown, then killed
    assert row(world, asked)["state"] == PENDING

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
    ]  # the exchange once: the dead process never stored its half
    assert row(world, asked)["state"] == "answered" and row(world, asked)["message"].text == ""
    world.clock.advance(seconds=LEASE_AND_A_BIT)
    assert await other.recovery.run_once(shown, platform="slack") == 0  # finished: never again


async def test_an_answer_stored_but_not_yet_shown_is_shown_without_asking_the_model_again():
    world = build_world()
    asked = msg("hello")
    seen = await killed_after(world, asked, events=3)  # two deltas and the outcome, killed before finishing
    assert isinstance(seen[-1], Outcome) and row(world, asked)["state"] == STORED
    calls = len(world.llm.requests)

    world.clock.advance(seconds=LEASE_AND_A_BIT)
    shown = ShownLater()
    await second_process(world).recovery.run_once(shown, platform="slack")
    [(_, events)] = shown.replies
    assert [type(e) for e in events] == [Outcome] and events[0].text == "echo: hello"
    assert len(world.llm.requests) == calls and len(world.turns.turns) == 2


async def test_a_retry_of_a_message_being_answered_by_a_live_process_is_not_answered_twice():
    world = build_world()
    asked = msg("slow question")
    await killed_after(world, asked, events=1)  # (alive, but mid-answer: the row is pending under its lease)
    _, again = await world.send(asked)
    assert again.kind is OutcomeKind.IGNORED and again.reason == "duplicate"
    _, from_elsewhere = await World(second_process(world), world.llm, world.stores, world.clock).send(asked)
    assert from_elsewhere.kind is OutcomeKind.IGNORED


async def test_a_message_too_old_to_answer_gets_one_apology():
    world = build_world()
    asked = msg("anyone?")
    await killed_after(world, asked, events=1)
    world.clock.advance(minutes=11)
    shown = ShownLater()
    await second_process(world).recovery.run_once(shown, platform="slack")
    [(pending, text)] = shown.apologies
    assert pending.message.event_id == asked.event_id and "send it again" in text and shown.replies == []
    assert row(world, asked)["state"] == FAILED


async def test_a_drained_process_releases_what_it_did_not_finish_for_the_next_one_at_once():
    world = build_world()
    asked = msg("question before a deploy")
    await killed_after(world, asked, events=1)
    assert await world.core.deliveries.release() == 1
    world.clock.advance(seconds=1)
    shown = ShownLater()
    assert await second_process(world).recovery.run_once(shown, platform="slack") == 1
    assert shown.replies[0][1][-1].kind is OutcomeKind.ANSWERED


async def test_refusals_and_ignored_deliveries_are_finished_too():
    world = build_world()
    _, refused = await world.send(msg(""))
    assert refused.kind is OutcomeKind.INVALID
    states = {r["state"] for r in world.stores.inbox.rows.values()}
    assert states == {"refused"}
