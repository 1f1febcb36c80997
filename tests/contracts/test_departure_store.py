"""DepartureStore: workspaces that removed the app, until they are erased (fake, SQLite, PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from core.messages import WorkspaceScope
from core.ports import DepartureStore

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)
ACME = WorkspaceScope(platform="slack", workspace="T_ACME")
GLOBEX = WorkspaceScope(platform="slack", workspace="T_GLOBEX")
ACME_ON_DISCORD = WorkspaceScope(platform="discord", workspace="T_ACME")


async def test_the_first_departure_counts_and_due_is_oldest_first(departures: DepartureStore) -> None:
    assert await departures.left(GLOBEX, at=T0 + timedelta(days=1), reason="app_uninstalled") is True
    assert await departures.left(ACME, at=T0, reason="tokens_revoked") is True
    assert await departures.left(ACME, at=T0 + timedelta(days=5), reason="app_uninstalled") is False

    assert await departures.due(left_before=T0) == []
    assert await departures.due(left_before=T0 + timedelta(hours=1)) == [ACME]  # the first time, not the second
    assert await departures.due(left_before=T0 + timedelta(days=2)) == [ACME, GLOBEX]
    assert await departures.due(left_before=T0 + timedelta(days=2), limit=1) == [ACME]


async def test_a_workspace_that_returns_is_not_due(departures: DepartureStore) -> None:
    await departures.left(ACME, at=T0, reason="app_uninstalled")
    await departures.left(ACME_ON_DISCORD, at=T0, reason="guild_left")

    assert await departures.returned(ACME) is True
    assert await departures.returned(ACME) is False
    assert await departures.returned(GLOBEX) is False
    assert await departures.due(left_before=T0 + timedelta(days=90)) == [ACME_ON_DISCORD]


async def test_erasing_ends_the_departure(departures: DepartureStore) -> None:
    await departures.left(ACME, at=T0, reason="app_uninstalled")
    await departures.left(GLOBEX, at=T0, reason="app_uninstalled")

    await departures.erase(ACME)

    assert await departures.due(left_before=T0 + timedelta(days=1)) == [GLOBEX]
    assert await departures.returned(ACME) is False
