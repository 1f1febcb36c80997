"""LimitOverrideStore: rate limits admins set from chat (fake, SQLite, PostgreSQL)."""

from __future__ import annotations

import pytest

from core.limits.parsing import MAX_LIMIT_CHARS, LimitSyntaxError, parse_limits
from core.messages import WorkspaceScope
from core.ports import LimitOverrideStore

WS = WorkspaceScope(platform="slack", workspace="T1")


async def test_overrides_by_channel_and_all_of_a_workspace(limit_overrides: LimitOverrideStore) -> None:
    store = limit_overrides
    await store.set(WS, channel="*", scope="user", value="5/minute")
    await store.set(WS, channel="C1", scope="channel", value="10/minute")
    await store.set(WS, channel="C2", scope="channel", value="20/minute")
    await store.set(WorkspaceScope("slack", "T2"), channel="*", scope="user", value="1/minute")
    await store.set(WS, channel="C1", scope="channel", value="11/minute")  # replaces

    assert await store.get(WS, channels=("C1", "*")) == {("*", "user"): "5/minute", ("C1", "channel"): "11/minute"}
    assert await store.get(WS) == {
        ("*", "user"): "5/minute", ("C1", "channel"): "11/minute", ("C2", "channel"): "20/minute",
    }
    await store.set(WS, channel="C2", scope="channel", value=None)
    assert ("C2", "channel") not in await store.get(WS)


async def test_clearing_an_override_that_is_not_there_changes_nothing(limit_overrides: LimitOverrideStore) -> None:
    await limit_overrides.set(WS, channel="*", scope="user", value="5/minute")
    await limit_overrides.set(WS, channel="C1", scope="user", value=None)
    assert await limit_overrides.get(WS) == {("*", "user"): "5/minute"}
    assert await limit_overrides.get(WS, channels=()) == {}


async def test_any_limit_the_command_accepts_is_stored(limit_overrides: LimitOverrideStore) -> None:
    items = [f"{n}/minute" for n in range(1, 40)]
    while len(";".join(items)) > MAX_LIMIT_CHARS:
        items.pop()
    many = ";".join(items)  # the longest the command accepts
    assert len(many) > 240 and len(parse_limits(many)) == len(items)

    await limit_overrides.set(WS, channel="*", scope="user", value=many)

    assert await limit_overrides.get(WS) == {("*", "user"): many}
    with pytest.raises(LimitSyntaxError):  # longer is refused before any store sees it
        parse_limits(";".join(f"{n}/minute" for n in range(1, 40)))
