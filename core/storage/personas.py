"""Per-workspace personas (PersonaStore)."""

from __future__ import annotations

import builtins

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.personas import Persona
from core.ports import WorkspaceScope
from core.storage.database import Database, dialect_insert, sessions_of
from core.storage.models import PersonaRow, utcnow

P = PersonaRow


def _persona(row: P) -> Persona:
    return Persona(
        name=row.name,
        system_prompt=row.system_prompt,
        model=row.model,
        temperature=row.temperature,
        max_tokens=row.max_tokens,
        memory_budget=row.memory_budget,
    )


def _in_workspace(scope: WorkspaceScope) -> tuple:
    return (P.platform == scope.platform, P.workspace == scope.workspace)


class SqlPersonaStore:
    def __init__(self, database: Database | async_sessionmaker[AsyncSession]):
        self._sessions = sessions_of(database)

    async def list(self, scope: WorkspaceScope) -> builtins.list[Persona]:
        """The workspace's personas, by name."""
        async with self._sessions() as session:
            rows = (await session.scalars(select(P).where(*_in_workspace(scope)).order_by(P.name))).all()
        return [_persona(row) for row in rows]

    async def get(self, scope: WorkspaceScope, name: str) -> Persona | None:
        async with self._sessions() as session:
            row = await session.scalar(select(P).where(*_in_workspace(scope), P.name == name))
        return None if row is None else _persona(row)

    async def save(self, scope: WorkspaceScope, persona: Persona) -> None:
        """Insert, or replace the persona of the same name (keeping its created_at).

        A single ``INSERT ... ON CONFLICT DO UPDATE`` on both SQLite and
        PostgreSQL, so two admins saving the same name at once cannot collide.
        """
        now = utcnow()
        fields = {
            "system_prompt": persona.system_prompt,
            "model": persona.model,
            "temperature": float(persona.temperature),
            "max_tokens": persona.max_tokens,
            "memory_budget": persona.memory_budget,
            "updated_at": now,
        }
        async with self._sessions.begin() as session:
            insert = dialect_insert(session, P).values(
                platform=scope.platform, workspace=scope.workspace, name=persona.name, created_at=now, **fields
            )
            await session.execute(
                insert.on_conflict_do_update(index_elements=["platform", "workspace", "name"], set_=fields)
            )

    async def delete(self, scope: WorkspaceScope, name: str) -> bool:
        query = delete(P).where(*_in_workspace(scope), P.name == name)
        async with self._sessions.begin() as session:
            result = await session.execute(query, execution_options={"synchronize_session": False})
            return result.rowcount > 0
