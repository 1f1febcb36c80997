"""``/parley limits``: see and change the rate limits in force, audited."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from core.admin import Actor, AdminError, AdminPolicy, CommandReply, record_change
from core.limits.budgets import PERIODS, UNITS, WHO, BudgetCaps, budget_key, period_keys
from core.limits.parsing import LimitSyntaxError, parse_limits
from core.limits.pricing import usd
from core.limits.rate import SCOPES, RequestRateLimiter, override_channel
from core.messages import billed_workspace
from core.ports import AuditLog, BudgetCounterStore, Clock, LimitOverrideStore

_WHOSE = {"instance": "everyone's (the whole instance)", "workspace": "workspace", "user": "your"}
LIMITS_USAGE = (
    "Usage: `/parley limits show`, `/parley limits set <user|channel|workspace> <limit>` "
    "(like `20/minute` or `10/minute;100/day`, or `none`), `/parley limits clear <user|channel|workspace>`."
)


class LimitsAdmin:
    def __init__(
        self,
        *,
        limiter: RequestRateLimiter,
        overrides: LimitOverrideStore,
        counters: BudgetCounterStore,
        caps: BudgetCaps,
        audit: AuditLog,
        policy: AdminPolicy,
        clock: Clock,
        budget_timezone: str = "UTC",
    ) -> None:
        self._limiter = limiter
        self._overrides = overrides
        self._counters = counters
        self._caps = caps
        self._audit = audit
        self._policy = policy
        self._clock = clock
        self._zone = budget_timezone

    async def command(self, actor: Actor, args: str) -> CommandReply:
        """One ``/parley limits …`` line (after the word ``limits``); raises AdminError on refusals."""
        action, _, tail = args.strip().partition(" ")
        scope, _, value = tail.strip().partition(" ")
        action, scope, value = action.lower(), scope.lower(), value.strip()
        if action in ("", "show"):
            return CommandReply(await self.show(actor))
        if action == "set" and scope and value:
            return CommandReply(await self.set(actor, scope, value))
        if action == "clear" and scope and not value:
            return CommandReply(await self.set(actor, scope, None))
        raise AdminError(LIMITS_USAGE)

    async def show(self, actor: Actor) -> str:
        in_force = await self._limiter.effective(actor.workspace_scope, actor.channel)
        lines = ["Rate limits here (user and workspace limits apply workspace-wide; channel limits per channel):"]
        lines += [f"• {scope}: `{in_force[scope]}`" for scope in SCOPES]
        lines += await self._budget_lines(actor)
        return "\n".join(lines)

    async def set(self, actor: Actor, scope: str, value: str | None) -> str:
        self._policy.require_admin(actor, doing="change rate limits")
        if scope not in SCOPES:
            raise AdminError(LIMITS_USAGE)
        if value is not None:
            try:
                parse_limits(value)
            except LimitSyntaxError as bad:
                raise AdminError(f"{bad}. {LIMITS_USAGE}") from None
            value = value.strip().lower()
        before = (await self._limiter.effective(actor.workspace_scope, actor.channel))[scope]
        channel = override_channel(scope, actor.channel)
        await self._overrides.set(actor.workspace_scope, channel=channel, scope=scope, value=value)
        after = (await self._limiter.effective(actor.workspace_scope, actor.channel))[scope]
        await record_change(
            self._audit, clock=self._clock, actor=actor, target=f"{scope}@{channel}",
            action="limits.set" if value is not None else "limits.clear",
            before={"limit": before}, after={"limit": after},
        )
        where = "in this channel" if scope == "channel" else "in this workspace"
        return f"The {scope} limit {where} is now `{after}`."

    async def _budget_lines(self, actor: Actor) -> list[str]:
        if not self._caps.any:
            return ["Budgets: none set."]
        now = self._clock.now().astimezone(ZoneInfo(self._zone))
        periods = period_keys(now)
        workspace = billed_workspace(actor.workspace, user=actor.user)
        wanted = [
            (who, period, unit, budget_key(who, platform=actor.platform, workspace=workspace, user=actor.user,
                                           period=periods[period], unit=unit))
            for who in WHO for period in PERIODS for unit in UNITS
            if self._caps.get(who, period, unit) is not None
        ]
        used = await self._counters.used([key for *_, key in wanted])
        lines = [f"Budgets ({self._zone}):"]
        for who, period, unit, key in wanted:
            cap = self._caps.get(who, period, unit)
            spent = used[key]
            shown = f"{spent:,} of {int(cap):,} tokens" if unit == "tokens" else f"{usd(spent)} of ${cap:,.2f}"
            lines.append(f"• {_WHOSE[who]} {period}: {shown}")
        return lines
