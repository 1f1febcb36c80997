"""Mentions, threads, replies, DMs and what is ignored: the real discord.py against the stand-in Discord."""

from __future__ import annotations

from tests.standins.discord_server import (
    ALICE, BOB, BOT, DM_ALICE, GENERAL, GUILD_ID, HELPER_BOT, MODERATORS, QUIET, DiscordStandIn,
)

MESSAGES = "/channels/{channel_id}/messages"
EDIT = "/channels/{channel_id}/messages/{message_id}"
THREADS = "/channels/{channel_id}/messages/{message_id}/threads"
TYPING = "/channels/{channel_id}/typing"


def mention(text: str) -> str:
    return f"<@{BOT}> {text}"


async def answer_in(server: DiscordStandIn, channel_id: int, text: str) -> dict:
    """Wait until the bot's messages in ``channel_id`` include one with exactly ``text``."""
    return await server.wait_for(
        lambda: next((m for m in server.bot_messages(channel_id) if m["content"] == text), None)
    )


def user_texts(request) -> list[str]:
    return [m["content"] for m in request.json["messages"] if m["role"] != "system"]


async def test_a_mention_starts_a_thread_and_the_answer_streams_into_it(parley):
    server = parley.discord
    asked = await server.send_message(ALICE, GENERAL, mention("what is the capital of France?"))
    thread_id = int(asked["id"])

    await answer_in(server, thread_id, "echo: what is the capital of France?")
    (started,) = server.calls_to("POST", THREADS)
    assert started.params == {"channel_id": str(GENERAL), "message_id": asked["id"]}
    assert started.json["name"] == "what is the capital of France?"
    assert server.threads[thread_id]["owner_id"] == str(BOT)

    posts = [c for c in server.calls_to("POST", MESSAGES) if c.params["channel_id"] == str(thread_id)]
    edits = [c for c in server.calls_to("PATCH", EDIT) if c.params["channel_id"] == str(thread_id)]
    assert [p.json["content"] for p in posts] == ["echo: "]  # the first token, at once
    assert edits and edits[-1].json["content"] == "echo: what is the capital of France?"
    assert all("message_reference" not in p.json for p in posts)  # in a thread: no reply needed
    assert posts[0].json["allowed_mentions"] == {"parse": []}  # an answer never pings
    assert user_texts(parley.llm.chat_requests[-1]) == ["what is the capital of France?"]


async def test_typing_shows_in_the_thread_until_the_first_token(parley):
    server, llm = parley.discord, parley.llm
    gate = llm.hold()
    asked = await server.send_message(ALICE, GENERAL, mention("think hard"))
    thread_id = int(asked["id"])
    await llm.wait_for_held(1)
    await server.wait_for(lambda: server.calls_to("POST", TYPING))
    (typing,) = server.calls_to("POST", TYPING)
    assert typing.params["channel_id"] == str(thread_id) and not server.bot_messages(thread_id)

    gate.set()
    await answer_in(server, thread_id, "echo: think hard")
    first_post = next(c for c in server.calls_to("POST", MESSAGES) if c.params["channel_id"] == str(thread_id))
    assert typing.at < first_post.at


async def test_where_threads_are_forbidden_the_answer_is_a_reply(parley):
    server = parley.discord
    server.forbid_threads(QUIET)
    asked = await server.send_message(ALICE, QUIET, mention("no threads here?"))

    reply = await answer_in(server, QUIET, "echo: no threads here?")
    (attempt,) = server.calls_to("POST", THREADS)
    assert attempt.status == 403
    assert reply["message_reference"]["message_id"] == asked["id"]
    assert user_texts(parley.llm.chat_requests[-1]) == ["no threads here?"]


async def test_a_follow_up_in_the_thread_needs_no_mention_and_remembers(parley):
    server = parley.discord
    asked = await server.send_message(ALICE, GENERAL, mention("my name is Ada"))
    thread_id = int(asked["id"])
    await answer_in(server, thread_id, "echo: my name is Ada")

    await server.send_message(ALICE, thread_id, "what is my name?")
    await answer_in(server, thread_id, "echo: what is my name?")
    assert user_texts(parley.llm.chat_requests[-1]) == ["my name is Ada", "echo: my name is Ada", "what is my name?"]
    assert len(server.calls_to("POST", THREADS)) == 1  # no new thread for a follow-up


async def test_in_someone_elses_thread_the_bot_answers_only_once_it_takes_part(parley):
    server, llm = parley.discord, parley.llm
    thread_id = await server.start_user_thread(ALICE, GENERAL, "planning")
    await server.send_message(ALICE, thread_id, "nobody asked the bot yet")
    await server.send_message(ALICE, thread_id, mention("now we do"))
    await answer_in(server, thread_id, "echo: now we do")
    assert len(llm.chat_requests) == 1  # the first message was left alone

    await server.send_message(BOB, thread_id, "and a follow-up")
    await answer_in(server, thread_id, "echo: and a follow-up")
    assert not server.calls_to("POST", THREADS)


