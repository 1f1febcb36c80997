"""Thread context on Discord: the real discord.py reads a thread's history and a reply chain."""

from __future__ import annotations

from tests.standins.discord_server import ALICE, BOB, BOT, GENERAL, HELPER_BOT, DiscordStandIn
from tests.standins.discord_server.world import READ_MESSAGE_HISTORY
from tests.standins.openai_server import Reply

HISTORY = "/channels/{channel_id}/messages"
ONE_MESSAGE = "/channels/{channel_id}/messages/{message_id}"


def mention(text: str) -> str:
    return f"<@{BOT}> {text}"


def non_system(request) -> list[dict]:
    return [m for m in request.json["messages"] if m["role"] != "system"]


async def answered(server: DiscordStandIn, channel_id: int) -> None:
    await server.wait_for(lambda: any(m["content"].startswith("echo: ") and not m["content"] == "echo: "
                                      for m in server.bot_messages(channel_id)))


async def test_a_mention_in_a_thread_carries_its_earlier_messages_in_order_with_names(parley):
    server = parley.discord
    thread = await server.start_user_thread(BOB, GENERAL, "release")
    await server.send_message(ALICE, thread, "the release is blocked on the migration")
    await server.send_message(BOB, thread, "I can review it after lunch, mail bob@example.com")
    await server.send_message(HELPER_BOT, thread, "build 812 passed")

    await server.send_message(ALICE, thread, mention("so when do we ship?"))
    await answered(server, thread)

    assert non_system(parley.llm.chat_requests[-1]) == [
        {"role": "user", "content": "[Alice] the release is blocked on the migration"},
        {"role": "user", "content": "[Bob] I can review it after lunch, mail [email]"},
        {"role": "user", "content": "[Helper (a bot)] build 812 passed"},
        {"role": "user", "content": "so when do we ship?"},
    ]
    (listed,) = [c for c in server.calls_to("GET", HISTORY) if c.params["channel_id"] == str(thread)]
    assert "before" in listed.query and "after" not in listed.query and 1 <= int(listed.query["limit"]) <= 100


async def test_a_mention_replying_to_a_chain_carries_the_chain(start_parley, discord_server):
    # Said before Parley connected: not in its cache, so each link is fetched (Read Message History).
    first = await discord_server.send_message(ALICE, GENERAL, "the deploy broke last night")
    second = await discord_server.send_message(BOB, GENERAL, "it was the cache", reply_to=int(first["id"]))
    await discord_server.send_message(ALICE, GENERAL, "unrelated chatter")
    parley = await start_parley()

    asked = await discord_server.send_message(ALICE, GENERAL, mention("what broke?"), reply_to=int(second["id"]))
    await answered(discord_server, int(asked["id"]))

    assert non_system(parley.llm.chat_requests[-1]) == [
        {"role": "user", "content": "[Alice] the deploy broke last night"},
        {"role": "user", "content": "[Bob] it was the cache"},
        {"role": "user", "content": "what broke?"},
    ]
    fetched = [c.params["message_id"] for c in discord_server.calls_to("GET", ONE_MESSAGE)]
    assert fetched == [second["id"], first["id"]]  # each link (Parley keeps no message cache)


async def test_without_read_message_history_the_answer_comes_without_context(start_parley, discord_server):
    first = await discord_server.send_message(BOB, GENERAL, "the deploy broke last night")
    discord_server.deny(GENERAL, READ_MESSAGE_HISTORY)
    parley = await start_parley()

    asked = await discord_server.send_message(ALICE, GENERAL, mention("what broke?"), reply_to=int(first["id"]))
    await answered(discord_server, int(asked["id"]))

    assert non_system(parley.llm.chat_requests[-1]) == [{"role": "user", "content": "what broke?"}]
    assert {c.status for c in discord_server.calls_to("GET", ONE_MESSAGE)} == {403}
    await parley.wait_logged("discord.history_forbidden")
    await parley.wait_logged("thread_context.unavailable", reason="missing_permission:read_message_history")


async def test_parley_summarize_typed_in_a_thread_summarises_that_thread_for_the_asker(parley):
    server = parley.discord
    parley.llm.script(Reply("- Bob reviews after lunch"))
    thread = await server.start_user_thread(BOB, GENERAL, "review")
    await server.send_message(ALICE, thread, "can someone review my PR?")
    await server.send_message(BOB, thread, "after lunch")

    interaction_id = await server.run_command(ALICE, thread, "parley", "summarize")
    state = await server.wait_for(lambda: (s := server.interactions[interaction_id]).followups and s)

    (request,) = parley.llm.chat_requests
    assert request.json["messages"][-1]["content"] == "[Alice] can someone review my PR?\n[Bob] after lunch"
    shown = state.original["content"] if state.original else state.followups[0]["content"]
    assert "- Bob reviews after lunch" in shown and state.original["flags"] & 64  # ephemeral: only Alice sees it
    offer = state.followups[-1]  # and a button that posts it in the thread for everyone
    (button,) = offer["components"][0]["components"]
    pressed = await server.press_button(ALICE, thread, offer, button["custom_id"])
    await server.wait_for_answer(pressed)
    (shared,) = server.bot_messages(thread)
    assert "- Bob reviews after lunch" in shared["content"] and "Summary of this thread" in shared["content"]


async def test_the_message_command_summarize_thread_works_from_any_message_of_it(parley):
    server = parley.discord
    parley.llm.script(Reply("- Bob reviews after lunch"))
    thread = await server.start_user_thread(BOB, GENERAL, "review")
    await server.send_message(ALICE, thread, "can someone review my PR?")
    picked = await server.send_message(BOB, thread, "after lunch")
    menu = [c for c in server.commands["global"] if c.get("type") == 3]
    assert [c["name"] for c in menu] == ["Summarize thread"]

    interaction_id = await server.run_message_command(ALICE, thread, "Summarize thread", int(picked["id"]))
    state = await server.wait_for_answer(interaction_id)

    assert parley.llm.chat_requests[0].json["messages"][-1]["content"] == (
        "[Alice] can someone review my PR?\n[Bob] after lunch"
    )
    assert "- Bob reviews after lunch" in state.original["content"]


async def test_the_message_command_on_a_message_outside_any_thread_says_so(parley):
    server = parley.discord
    plain = await server.send_message(ALICE, GENERAL, "just a message")
    interaction_id = await server.run_message_command(BOB, GENERAL, "Summarize thread", int(plain["id"]))
    state = await server.wait_for_answer(interaction_id)
    assert "not in a thread" in state.original["content"] and parley.llm.chat_requests == []


async def test_a_channel_summary_is_private_with_a_button_that_shares_it_in_the_channel(parley):
    server = parley.discord
    parley.llm.script(Reply("- the build is red"))
    await server.send_message(BOB, GENERAL, "the build is red")

    interaction_id = await server.run_command(ALICE, GENERAL, "parley", "summarize", {"hours": "2"})
    state = await server.wait_for(lambda: (s := server.interactions[interaction_id]).followups and s)

    assert state.original["flags"] & 64 and "- the build is red" in state.original["content"]  # only Alice
    offer = state.followups[-1]
    (button,) = offer["components"][0]["components"]
    assert offer["flags"] & 64 and not server.bot_messages(GENERAL)

    pressed = await server.press_button(ALICE, GENERAL, offer, button["custom_id"])
    await server.wait_for_answer(pressed)
    (shared,) = server.bot_messages(GENERAL)
    assert "- the build is red" in shared["content"] and "last 2 hours" in shared["content"]
