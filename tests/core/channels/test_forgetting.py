"""Forgetting: `/parley reset` (this channel), `/parley forget-me` (my messages), `/parley retention` and its purge
(fakes at the ports)."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from core.messages import OutcomeKind

from tests.core.conftest import CHANNEL, DM, actor, build_world, msg

ADMIN = actor("U_ADMIN", is_admin=True)
MEMBER = actor("U_MEMBER")


async def test_reset_forgets_this_channel_only(world):
    here = replace(CHANNEL, thread="1.1")
    there = replace(CHANNEL, channel="C2", thread="2.2")
    await world.send(msg("a", key=here, mentions_bot=True))
    await world.send(msg("b", key=there, mentions_bot=True))
    assert not (await world.core.commands.run(MEMBER, "parley", "reset")).ok
    reply = await world.core.commands.run(ADMIN, "parley", "reset")
    assert reply.ok and "2 messages" in reply.text
    assert world.turns.contents(here) == [] and len(world.turns.contents(there)) == 2


async def test_forget_me_deletes_my_messages_everywhere_in_the_workspace(world):
    await world.send(msg("mine", key=replace(CHANNEL, thread="1.1"), mentions_bot=True, user="U_MEMBER"))
    await world.send(msg("mine too", key=DM, user="U_MEMBER"))
    await world.send(msg("not mine", key=DM, user="U_OTHER", event_id="other"))
    reply = await world.core.commands.run(MEMBER, "parley", "forget-me")
    assert reply.ok and "2 stored messages" in reply.text
    assert all(not (t.author == "U_MEMBER") for t in world.turns.turns)
    assert any(t.author == "U_OTHER" for t in world.turns.turns)


async def test_retention_setting_and_purge(world):
    bad = await world.core.commands.run(ADMIN, "parley", "retention soon")
    assert not bad.ok and "Usage" in bad.text
    await world.send(msg("old", key=replace(CHANNEL, thread="1.1"), mentions_bot=True))
    assert (await world.core.commands.run(ADMIN, "parley", "retention 7")).ok
    world.clock.advance(days=8)
    assert await world.core.purger.purge_once() == 2
    assert world.turns.turns == []


async def test_forget_me_while_a_message_is_being_answered_leaves_none_of_its_words():
    world = build_world()
    world.llm.gate = asyncio.Event()
    answering = asyncio.create_task(world.send(msg("my secret is 42", user="U1")))
    await world.llm.started.wait()  # the model is writing the answer
    done = await world.core.commands.run(actor("U1", channel="D1", is_dm=True), "parley", "forget-me")
    assert done.ok
    world.llm.gate.set()
    _, outcome = await answering
    assert outcome.kind is OutcomeKind.ANSWERED  # the person still gets the answer...
    assert all("42" not in content for _, content, _ in world.turns.contents())  # ...but nothing is kept
    world.clock.advance(seconds=1)
    _, later = await world.send(msg("and this one?", user="U1"))  # asked after forget-me: kept as usual
    assert [content for _, content, _ in world.turns.contents()] == ["and this one?", "echo: and this one?"]