async def test_a_dm_is_answered_in_the_dm(parley):
    server = parley.discord
    await server.send_message(ALICE, DM_ALICE, "hello in private")
    await answer_in(server, DM_ALICE, "echo: hello in private")
    assert not server.calls_to("POST", THREADS)
    await server.send_message(ALICE, DM_ALICE, "again")
    await answer_in(server, DM_ALICE, "echo: again")
    assert user_texts(parley.llm.chat_requests[-1]) == ["hello in private", "echo: hello in private", "again"]


async def test_mentions_become_names_before_the_core_sees_the_text(parley):
    server = parley.discord
    asked = await server.send_message(ALICE, GENERAL, mention(f"ask <@{BOB.id}> in <#{QUIET}> and <@&{MODERATORS}>"))
    await answer_in(server, int(asked["id"]), "echo: ask @Bob in #quiet and @Moderators")


async def test_own_messages_other_bots_edits_and_system_messages_are_ignored(parley):
    server, llm = parley.discord, parley.llm
    await server.send_message(HELPER_BOT, GENERAL, mention("bots talking to bots"))
    edited = await server.send_message(ALICE, GENERAL, "a plain message")
    await server.dispatch("MESSAGE_UPDATE", {**edited, "content": mention("edited in a mention")})
    joined = {**edited, "id": str(int(edited["id"]) + 1), "type": 7, "content": mention("")}
    await server.dispatch("MESSAGE_CREATE", joined)

    dm = await server.send_message(ALICE, DM_ALICE, "only this")
    await answer_in(server, DM_ALICE, "echo: only this")
    await parley.wait_logged("discord.replied", message_id=int(dm["id"]))
    assert len(llm.chat_requests) == 1  # its own echoed answer was not answered either
    assert not server.calls_to("POST", THREADS)


async def test_other_bots_are_answered_when_allowed(start_parley):
    parley = await start_parley(allow_bot_messages=True)
    asked = await parley.discord.send_message(HELPER_BOT, GENERAL, mention("hello, fellow bot"))
    await answer_in(parley.discord, int(asked["id"]), "echo: hello, fellow bot")
    assert len(parley.llm.chat_requests) == 1


async def test_the_guild_is_the_workspace_and_the_parent_channel_holds_memory(parley):
    server = parley.discord
    asked = await server.send_message(ALICE, GENERAL, mention("remember this"))
    await answer_in(server, int(asked["id"]), "echo: remember this")
    replied = await parley.wait_logged("discord.replied", message_id=int(asked["id"]))
    assert replied["guild"] == GUILD_ID and replied["thread"] == asked["id"] and replied["outcome"] == "answered"
    sent = await parley.wait_logged("reply.sent", event_id=asked["id"])
    assert (sent["platform"], sent["workspace"], sent["channel"], sent["thread"]) == (
        "discord", str(GUILD_ID), str(GENERAL), asked["id"]
    )


async def test_rate_limits_refuse_briefly_and_exempted_server_admins_pass(start_parley):
    parley = await start_parley(rate_limit_user="1/minute", rate_limit_exempt_admins=True)
    server, llm = parley.discord, parley.llm
    for text in ("first", "second"):  # Alice has Manage Server
        asked = await server.send_message(ALICE, GENERAL, mention(f"alice {text}"))
        await answer_in(server, int(asked["id"]), f"echo: alice {text}")
    asked = await server.send_message(BOB, GENERAL, mention("bob first"))
    await answer_in(server, int(asked["id"]), "echo: bob first")
    await server.send_message(BOB, GENERAL, mention("bob second"))
    refusal = await server.wait_for(lambda: next(
        (m for m in server.messages.values() if int(m["author"]["id"]) == BOT and "limit of 1 per minute" in m["content"]),
        None,
    ))
    assert "Try again in" in refusal["content"]
    assert [user_texts(r)[-1] for r in llm.chat_requests] == ["alice first", "alice second", "bob first"]


async def test_a_question_deleted_before_its_thread_starts_is_left_unanswered(parley):
    server = parley.discord
    asked = await server.send_message(ALICE, GENERAL, mention("on second thought, never mind"))
    await server.delete_message(int(asked["id"]))  # before Parley asks Discord for the thread

    await parley.wait_logged("discord.question_deleted", message_id=int(asked["id"]))
    assert [c.status for c in server.calls_to("POST", THREADS)] == [404]
    assert not parley.llm.chat_requests and not server.bot_messages(GENERAL)  # no apology for nothing either


async def test_a_reply_whose_question_was_deleted_meanwhile_is_still_posted(parley):
    server, llm = parley.discord, parley.llm
    server.forbid_threads(QUIET)
    gate = llm.hold()
    try:
        asked = await server.send_message(ALICE, QUIET, mention("answer me anyway"))
        await llm.wait_for_held(1)
        await server.delete_message(int(asked["id"]))
    finally:
        gate.set()
    answer = await answer_in(server, QUIET, "echo: answer me anyway")
    assert "message_reference" not in answer  # Discord posts it as a plain message (fail_if_not_exists: false)
