"""``/parley usage``: what a person used today and this month; admins also see the workspace's."""

from __future__ import annotations

from dataclasses import dataclass

from core.admin import Actor, AdminPolicy, CommandReply
from core.limits.pricing import usd
from core.ports import Clock, UsageStore
from core.records import UsageRow

GROUPS = ("user", "channel", "model")


@dataclass(frozen=True, slots=True)
class UsageReport:
    today: list[UsageRow]
    this_month: list[UsageRow]
    group_by: str | None


class UsageAdmin:
    def __init__(self, *, usage: UsageStore, policy: AdminPolicy, clock: Clock) -> None:
        self._usage = usage
        self._policy = policy
        self._clock = clock

    async def command(self, actor: Actor, args: str) -> CommandReply:
        """``/parley usage`` (no arguments): the person's own; for admins the workspace's by user, channel, model."""
        parts = [_format_own(await self.report(actor))]
        if self._policy.is_admin(actor):
            parts += [_format_grouped(await self.report(actor, group_by=group)) for group in GROUPS]
        return CommandReply("\n\n".join(parts))

    async def report(self, actor: Actor, *, group_by: str | None = None) -> UsageReport:
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


def _row(row: UsageRow) -> str:
    cost = f" (about {usd(row.cost_micro_usd)})" if row.cost_micro_usd else ""
    return f"{row.requests:,} requests, {row.prompt_tokens:,} prompt + {row.completion_tokens:,} completion tokens{cost}"


def _format_own(report: UsageReport) -> str:
    today = report.today[0] if report.today else UsageRow("", 0, 0, 0)
    month = report.this_month[0] if report.this_month else UsageRow("", 0, 0, 0)
    return f"Your usage today: {_row(today)}.\nThis month: {_row(month)}."


def _format_grouped(report: UsageReport) -> str:
    lines = [f"• `{row.group}`: {_row(row)}" for row in report.this_month] or ["• nothing yet"]
    return f"Workspace this month by {report.group_by} (top 10):\n" + "\n".join(lines)
