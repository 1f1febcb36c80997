"""Feedback on answers through the core (fakes at the ports): noted at answer time, one rating per person
per answer, a 👎's comment, `/parley feedback`, export, forget-me, reset and retention."""

from __future__ import annotations

import json
from dataclasses import replace
from core.feedback import texts
from core.feedback.values import COMMENT_MAX_CHARS, Rating, Recorded
from core.messages import OutcomeKind
from core.personas.values import Persona
from tests.core.conftest import CHANNEL, actor, msg

ADMIN = actor("U_OWNER")
THREAD = replace(CHANNEL, thread="1.1")


async def answered(world, event_id: str, *, user: str = "U1", key=THREAD) -> None:
    _, outcome = await world.send(msg("hello", key=key, mentions_bot=True, user=user, event_id=event_id))
    assert outcome.kind is OutcomeKind.ANSWERED


async def test_a_click_is_recorded_once_per_person_and_a_second_click_changes_it(world):
    await answered(world, "ev-a")
    recorder = world.core.feedback
    first = await recorder.rate(platform="slack", answer_id="ev-a", user="U2", rating=Rating.DOWN)
    assert (first.recorded, first.ask_comment, first.text) == (Recorded.NEW, True, texts.THANKS_DOWN)
    again = await recorder.rate(platform="slack", answer_id="ev-a", user="U2", rating=Rating.DOWN)
    assert (again.recorded, again.ask_comment) == (Recorded.SAME, False)
    changed = await recorder.rate(platform="slack", answer_id="ev-a", user="U2", rating=Rating.UP)
    assert (changed.recorded, changed.text) == (Recorded.CHANGED, texts.CHANGED_UP)
    [vote] = world.stores.feedback.votes.values()
    assert (vote.rating, vote.answer.persona, vote.answer.model, vote.answer.thread) == (
        Rating.UP, "default", "gpt-4o-mini", "1.1",
    )


async def test_the_persona_and_model_are_those_that_wrote_the_answer(world):
    await world.stores.personas.save(ADMIN.workspace_scope, Persona(
        name="pirate", system_prompt="Arr.", model="gpt-4o", temperature=0.5, max_tokens=200, memory_budget=1000,
    ))
    assert (await world.core.commands.run(ADMIN, "persona", "use pirate")).ok
    await answered(world, "ev-p")
    assert (await world.core.commands.run(ADMIN, "persona", "use default")).ok  # changed before the click
    await world.core.feedback.rate(platform="slack", answer_id="ev-p", user="U2", rating=Rating.UP)
    [vote] = world.stores.feedback.votes.values()
    assert (vote.answer.persona, vote.answer.model) == ("pirate", "gpt-4o")


async def test_an_unknown_answer_is_refused_with_a_clear_message(world):
    reply = await world.core.feedback.rate(platform="slack", answer_id="nope", user="U2", rating=Rating.UP)
    assert reply.recorded is None and reply.text == texts.UNKNOWN_ANSWER
    assert world.stores.feedback.votes == {}


async def test_a_down_votes_comment_is_checked_and_kept(world):
    await answered(world, "ev-c")
    recorder = world.core.feedback
    assert await recorder.comment(platform="slack", answer_id="ev-c", user="U2", text="x") == texts.COMMENT_WITHOUT_DOWN
    await recorder.rate(platform="slack", answer_id="ev-c", user="U2", rating=Rating.DOWN)
    assert await recorder.comment(platform="slack", answer_id="ev-c", user="U2", text=" \x00 ") == texts.COMMENT_EMPTY
    too_long = "x" * (COMMENT_MAX_CHARS + 1)
    assert "at most 1,000" in await recorder.comment(platform="slack", answer_id="ev-c", user="U2", text=too_long)
    assert await recorder.comment(platform="slack", answer_id="ev-c", user="U2", text="wrong\r\nyear") == texts.COMMENT_SAVED
    [vote] = world.stores.feedback.votes.values()
    assert vote.comment == "wrong\nyear"


async def test_parley_feedback_counts_by_persona_and_model_over_7_and_30_days(world):
    for n in range(3):
        await answered(world, f"ev-{n}")
    recorder = world.core.feedback
    await recorder.rate(platform="slack", answer_id="ev-0", user="U2", rating=Rating.UP)
    await recorder.rate(platform="slack", answer_id="ev-1", user="U2", rating=Rating.DOWN)
    await recorder.comment(platform="slack", answer_id="ev-1", user="U2", text="made up a number")
    world.clock.advance(days=8)
    await recorder.rate(platform="slack", answer_id="ev-2", user="U3", rating=Rating.UP)

    refused = await world.core.commands.run(actor("U2"), "parley", "feedback")
    assert not refused.ok and "Only admins" in refused.text
    reply = await world.core.commands.run(ADMIN, "parley", "feedback")
    assert reply.ok
    assert "`default` on `gpt-4o-mini`: 1 / 0 · 2 / 1 (67% 👍 of 3)" in reply.text
    assert "made up a number" in reply.text
    bad = await world.core.commands.run(ADMIN, "parley", "feedback please")
    assert not bad.ok and "Usage" in bad.text
    world.clock.advance(days=31)
    assert (await world.core.commands.run(ADMIN, "parley", "feedback")).text == "No feedback in the last 30 days."


async def test_export_forget_me_reset_and_retention_cover_feedback(world):
    await answered(world, "ev-x")
    await answered(world, "ev-y")
    recorder = world.core.feedback
    await recorder.rate(platform="slack", answer_id="ev-x", user="U2", rating=Rating.DOWN)
    await recorder.comment(platform="slack", answer_id="ev-x", user="U2", text="too long")
    await recorder.rate(platform="slack", answer_id="ev-y", user="U3", rating=Rating.UP)

    export = await world.core.commands.run(ADMIN, "parley", "export")
    lines = [json.loads(line) for line in export.file.content.decode().splitlines()]
    ratings = [line for line in lines if line.get("record") == "feedback"]
    assert [(r["answer_id"], r["user"], r["rating"], r["comment"], r["persona"]) for r in ratings] == [
        ("ev-x", "U2", "down", "too long", "default"), ("ev-y", "U3", "up", None, "default"),
    ]
    assert "2 ratings" in export.text

    forgot = await world.core.commands.run(actor("U2"), "parley", "forget-me")
    assert forgot.ok and "feedback" in forgot.text
    assert [v.user for v in world.stores.feedback.votes.values()] == ["U3"]
    assert {"turns_deleted": 0, "feedback_deleted": 1}.items() <= world.stores.audit.entries[-1].after.items()

    assert (await world.core.commands.run(ADMIN, "parley", "retention 1")).ok
    world.clock.advance(days=2)
    await world.core.purger.purge_once()
    assert world.stores.feedback.votes == {}
    assert await world.stores.feedback.find_answer(platform="slack", answer_id="ev-y") is None

    await answered(world, "ev-z")
    await recorder.rate(platform="slack", answer_id="ev-z", user="U3", rating=Rating.UP)
    assert (await world.core.commands.run(ADMIN, "parley", "reset")).ok
    assert world.stores.feedback.votes == {} and world.stores.feedback.answers == {}
