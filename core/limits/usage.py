"""``/parley usage``: what a person used today and this month; admins also see the workspace's.

The reply carries a chart (PNG, ``usage_chart.py``) of the last 30 days per day and model: the
person's own, or for admins the workspace's, with the daily budgets that apply drawn as lines.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

import structlog

from core.admin import Actor, AdminPolicy, CommandFile, CommandReply
from core.limits.budgets import BudgetCaps
from core.limits.pricing import usd
from core.limits.usage_chart import CHART_DAYS, PNG_MIME_TYPE, BudgetLine, UsageChart, UsageChartData, chart_data
from core.ports import Clock, UsageStore
from core.records import UsageRow

log = structlog.get_logger(__name__)

GROUPS = ("user", "channel", "model")
CHART_FAILED = "(The chart could not be drawn this time.)"


@dataclass(frozen=True, slots=True)
class UsageReport:
    today: list[UsageRow]
    this_month: list[UsageRow]
    group_by: str | None


class UsageAdmin:
    def __init__(
        self, *, usage: UsageStore, policy: AdminPolicy, clock: Clock, caps: BudgetCaps | None = None,
        chart: UsageChart | None = None,
    ) -> None:
        self._usage = usage
        self._policy = policy
        self._clock = clock
        self._caps = caps or BudgetCaps({})
        self._chart = chart or UsageChart()

    async def command(self, actor: Actor, args: str) -> CommandReply:
        """``/parley usage`` (no arguments): the person's own; for admins the workspace's by user, channel, model."""
        parts = [_format_own(await self.report(actor))]
        admin = self._policy.is_admin(actor)
        if admin:
            parts += [_format_grouped(await self.report(actor, group_by=group)) for group in GROUPS]
        data = await self.chart_data(actor, workspace=admin)
        try:
            png = await asyncio.to_thread(self._chart.render_png, data)
        except Exception:  # the numbers above still answer the question
            log.exception("usage.chart_failed")
            return CommandReply("\n\n".join([*parts, CHART_FAILED]))
        whose = "the workspace's" if admin else "your"
        parts.append(f"The chart shows {whose} tokens and estimated cost per day for the last {CHART_DAYS} days, by model.")
        name = f"parley-usage-{self._clock.now():%Y%m%d-%H%M%S}.png"
        return CommandReply("\n\n".join(parts), file=CommandFile(name, png, PNG_MIME_TYPE))

    async def chart_data(self, actor: Actor, *, workspace: bool) -> UsageChartData:
        """What the chart shows: the workspace's days (``workspace``, admins) or the actor's own."""
        today = self._clock.now().date()
        since = self._clock.now().replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=CHART_DAYS - 1)
        rows = await self._usage.daily(actor.workspace_scope, since=since, user=None if workspace else actor.user)
        who = ("workspace", "instance") if workspace else ("user",)
        return chart_data(
            rows, today=today,
            title=f"{'Workspace' if workspace else 'Your'} usage per day (UTC), last {CHART_DAYS} days",
            token_budgets=self._budget_lines(who, "tokens"), usd_budgets=self._budget_lines(who, "usd"),
        )

    def _budget_lines(self, who: tuple[str, ...], unit: str) -> list[BudgetLine]:
        names = {"workspace": "workspace", "instance": "instance (all workspaces)", "user": "your"}
        return [
            BudgetLine(f"{names[w]} daily budget", value)
            for w in who if (value := self._caps.get(w, "daily", unit)) is not None
        ]

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
