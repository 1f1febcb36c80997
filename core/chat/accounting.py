"""What an answer used, and its usage row: the model's own figures, or for an answer cut off, counted here."""

from __future__ import annotations

import structlog

from core.chat.request import ChatRequest
from core.limits.pricing import Pricing
from core.messages import Usage
from core.observability.no_metrics import NoMetrics
from core.ports import Clock, Metrics, TokenCounter, UsageStore
from core.records import UsageRecord

log = structlog.get_logger(__name__)


class UsageAccounting:
    def __init__(
        self, *, usage: UsageStore, tokens: TokenCounter, pricing: Pricing, clock: Clock, metrics: Metrics | None = None
    ) -> None:
        self._metrics = metrics or NoMetrics()
        self._usage = usage
        self._tokens = tokens
        self._pricing = pricing
        self._clock = clock

    def consumed(self, request: ChatRequest) -> Usage:
        """What the model used: its own figures, or, when it never sent them (the answer was cut off), the
        prompt plus the text received so far, counted here."""
        if request.usage.total_tokens or not request.pieces:
            return request.usage
        received = self._tokens.count("".join(request.pieces), model=request.persona.model)
        return Usage(prompt_tokens=request.prompt_tokens, completion_tokens=received)

    async def record(self, request: ChatRequest, usage: Usage) -> None:
        await self._usage.record(self.usage_record(request, usage))

    async def record_cut_off(self, request: ChatRequest) -> None:
        """The usage row of an answer not stored with its exchange (cut off, or refused after the model ran)."""
        if request.usage.total_tokens:
            await self.record(request, request.usage)
            request.log.info(
                "usage.charged_cut_off", prompt_tokens=request.usage.prompt_tokens,
                completion_tokens=request.usage.completion_tokens,
            )

    def usage_record(self, request: ChatRequest, usage: Usage) -> UsageRecord:
        """The usage row (every use of the model goes through here once), counted for the metrics too."""
        key, model = request.message.key, request.persona.model
        cost = self._pricing.cost_micro_usd(model, usage)
        self._metrics.llm_usage(
            model=model, prompt_tokens=usage.prompt_tokens, completion_tokens=usage.completion_tokens,
            cost_usd=(cost or 0) / 1_000_000,
        )
        return UsageRecord(
            platform=key.platform, workspace=key.workspace, channel=key.channel, user=request.message.user,
            model=model, prompt_tokens=usage.prompt_tokens, completion_tokens=usage.completion_tokens,
            created_at=self._clock.now(), cost_micro_usd=cost,
        )
