"""Who may change things, and the errors admin actions answer with."""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from core.messages import ChannelScope
from core.ports import AuditEntry, AuditLog, Clock, WorkspaceScope

log = structlog.get_logger(__name__)

AUDIT_TARGET_MAX = 255  # the audit_log.target column


@dataclass(frozen=True, slots=True)
class Actor:
    """The person behind an admin call, where they are, and what the platform says of them.

    ``is_admin`` is the platform's verdict (Slack workspace admin, Discord
    Manage Server); PARLEY_ADMINS are admins on top of that.
    """

    platform: str
    workspace: str
    channel: str
    user: str
    is_admin: bool = False
    is_dm: bool = False

    @property
    def workspace_scope(self) -> WorkspaceScope:
        return WorkspaceScope(platform=self.platform, workspace=self.workspace)

    @property
    def channel_scope(self) -> ChannelScope:
        return ChannelScope(platform=self.platform, workspace=self.workspace, channel=self.channel)


class AdminError(Exception):
    """An expected refusal of an admin action; ``str(error)`` is the user-facing text."""


class NotPermitted(AdminError):
    pass


class NotFound(AdminError):
    pass


class Conflict(AdminError):
    pass


class AdminPolicy:
    def __init__(self, *, admins: frozenset[str] = frozenset()) -> None:
        self._admins = admins

    def is_admin(self, actor: Actor) -> bool:
        return actor.is_admin or actor.user in self._admins

    def require_admin(self, actor: Actor, *, doing: str) -> None:
        if not self.is_admin(actor):
            raise NotPermitted(f"Only admins can {doing}.")

    def require_channel_admin(self, actor: Actor, *, doing: str) -> None:
        """Admins anywhere; in a DM the person in it decides for that DM alone."""
        if not (actor.is_dm or self.is_admin(actor)):
            raise NotPermitted(f"Only admins can {doing} in a channel.")


async def record_change(
    audit: AuditLog, *, clock: Clock, actor: Actor, action: str, target: str, before=None, after=None
) -> None:
    """Write one admin change to the audit log (who, when, before, after) and log that it happened."""
    await audit.record(
        AuditEntry(
            platform=actor.platform, workspace=actor.workspace, actor=actor.user, action=action,
            target=target[:AUDIT_TARGET_MAX], before=before, after=after, created_at=clock.now(),
        )
    )
    log.info("admin.changed", action=action, target=target[:AUDIT_TARGET_MAX], actor=actor.user)
