"""`/persona …`: create, edit, use, default, delete, with admin checks and audit (fakes at the ports)."""

from __future__ import annotations

from dataclasses import replace

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


async def test_personas_are_per_workspace(world):
    await world.core.commands.run(ADMIN, "persona", "create poet Rhyme.")
    elsewhere = replace(ADMIN, workspace="T2")
    reply = await world.core.commands.run(elsewhere, "persona", "show poet")
    assert not reply.ok
    assert await world.stores.personas.get(WorkspaceScope("slack", "T1"), "poet") is not None


def test_channel_context_is_a_whole_number_from_0_to_20():
    from core.personas.values import PersonaInvalid, parse_persona

    assert parse_persona(name="p", system_prompt="x", model="m", channel_context="3").channel_context == 3
    assert parse_persona(name="p", system_prompt="x", model="m").channel_context == 0
    for bad in ("21", "-1", "a few"):
        try:
            parse_persona(name="p", system_prompt="x", model="m", channel_context=bad)
        except PersonaInvalid as invalid:
            assert [e.field for e in invalid.errors] == ["channel_context"]
        else:
            raise AssertionError(f"{bad!r} was accepted")
