"""A message delivered twice (a repeated dispatch, a RESUME replay) is answered once; the bot resumes."""

from __future__ import annotations

from tests.bots.discord.test_conversations import THREADS, answer_in, mention
from tests.standins.discord_server import ALICE, DM_ALICE, GENERAL


async def test_the_same_message_create_twice_is_answered_once(parley):
    server, llm = parley.discord, parley.llm
    asked = await server.send_message(ALICE, GENERAL, mention("answer me once"))
    thread_id = int(asked["id"])
    await server.dispatch("MESSAGE_CREATE", asked)  # delivered again at once

    await parley.wait_logged("discord.replied", message_id=thread_id)
    await parley.wait_logged("message.duplicate", event_id=asked["id"])
    assert len(llm.chat_requests) == 1
    assert [m["content"] for m in server.bot_messages(thread_id)] == ["echo: answer me once"]
    assert sorted(c.status for c in server.calls_to("POST", THREADS)) == [201, 400]  # one thread: Discord says so


async def test_after_a_resume_the_replayed_message_is_not_answered_again(parley):
    server, llm = parley.discord, parley.llm
    asked = await server.send_message(ALICE, GENERAL, mention("survive a reconnect"))
    thread_id = int(asked["id"])
    await answer_in(server, thread_id, "echo: survive a reconnect")
    await parley.wait_logged("discord.replied", message_id=thread_id)

    # The socket drops (close 4000); the client RESUMEs and Discord replays from the mention on.
    await server.reconnect(replay_from=server.seq_of(thread_id))
    assert len(server.identifies) == 1 and len(server.resumes) == 1  # resumed the session, no new IDENTIFY
    await parley.wait_logged("message.duplicate", event_id=asked["id"])
    await parley.wait_logged("discord.resumed")

    await server.send_message(ALICE, DM_ALICE, "still there?")
    await answer_in(server, DM_ALICE, "echo: still there?")
    assert len(llm.chat_requests) == 2
    assert [m["content"] for m in server.bot_messages(thread_id)] == ["echo: survive a reconnect"]


async def test_a_message_sent_while_disconnected_arrives_after_the_resume(parley):
    server = parley.discord
    await server.disconnect(code=4000)
    await server.send_message(ALICE, DM_ALICE, "did you miss me?")  # buffered until the client resumes
    await answer_in(server, DM_ALICE, "echo: did you miss me?")
    assert len(server.resumes) == 1 and len(server.identifies) == 1
