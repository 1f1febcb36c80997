"""SqlLimitOverrideStore on SQLite and PostgreSQL."""

from __future__ import annotations

from core.messages import WorkspaceScope
from core.storage.limit_overrides import SqlLimitOverrideStore

WS = WorkspaceScope(platform="slack", workspace="T1")


async def test_overrides_by_channel_and_all_of_a_workspace(database):
    store = SqlLimitOverrideStore(database)
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
