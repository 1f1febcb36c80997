"""Token and money budgets per workspace and per user, daily and monthly.

Hard caps that hold under concurrency and across processes: before the LLM
call the worst case (prompt estimate + max_tokens) is reserved against every
budget at once, all or nothing, in the database; afterwards the reservation is
settled with the real usage.  A cap of 0 allows nothing; a missing cap (None)
is "no budget".  Periods are calendar days and months in BUDGET_TIMEZONE.
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

WHO = ("workspace", "user")
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
        periods = {"daily": f"day:{now:%Y-%m-%d}", "monthly": f"month:{now:%Y-%m}"}
        cost = self._pricing.cost_micro_usd(model, usage)
        key = message.key
        lines = []
        for who in WHO:
            user = message.user if who == "user" else ""
            for period in PERIODS:
                for unit in UNITS:
                    cap = self._caps.get(who, period, unit)
                    if cap is None or (unit == "usd" and cost is None):
                        continue
                    stored_unit = "tokens" if unit == "tokens" else "micro_usd"
                    amount = usage.total_tokens if unit == "tokens" else cost
                    cap_units = int(cap) if unit == "tokens" else int(round(cap * 1_000_000))
                    lines.append(
                        BudgetLine(BudgetKey(key.platform, key.workspace, user, periods[period], stored_unit), cap_units, amount)
                    )
        return tuple(lines)

    def _refusal(self, key: BudgetKey) -> LimitDecision:
        now = self._clock.now().astimezone(self._zone)
        daily = key.period.startswith("day:")
        midnight = datetime(now.year, now.month, now.day, tzinfo=self._zone)
        resets = midnight + timedelta(days=1) if daily else _first_of_next_month(midnight)
        wait = (resets - now).total_seconds()
        whose = "Your" if key.user else "This workspace's"
        what = "token" if key.unit == "tokens" else "spending"
        when = f"{resets:%H:%M} {self._zone.key}" if daily else f"{resets:%Y-%m-%d %H:%M} {self._zone.key}"
        log.info("budget.spent", who="user" if key.user else "workspace", period=key.period, unit=key.unit)
        return LimitDecision(
            reason=f"budget.{'user' if key.user else 'workspace'}.{'daily' if daily else 'monthly'}."
            f"{'tokens' if key.unit == 'tokens' else 'usd'}",
            retry_after=wait,
            text=f"{whose} {'daily' if daily else 'monthly'} {what} budget is used up. "
            f"It resets at {when} (in {human_duration(wait)}).",
        )


def _first_of_next_month(day: datetime) -> datetime:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)
