"""Tool approval on Slack, through slack-bolt and the stand-in: buttons in the asker's thread, a click from
anyone else refused, the asker's click runs the tool, and its progress shows as a task card in the stream."""

from __future__ import annotations

import json

import pytest

from bots.slack.approvals import APPROVE_ACTION
from core.admin import Actor
from tests.bots.slack import payloads
from tests.bots.slack.payloads import ADA, BOT_USER, CHANNEL, GRACE, TEAM
from tests.core.tools.mcp_server import serve_http
from tests.standins.openai_server import CallTools, Reply


@pytest.fixture
async def mcp_url():
    async with serve_http() as url:
        yield url


@pytest.fixture
def settings_overrides(tmp_path, mcp_url):
    servers = tmp_path / "mcp.json"
    servers.write_text(json.dumps({"servers": {"calc": {"url": mcp_url}}}))
    return {"mcp_servers_file": str(servers)}


async def test_only_the_asker_can_approve_and_the_tool_then_runs(parley, slack, llm):
    admin = Actor(platform="slack", workspace=TEAM, channel=CHANNEL, user=GRACE, is_admin=True)
    assert (await parley.running.core.commands.run(admin, "persona", "tools default calc.add ask")).ok
    llm.script(CallTools((("calc__add", {"a": 20, "b": 22}),)), Reply("The sum is 42."))

    mention = payloads.app_mention(f"<@{BOT_USER}> what is 20 + 22?", user=ADA)
    await parley.deliver(mention)
    asked = await slack.wait_for_call("chat.postMessage", where=lambda c: bool(c.params.get("blocks")), timeout=10)
    stored = next(m for m in slack.messages.values() if m.blocks)
    assert stored.thread_ts == mention["ts"] and "calc.add" in stored.text and '"a": 20' in stored.text
    button = stored.blocks[1]["elements"][0]
    message = {"ts": stored.ts, "thread_ts": stored.thread_ts, "text": stored.text, "blocks": stored.blocks}

    status, _ = await parley.interact(payloads.block_actions(message, action_id=APPROVE_ACTION, value=button["value"], user=GRACE))
    assert status == 200
    await slack.wait_for_call("chat.postEphemeral")
    assert any("Only the person who asked" in note for note in slack.notes_for(GRACE))

    await parley.interact(payloads.block_actions(message, action_id=APPROVE_ACTION, value=button["value"], user=ADA))
    await slack.wait_for_call("chat.stopStream", timeout=10)
    await parley.handled(1, timeout=10)

    assert stored.blocks == [] and "Approved" in stored.text  # the buttons are gone once answered
    [answer] = [m for m in slack.replies_in(CHANNEL, mention["ts"]) if m.tasks]
    assert answer.text == "The sum is 42."
    assert answer.tasks["calc.add"][1] == "complete"
    [entry] = await parley.running.core.tools._calls.recent(admin.workspace_scope)  # noqa: SLF001
    assert (entry.user, entry.approved_by, entry.outcome) == (ADA, ADA, "ok")
