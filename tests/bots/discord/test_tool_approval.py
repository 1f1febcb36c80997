"""Tool approval on Discord, through discord.py and the stand-in: buttons in the asker's thread, another
person's click refused privately, the asker's click runs the tool, and the status line is edited meanwhile."""

from __future__ import annotations

import json

import pytest

from core.admin import Actor
from tests.bots.discord.test_conversations import answer_in, mention
from tests.core.tools.mcp_server import serve_http
from tests.standins.discord_server import ALICE, BOB, GENERAL, GUILD_ID
from tests.standins.openai_server import CallTools, Reply

EPHEMERAL = 64


@pytest.fixture
async def mcp_url():
    async with serve_http() as url:
        yield url


async def test_only_the_asker_can_approve_and_the_tool_then_runs(start_parley, tmp_path, mcp_url, llm):
    servers = tmp_path / "mcp.json"
    servers.write_text(json.dumps({"servers": {"calc": {"url": mcp_url}}}))
    parley = await start_parley(mcp_servers_file=str(servers))
    server = parley.discord
    admin = Actor(platform="discord", workspace=str(GUILD_ID), channel=str(GENERAL), user="1", is_admin=True)
    assert (await parley.running.core.commands.run(admin, "persona", "tools default calc.add ask")).ok
    llm.script(CallTools((("calc__add", {"a": 40, "b": 2}),)), Reply("The sum is 42."))

    asked = await server.send_message(BOB, GENERAL, mention("what is 40 + 2?"))
    thread_id = int(asked["id"])
    question = await server.wait_for(
        lambda: next((m for m in server.bot_messages(thread_id) if m.get("components")), None), timeout=10
    )
    assert "calc.add" in question["content"]
    approve = question["components"][0]["components"][0]["custom_id"]

    refused = await server.wait_for_answer(await server.click(ALICE, int(question["id"]), approve))
    assert refused.original["flags"] & EPHEMERAL and "Only the person who asked" in refused.original["content"]

    await server.wait_for_answer(await server.click(BOB, int(question["id"]), approve))
    await answer_in(server, thread_id, "The sum is 42.")

    shown = [c.json.get("content", "") for c in server.calls if c.method in ("POST", "PATCH") and isinstance(c.json, dict)]
    assert any("Waiting for your approval to run `calc.add`" in text for text in shown)  # the status line
    verdict = server.messages[int(question["id"])]
    assert verdict["content"].startswith("✅ Approved") and verdict["components"] == []
    [entry] = await parley.running.core.tools._calls.recent(admin.workspace_scope)  # noqa: SLF001
    assert (entry.user, entry.approved_by, entry.outcome) == (str(BOB.id), str(BOB.id), "ok")
