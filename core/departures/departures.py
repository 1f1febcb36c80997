"""A workspace that removes the app keeps its data for a grace period, then loses all of it.

The adapter says when a workspace left (Slack: ``tokens_revoked`` or
``app_uninstalled``, after deleting its tokens at once) and when it came back
(a new install).  A workspace back within the grace period keeps everything;
otherwise the periodic purge (``RetentionPurger``) erases everything stored for
it: conversations, channel settings, personas, usage, budgets, limits, filters,
the inbox and the audit log (``DepartureStore.erase``).  Each step is in the
audit log; after the erasure one entry remains, saying it happened and how many
rows went.
"""

from __future__ import annotations

from datetime import timedelta

import structlog

from core.messages import WorkspaceScope
from core.ports import AuditLog, Clock, DepartureStore
from core.records import AuditEntry

log = structlog.get_logger(__name__)

PLATFORM_ACTOR = "platform"  # who acts in these audit entries: the platform told us, no person did


class WorkspaceDepartures:
    def __init__(self, *, store: DepartureStore, audit: AuditLog, clock: Clock, grace: timedelta) -> None:
        self._store = store
        self._audit = audit
        self._clock = clock
        self.grace = grace

    async def left(self, scope: WorkspaceScope, *, reason: str) -> None:
        """The workspace removed the app (``reason``: what the platform said); erased after the grace period."""
        now = self._clock.now()
        if await self._store.left(scope, at=now, reason=reason):
            erase_after = now + self.grace
            await self._record(scope, "workspace.left", after={"reason": reason, "erase_after": erase_after.isoformat()})
            log.info("workspace.left", platform=scope.platform, workspace=scope.workspace, reason=reason,
                     erase_after=erase_after.isoformat())

    async def returned(self, scope: WorkspaceScope) -> None:
        """The workspace installed the app again: it keeps its data."""
        if await self._store.returned(scope):
            await self._record(scope, "workspace.returned")
            log.info("workspace.returned", platform=scope.platform, workspace=scope.workspace)

    async def erase_due(self) -> int:
        """Erase the workspaces whose grace period has ended; the number of rows deleted."""
        total = 0
        for scope in await self._store.due(left_before=self._clock.now() - self.grace):
            rows = await self._store.erase(scope)
            total += rows
            await self._record(scope, "workspace.erased", after={"rows": rows})
            log.info("workspace.erased", platform=scope.platform, workspace=scope.workspace, rows=rows)
        return total

    async def _record(self, scope: WorkspaceScope, action: str, *, after: dict | None = None) -> None:
        await self._audit.record(AuditEntry(
            platform=scope.platform, workspace=scope.workspace, actor=PLATFORM_ACTOR, action=action,
            target=scope.workspace, after=after, created_at=self._clock.now(),
        ))
