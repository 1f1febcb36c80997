"""Tools end to end in the core: the stand-in LLM (through the real openai client) calls tools on real MCP
servers (the SDK's own, over stdio and streamable HTTP), with approval, filters, limits and the audit."""

from __future__ import annotations

import asyncio

from core.admin import Actor
from core.messages import OutcomeKind
from core.tools.values import ServerConfig, ToolLimits
from tests.core.conftest import msg
from tests.core.tools.conftest import ADMIN, STDIO, ButtonsInTheThread, budget_options, send
from tests.standins.openai_server import CallTools, Reply


def web(url: str) -> ServerConfig:
    return ServerConfig(name="web", url=url)


def tool_messages(request) -> list[dict]:
    return [m for m in request.json["messages"] if m["role"] == "tool"]


async def enable(world, target: str, policy: str) -> None:
    reply = await world.core.commands.run(ADMIN, "persona", f"tools default {target} {policy}")
    assert reply.ok, reply.text


async def test_an_auto_tool_runs_and_its_result_reaches_the_next_request(make_world, openai_server):
    world = make_world(STDIO)
    await enable(world, "local", "auto")
    openai_server.script(CallTools((("local__add", {"a": 2, "b": 3}),)), Reply("2 + 3 is 5."))

    _, outcome = await send(world, msg("what is 2 + 3?", user="U1"))

    assert outcome.kind is OutcomeKind.ANSWERED and outcome.text == "2 + 3 is 5."
    first, second = openai_server.chat_requests
    assert "local__add" in {t["function"]["name"] for t in first.json["tools"]}
    call_id = second.json["messages"][-2]["tool_calls"][0]["id"]
    [result] = tool_messages(second)
    assert result["tool_call_id"] == call_id and result["content"].endswith("\n5")
    assert "Output of the tool local.add" in result["content"]  # marked as tool output
    [entry] = world.stores.tool_calls.entries
    assert (entry.user, entry.tool, entry.outcome, entry.result_chars, entry.approved_by) == ("U1", "local.add", "ok", 1, None)


async def test_a_result_over_http_is_redacted_before_the_model_sees_it(make_world, openai_server, http_url):
    world = make_world(ServerConfig(name="web", url=http_url, headers={"X-Team": "parley"}))
    await enable(world, "web.lookup_contact", "auto")
    openai_server.script(CallTools((("web__lookup_contact", {"name": "Ann"}),)), Reply("Found her."))

    _, outcome = await send(world, msg("how do I reach Ann?"))

    assert outcome.kind is OutcomeKind.ANSWERED
    offered = {t["function"]["name"] for t in openai_server.chat_requests[0].json["tools"]}
    assert offered == {"web__lookup_contact"}  # only the enabled tool of that server
    [result] = tool_messages(openai_server.chat_requests[1])
    assert "ann@example.com" not in result["content"] and "Ann can be reached at" in result["content"]


async def test_ask_waits_for_the_askers_click_and_refuses_anyone_else(make_world, openai_server, http_url):
    world = make_world(web(http_url))
    buttons = ButtonsInTheThread()
    world.core.approvals.attach(buttons)
    await enable(world, "web.add", "ask")
    openai_server.script(CallTools((("web__add", {"a": 1, "b": 1}),)), Reply("It is 2."))

    answering = asyncio.create_task(send(world, msg("1 + 1?", user="U1")))
    prompt = await asyncio.wait_for(buttons.shown.get(), 10)
    assert (prompt.asker, prompt.tool) == ("U1", "web.add") and '"a": 1' in prompt.arguments
    assert world.core.approvals.click(prompt.id, user="U_OTHER", approve=True) == "not_yours"
    assert world.core.approvals.click(prompt.id, user="U1", approve=True) == "done"
    _, outcome = await asyncio.wait_for(answering, 20)

    assert outcome.text == "It is 2."
    assert tool_messages(openai_server.chat_requests[1])[0]["content"].endswith("\n2")
    [entry] = world.stores.tool_calls.entries
    assert (entry.outcome, entry.approved_by) == ("ok", "U1")
    assert buttons.closed[0][1].outcome == "approved"


