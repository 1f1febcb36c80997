"""``/parley access``, ``/parley summon``, ``/parley model``: parsing, refusals, the audit log, privacy."""

from __future__ import annotations

from dataclasses import replace

import pytest

from core.access.values import Kind, SubjectInvalid, parse_subject
from core.messages import OutcomeKind
from core.personas.values import ModelPolicy
from tests.core.conftest import CHANNEL, actor, build_world, msg

ADMIN = actor("U_OWNER")
THREAD = replace(CHANNEL, thread="1.1")


async def _audited(world) -> list[tuple[str, str]]:
    entries = await world.stores.audit.recent(ADMIN.workspace_scope, limit=50)
    return sorted((e.action, e.target) for e in entries)


async def test_every_change_is_audited_and_only_admins_may_make_it(world) -> None:
    refused = await world.core.commands.run(actor("U1"), "parley", "access deny user U2")
    for line in ("access deny user U2", "access allow user U2", "access allow channel C9",
                 "access remove channel C9", "summon always", "summon threads mention", "access clear"):
        assert (await world.core.commands.run(ADMIN, "parley", line)).ok, line

    assert not refused.ok and "Only admins" in refused.text
    assert await _audited(world) == sorted([
        ("access.deny", "user:U2"), ("access.allow", "user:U2"), ("access.allow", "channel:C9"),
        ("access.remove", "channel:C9"), ("channel.summon", "C1"), ("channel.summon", "C1"), ("access.clear", "T1"),
    ])
    entries = await world.stores.audit.recent(ADMIN.workspace_scope, limit=50)
    allow = next(e for e in entries if e.action == "access.allow" and e.target == "user:U2")
    assert (allow.before, allow.after) == ({"effect": "deny"}, {"effect": "allow"})


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("access allow everyone U1", "not one of user, group, role, channel"),
        ("access deny user <#C1>", "is not a user id or mention"),
        ("access deny user", "Usage: `/parley access show`"),
        ("access remove user U_NOBODY", "There is no such rule"),
        ("access frobnicate", "Usage"),
        ("summon sometimes", "Usage: `/parley summon show`"),
        ("summon threads never", "Usage"),
        ("model a b", "Usage: `/parley model`"),
    ],
)
async def test_a_bad_line_gets_a_clear_message_and_changes_nothing(world, line: str, says: str) -> None:
    reply = await world.core.commands.run(ADMIN, "parley", line)
    assert not reply.ok and says in reply.text
    assert await world.stores.access.rules(ADMIN.workspace_scope) == []


def test_ids_are_taken_from_each_platforms_mentions() -> None:
    assert parse_subject(Kind.USER, "<@U123|ann>") == "U123"
    assert parse_subject(Kind.USER, "<@!4242>") == "4242"
    assert parse_subject(Kind.GROUP, "<@&77>") == "77"
    assert parse_subject(Kind.CHANNEL, "<#C9|general>") == "C9"
    with pytest.raises(SubjectInvalid):
        parse_subject(Kind.GROUP, "<@U123>")


async def test_bare_commands_show_what_is_in_force(world) -> None:
    for line in ("access", "summon", "model"):
        reply = await world.core.commands.run(actor("U1"), "parley", line)
        assert reply.ok and reply.text, line


async def test_summoning_in_a_dm_is_refused(world) -> None:
    reply = await world.core.commands.run(actor("U_OWNER", channel="D1", is_dm=True), "parley", "summon off")
    assert not reply.ok and "direct message" in reply.text


def _world_with_models():
    return build_world(models=ModelPolicy(allowed=frozenset({"gpt-4o-mini", "gpt-4o", "gpt-4.1"})))


