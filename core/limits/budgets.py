"""Token and money budgets for the whole instance, per workspace and per user, daily and monthly.

Hard caps that hold under concurrency and across processes: before the LLM
call the worst case (prompt estimate + max_tokens) is reserved against every
budget at once, all or nothing, in the database; afterwards the reservation is
settled with the real usage.  A cap of 0 allows nothing; a missing cap (None)
is "no budget".  Periods are calendar days and months in BUDGET_TIMEZONE.
The instance's budget counts every workspace together (an operator's cap: a new
guild that adds the bot gets no fresh money).  A model without a price cannot
be counted in money: while any money budget is set, a request to one is refused.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import structlog

from core.limits.parsing import human_duration
from core.limits.pricing import Pricing
from core.messages import IncomingMessage, Usage
from core.ports import BudgetCounterStore, Clock
from core.records import BudgetHold, BudgetKey, BudgetLine, LimitDecision

log = structlog.get_logger(__name__)

WHO = ("instance", "workspace", "user")
INSTANCE = "*"  # the platform and workspace of the instance-wide counters
PERIODS = ("daily", "monthly")
UNITS = ("tokens", "usd")


@dataclass(frozen=True, slots=True)
class BudgetCaps:
    """``caps[(who, period, unit)]``: tokens, or USD; absent or None means no budget."""

    caps: dict[tuple[str, str, str], float | None]

    @classmethod
    def from_settings(cls, settings) -> "BudgetCaps":
        return cls(
            {(w, p, u): getattr(settings, f"budget_{w}_{p}_{u}") for w in WHO for p in PERIODS for u in UNITS}
        )

    def get(self, who: str, period: str, unit: str) -> float | None:
        return self.caps.get((who, period, unit))

    @property
    def any(self) -> bool:
        return any(v is not None for v in self.caps.values())

    @property
    def any_money(self) -> bool:
        return any(v is not None for (_, _, unit), v in self.caps.items() if unit == "usd")


def period_keys(now: datetime) -> dict[str, str]:
    """The counters' periods that ``now`` (in the budget time zone) falls in: ``{"daily": "day:…", "monthly": …}``."""
    return {"daily": f"day:{now:%Y-%m-%d}", "monthly": f"month:{now:%Y-%m}"}


def budget_key(who: str, *, platform: str, workspace: str, user: str, period: str, unit: str) -> BudgetKey:
    """The counter of one budget: the instance's, a workspace's (user "") or a user's in a workspace."""
    stored_unit = "tokens" if unit == "tokens" else "micro_usd"
    if who == "instance":
        return BudgetKey(INSTANCE, INSTANCE, "", period, stored_unit)
    return BudgetKey(platform, workspace, user if who == "user" else "", period, stored_unit)


class TokenBudget:
    def __init__(
        self, *, counters: BudgetCounterStore, caps: BudgetCaps, pricing: Pricing, clock: Clock, timezone: str = "UTC"
    ) -> None:
        self._counters = counters
        self._caps = caps
        self._pricing = pricing
        self._clock = clock
        self._zone = ZoneInfo(timezone)

    async def reserve(
        self, message: IncomingMessage, *, model: str, prompt_tokens: int, max_tokens: int
    ) -> BudgetHold | LimitDecision:
        if self._caps.any_money and self._pricing.cost_micro_usd(model, Usage(0, 0)) is None:
            return self._unpriced(model)
        worst = Usage(prompt_tokens=prompt_tokens, completion_tokens=max_tokens)
        lines = self._lines(message, model=model, usage=worst)
        if not lines:
            return BudgetHold((), model)
        hold = BudgetHold(lines, model, uuid.uuid4().hex)
        refused = await self._counters.reserve(lines, hold=hold.id)
        if refused is None:
            return hold
        return self._refusal(refused)

    async def settle(self, hold: BudgetHold, usage: Usage) -> None:
        if hold.lines:
            await self._counters.settle(self._settlement(hold.lines, hold.model, usage), hold=hold.id)

    async def charge(self, message: IncomingMessage, *, model: str, usage: Usage) -> None:
        """Count usage that had no reservation (e.g. a memory summary)."""
        lines = tuple(BudgetLine(l.key, l.cap, 0) for l in self._lines(message, model=model, usage=usage))
        if lines:
            await self._counters.settle(self._settlement(lines, model, usage))

    def _settlement(self, lines: tuple[BudgetLine, ...], model: str, usage: Usage) -> list[tuple[BudgetKey, int, int]]:
        """(key, reserved, actual) per line: the actual use in the line's unit."""
        cost = self._pricing.cost_micro_usd(model, usage) or 0
        return [(line.key, line.amount, usage.total_tokens if line.key.unit == "tokens" else cost) for line in lines]

    def _lines(self, message: IncomingMessage, *, model: str, usage: Usage) -> tuple[BudgetLine, ...]:
        now = self._clock.now().astimezone(self._zone)
        periods = period_keys(now)
        cost = self._pricing.cost_micro_usd(model, usage)
        lines = []
        for who in WHO:
            for period in PERIODS:
                for unit in UNITS:
                    cap = self._caps.get(who, period, unit)
                    if cap is None or (unit == "usd" and cost is None):
                        continue
                    key = budget_key(
                        who, platform=message.key.platform, workspace=message.billed_workspace, user=message.user,
                        period=periods[period], unit=unit,
                    )
                    amount = usage.total_tokens if unit == "tokens" else cost
                    cap_units = int(cap) if unit == "tokens" else int(round(cap * 1_000_000))
                    lines.append(BudgetLine(key, cap_units, amount))
        return tuple(lines)

    def _refusal(self, key: BudgetKey) -> LimitDecision:
        now = self._clock.now().astimezone(self._zone)
        daily = key.period.startswith("day:")
        midnight = datetime(now.year, now.month, now.day, tzinfo=self._zone)
        resets = midnight + timedelta(days=1) if daily else _first_of_next_month(midnight)
        wait = (resets - now).total_seconds()
        who = "instance" if key.workspace == INSTANCE else "user" if key.user else "workspace"
        whose = {"instance": "Parley's shared", "user": "Your", "workspace": "This workspace's"}[who]
        what = "token" if key.unit == "tokens" else "spending"
        when = f"{resets:%H:%M} {self._zone.key}" if daily else f"{resets:%Y-%m-%d %H:%M} {self._zone.key}"
        log.info("budget.spent", who=who, period=key.period, unit=key.unit)
        return LimitDecision(
            reason=f"budget.{who}.{'daily' if daily else 'monthly'}.{'tokens' if key.unit == 'tokens' else 'usd'}",
            retry_after=wait,
            text=f"{whose} {'daily' if daily else 'monthly'} {what} budget is used up. "
            f"It resets at {when} (in {human_duration(wait)}).",
        )

    def _unpriced(self, model: str) -> LimitDecision:
        log.warning("budget.unpriced_model", model=model, effect="refused: a money budget is set")
        return LimitDecision(
            reason="budget.unpriced_model",
            retry_after=0.0,
            text=f"I can't answer with model `{model}`: it has no price, and a spending budget is set, so its cost "
            "could not be counted. An admin can switch this channel to another persona (`/persona use …`), "
            "or the operator can add the model's price to MODEL_PRICES.",
        )


def _first_of_next_month(day: datetime) -> datetime:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)
