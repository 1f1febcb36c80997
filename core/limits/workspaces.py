"""Which workspaces (Slack teams, Discord guilds; ``dm`` for Discord DMs) may use this Parley at all."""

from __future__ import annotations

from dataclasses import dataclass

NOT_ALLOWED_TEXT = (
    "Parley is not enabled for this workspace, so I can't answer here. "
    "Its operator decides where it runs (ALLOWED_WORKSPACES)."
)


@dataclass(frozen=True, slots=True)
class WorkspaceAllowlist:
    """ALLOWED_WORKSPACES: empty lets every workspace in."""

    allowed: frozenset[str] = frozenset()

    def permits(self, workspace: str) -> bool:
        return not self.allowed or workspace in self.allowed
