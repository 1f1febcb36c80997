"""Who may use Parley, where, how it is summoned, each person's model (``core/access``)."""

from __future__ import annotations

from typing import Protocol

from core.access.values import AccessRule, Kind, Summoning
from core.messages import ChannelScope, WorkspaceScope


class AccessStore(Protocol):
    """Who may use it (per workspace), how each channel summons it, and the model each person picked in a
    channel (``core/access/``)."""

    async def rules(self, scope: WorkspaceScope) -> list[AccessRule]:
        """The workspace's rules, by kind then subject."""
        ...

    async def put_rule(self, scope: WorkspaceScope, rule: AccessRule) -> AccessRule | None:
        """Allow or deny a subject (replacing its earlier rule); returns the rule it replaced."""
        ...

    async def remove_rule(self, scope: WorkspaceScope, *, kind: Kind, subject: str) -> AccessRule | None: ...

    async def clear_rules(self, scope: WorkspaceScope) -> int: ...

    async def summoning(self, scope: ChannelScope) -> Summoning | None:
        """The channel's own mode; None when no admin has set one."""
        ...

    async def set_summoning(self, scope: ChannelScope, summoning: Summoning) -> None: ...

    async def model_choice(self, scope: ChannelScope, *, user: str) -> str | None: ...

    async def set_model_choice(self, scope: ChannelScope, *, user: str, model: str | None) -> None:
        """``model`` None: back to the persona's own."""
        ...

    async def channel_choices(self, scope: ChannelScope) -> dict[str, str]:
        """Every person's choice in the channel (user → model), for ``/parley export``."""
        ...

    async def forget_channel_choices(self, scope: ChannelScope) -> int: ...

    async def forget_user_choices(self, scope: WorkspaceScope, *, user: str) -> int: ...
