"""`/parley memory off|on` and `/parley export` (fakes at the ports)."""

from __future__ import annotations

import json
from dataclasses import replace

from core.channels.export import JSONL_MIME_TYPE
from core.messages import OutcomeKind
from core.records import ChannelSettings
from tests.core.conftest import CHANNEL, DM, actor, msg

ADMIN = actor("U_OWNER")
MEMBER = actor("U2")


async def test_memory_off_answers_from_the_message_alone_and_stores_nothing(world):
    await world.send(msg("remember: the code word is teal", key=CHANNEL, mentions_bot=True))
    refused = await world.core.commands.run(MEMBER, "parley", "memory off")
    assert not refused.ok and "Only admins" in refused.text
    reply = await world.core.commands.run(ADMIN, "parley", "memory off")
    assert reply.ok and "store nothing" in reply.text
    stored = len(world.turns.turns)

    _, outcome = await world.send(msg("what is the code word?", key=CHANNEL, mentions_bot=True))
    assert outcome.kind is OutcomeKind.ANSWERED
    assert [m.role for m in world.llm.requests[-1].messages] == ["system", "user"]
    assert len(world.turns.turns) == stored

    assert (await world.core.commands.run(ADMIN, "parley", "memory on")).ok
    assert await world.stores.channel_settings.get(CHANNEL.channel_scope()) == ChannelSettings(memory_enabled=True)
    audit = [(e.action, e.before, e.after) for e in world.stores.audit.entries]
    assert audit == [
        ("channel.memory", {"memory_enabled": True}, {"memory_enabled": False}),
        ("channel.memory", {"memory_enabled": False}, {"memory_enabled": True}),
    ]
    bad = await world.core.commands.run(ADMIN, "parley", "memory maybe")
    assert not bad.ok and "Usage" in bad.text


async def test_export_gives_an_admin_the_channels_turns_as_json_lines(world):
    empty = await world.core.commands.run(ADMIN, "parley", "export")
    assert empty.ok and empty.file is None and "Nothing is stored" in empty.text
    await world.send(msg("first", key=replace(CHANNEL, thread="1.1"), mentions_bot=True))
    await world.send(msg("second", key=replace(CHANNEL, thread="2.2"), mentions_bot=True, user="U3"))
    await world.send(msg("elsewhere", key=replace(CHANNEL, channel="C9", thread="3.3"), mentions_bot=True))

    refused = await world.core.commands.run(MEMBER, "parley", "export")
    assert not refused.ok and refused.file is None and "Only admins" in refused.text

    reply = await world.core.commands.run(ADMIN, "parley", "export")
    assert reply.ok and reply.ephemeral and "channel's 4 stored messages" in reply.text
    file = reply.file
    assert file is not None and file.mime_type == JSONL_MIME_TYPE and file.filename.endswith(".jsonl")
    rows = [json.loads(line) for line in file.content.decode().splitlines()]
    assert [(r["thread"], r["role"], r["author"], r["content"]) for r in rows] == [
        ("1.1", "user", "U1", "first"), ("1.1", "assistant", "parley", "echo: first"),
        ("2.2", "user", "U3", "second"), ("2.2", "assistant", "parley", "echo: second"),
    ]
    assert rows[0]["created_at"].startswith("2026-11-23T12:00:00") and rows[0]["status"] == "ok"
    assert world.stores.audit.entries[-1].action == "channel.export"


async def test_in_a_dm_the_person_may_export_their_own_conversation(world):
    await world.send(msg("just us", key=DM))
    reply = await world.core.commands.run(actor("U1", channel=DM.channel, is_dm=True), "parley", "export")
    assert reply.ok and reply.file is not None and b"just us" in reply.file.content
