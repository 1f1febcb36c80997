"""`/parley usage`: what a person used, and for admins the workspace (fakes at the ports)."""

from __future__ import annotations

from tests.core.conftest import actor, msg

ADMIN = actor("U_ADMIN", is_admin=True)
MEMBER = actor("U_MEMBER")


async def test_usage_shows_mine_and_admins_see_the_workspace(world):
    await world.send(msg("hi", user="U_MEMBER"))
    await world.send(msg("hi", user="U_ADMIN"))
    mine = await world.core.commands.run(MEMBER, "parley", "usage")
    assert "Your usage today: 1 requests" in mine.text
    assert "Workspace" not in mine.text and "U_ADMIN" not in mine.text
    report = await world.core.commands.run(ADMIN, "parley", "usage")
    assert "Your usage today: 1 requests" in report.text
    assert "`U_MEMBER`" in report.text and "`gpt-4o-mini`" in report.text and "by channel" in report.text
