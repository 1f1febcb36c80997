"""Workspaces that removed the app (``core/departures``)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from core.messages import WorkspaceScope


class DepartureStore(Protocol):
    """Workspaces that removed the app, until their data is erased (``core/departures``)."""

    async def left(self, scope: WorkspaceScope, *, at: datetime, reason: str) -> bool:
        """Note that ``scope`` left at ``at``; the first time counts. True if it was not leaving already."""
        ...

    async def returned(self, scope: WorkspaceScope) -> bool:
        """It installed the app again: nothing to erase. True if it was leaving."""
        ...

    async def due(self, *, left_before: datetime, limit: int = 100) -> list[WorkspaceScope]:
        """Workspaces that left before ``left_before``, oldest first."""
        ...

    async def erase(self, scope: WorkspaceScope) -> int:
        """Delete everything stored for the workspace (in batches), its departure last; the rows deleted."""
        ...
