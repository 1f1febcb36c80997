"""ToolSettingsStore and ToolCallLog: persona tool rules and the tool-call audit (fake, SQLite, PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from core.messages import WorkspaceScope
from core.ports import ToolCallLog, ToolSettingsStore
from core.tools.values import ToolCallEntry, ToolRule

WS = WorkspaceScope(platform="slack", workspace="T1")
OTHER = WorkspaceScope(platform="slack", workspace="T2")
T0 = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)


def call(minutes: int, *, user: str = "U1", workspace: str = "T1", tool: str = "files.read") -> ToolCallEntry:
    return ToolCallEntry(
        platform="slack", workspace=workspace, channel="C1", user=user, persona="default", tool=tool, outcome="ok",
        arguments_digest="0123456789abcdef", result_chars=42, approved_by=user if minutes % 2 else None,
        created_at=T0 + timedelta(minutes=minutes),
    )


async def test_a_rule_is_set_per_persona_and_target_and_replaced_in_place(tool_settings: ToolSettingsStore) -> None:
    await tool_settings.set_rule(WS, ToolRule("default", "files", "auto"))
    await tool_settings.set_rule(WS, ToolRule("default", "files.delete", "ask"))
    await tool_settings.set_rule(WS, ToolRule("pirate", "files", "ask"))
    await tool_settings.set_rule(OTHER, ToolRule("default", "files", "off"))
    await tool_settings.set_rule(WS, ToolRule("default", "files.delete", "off"))

    assert await tool_settings.rules(WS, persona="default") == [
        ToolRule("default", "files", "auto"), ToolRule("default", "files.delete", "off"),
    ]
    assert [(r.persona, r.target) for r in await tool_settings.rules(WS)] == [
        ("default", "files"), ("default", "files.delete"), ("pirate", "files"),
    ]


async def test_calls_are_listed_newest_first_and_forgotten_by_person_or_age(tool_calls: ToolCallLog) -> None:
    for entry in (call(0), call(1, user="U2"), call(2), call(3, workspace="T2")):
        await tool_calls.record(entry)

    recent = await tool_calls.recent(WS, limit=5)
    assert [(e.user, e.created_at) for e in recent] == [("U1", T0 + timedelta(minutes=2)), ("U2", T0 + timedelta(minutes=1)), ("U1", T0)]
    assert recent[1] == call(1, user="U2")
    assert len(await tool_calls.recent(WS, limit=1)) == 1
    assert await tool_calls.forget_user(WS, user="U1") == 2
    assert [e.user for e in await tool_calls.recent(WS)] == ["U2"]
    assert await tool_calls.forget_before(T0 + timedelta(minutes=5)) == 2  # U2's here, and T2's
    assert await tool_calls.recent(OTHER) == []
