"""The per-process cache in front of the persona store: a save or delete drops its entry."""

from __future__ import annotations

from core.messages import WorkspaceScope
from core.personas.cache import CachedPersonaStore
from core.personas.values import Persona
from core.ttl_cache import TtlCache
from tests.core.fakes import MemoryPersonaStore

WS = WorkspaceScope("slack", "T1")


async def test_persona_writes_drop_their_entries():
    personas = CachedPersonaStore(MemoryPersonaStore(), TtlCache(ttl=60, now=lambda: 0.0))
    assert await personas.get(WS, "poet") is None
    await personas.save(WS, Persona(name="poet", system_prompt="Rhyme.", model="m"))
    assert (await personas.get(WS, "poet")).system_prompt == "Rhyme."
    await personas.delete(WS, "poet")
    assert await personas.get(WS, "poet") is None
