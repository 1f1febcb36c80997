"""FilterSettingsStore: each workspace's filter policy and blocklist rules (fake, SQLite, PostgreSQL)."""

from __future__ import annotations

from core.filters.values import BlockRule, FilterPolicy
from core.messages import WorkspaceScope
from core.ports import FilterSettingsStore

WS = WorkspaceScope(platform="slack", workspace="T1")
OTHER = WorkspaceScope(platform="discord", workspace="T1")


async def test_a_workspace_policy_is_stored_and_defaults_to_the_settings(filter_settings: FilterSettingsStore) -> None:
    store = filter_settings
    assert await store.get_policy(WS) == FilterPolicy()
    await store.put_policy(WS, FilterPolicy(pii="off"))
    await store.put_policy(WS, FilterPolicy(pii="off", moderation="flag"))
    assert await store.get_policy(WS) == FilterPolicy(pii="off", moderation="flag")
    assert await store.get_policy(OTHER) == FilterPolicy()


async def test_rules_are_added_once_listed_in_order_and_removed(filter_settings: FilterSettingsStore) -> None:
    store = filter_settings
    assert await store.add_rule(WS, BlockRule("falcon"), author="U1") is True
    assert await store.add_rule(WS, BlockRule("/\\d{4}-\\d{4}/", action="redact"), author="U1") is True
    assert await store.add_rule(WS, BlockRule("falcon", action="redact"), author="U2") is False
    assert await store.rules(WS) == [BlockRule("falcon"), BlockRule("/\\d{4}-\\d{4}/", action="redact")]
    assert await store.rules(OTHER) == []
    assert await store.remove_rule(WS, "falcon") is True
    assert await store.remove_rule(WS, "falcon") is False
    assert [r.pattern for r in await store.rules(WS)] == ["/\\d{4}-\\d{4}/"]


async def test_a_rule_comes_back_as_the_workspaces_own(filter_settings: FilterSettingsStore) -> None:
    await filter_settings.add_rule(WS, BlockRule("falcon", source="settings"), author="U1")
    assert await filter_settings.rules(WS) == [BlockRule("falcon", source="chat")]
    assert await filter_settings.add_rule(OTHER, BlockRule("falcon"), author="U1") is True  # per workspace
