"""Per-workspace personas (PersonaStore)."""

from __future__ import annotations

import builtins

from sqlalchemy import Connection, delete, select
from sqlalchemy.orm import Session

from core.personas.values import Persona
from core.messages import WorkspaceScope
from core.storage.database import Database, dialect_insert
from core.storage.models import PersonaRow, utcnow

Stored = PersonaRow
PERSONA_COLUMNS = (
    Stored.name, Stored.system_prompt, Stored.model, Stored.temperature, Stored.max_tokens, Stored.memory_budget,
    Stored.models, Stored.model_choice, Stored.vision, Stored.channel_context,
)


def _persona(row: Stored) -> Persona:
    return Persona(
        name=row.name,
        system_prompt=row.system_prompt,
        model=row.model,
        temperature=row.temperature,
        max_tokens=row.max_tokens,
        memory_budget=row.memory_budget,
        models=tuple(model for model in (row.models or "").split(",") if model),
        model_choice=bool(row.model_choice),
        vision=row.vision or "auto",
        channel_context=row.channel_context or 0,
    )


def _in_workspace(scope: WorkspaceScope) -> tuple:
    return (Stored.platform == scope.platform, Stored.workspace == scope.workspace)


class SqlPersonaStore:
    def __init__(self, database: Database):
        self._db = database

    async def list(self, scope: WorkspaceScope) -> builtins.list[Persona]:
        """The workspace's personas, by name."""
        query = select(Stored).where(*_in_workspace(scope)).order_by(Stored.name)
        return await self._db.run(lambda session: [_persona(row) for row in session.scalars(query).all()])

    async def get(self, scope: WorkspaceScope, name: str) -> Persona | None:
        query = select(*PERSONA_COLUMNS).where(*_in_workspace(scope), Stored.name == name)

        def get(connection: Connection) -> Persona | None:
            row = connection.execute(query).first()
            return None if row is None else _persona(row)

        return await self._db.run_quick(get)

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
            "models": ",".join(persona.models),
            "model_choice": persona.model_choice,
            "vision": persona.vision,
            "channel_context": persona.channel_context,
            "updated_at": now,
        }

        def save(session: Session) -> None:
            insert = dialect_insert(session, Stored).values(
                platform=scope.platform, workspace=scope.workspace, name=persona.name, created_at=now, **fields
            )
            session.execute(insert.on_conflict_do_update(index_elements=["platform", "workspace", "name"], set_=fields))

        await self._db.run(save)

    async def delete(self, scope: WorkspaceScope, name: str) -> bool:
        query = delete(Stored).where(*_in_workspace(scope), Stored.name == name)
        return await self._db.run(
            lambda session: session.execute(query, execution_options={"synchronize_session": False}).rowcount > 0
        )
