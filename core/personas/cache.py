"""Personas behind the per-process TTL cache (``core/ttl_cache.py``)."""

from __future__ import annotations

from core.messages import WorkspaceScope
from core.personas.values import Persona
from core.ports import PersonaStore
from core.ttl_cache import TtlCache


class CachedPersonaStore:
    def __init__(self, inner: PersonaStore, cache: TtlCache) -> None:
        self._inner = inner
        self._cache = cache

    async def list(self, scope: WorkspaceScope) -> list[Persona]:
        return await self._inner.list(scope)

    async def get(self, scope: WorkspaceScope, name: str) -> Persona | None:
        return await self._cache.through(("persona", scope, name), lambda: self._inner.get(scope, name))

    async def save(self, scope: WorkspaceScope, persona: Persona) -> None:
        await self._inner.save(scope, persona)
        self._cache.drop(lambda key: key == ("persona", scope, persona.name))

    async def delete(self, scope: WorkspaceScope, name: str) -> bool:
        deleted = await self._inner.delete(scope, name)
        self._cache.drop(lambda key: key == ("persona", scope, name))
        return deleted
