"""What a request costs, from the per-model price table in settings."""

from __future__ import annotations

import math
from collections.abc import Mapping

import structlog

from core.messages import Usage

log = structlog.get_logger(__name__)


class Pricing:
    """Prices in USD per million tokens (prompt, completion); costs in micro-USD."""

    def __init__(self, prices: Mapping[str, tuple[float, float]]) -> None:
        self._prices = dict(prices)
        self._warned: set[str] = set()

    def cost_micro_usd(self, model: str, usage: Usage) -> int | None:
        """None for a model without a price: it counts tokens only (and the log says so once)."""
        price = self._prices.get(model)
        if price is None:
            if model not in self._warned:
                self._warned.add(model)
                log.warning("pricing.unknown_model", model=model, effect="tokens counted, money not")
            return None
        prompt, completion = price
        return math.ceil(usage.prompt_tokens * prompt + usage.completion_tokens * completion)


def usd(micro_usd: int) -> str:
    return f"${micro_usd / 1_000_000:,.4f}" if micro_usd < 10_000 else f"${micro_usd / 1_000_000:,.2f}"
