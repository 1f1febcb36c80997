"""DepartureStore in memory: erasing is noted in ``erased`` (the other fakes keep their data)."""

from __future__ import annotations

from datetime import datetime

from core.messages import WorkspaceScope


class MemoryDepartureStore:
    def __init__(self) -> None:
        self._left: dict[WorkspaceScope, datetime] = {}
        self.erased: list[WorkspaceScope] = []

    async def left(self, scope: WorkspaceScope, *, at: datetime, reason: str) -> bool:
        if scope in self._left:
            return False
        self._left[scope] = at
        return True

    async def returned(self, scope: WorkspaceScope) -> bool:
        return self._left.pop(scope, None) is not None

    async def due(self, *, left_before: datetime, limit: int = 100) -> list[WorkspaceScope]:
        leaving = sorted((at, i, scope) for i, (scope, at) in enumerate(self._left.items()) if at < left_before)
        return [scope for _at, _i, scope in leaving[:limit]]

    async def erase(self, scope: WorkspaceScope) -> int:
        self._left.pop(scope, None)
        self.erased.append(scope)
        return 0
