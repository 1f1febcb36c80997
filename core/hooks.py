"""Pass-through defaults for the rate-limit and content-filter hooks."""

from __future__ import annotations

from core.messages import IncomingMessage
from core.personas import Persona
from core.ports import FilterVerdict, LimitDecision


class NoRateLimit:
    async def check(self, message: IncomingMessage, *, persona: Persona) -> LimitDecision | None:
        return None


class NoContentFilter:
    async def check_input(self, message: IncomingMessage, text: str) -> FilterVerdict:
        return FilterVerdict(allowed=True, text=text)

    async def check_output(self, message: IncomingMessage, text: str, *, final: bool) -> FilterVerdict:
        return FilterVerdict(allowed=True, text=text)
