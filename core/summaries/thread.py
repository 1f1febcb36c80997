"""A thread summarised on request: "@Parley summarize" in a thread is a command, not a question.

The core recognises the mention's text (``asks``); the thread is read as thread
context reads it (``ThreadContext.transcript``: the same history port, scopes
and permissions, the same input filters), each message cut to
``message_chars``, the newest within ``max_messages`` and ``max_chars``; then
summarised with the channel's persona and model (``Summarizer``, in parts when
long).  It counts against rate limits (as the message it is) and budgets (the
worst case reserved before, settled with what the calls used), and each call's
usage is recorded.  The summary is then finished like any answer (output
filters, stored as the exchange where memory is kept), in the thread.

Only what the asker can see: the thread is the one they wrote in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import reduce

from core.chat.accounting import UsageAccounting
from core.chat.request import ChatRequest
from core.chat.thread_context import LEFT_OUT_NOTICE, ThreadContext, Transcript
from core.llm_types import LLMError
from core.messages import Outcome, OutcomeKind, Usage
from core.ports import Budget, TokenCounter
from core.records import LimitDecision
from core.summaries.summarizer import SUMMARY_TOKENS, Summarizer, calls_needed
from core.summaries.texts import NOTHING_TO_SUMMARISE, SUMMARY_FAILED, SUMMARY_UNAVAILABLE

SUMMARY_COMMAND = re.compile(r"^\s*summari[sz]e(\s+(this\s+)?thread)?\s*[.!]?\s*$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class SummaryLimits:
    """SUMMARY_MAX_MESSAGES, SUMMARY_MAX_CHARS, SUMMARY_MESSAGE_MAX_CHARS."""

    max_messages: int = 500
    max_chars: int = 60_000
    message_chars: int = 2_000


class ThreadSummaries:
    def __init__(
        self,
        *,
        thread_context: ThreadContext,
        summarizer: Summarizer,
        budget: Budget,
        accounting: UsageAccounting,
        tokens: TokenCounter,
        limits: SummaryLimits = SummaryLimits(),
    ) -> None:
        self._thread_context = thread_context
        self._summarizer = summarizer
        self._budget = budget
        self._accounting = accounting
        self._tokens = tokens
        self._limits = limits

    @staticmethod
    def asks(request: ChatRequest) -> bool:
        """A mention in a channel whose whole text is "summarize" (or "summarise this thread")."""
        message = request.message
        return message.mentions_bot and not message.is_dm and bool(SUMMARY_COMMAND.match(request.text))

    async def summarise(self, request: ChatRequest) -> Outcome | None:
        """The summary put into ``request`` (its text and final usage) to be finished like an answer: None.
        Or a refusal: nothing to summarise, the platform would not let Parley read, a budget, the model."""
        limits = self._limits
        transcript = await self._thread_context.transcript(
            request, max_messages=limits.max_messages, max_chars=limits.max_chars, message_chars=limits.message_chars
        )
        return await self.summarise_transcript(request, transcript)

    @property
    def limits(self) -> SummaryLimits:
        return self._limits

    async def summarise_transcript(self, request: ChatRequest, transcript: Transcript) -> Outcome | None:
        """``transcript`` summarised into ``request`` (None), or the refusal."""
        if transcript.unavailable:
            return Outcome(OutcomeKind.FAILED, text=SUMMARY_UNAVAILABLE, reason="history_unavailable")
        if not transcript.lines:
            return Outcome(OutcomeKind.INVALID, text=NOTHING_TO_SUMMARISE, reason="nothing_to_summarise")
        persona = request.persona
        calls = calls_needed(transcript.lines, part_chars=self._summarizer.part_chars)
        prompt = self._tokens.count("\n".join(transcript.lines), model=persona.model) + calls * 200
        decision = await self._budget.reserve(
            request.message, model=persona.model, prompt_tokens=prompt,
            max_tokens=calls * min(SUMMARY_TOKENS, persona.max_tokens),
        )
        if isinstance(decision, LimitDecision):
            request.log.info("message.limited", reason=decision.reason, retry_after=decision.retry_after)
            return Outcome(OutcomeKind.LIMITED, text=decision.text, reason=decision.reason, retry_after=decision.retry_after)
        spent: list[Usage] = []
        try:
            result = await self._summarizer.summarise(transcript.lines, persona=persona, spent=spent)
            for part in result.earlier_usage:
                await self._accounting.record(request, part)
        except LLMError as exc:
            request.log.warning("summary.failed", error=type(exc).__name__, cause=exc.cause)
            for part in spent:  # the parts that were summarised before it failed
                await self._accounting.record(request, part)
            return Outcome(OutcomeKind.FAILED, text=SUMMARY_FAILED, reason=type(exc).__name__)
        finally:
            await self._budget.settle(decision, reduce(lambda a, b: a + b, spent, Usage(0, 0)))
        request.pieces = [result.text]
        request.usage = result.usage
        request.streamed = True
        if transcript.left_out:
            request.notices += (LEFT_OUT_NOTICE,)
        request.log.info("summary.made", messages=len(transcript.lines), parts=result.parts)
        return None
