"""Who may use it, how it is summoned, and answers that never flood a channel, on Discord: the real discord.py
against the stand-in Discord."""

from __future__ import annotations

from core.access.texts import ANSWER_FILENAME, NOT_ALLOWED_HERE_TEXT
from tests.bots.discord.test_commands import command, said
from tests.bots.discord.test_conversations import answer_in, mention
from tests.standins.discord_server import ALICE, BOB, DM_BOB, GENERAL, MODERATORS
from tests.standins.openai_server import Reply

THREADS = "/channels/{channel_id}/messages/{message_id}/threads"


async def test_a_denied_user_gets_the_private_line_once_by_dm_and_no_model_call(parley):
    server = parley.discord
    done = await command(server, ALICE, GENERAL, "parley", "access", action="deny", kind="user", who=f"<@{BOB.id}>")
    assert "denied" in said(done)

    await server.send_message(BOB, GENERAL, mention("hello?"))
    (note,) = await server.wait_for(lambda: server.bot_messages(DM_BOB) or None)
    await server.send_message(BOB, GENERAL, mention("hello??"))
    alices = await server.send_message(ALICE, GENERAL, mention("and me?"))
    await answer_in(server, int(alices["id"]), "echo: and me?")
    await parley.bot.in_flight.wait_finished(3, timeout=5)

    assert note["content"] == f"{NOT_ALLOWED_HERE_TEXT} (in <#{GENERAL}>)"
    assert len(server.bot_messages(DM_BOB)) == 1  # once an hour, not once a message
    assert len(server.calls_to("POST", THREADS)) == 1  # Alice's: none for Bob
    assert len(parley.llm.chat_requests) == 1


async def test_a_denied_role_keeps_its_members_out(parley):
    server = parley.discord
    done = await command(server, ALICE, GENERAL, "parley", "access", action="deny", kind="role", who=f"<@&{MODERATORS}>")
    shown = await command(server, BOB, GENERAL, "parley", "access")

    await server.send_message(BOB, GENERAL, mention("can a moderator ask?"))  # Bob is a Moderator
    await server.wait_for(lambda: server.bot_messages(DM_BOB) or None)

    assert "denied" in said(done) and f"deny role <@&{MODERATORS}>" in said(shown)
    assert parley.llm.chat_requests == [] and not server.calls_to("POST", THREADS)


async def test_an_always_channel_answers_a_message_without_a_mention_in_a_thread(parley):
    server = parley.discord
    assert "every top-level message" in said(await command(server, ALICE, GENERAL, "parley", "summon", mode="always"))

    asked = await server.send_message(BOB, GENERAL, "how do I reset my password?")

    await answer_in(server, int(asked["id"]), "echo: how do I reset my password?")
    (started,) = server.calls_to("POST", THREADS)
    assert started.params["message_id"] == asked["id"]


async def test_an_off_channel_ignores_a_mention_but_takes_access_show(parley, captured_logs):
    server = parley.discord
    await command(server, ALICE, GENERAL, "parley", "summon", mode="off")

    await server.send_message(BOB, GENERAL, mention("anyone?"))
    shown = await command(server, BOB, GENERAL, "parley", "access", action="show")
    await parley.bot.in_flight.wait_finished(1, timeout=5)

    assert "I ignore this channel" in said(shown)
    assert parley.llm.chat_requests == [] and not server.calls_to("POST", THREADS)
    assert server.bot_messages(GENERAL) == [] and server.bot_messages(DM_BOB) == []


async def test_a_40000_character_answer_becomes_at_most_8_messages_and_a_file(parley):
    server, llm = parley.discord, parley.llm
    answer = " ".join(f"word{n}" for n in range(6_000))[:40_000]
    assert len(answer) == 40_000
    llm.script(Reply(answer, deltas=[answer[:20_000], answer[20_000:]]))

    asked = await server.send_message(ALICE, GENERAL, mention("tell me everything"))
    thread_id = int(asked["id"])
    last = await server.wait_for(
        lambda: next((m for m in server.bot_messages(thread_id) if m["attachments"]), None), timeout=15
    )

    messages = server.bot_messages(thread_id)
    assert len(messages) <= 8 and messages[-1] is last
    (attached,) = last["attachments"]
    assert attached["filename"] == ANSWER_FILENAME
    assert "answer is long" in last["content"]
    uploaded = next(c for c in server.calls_to("POST", "/channels/{channel_id}/messages") if c.files)
    assert uploaded.files[0][1].decode() == answer
    assert all(len(m["content"]) <= 2_000 for m in messages)


async def test_a_persons_model_choice_survives_a_restart_and_one_outside_the_list_is_refused(start_parley):
    first = await start_parley()
    server = first.discord
    created = await command(server, ALICE, GENERAL, "persona", "create", definition="helper models=gpt-4o Be helpful.")
    await command(server, ALICE, GENERAL, "persona", "use", name="helper")
    picked = await command(server, BOB, GENERAL, "parley", "model", name="gpt-4o")
    refused = await command(server, BOB, GENERAL, "parley", "model", name="gpt-5-ultra")
    assert "Created" in said(created) and "`gpt-4o`" in said(picked) and "not one you can pick" in said(refused)
    await first.bot.close()  # the process goes away; the next one starts on the same database

    again = await start_parley()
    asked = await server.send_message(BOB, GENERAL, mention("which model?"))
    await answer_in(server, int(asked["id"]), "echo: which model?")
    assert [r.json["model"] for r in again.llm.chat_requests] == ["gpt-4o"]