async def test_no_answer_in_time_declines_and_the_tool_does_not_run(make_world, openai_server, http_url):
    world = make_world(web(http_url), tool_limits=ToolLimits(approval_seconds=0.2))
    buttons = ButtonsInTheThread()
    world.core.approvals.attach(buttons)
    await enable(world, "web", "ask")
    openai_server.script(CallTools((("web__add", {"a": 1, "b": 1}),)), Reply("It was not run."))

    _, outcome = await send(world, msg("crash it"))

    assert outcome.kind is OutcomeKind.ANSWERED
    assert "Nobody approved this tool call in time" in tool_messages(openai_server.chat_requests[1])[0]["content"]
    assert [e.outcome for e in world.stores.tool_calls.entries] == ["timeout"]
    assert world.core.tool_servers.status()["web"] == "ready"
    assert buttons.closed[0][1].outcome == "timeout"


async def test_a_server_that_dies_mid_call_gives_an_answer_that_the_tool_failed(make_world, openai_server):
    world = make_world(STDIO)
    await enable(world, "local", "auto")
    openai_server.script(CallTools((("local__crash", {}),)))  # then the default echo of the last user text

    _, outcome = await send(world, msg("run the crash tool"))

    assert outcome.kind is OutcomeKind.ANSWERED
    [result] = tool_messages(openai_server.chat_requests[1])
    assert "The tool call failed" in result["content"]
    assert [e.outcome for e in world.stores.tool_calls.entries] == ["error"]
    assert world.core.tool_servers.status()["local"].startswith("failing")
    shown = await world.core.commands.run(ADMIN, "persona", "show default")
    assert "Not answering: `local`" in shown.text


async def test_every_round_is_charged_to_the_budget_and_the_rate_limit(make_world, openai_server, http_url):
    world = make_world(web(http_url), limits=budget_options(10_000))
    await enable(world, "web", "auto")
    openai_server.script(CallTools((("web__add", {"a": 1, "b": 2}),), usage=(40, 7)), Reply("3", usage=(60, 1)))

    await send(world, msg("1 + 2?", user="U1"))

    rows = world.stores.usage.records
    assert [(r.prompt_tokens, r.completion_tokens) for r in rows] == [(40, 7), (60, 1)]
    asker = Actor(platform="slack", workspace="T1", channel="D1", user="U1", is_dm=True)
    used = await world.core.limits.command(asker, "show")
    assert "108" in used.text  # 40 + 7 + 60 + 1 tokens against the user's daily budget


async def test_rate_limits_count_each_round(make_world, openai_server, http_url):
    from core.assembly import LimitOptions

    world = make_world(web(http_url), limits=LimitOptions(user="2/minute"))
    await enable(world, "web", "auto")
    openai_server.script(CallTools((("web__add", {"a": 1, "b": 2}),)), Reply("3"))

    _, first = await send(world, msg("1 + 2?", user="U1"))
    _, second = await send(world, msg("again", user="U1"))

    assert first.kind is OutcomeKind.ANSWERED
    assert second.kind is OutcomeKind.LIMITED  # the message and its tool round used both of the minute's 2


async def test_a_long_result_is_cut_with_a_note_and_the_rounds_are_bounded(make_world, openai_server, http_url):
    world = make_world(web(http_url), tool_limits=ToolLimits(result_chars=12, max_rounds=1))
    await enable(world, "web", "auto")
    openai_server.script(CallTools((("web__lookup_contact", {"name": "Bartholomew"}),)), Reply("Done."))

    progress, outcome = await send(world, msg("find Bartholomew"))

    assert outcome.text == "Done."
    first, last = openai_server.chat_requests
    [result] = tool_messages(last)
    assert result["content"].endswith("\nBartholomew \n[cut: the result had 53 characters; only the first 12 are shown]")
    assert "tools" in first.json and "tools" not in last.json  # the last round offers none: the model answers
    assert progress == [("web.lookup_contact", "running"), ("web.lookup_contact", "done")]