async def test_a_person_picks_a_model_the_persona_lists_and_is_answered_with_it() -> None:
    world = _world_with_models()
    created = await world.core.commands.run(
        ADMIN, "persona", "create helper model=gpt-4o-mini models=gpt-4o,gpt-4.1 Be helpful."
    )
    await world.core.commands.run(ADMIN, "persona", "use helper")

    menu = await world.core.commands.run(actor("U1"), "parley", "model")
    picked = await world.core.commands.run(actor("U1"), "parley", "model gpt-4o")
    outside = await world.core.commands.run(actor("U1"), "parley", "model gpt-5-huge")
    await world.send(msg(key=THREAD, user="U1", mentions_bot=True))
    await world.send(msg(key=replace(THREAD, thread="2.2"), user="U2", mentions_bot=True))

    assert created.ok, created.text
    assert "`gpt-4o-mini`, `gpt-4o`, `gpt-4.1`" in menu.text
    assert picked.ok and "`gpt-4o`" in picked.text
    assert not outside.ok and "not one you can pick" in outside.text
    assert [r.model for r in world.llm.requests] == ["gpt-4o", "gpt-4o-mini"]  # U2 did not pick


async def test_admins_can_forbid_picking_and_a_persona_cannot_list_a_model_the_operator_forbids() -> None:
    world = _world_with_models()
    await world.core.commands.run(ADMIN, "persona", "create helper models=gpt-4o Be helpful.")
    await world.core.commands.run(ADMIN, "persona", "use helper")
    await world.core.commands.run(actor("U1"), "parley", "model gpt-4o")
    edited = await world.core.commands.run(ADMIN, "persona", "edit helper choice=off")
    refused = await world.core.commands.run(actor("U1"), "parley", "model gpt-4o")
    not_allowed = await world.core.commands.run(ADMIN, "persona", "create other models=gpt-9 Hi.")
    await world.send(msg(key=THREAD, user="U1", mentions_bot=True))

    assert edited.ok, edited.text
    assert not refused.ok and "does not let people pick" in refused.text
    assert not not_allowed.ok and "`gpt-9`" in not_allowed.text
    assert world.llm.requests[-1].model == "gpt-4o-mini"  # the earlier pick no longer applies
    shown = await world.core.commands.run(ADMIN, "persona", "show helper")
    assert "may not pick" in shown.text


async def test_forget_me_and_reset_remove_model_choices() -> None:
    world = _world_with_models()
    await world.core.commands.run(ADMIN, "persona", "create helper models=gpt-4o Be helpful.")
    await world.core.commands.run(ADMIN, "persona", "use helper")
    for user in ("U1", "U2"):
        assert (await world.core.commands.run(actor(user), "parley", f"model gpt-4o")).ok
    await world.core.commands.run(actor("U1"), "parley", "forget-me")
    assert await world.stores.access.channel_choices(CHANNEL.channel_scope()) == {"U2": "gpt-4o"}
    await world.core.commands.run(ADMIN, "parley", "reset")
    assert await world.stores.access.channel_choices(CHANNEL.channel_scope()) == {}


async def test_a_persona_edited_in_the_form_keeps_its_models() -> None:
    world = _world_with_models()
    await world.core.commands.run(ADMIN, "persona", "create helper models=gpt-4o Be helpful.")
    await world.core.commands.submit_persona_form(
        ADMIN, editing="helper", fields={"system_prompt": "Be brief.", "model": "gpt-4o-mini"}
    )
    persona = await world.stores.personas.get(ADMIN.workspace_scope, "helper")
    assert persona.models == ("gpt-4o",) and persona.system_prompt == "Be brief."


async def test_export_holds_the_channels_summoning_and_model_choices() -> None:
    import json

    world = _world_with_models()
    await world.core.commands.run(ADMIN, "persona", "create helper models=gpt-4o Be helpful.")
    await world.core.commands.run(ADMIN, "persona", "use helper")
    await world.core.commands.run(ADMIN, "parley", "summon always")
    await world.core.commands.run(actor("U1"), "parley", "model gpt-4o")
    await world.send(msg(key=THREAD, user="U1", mentions_bot=True))

    reply = await world.core.commands.run(ADMIN, "parley", "export")
    lines = [json.loads(line) for line in reply.file.content.decode().splitlines()]
    assert [line.get("role") for line in lines[:2]] == ["user", "assistant"]
    assert lines[2:] == [
        {"setting": "summoning", "mode": "always", "threads": "auto"},
        {"setting": "model_choice", "user": "U1", "model": "gpt-4o"},
    ]
