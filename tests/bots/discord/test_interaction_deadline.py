"""Discord wants a first response to a command within 3 seconds: slow work is deferred, then answered.

``HeldRouter`` stands between the adapter and the core's command router and
answers only once the test releases it: a command whose work takes as long as
the test wants.  The stand-in's clock then jumps past Discord's deadline,
which a response sent after it would have missed.
"""

from __future__ import annotations

import asyncio

from bots.discord.texts import COMMAND_FAILED, FORM_TOO_LATE
from core.commands import CommandRouter
from tests.bots.discord.test_commands import EPHEMERAL, MESSAGE_REPLY, PIRATE, command, said
from tests.standins.discord_server import ALICE, BOB, GENERAL

DEFERRED = 5


class HeldRouter:
    """The core's router, whose answers wait while the test holds it."""

    def __init__(self) -> None:
        self._router: CommandRouter | None = None
        self._open = asyncio.Event()
        self._open.set()
        self.failure: Exception | None = None  # raised instead of answering, once released

    def wrap(self, router: CommandRouter) -> HeldRouter:
        self._router = router
        return self

    def hold(self) -> None:
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    async def run(self, actor, command: str, args: str = ""):
        await self._open.wait()
        if self.failure is not None:
            raise self.failure
        return await self._router.run(actor, command, args)

    async def submit_persona_form(self, actor, *, editing, fields):
        await self._open.wait()
        return await self._router.submit_persona_form(actor, editing=editing, fields=fields)


async def held_parley(start_parley) -> tuple[object, HeldRouter]:
    held = HeldRouter()
    return await start_parley(wrap_router=held.wrap), held


async def test_a_quick_answer_is_the_first_response_itself(parley):
    answer = await command(parley.discord, BOB, GENERAL, "parley", "help")
    assert answer.response_type == MESSAGE_REPLY and said(answer).startswith("**Talk to me**")


async def test_a_command_that_takes_long_is_deferred_privately_then_answered(start_parley):
    parley, held = await held_parley(start_parley)
    server = parley.discord
    held.hold()
    interaction_id = await server.run_command(BOB, GENERAL, "parley", "help")

    first = await server.wait_for_callback(interaction_id)  # while the work is still held
    assert first.response_type == DEFERRED and first.original["flags"] & EPHEMERAL  # "Parley is thinking…", to Bob
    server.advance_clock(60)  # the work took a minute: far past the 3 s Discord gives a first response
    held.release()

    answer = await server.wait_for_answer(interaction_id)
    assert said(answer).startswith("**Talk to me**") and not answer.followups  # it replaced "thinking…"
    await parley.wait_logged("discord.interaction_deferred", interaction=interaction_id)


async def test_a_long_deferred_answer_continues_in_private_follow_ups(start_parley):
    parley, held = await held_parley(start_parley)
    server = parley.discord
    prompt = " ".join(["Speak like a seasoned pirate captain."] * 80)  # ~3,000 characters
    said(await command(server, ALICE, GENERAL, "persona", "create", definition=f"captain {prompt}"))
    held.hold()
    interaction_id = await server.run_command(ALICE, GENERAL, "persona", "show", {"name": "captain"})
    await server.wait_for_callback(interaction_id)
    held.release()

    answer = await server.wait_for_answer(interaction_id)
    await server.wait_for(lambda: answer.followups)
    pieces = [said(answer), *(m["content"] for m in answer.followups)]
    assert all(m["flags"] & EPHEMERAL for m in answer.followups) and all(len(p) <= 2_000 for p in pieces)
    assert prompt[-200:] in "".join(pieces).replace("\n", " ")


async def test_a_form_cannot_open_after_a_deferral_so_the_person_is_asked_again(start_parley):
    parley, held = await held_parley(start_parley)
    server = parley.discord
    held.hold()
    interaction_id = await server.run_command(ALICE, GENERAL, "persona", "create")
    assert (await server.wait_for_callback(interaction_id)).response_type == DEFERRED
    held.release()

    answer = await server.wait_for_answer(interaction_id)
    assert said(answer) == FORM_TOO_LATE and answer.modal is None  # no modal tried after the deferral (40060)


async def test_a_form_whose_saving_takes_long_is_deferred_then_confirmed(start_parley):
    parley, held = await held_parley(start_parley)
    server = parley.discord
    form = await command(server, ALICE, GENERAL, "persona", "create")
    held.hold()
    submitted = await server.submit_modal(ALICE, GENERAL, form.modal["custom_id"], PIRATE)
    assert (await server.wait_for_callback(submitted)).response_type == DEFERRED
    server.advance_clock(10)
    held.release()
    assert "Created persona `pirate`" in said(await server.wait_for_answer(submitted))


async def test_a_command_that_fails_after_its_deferral_says_sorry_in_place_of_thinking(start_parley):
    parley, held = await held_parley(start_parley)
    server = parley.discord
    held.hold()
    interaction_id = await server.run_command(BOB, GENERAL, "parley", "usage")
    await server.wait_for_callback(interaction_id)
    held.failure = RuntimeError("the database went away")
    held.release()

    answer = await server.wait_for_answer(interaction_id)
    assert said(answer) == COMMAND_FAILED and not answer.followups
    failed = await parley.wait_logged("discord.command_failed")
    assert (failed["command"], failed["error"]) == ("parley usage", "RuntimeError")
