"""👍 / 👎 on Discord, through discord.py and the stand-in: buttons on the answer's last message, clicks
recorded once then changed, a 👎's comment in a modal, `/parley feedback`, and buttons that still work after
a restart (dynamic items keyed by custom_id)."""

from __future__ import annotations

from tests.bots.discord.test_commands import EPHEMERAL, MODAL, command, said, submit
from tests.bots.discord.test_conversations import answer_in, mention
from tests.standins.discord_server import ALICE, BOB, GENERAL

ANSWER = "echo: what is the capital of France?"


def buttons(message: dict) -> list[str]:
    return [c["custom_id"] for row in message["components"] for c in row["components"]]


async def answered_with_buttons(server, thread_id: int) -> dict:
    """The answer's message once it carries its buttons (the last edit of the answer)."""
    return await server.wait_for(lambda: next((m for m in server.bot_messages(thread_id) if m["components"]), None))


async def click(server, user, message: dict, custom_id: str):
    interaction_id = await server.click(user, int(message["id"]), custom_id)
    return await server.wait_for_answer(interaction_id)


async def test_clicks_are_recorded_once_then_changed_and_counted(parley):
    server = parley.discord
    asked = await server.send_message(ALICE, GENERAL, mention("what is the capital of France?"))
    await answer_in(server, int(asked["id"]), ANSWER)
    answer = await answered_with_buttons(server, int(asked["id"]))
    up, down = buttons(answer)
    assert (up, down) == (f"parley:fb:up:{asked['id']}", f"parley:fb:down:{asked['id']}")

    thanks = await click(server, BOB, answer, up)
    assert thanks.original["flags"] & EPHEMERAL and "👍" in thanks.original["content"]
    again = await click(server, BOB, answer, up)
    assert "already" in again.original["content"]
    form = await click(server, BOB, answer, down)  # changed: the comment modal opens
    assert form.response_type == MODAL
    saved = await submit(server, BOB, GENERAL, form, {"comment": "Paris is right, but say why."})
    assert "saved" in said(saved)
    await click(server, ALICE, answer, up)

    report = await command(server, ALICE, GENERAL, "parley", "feedback")
    assert "1 / 1 · 1 / 1" in said(report) and "say why" in said(report)


async def test_the_buttons_still_work_after_a_restart(start_parley):
    first = await start_parley()
    server = first.discord
    asked = await server.send_message(ALICE, GENERAL, mention("what is the capital of France?"))
    answer = await answered_with_buttons(server, int(asked["id"]))
    await first.bot.in_flight.drain(timeout=1.0)
    await first.bot.close()

    await start_parley()  # a new process: it never sent those buttons
    thanks = await click(server, BOB, answer, buttons(answer)[0])
    assert "Thanks for the 👍" in thanks.original["content"]
