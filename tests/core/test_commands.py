"""The command router: one vocabulary of `/persona …` and `/parley …` for every platform, and who is an admin.

Each feature's own commands are tested in its folder (personas/, channels/, limits/, filters/)."""

from __future__ import annotations

from core.commands import split_command_line
from tests.core.conftest import actor

ADMIN = actor("U_ADMIN", is_admin=True)


async def test_parley_admins_setting_makes_someone_an_admin(world):
    reply = await world.core.commands.run(actor("U_OWNER"), "persona", "create owner Owner's persona.")
    assert reply.ok


async def test_unknown_names_and_subcommands_get_a_hint(world):
    run = world.core.commands.run
    assert "no persona named `ghost`" in (await run(ADMIN, "persona", "use ghost")).text
    assert "Usage" in (await run(ADMIN, "persona", "use")).text
    assert "Unknown" in (await run(ADMIN, "parley", "dance")).text
    assert "Unknown" in (await run(ADMIN, "persona", "fly")).text
    assert "built-in" in (await run(ADMIN, "persona", "delete default")).text


def test_command_lines_split_into_command_and_arguments():
    assert split_command_line("/persona use pirate") == ("persona", "use pirate")
    assert split_command_line("  /parley   forget-me ") == ("parley", "forget-me")
    assert split_command_line("hello /persona") is None
