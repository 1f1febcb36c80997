"""ChannelSettingsStore: a channel's persona, retention and memory; the workspace default (fake, SQLite, PostgreSQL)."""

from __future__ import annotations

import pytest

from core.messages import ChannelScope, WorkspaceScope
from core.ports import ChannelSettingsStore
from core.records import ChannelSettings
from core.storage.models import WORKSPACE_ROW

WS = WorkspaceScope(platform="slack", workspace="T1")
OTHER_WS = WorkspaceScope(platform="discord", workspace="T1")
CH = ChannelScope(platform="slack", workspace="T1", channel="C1")


async def test_channel_without_settings_gets_the_defaults(channel_settings: ChannelSettingsStore) -> None:
    assert await channel_settings.get(CH) == ChannelSettings()


async def test_channel_settings_are_stored_and_replaced(channel_settings: ChannelSettingsStore) -> None:
    await channel_settings.put(CH, ChannelSettings(persona="pirate", retention_days=30, memory_enabled=False))
    assert await channel_settings.get(CH) == ChannelSettings(persona="pirate", retention_days=30, memory_enabled=False)

    await channel_settings.put(CH, ChannelSettings(persona=None, retention_days=None, memory_enabled=True))
    assert await channel_settings.get(CH) == ChannelSettings()
    assert await channel_settings.get(ChannelScope(platform="slack", workspace="T1", channel="C2")) == ChannelSettings()


async def test_workspace_default_persona(channel_settings: ChannelSettingsStore) -> None:
    assert await channel_settings.get_workspace_default(WS) is None
    await channel_settings.set_workspace_default(WS, "pirate")
    await channel_settings.put(CH, ChannelSettings(persona="poet"))

    assert await channel_settings.get_workspace_default(WS) == "pirate"
    assert await channel_settings.get_workspace_default(OTHER_WS) is None
    assert (await channel_settings.get(CH)).persona == "poet"

    await channel_settings.set_workspace_default(WS, None)
    assert await channel_settings.get_workspace_default(WS) is None


async def test_the_workspace_row_is_not_a_channel(channel_settings: ChannelSettingsStore) -> None:
    with pytest.raises(ValueError):
        await channel_settings.put(ChannelScope(platform="slack", workspace="T1", channel=WORKSPACE_ROW), ChannelSettings())


async def test_with_retention_lists_only_channels_with_a_period(channel_settings: ChannelSettingsStore) -> None:
    c2 = ChannelScope(platform="slack", workspace="T1", channel="C2")
    d1 = ChannelScope(platform="discord", workspace="G1", channel="D1")
    await channel_settings.put(CH, ChannelSettings(retention_days=30))
    await channel_settings.put(c2, ChannelSettings(persona="pirate"))  # keeps forever
    await channel_settings.put(d1, ChannelSettings(retention_days=7, memory_enabled=False))
    await channel_settings.set_workspace_default(WS, "pirate")

    assert await channel_settings.with_retention() == [(d1, 7), (CH, 30)]
