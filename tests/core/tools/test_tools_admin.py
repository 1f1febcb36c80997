"""``/persona tools``, ``/persona show`` and ``/parley tools [log]``: what admins and members see and may do."""

from __future__ import annotations

from datetime import datetime, timezone

from structlog.testing import capture_logs

from core.admin import Actor
from core.assembly import CoreOptions, ToolOptions, assemble_core
from core.tokens import EstimatingTokenCounter
from core.tools.values import ServerConfig, ToolCallEntry
from tests.core.fakes import FakeClock, FakeLLM, memory_stores
from tests.core.tools.conftest import ADMIN

MEMBER = Actor(platform="slack", workspace="T1", channel="C1", user="U1")
DOWN = ServerConfig(name="files", url="http://127.0.0.1:9/mcp")  # nothing listens there


def core_with(*servers: ServerConfig, unavailable: str | None = None, clock: FakeClock | None = None):
    stores = memory_stores()
    core = assemble_core(
        stores=stores, llm=FakeLLM(), tokens=EstimatingTokenCounter(), clock=clock or FakeClock(),
        options=CoreOptions(default_model="gpt-4o-mini", admins=frozenset({"U_OWNER"}),
                            tools=ToolOptions(servers=servers, unavailable=unavailable)),
    )
    return core, stores


async def test_an_admin_enables_a_server_for_a_persona_and_show_lists_it():
    core, stores = core_with(DOWN)
    reply = await core.commands.run(ADMIN, "persona", "tools default files auto")
    shown = await core.commands.run(MEMBER, "persona", "show default")

    assert reply.ok and "`files` is now auto" in reply.text
    assert "Tools: `files` auto" in shown.text
    assert shown.text.index("Tools:") < shown.text.index(">>>")  # before the quoted system prompt
    [change] = await stores.audit.recent(ADMIN.workspace_scope)
    assert (change.action, change.target, change.after) == ("persona.tools", "default:files", {"policy": "auto"})


async def test_bad_arguments_get_a_clear_refusal_and_change_nothing():
    core, stores = core_with(DOWN)
    cases = {
        "tools default files sometimes": "not a tool policy",
        "tools default shell auto": "There is no tool server `shell`",
        "tools nobody files auto": "no persona named `nobody`",
        "tools default files": "Usage: `/persona tools",
        "tools default": None,  # a listing, not a change
        "tools": "Usage: `/persona tools",
    }
    for line, expected in cases.items():
        reply = await core.commands.run(ADMIN, "persona", line)
        if expected is None:
            assert reply.ok and "none enabled" in reply.text
        else:
            assert not reply.ok and expected in reply.text, line
    assert await stores.tool_settings.rules(ADMIN.workspace_scope) == []


async def test_only_admins_change_tools_or_read_the_tool_log():
    core, stores = core_with(DOWN)
    await stores.tool_calls.record(ToolCallEntry(
        platform="slack", workspace="T1", channel="C1", user="U1", persona="default", tool="files.read",
        outcome="ok", arguments_digest="abcdef0123456789", result_chars=12, approved_by="U1",
        created_at=datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc),
    ))

    refused = await core.commands.run(MEMBER, "persona", "tools default files auto")
    log_refused = await core.commands.run(MEMBER, "parley", "tools log")
    log = await core.commands.run(ADMIN, "parley", "tools log")

    assert not refused.ok and "Only admins" in refused.text
    assert not log_refused.ok and "Only admins" in log_refused.text
    assert "`files.read` · ok · asked by `U1`" in log.text and "abcdef0123456789" in log.text
    assert "approved by `U1`" in log.text


async def test_a_server_that_does_not_answer_is_reported_once_and_named_in_show():
    core, _ = core_with(DOWN)
    with capture_logs() as first:
        noted = await core.commands.run(ADMIN, "persona", "tools default files.read ask")
    assert noted.ok and "could not be checked" in noted.text
    assert [e["server"] for e in first if e["event"] == "tools.server_failed"] == ["files"]
    with capture_logs() as logs:
        for _ in range(2):
            await core.tool_servers.tools(["files"])
    shown = await core.commands.run(MEMBER, "persona", "show default")
    servers = await core.commands.run(MEMBER, "parley", "tools")

    assert not [e for e in logs if e["event"] == "tools.server_failed"]  # reported once, when the rule was set
    assert "Not answering: `files` failing" in shown.text
    assert "`files`: failing" in servers.text


async def test_tools_are_off_for_the_local_model_and_show_says_so():
    core, _ = core_with(DOWN, unavailable="the local model has no tool calling")
    shown = await core.commands.run(MEMBER, "persona", "show")
    assert "Tools: off (the local model has no tool calling)" in shown.text


async def test_forget_me_deletes_the_persons_tool_calls_and_retention_the_old_ones():
    clock = FakeClock()
    core, stores = core_with(DOWN, clock=clock)
    when = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)
    for user in ("U1", "U2"):
        await stores.tool_calls.record(ToolCallEntry(
            platform="slack", workspace="T1", channel="C1", user=user, persona="default", tool="files.read",
            outcome="ok", arguments_digest="abcdef0123456789", result_chars=12, approved_by=None, created_at=when,
        ))

    await core.commands.run(MEMBER, "parley", "forget-me")
    assert [e.user for e in stores.tool_calls.entries] == ["U2"]
    clock.advance(days=91)
    await core.purger.purge_once()
    assert stores.tool_calls.entries == []
