"""The one entry every adapter calls: a message in, a reply stream out.

``handle`` yields ``TextDelta`` pieces as the answer streams, then exactly one
``Outcome``.  In order: gate → de-duplicate → check the text → (one at a time
per conversation) rate limits → input filters → persona → memory window →
LLM (streamed, output filters at checkpoints) → output filters on the final
text → persist → account usage.

The gate runs before de-duplication so that a delivery the gate ignores (on
Slack, the plain ``message`` copy of an ``app_mention``) does not use up the
message's event id before the delivery that should be answered arrives.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import structlog

from core.conversation_locks import ConversationLocks
from core.hooks import NoContentFilter, NoRateLimit
from core.input_text import check_text, clean_text
from core.limits.budgets import NoBudget
from core.limits.pricing import Pricing
from core.llm.types import CompletionRequest, ContextTooLong, LLMBusy, LLMError
from core.memory import MemoryWindow, MemoryWindowBuilder
from core.messages import IncomingMessage, Outcome, OutcomeKind, ReplyEvent, TextDelta, Usage
from core.persona_admin import PersonaDirectory
from core.personas import Persona
from core.ports import (
    Budget, ChannelSettingsStore, Clock, ContentFilter, ConversationLocking, ConversationStore, Inbox, LimitDecision,
    LLMProvider, NewTurn, RateLimiter, TokenCounter, UsageRecord, UsageStore,
)
from core.tokens import MESSAGE_OVERHEAD_TOKENS

log = structlog.get_logger(__name__)

INTERNAL_ERROR_TEXT = "Sorry, something went wrong on my side and I couldn't answer. Please try again."
EMPTY_ANSWER_TEXT = "Sorry, the language model sent back an empty answer. Please try again."
OUTPUT_BLOCKED_TEXT = "I wrote an answer, but my output filter held it back."
INPUT_BLOCKED_TEXT = "I can't help with that message: a content filter blocked it."


class ChatService:
    def __init__(
        self,
        *,
        inbox: Inbox,
        conversations: ConversationStore,
        channel_settings: ChannelSettingsStore,
        personas: PersonaDirectory,
        memory: MemoryWindowBuilder,
        llm: LLMProvider,
        tokens: TokenCounter,
        usage: UsageStore,
        clock: Clock,
        max_message_chars: int,
        rate_limiter: RateLimiter | None = None,
        content_filter: ContentFilter | None = None,
        budget: Budget | None = None,
        pricing: Pricing | None = None,
        output_check_chars: int = 500,
        locks: ConversationLocking | None = None,
    ) -> None:
        self._inbox = inbox
        self._conversations = conversations
        self._channel_settings = channel_settings
        self._personas = personas
        self._memory = memory
        self._llm = llm
        self._tokens = tokens
        self._usage = usage
        self._clock = clock
        self._max_message_chars = max_message_chars
        self._rate_limiter = rate_limiter or NoRateLimit()
        self._content_filter = content_filter or NoContentFilter()
        self._budget = budget or NoBudget()
        self._pricing = pricing or Pricing({})
        self._output_check_chars = output_check_chars
        self._locks = locks or ConversationLocks()

    async def handle(self, message: IncomingMessage) -> AsyncIterator[ReplyEvent]:
        key = message.key
        event_log = log.bind(
            platform=key.platform, workspace=key.workspace, channel=key.channel,
            thread=key.thread, event_id=message.event_id,
        )
        try:
            if not await self._is_addressed(message):
                event_log.debug("message.ignored", reason="not_addressed")
                yield Outcome(OutcomeKind.IGNORED, reason="not_addressed")
                return
            if not await self._inbox.claim(platform=key.platform, event_id=message.event_id):
                event_log.info("message.duplicate")
                yield Outcome(OutcomeKind.IGNORED, reason="duplicate")
                return
            text = clean_text(message.text)
            problem = check_text(text, max_chars=self._max_message_chars)
            if problem is not None:
                event_log.info("message.invalid", reason=problem.reason, chars=len(text))
                yield Outcome(OutcomeKind.INVALID, text=problem.user_text, reason=problem.reason)
                return
            async with self._locks.hold(key):
                async for event in self._answer(message, text, event_log):
                    yield event
        except Exception:
            event_log.exception("reply.error")
            yield Outcome(OutcomeKind.FAILED, text=INTERNAL_ERROR_TEXT, reason="internal_error")

    async def _is_addressed(self, message: IncomingMessage) -> bool:
        if message.is_dm or message.mentions_bot or message.in_bot_thread:
            return True
        return bool(message.key.thread) and await self._conversations.has_assistant_turns(message.key)

    async def _answer(self, message: IncomingMessage, text: str, event_log) -> AsyncIterator[ReplyEvent]:
        started = time.perf_counter()
        scope = message.key.channel_scope()
        settings = await self._channel_settings.get(scope)
        persona = await self._personas.resolve(scope, settings=settings)
        keep_turns = settings.memory_enabled and settings.retention_days != 0
        event_log = event_log.bind(persona=persona.name, model=persona.model)

        limit = await self._rate_limiter.check(message, persona=persona)
        if limit is not None:
            yield _limited(limit, event_log)
            return
        verdict = await self._content_filter.check_input(message, text)
        if not verdict.allowed:
            event_log.info("message.blocked", direction="input", reason=verdict.reason)
            yield Outcome(OutcomeKind.BLOCKED, text=verdict.user_text or INPUT_BLOCKED_TEXT, reason=verdict.reason)
            return
        text = verdict.text  # redacted: what the LLM sees and what is stored, never the original
        input_notices = verdict.notices

        reply = _Reply()
        hold = None
        try:
            window_budget = None
            for attempt in (1, 2):
                reply.restart()
                reply.window = await self._memory.build(
                    message.key, persona=persona, user_text=text, budget=window_budget,
                    remember=settings.memory_enabled,
                )
                if reply.window.summary_usage is not None:
                    await self._account(message, persona, reply.window.summary_usage)
                    await self._budget.charge(message, model=persona.model, usage=reply.window.summary_usage)
                if hold is None:
                    hold = await self._budget.reserve(
                        message, model=persona.model, max_tokens=persona.max_tokens,
                        prompt_tokens=self._prompt_estimate(reply.window, persona),
                    )
                    if isinstance(hold, LimitDecision):
                        yield _limited(hold, event_log)
                        return
                try:
                    async for delta in self._stream(message, persona, reply):
                        yield delta
                    break
                except ContextTooLong as exc:
                    if attempt == 2 or reply.pieces:
                        raise
                    window_budget = reply.window.history_tokens // 2
                    event_log.warning("llm.context_too_long", cause=exc.cause, retry_budget=window_budget)
        except LLMBusy as busy:
            event_log.warning("reply.busy", retry_after=busy.retry_after)
            yield Outcome(OutcomeKind.LIMITED, text=busy.user_text, reason="llm_busy", retry_after=busy.retry_after)
            return
        except LLMError as exc:
            event_log.warning("reply.failed", error=type(exc).__name__, cause=exc.cause)
            yield await self._refuse(message, text, persona, keep_turns, OutcomeKind.FAILED, type(exc).__name__, exc.user_text)
            return
        except _OutputBlocked as blocked:
            event_log.info("message.blocked", direction="output", reason=blocked.reason)
            yield await self._refuse(message, text, persona, keep_turns, OutcomeKind.BLOCKED, blocked.reason, blocked.user_text)
            return
        finally:
            if hold is not None and not isinstance(hold, LimitDecision):
                await self._budget.settle(hold, reply.usage)

        answer = "".join(reply.pieces).strip()
        if not answer:
            event_log.warning("reply.failed", error="EmptyAnswer", cause="the model sent an empty answer")
            yield await self._refuse(message, text, persona, keep_turns, OutcomeKind.FAILED, "empty_answer", EMPTY_ANSWER_TEXT)
            return
        final = await self._content_filter.check_output(message, answer, final=True)
        if not final.allowed:
            event_log.info("message.blocked", direction="output", reason=final.reason)
            yield await self._refuse(message, text, persona, keep_turns, OutcomeKind.BLOCKED, final.reason, final.user_text)
            return
        answer = final.text
        turns = [
            self._turn(message, "user", message.user, text, persona),
            self._turn(message, "assistant", "parley", answer, persona),
        ] if keep_turns else []
        await self._conversations.add_exchange(turns, usage=self._usage_record(message, persona, reply.usage))
        event_log.info(
            "reply.sent", prompt_tokens=reply.usage.prompt_tokens, completion_tokens=reply.usage.completion_tokens,
            chars=len(answer), ms=round((time.perf_counter() - started) * 1000),
        )
        yield Outcome(
            OutcomeKind.ANSWERED, text=answer, notices=input_notices + reply.window.notices + final.notices,
            usage=reply.usage, persona=persona.name,
        )

    async def _stream(self, message: IncomingMessage, persona: Persona, reply: "_Reply") -> AsyncIterator[TextDelta]:
        """One LLM call: deltas out, usage into ``reply``, output filters at checkpoints."""
        request = CompletionRequest(
            model=persona.model, messages=reply.window.messages,
            temperature=persona.temperature, max_tokens=persona.max_tokens,
        )
        checked_up_to = 0
        async for piece in self._llm.stream(request):
            if isinstance(piece, Usage):
                reply.usage = piece
                continue
            reply.pieces.append(piece)
            yield TextDelta(piece)
            length = sum(map(len, reply.pieces))
            if length - checked_up_to >= self._output_check_chars:
                checked_up_to = length
                held = await self._content_filter.check_output(message, "".join(reply.pieces), final=False)
                if not held.allowed:
                    raise _OutputBlocked(held.reason, held.user_text)

    def _prompt_estimate(self, window: MemoryWindow, persona: Persona) -> int:
        """Tokens of the request: the stored history's counts plus the system prompt and new message."""
        fresh = (window.messages[0], window.messages[-1])
        counted = sum(self._tokens.count(m.content, model=persona.model) + MESSAGE_OVERHEAD_TOKENS for m in fresh)
        return counted + window.history_tokens

    async def _refuse(
        self, message, text: str, persona: Persona, keep_turns: bool, kind: OutcomeKind, reason: str, user_text: str
    ) -> Outcome:
        """A refusal after the LLM was asked: keep the question, marked failed, never half an answer."""
        if keep_turns:
            await self._conversations.add_turns([self._turn(message, "user", message.user, text, persona, status="failed")])
        fallback = OUTPUT_BLOCKED_TEXT if kind is OutcomeKind.BLOCKED else INTERNAL_ERROR_TEXT
        return Outcome(kind, text=user_text or fallback, reason=reason)

    def _turn(self, message, role: str, author: str, content: str, persona: Persona, *, status: str = "ok"):
        return NewTurn(
            key=message.key, role=role, author=author, content=content,
            token_count=self._tokens.count(content, model=persona.model), status=status, created_at=self._clock.now(),
        )

    async def _account(self, message: IncomingMessage, persona: Persona, usage: Usage) -> None:
        await self._usage.record(self._usage_record(message, persona, usage))

    def _usage_record(self, message: IncomingMessage, persona: Persona, usage: Usage) -> UsageRecord:
        key = message.key
        return UsageRecord(
            platform=key.platform, workspace=key.workspace, channel=key.channel, user=message.user,
            model=persona.model, prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens, created_at=self._clock.now(),
            cost_micro_usd=self._pricing.cost_micro_usd(persona.model, usage),
        )


def _limited(decision: LimitDecision, event_log) -> Outcome:
    event_log.info("message.limited", reason=decision.reason, retry_after=decision.retry_after)
    return Outcome(OutcomeKind.LIMITED, text=decision.text, reason=decision.reason, retry_after=decision.retry_after)


@dataclass
class _Reply:
    """The answer being built by one attempt."""

    window: MemoryWindow = field(default_factory=lambda: MemoryWindow(messages=()))
    pieces: list[str] = field(default_factory=list)
    usage: Usage = field(default_factory=lambda: Usage(0, 0))

    def restart(self) -> None:
        self.pieces = []
        self.usage = Usage(0, 0)


class _OutputBlocked(Exception):
    def __init__(self, reason: str, user_text: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.user_text = user_text
