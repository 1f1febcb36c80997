"""Audited actions on a channel's memory and on a person's stored data."""

from __future__ import annotations

from dataclasses import dataclass, replace

from core.admin import Actor, AdminError, AdminPolicy, record_change
from core.export import EXPORT_MAX_TURNS, export_filename, turns_as_jsonl
from core.ports import AuditLog, ChannelSettingsStore, Clock, ConversationStore, UsageRow, UsageStore

MAX_RETENTION_DAYS = 36_500


class ChannelAdmin:
    def __init__(
        self,
        *,
        conversations: ConversationStore,
        settings: ChannelSettingsStore,
        usage: UsageStore,
        audit: AuditLog,
        policy: AdminPolicy,
        clock: Clock,
    ) -> None:
        self._conversations = conversations
        self._settings = settings
        self._usage = usage
        self._audit = audit
        self._policy = policy
        self._clock = clock

    async def reset(self, actor: Actor) -> int:
        """Forget the channel's conversations (every thread); returns turns deleted."""
        self._policy.require_channel_admin(actor, doing="reset the memory")
        deleted = await self._conversations.delete_channel(actor.channel_scope)
        await self._record(actor, "channel.reset", actor.channel, after={"turns_deleted": deleted})
        return deleted

    async def set_retention(self, actor: Actor, days: int | None) -> None:
        """Keep turns ``days`` days (0: none after answering); ``None``: forever."""
        self._policy.require_channel_admin(actor, doing="change how long memory is kept")
        if days is not None and not 0 <= days <= MAX_RETENTION_DAYS:
            raise AdminError(f"Retention must be between 0 and {MAX_RETENTION_DAYS:,} days, or `off`.")
        current = await self._settings.get(actor.channel_scope)
        await self._settings.put(actor.channel_scope, replace(current, retention_days=days))
        await self._record(
            actor, "channel.retention", actor.channel,
            before={"retention_days": current.retention_days}, after={"retention_days": days},
        )

    async def set_memory(self, actor: Actor, enabled: bool) -> None:
        """Memory on, or off: answer from the current message alone and store no turns."""
        self._policy.require_channel_admin(actor, doing="turn memory on or off")
        current = await self._settings.get(actor.channel_scope)
        await self._settings.put(actor.channel_scope, replace(current, memory_enabled=enabled))
        await self._record(
            actor, "channel.memory", actor.channel,
            before={"memory_enabled": current.memory_enabled}, after={"memory_enabled": enabled},
        )

    async def export(self, actor: Actor) -> ChannelExport:
        """The channel's stored turns (every thread), for an admin; the export itself is audited."""
        self._policy.require_channel_admin(actor, doing="export the stored messages")
        turns = await self._conversations.channel_turns(actor.channel_scope, limit=EXPORT_MAX_TURNS + 1)
        content, count = turns_as_jsonl(turns[:EXPORT_MAX_TURNS])
        await self._record(actor, "channel.export", actor.channel, after={"turns": count})
        return ChannelExport(
            filename=export_filename(actor.channel_scope, self._clock.now()), content=content, turns=count,
            truncated=count < len(turns),
        )

    async def forget_user(self, actor: Actor) -> int:
        """Delete every stored turn of the actor in this workspace; returns how many."""
        deleted = await self._conversations.delete_user(actor.workspace_scope, user=actor.user)
        await self._record(actor, "user.forget", actor.user, after={"turns_deleted": deleted})
        return deleted

    def is_admin(self, actor: Actor) -> bool:
        return self._policy.is_admin(actor)

    async def usage(self, actor: Actor, *, group_by: str | None = None) -> UsageReport:
        """The actor's own usage; with ``group_by``, the workspace's (admins only)."""
        now = self._clock.now()
        day = now.replace(hour=0, minute=0, second=0, microsecond=0)
        month = day.replace(day=1)
        if group_by is None:
            user = actor.user
        else:
            self._policy.require_admin(actor, doing="see the workspace's usage")
            user = None
        today = await self._usage.report(actor.workspace_scope, since=day, user=user, group_by=group_by)
        this_month = await self._usage.report(actor.workspace_scope, since=month, user=user, group_by=group_by)
        return UsageReport(today=today, this_month=this_month, group_by=group_by)

    async def _record(self, actor: Actor, action: str, target: str, *, before=None, after=None) -> None:
        await record_change(
            self._audit, clock=self._clock, actor=actor, action=action, target=target, before=before, after=after
        )


@dataclass(frozen=True, slots=True)
class ChannelExport:
    filename: str
    content: bytes  # JSON lines
    turns: int
    truncated: bool = False  # more than EXPORT_MAX_TURNS were stored


@dataclass(frozen=True, slots=True)
class UsageReport:
    today: list[UsageRow]
    this_month: list[UsageRow]
    group_by: str | None
