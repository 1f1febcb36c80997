"""The shared chat commands: /persona and /parley, with admin checks and audit."""

from __future__ import annotations

from dataclasses import replace

from core.commands import split_command_line
from core.messages import WorkspaceScope
from tests.core.conftest import CHANNEL, DM, actor, msg

ADMIN = actor("U_ADMIN", is_admin=True)
MEMBER = actor("U_MEMBER")


async def test_admin_creates_a_persona_and_uses_it_in_a_channel(world):
    run = world.core.commands.run
    created = await run(ADMIN, "persona", "create pirate temperature=1.2 model=gpt-4o Talk like a pirate.")
    assert created.ok, created.text
    used = await run(ADMIN, "persona", "use pirate")
    assert used.ok and "pirate" in used.text
    thread = replace(CHANNEL, thread="1.1")
    await world.send(msg("ahoy", key=thread, mentions_bot=True))
    request = world.llm.requests[-1]
    assert (request.model, request.temperature, request.messages[0].content) == ("gpt-4o", 1.2, "Talk like a pirate.")
    listing = await run(MEMBER, "persona", "list")
    assert "→ `pirate`" in listing.text and "`default`" in listing.text


async def test_members_may_look_but_not_change(world):
    run = world.core.commands.run
    await run(ADMIN, "persona", "create poet Rhyme everything.")
    for args in ("create x Prompt.", "edit poet Other.", "delete poet", "use poet", "default poet"):
        reply = await run(MEMBER, "persona", args)
        assert not reply.ok and "Only admins" in reply.text, args
    assert (await run(MEMBER, "persona", "show poet")).ok
    assert (await world.core.personas.show(MEMBER)).name == "default"
    assert [e.action for e in world.stores.audit.entries] == ["persona.create"]


async def test_parley_admins_setting_makes_someone_an_admin(world):
    reply = await world.core.commands.run(actor("U_OWNER"), "persona", "create owner Owner's persona.")
    assert reply.ok


async def test_in_a_dm_the_person_chooses_the_persona_for_that_dm_only(world):
    await world.core.commands.run(ADMIN, "persona", "create poet Rhyme.")
    dm_actor = actor("U_MEMBER", channel="D1", is_dm=True)
    assert (await world.core.commands.run(dm_actor, "persona", "use poet")).ok
    await world.send(msg("hi", key=DM, user="U_MEMBER"))
    assert world.llm.requests[-1].messages[0].content == "Rhyme."
    assert (await world.core.personas.show(MEMBER)).name == "default"


async def test_every_change_is_audited_with_before_and_after(world):
    run = world.core.commands.run
    await run(ADMIN, "persona", "create poet Rhyme.")
    await run(ADMIN, "persona", "edit poet temperature=0.1")
    await run(ADMIN, "persona", "default poet")
    await run(ADMIN, "persona", "delete poet")
    entries = world.stores.audit.entries
    assert [e.action for e in entries] == ["persona.create", "persona.update", "workspace.default_persona", "persona.delete"]
    update = entries[1]
    assert update.actor == "U_ADMIN" and update.before["temperature"] == 0.7 and update.after["temperature"] == 0.1
    assert update.after["system_prompt"] == "Rhyme."


async def test_invalid_persona_fields_are_named(world):
    run = world.core.commands.run
    reply = await run(ADMIN, "persona", "create Bad!Name temperature=3 max_tokens=0 Prompt")
    assert not reply.ok
    for field in ("name", "temperature", "max_tokens"):
        assert field in reply.text
    long_prompt = await run(ADMIN, "persona", "create long " + "x" * 8001)
    assert not long_prompt.ok and "8,000" in long_prompt.text
    assert world.stores.personas.rows == {}


async def test_create_without_prompt_asks_for_the_form(world):
    reply = await world.core.commands.run(ADMIN, "persona", "create")
    assert reply.form is not None and reply.form.persona is None
    await world.core.commands.run(ADMIN, "persona", "create poet Rhyme.")
    edit = await world.core.commands.run(ADMIN, "persona", "edit poet")
    assert edit.form is not None and edit.form.persona.name == "poet"


async def test_unknown_names_and_subcommands_get_a_hint(world):
    run = world.core.commands.run
    assert "no persona named `ghost`" in (await run(ADMIN, "persona", "use ghost")).text
    assert "Usage" in (await run(ADMIN, "persona", "use")).text
    assert "Unknown" in (await run(ADMIN, "parley", "dance")).text
    assert "Unknown" in (await run(ADMIN, "persona", "fly")).text
    assert "built-in" in (await run(ADMIN, "persona", "delete default")).text


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


async def test_usage_shows_mine_and_admins_see_the_workspace(world):
    await world.send(msg("hi", user="U_MEMBER"))
    await world.send(msg("hi", user="U_ADMIN"))
    mine = await world.core.commands.run(MEMBER, "parley", "usage")
    assert "Your usage today: 1 requests" in mine.text
    assert "Workspace" not in mine.text and "U_ADMIN" not in mine.text
    report = await world.core.commands.run(ADMIN, "parley", "usage")
    assert "Your usage today: 1 requests" in report.text
    assert "`U_MEMBER`" in report.text and "`gpt-4o-mini`" in report.text and "by channel" in report.text


async def test_retention_setting_and_purge(world):
    bad = await world.core.commands.run(ADMIN, "parley", "retention soon")
    assert not bad.ok and "Usage" in bad.text
    await world.send(msg("old", key=replace(CHANNEL, thread="1.1"), mentions_bot=True))
    assert (await world.core.commands.run(ADMIN, "parley", "retention 7")).ok
    world.clock.advance(days=8)
    assert await world.core.purger.purge_once() == 2
    assert world.turns.turns == []


def test_command_lines_split_into_command_and_arguments():
    assert split_command_line("/persona use pirate") == ("persona", "use pirate")
    assert split_command_line("  /parley   forget-me ") == ("parley", "forget-me")
    assert split_command_line("hello /persona") is None


async def test_personas_are_per_workspace(world):
    await world.core.commands.run(ADMIN, "persona", "create poet Rhyme.")
    elsewhere = replace(ADMIN, workspace="T2")
    reply = await world.core.commands.run(elsewhere, "persona", "show poet")
    assert not reply.ok
    assert await world.stores.personas.get(WorkspaceScope("slack", "T1"), "poet") is not None
