"""PersonaStore: personas per workspace (fake, SQLite, PostgreSQL)."""

from __future__ import annotations

import asyncio

import pytest

from core.messages import WorkspaceScope
from core.personas.values import MAX_MODEL_CHARS, Persona, PersonaInvalid, parse_persona
from core.ports import PersonaStore

WS = WorkspaceScope(platform="slack", workspace="T1")
OTHER_WS = WorkspaceScope(platform="discord", workspace="T1")

PIRATE = Persona(
    name="pirate", system_prompt="Arr.", model="gpt-4o-mini", temperature=1.3, max_tokens=200, memory_budget=0,
    channel_context=5,
)


async def test_a_saved_persona_comes_back_exactly(personas: PersonaStore) -> None:
    assert await personas.get(WS, "pirate") is None
    await personas.save(WS, PIRATE)
    assert await personas.get(WS, "pirate") == PIRATE
    assert await personas.list(WS) == [PIRATE]


async def test_saving_the_same_name_replaces_it(personas: PersonaStore) -> None:
    await personas.save(WS, PIRATE)
    calmer = Persona(name="pirate", system_prompt="Ahoy, calmly.", model="gpt-4o", temperature=0.2)
    await personas.save(WS, calmer)

    assert await personas.list(WS) == [calmer]


async def test_concurrent_saves_of_one_name_leave_one_persona(personas: PersonaStore) -> None:
    versions = [Persona(name="pirate", system_prompt=f"v{i}", model="m") for i in range(10)]
    await asyncio.gather(*(personas.save(WS, p) for p in versions))

    saved = await personas.list(WS)
    assert len(saved) == 1 and saved[0] in versions


async def test_personas_are_per_workspace_and_listed_by_name(personas: PersonaStore) -> None:
    zed = Persona(name="zed", system_prompt="z", model="m")
    await personas.save(WS, zed)
    await personas.save(WS, PIRATE)
    await personas.save(OTHER_WS, Persona(name="pirate", system_prompt="other", model="m"))

    assert [p.name for p in await personas.list(WS)] == ["pirate", "zed"]
    assert (await personas.get(OTHER_WS, "pirate")).system_prompt == "other"
    assert await personas.list(WorkspaceScope(platform="slack", workspace="T2")) == []


async def test_delete_persona(personas: PersonaStore) -> None:
    await personas.save(WS, PIRATE)
    await personas.save(OTHER_WS, PIRATE)

    assert await personas.delete(WS, "pirate") is True
    assert await personas.delete(WS, "pirate") is False
    assert await personas.get(WS, "pirate") is None
    assert await personas.get(OTHER_WS, "pirate") == PIRATE


async def test_any_persona_the_form_accepts_is_stored(personas: PersonaStore) -> None:
    longest = parse_persona(name="wide", system_prompt="Hi.", model="m" * MAX_MODEL_CHARS)

    await personas.save(WS, longest)

    assert await personas.get(WS, "wide") == longest
    with pytest.raises(PersonaInvalid):  # one character more is refused before any store sees it
        parse_persona(name="wider", system_prompt="Hi.", model="m" * (MAX_MODEL_CHARS + 1))
