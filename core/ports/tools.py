"""Tool rules, the tool-call log and approval in the chat (``core/tools``)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from core.messages import WorkspaceScope
from core.tools.values import ApprovalPrompt, ApprovalVerdict, ToolCallEntry, ToolRule


class ToolSettingsStore(Protocol):
    """Which MCP servers or single tools each persona may use, and how (``core/tools``)."""

    async def rules(self, scope: WorkspaceScope, *, persona: str | None = None) -> list[ToolRule]:
        """The workspace's rules (of one persona when given), ordered by persona then target."""
        ...

    async def set_rule(self, scope: WorkspaceScope, rule: ToolRule) -> None:
        """Insert or replace the rule for (persona, target)."""
        ...


class ToolCallLog(Protocol):
    """Every tool call, audited without its arguments or result (``/parley tools log``)."""

    async def record(self, entry: ToolCallEntry) -> None: ...

    async def recent(self, scope: WorkspaceScope, *, limit: int = 20) -> list[ToolCallEntry]:
        """The workspace's latest calls, newest first."""
        ...

    async def forget_user(self, scope: WorkspaceScope, *, user: str) -> int:
        """Delete the calls ``user`` asked for in the workspace (``/parley forget-me``); returns how many."""
        ...

    async def forget_before(self, before: datetime) -> int: ...


class ApprovalPrompter(Protocol):
    """The adapter's way to ask the asker, in their thread, to approve a tool call (buttons)."""

    async def show(self, prompt: ApprovalPrompt) -> None:
        """Post the question with Approve / Decline buttons that carry ``prompt.id``."""
        ...

    async def close(self, prompt: ApprovalPrompt, verdict: ApprovalVerdict) -> None:
        """Replace the buttons with the verdict (approved by whom, declined, or timed out)."""
        ...
