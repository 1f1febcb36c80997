"""Nothing Parley posts pings anyone: mentions in model output and in command replies show, and notify nobody.

The stand-in notes every send or edit whose mentions its ``allowed_mentions``
lets through (``pings``); the Discord fixture also checks it is empty after
every test.
"""

from __future__ import annotations

from tests.bots.discord.test_commands import command, said
from tests.bots.discord.test_conversations import answer_in, mention
from tests.bots.discord.test_interaction_deadline import held_parley
from tests.standins.discord_server import ALICE, BOB, GENERAL, MODERATORS, QUIET
from tests.standins.discord_server.pings import would_ping
from tests.standins.openai_server import Reply

PINGS = f"@everyone and @here, ask <@{BOB.id}> or <@&{MODERATORS}>"


def test_the_stand_in_knows_who_a_message_would_ping():
    assert would_ping(PINGS, None) == ["@everyone", "@here", f"user:{BOB.id}", f"role:{MODERATORS}"]
    assert would_ping(PINGS, {"parse": []}) == []
    assert would_ping(PINGS, {"parse": ["users"]}) == [f"user:{BOB.id}"]
    assert would_ping(PINGS, {"parse": [], "roles": [MODERATORS]}) == [f"role:{MODERATORS}"]
    assert would_ping("a reply", None, replied_author=ALICE.id) == [f"reply:{ALICE.id}"]
    assert would_ping("a reply", {"parse": []}, replied_author=ALICE.id) == []


async def test_mentions_in_a_streamed_answer_ping_nobody(parley):
    server, llm = parley.discord, parley.llm
    answer = f"{PINGS}. " + "More words follow here. " * 120  # streamed: posted, edited, continued past 2,000
    llm.script(Reply(answer.strip()))
    asked = await server.send_message(ALICE, GENERAL, mention("announce it to everyone"))
    thread_id = int(asked["id"])
    await parley.wait_logged("discord.replied", message_id=thread_id)

    shown = [m["content"] for m in server.bot_messages(thread_id)]
    assert shown[0].startswith(PINGS) and len(shown) >= 2  # the mentions are shown as written
    assert server.calls_to("PATCH", "/channels/{channel_id}/messages/{message_id}")  # edits were made too
    assert server.pings == []


async def test_a_reply_with_mentions_pings_nobody_not_even_the_asker(parley):
    server, llm = parley.discord, parley.llm
    server.forbid_threads(QUIET)
    llm.script(Reply(PINGS))
    await server.send_message(ALICE, QUIET, mention("reply to me"))
    reply = await answer_in(server, QUIET, PINGS)
    assert reply["message_reference"] and server.pings == []


async def test_mentions_in_command_replies_ping_nobody_answered_at_once_or_later(start_parley):
    parley, held = await held_parley(start_parley)
    server = parley.discord
    prompt = f"Greet {PINGS}. " + "Keep it short. " * 200  # ~3,000 characters: two pieces
    said(await command(server, ALICE, GENERAL, "persona", "create", definition=f"herald {prompt}"))
    at_once = await command(server, BOB, GENERAL, "persona", "show", name="herald")
    assert PINGS in await everything_said(server, at_once)

    held.hold()
    later = await server.run_command(BOB, GENERAL, "persona", "show", {"name": "herald"})
    await server.wait_for_callback(later)
    held.release()
    answer = await server.wait_for_answer(later)
    assert PINGS in await everything_said(server, answer) and server.pings == []


async def everything_said(server, answer) -> str:
    """The answer's text once its follow-ups (a long answer's further pieces) arrived."""
    await server.wait_for(lambda: answer.followups)
    return "\n".join([said(answer), *(m["content"] for m in answer.followups)])
