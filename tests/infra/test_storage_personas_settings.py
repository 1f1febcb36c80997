"""SqlPersonaStore and SqlChannelSettingsStore on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest

from core.messages import ChannelScope
from core.personas.values import Persona
from core.records import ChannelSettings
from core.messages import WorkspaceScope
from core.storage.channel_settings import SqlChannelSettingsStore
from core.storage.database import Database
from core.storage.models import WORKSPACE_ROW
from core.storage.personas import SqlPersonaStore

WS = WorkspaceScope(platform="slack", workspace="T1")
OTHER_WS = WorkspaceScope(platform="discord", workspace="T1")
CH = ChannelScope(platform="slack", workspace="T1", channel="C1")

PIRATE = Persona(
    name="pirate", system_prompt="Arr.", model="gpt-4o-mini", temperature=1.3, max_tokens=200, memory_budget=0
)


@pytest.fixture
def personas(database: Database) -> SqlPersonaStore:
    return SqlPersonaStore(database)


@pytest.fixture
def settings(database: Database) -> SqlChannelSettingsStore:
    return SqlChannelSettingsStore(database)


async def test_a_saved_persona_comes_back_exactly(personas: SqlPersonaStore) -> None:
    assert await personas.get(WS, "pirate") is None
    await personas.save(WS, PIRATE)
    assert await personas.get(WS, "pirate") == PIRATE
    assert await personas.list(WS) == [PIRATE]


async def test_saving_the_same_name_replaces_it(personas: SqlPersonaStore) -> None:
    await personas.save(WS, PIRATE)
    calmer = Persona(name="pirate", system_prompt="Ahoy, calmly.", model="gpt-4o", temperature=0.2)
    await personas.save(WS, calmer)

    assert await personas.list(WS) == [calmer]


async def test_concurrent_saves_of_one_name_leave_one_persona(personas: SqlPersonaStore) -> None:
    versions = [Persona(name="pirate", system_prompt=f"v{i}", model="m") for i in range(10)]
    await asyncio.gather(*(personas.save(WS, p) for p in versions))

    saved = await personas.list(WS)
    assert len(saved) == 1 and saved[0] in versions


async def test_personas_are_per_workspace_and_listed_by_name(personas: SqlPersonaStore) -> None:
    zed = Persona(name="zed", system_prompt="z", model="m")
    await personas.save(WS, zed)
    await personas.save(WS, PIRATE)
    await personas.save(OTHER_WS, Persona(name="pirate", system_prompt="other", model="m"))

    assert [p.name for p in await personas.list(WS)] == ["pirate", "zed"]
    assert (await personas.get(OTHER_WS, "pirate")).system_prompt == "other"
    assert await personas.list(WorkspaceScope(platform="slack", workspace="T2")) == []


async def test_delete_persona(personas: SqlPersonaStore) -> None:
    await personas.save(WS, PIRATE)
    await personas.save(OTHER_WS, PIRATE)

    assert await personas.delete(WS, "pirate") is True
    assert await personas.delete(WS, "pirate") is False
    assert await personas.get(WS, "pirate") is None
    assert await personas.get(OTHER_WS, "pirate") == PIRATE


async def test_channel_without_settings_gets_the_defaults(settings: SqlChannelSettingsStore) -> None:
    assert await settings.get(CH) == ChannelSettings()


async def test_channel_settings_are_stored_and_replaced(settings: SqlChannelSettingsStore) -> None:
    await settings.put(CH, ChannelSettings(persona="pirate", retention_days=30, memory_enabled=False))
    assert await settings.get(CH) == ChannelSettings(persona="pirate", retention_days=30, memory_enabled=False)

    await settings.put(CH, ChannelSettings(persona=None, retention_days=None, memory_enabled=True))
    assert await settings.get(CH) == ChannelSettings()
    assert await settings.get(ChannelScope(platform="slack", workspace="T1", channel="C2")) == ChannelSettings()


async def test_workspace_default_persona(settings: SqlChannelSettingsStore) -> None:
    assert await settings.get_workspace_default(WS) is None
    await settings.set_workspace_default(WS, "pirate")
    await settings.put(CH, ChannelSettings(persona="poet"))

    assert await settings.get_workspace_default(WS) == "pirate"
    assert await settings.get_workspace_default(OTHER_WS) is None
    assert (await settings.get(CH)).persona == "poet"

    await settings.set_workspace_default(WS, None)
    assert await settings.get_workspace_default(WS) is None


async def test_the_workspace_row_is_not_a_channel(settings: SqlChannelSettingsStore) -> None:
    with pytest.raises(ValueError):
        await settings.put(ChannelScope(platform="slack", workspace="T1", channel=WORKSPACE_ROW), ChannelSettings())


async def test_with_retention_lists_only_channels_with_a_period(settings: SqlChannelSettingsStore) -> None:
    c2 = ChannelScope(platform="slack", workspace="T1", channel="C2")
    d1 = ChannelScope(platform="discord", workspace="G1", channel="D1")
    await settings.put(CH, ChannelSettings(retention_days=30))
    await settings.put(c2, ChannelSettings(persona="pirate"))  # keeps forever
    await settings.put(d1, ChannelSettings(retention_days=7, memory_enabled=False))
    await settings.set_workspace_default(WS, "pirate")

    assert await settings.with_retention() == [(d1, 7), (CH, 30)]
