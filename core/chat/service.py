"""The one entry every adapter calls: a message in, a reply stream out.

``handle`` yields ``TextDelta`` pieces as the answer streams, then exactly one
``Outcome``.  In order: **admit** (gate → de-duplicate → check the text →
persona → rate limits, before waiting for the conversation's turn, so a flood
is refused at once) → (one at a time per conversation) input filters →
**generate** (memory window, budget reservation, the LLM streamed with output
filters at checkpoints, one retry with a smaller window when the context is
too long) → **finish** (output filters on the final text, persist, account
usage).  Each step works on one ``ChatRequest``.

The gate runs before de-duplication so that a delivery the gate ignores (on
Slack, the plain ``message`` copy of an ``app_mention``) does not use up the
message's event id before the delivery that should be answered arrives.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import aclosing

import structlog

from core.chat.input_text import check_text, clean_text
from core.chat.accounting import UsageAccounting
from core.chat.memory import MemoryWindowBuilder
from core.chat.request import ChatRequest, OutputBlocked
from core.limits.pricing import Pricing
from core.limits.workspaces import NOT_ALLOWED_TEXT, WorkspaceAllowlist
from core.llm_types import CompletionRequest, ContextTooLong, LLMBusy, LLMError
from core.messages import IncomingMessage, Outcome, OutcomeKind, ReplyEvent, TextDelta, Usage
from core.personas.directory import PersonaDirectory
from core.ports import (
    Budget, ChannelSettingsStore, Clock, ContentFilter, ConversationLocking, ConversationStore, Inbox, LLMProvider,
    RateLimiter, TokenCounter, UsageStore,
)
from core.records import LimitDecision, NewTurn
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
        rate_limiter: RateLimiter,
        content_filter: ContentFilter,
        budget: Budget,
        pricing: Pricing,
        locks: ConversationLocking,
        workspaces: WorkspaceAllowlist,
        max_message_chars: int,
        output_check_chars: int = 500,
    ) -> None:
        self._inbox = inbox
        self._conversations = conversations
        self._channel_settings = channel_settings
        self._personas = personas
        self._memory = memory
        self._llm = llm
        self._tokens = tokens
        self._clock = clock
        self._rate_limiter = rate_limiter
        self._content_filter = content_filter
        self._budget = budget
        self._accounting = UsageAccounting(usage=usage, tokens=tokens, pricing=pricing, clock=clock)
        self._locks = locks
        self._workspaces = workspaces
        self._max_message_chars = max_message_chars
        self._output_check_chars = output_check_chars

    async def handle(self, message: IncomingMessage) -> AsyncIterator[ReplyEvent]:
        key = message.key
        event_log = log.bind(
            platform=key.platform, workspace=key.workspace, channel=key.channel,
            thread=key.thread, event_id=message.event_id,
        )
        try:
            request, refusal = await self._admit(message, event_log)
            if refusal is not None:
                yield refusal
                return
            async with self._locks.hold(key), aclosing(self._answer(request)) as events:
                async for event in events:
                    yield event
        except Exception:
            event_log.exception("reply.error")
            yield Outcome(OutcomeKind.FAILED, text=INTERNAL_ERROR_TEXT, reason="internal_error")

    async def _admit(self, message: IncomingMessage, event_log) -> tuple[ChatRequest | None, Outcome | None]:
        """Everything decided before the conversation's turn, rate limits included (so a flood of limited
        messages is refused at once instead of queueing behind a slow answer)."""
        text, refusal = await self._enter(message, event_log)
        if refusal is not None:
            return None, refusal
        request = await self._request(message, text, event_log)
        limit = await self._rate_limiter.check(message, persona=request.persona)
        return request, _limited(limit, request) if limit is not None else None

    async def _enter(self, message: IncomingMessage, event_log) -> tuple[str, Outcome | None]:
        """Gate, de-duplication, the text, the workspace: the cleaned text, or why the message stops here."""
        key = message.key
        if not await self._is_addressed(message):
            event_log.debug("message.ignored", reason="not_addressed")
            return "", Outcome(OutcomeKind.IGNORED, reason="not_addressed")
        if not await self._inbox.claim(platform=key.platform, event_id=message.event_id):
            event_log.info("message.duplicate")
            return "", Outcome(OutcomeKind.IGNORED, reason="duplicate")
        text = clean_text(message.text)
        problem = check_text(text, max_chars=self._max_message_chars)
        if problem is not None:
            event_log.info("message.invalid", reason=problem.reason, chars=len(text))
            return text, Outcome(OutcomeKind.INVALID, text=problem.user_text, reason=problem.reason)
        if not self._workspaces.permits(key.workspace):
            event_log.info("message.refused", reason="workspace_not_allowed")
            return text, Outcome(OutcomeKind.LIMITED, text=NOT_ALLOWED_TEXT, reason="workspace_not_allowed")
        return text, None

    async def _is_addressed(self, message: IncomingMessage) -> bool:
        if message.is_dm or message.mentions_bot or message.in_bot_thread:
            return True
        return bool(message.key.thread) and await self._conversations.has_assistant_turns(message.key)

    async def _request(self, message: IncomingMessage, text: str, event_log) -> ChatRequest:
        scope = message.key.channel_scope()
        settings = await self._channel_settings.get(scope)
        persona = await self._personas.resolve(scope, settings=settings)
        return ChatRequest(
            message=message, text=text, persona=persona, settings=settings,
            log=event_log.bind(persona=persona.name, model=persona.model),
        )

    async def _answer(self, request: ChatRequest) -> AsyncIterator[ReplyEvent]:
        """In the conversation's turn: input filters, then generate, then finish."""
        verdict = await self._content_filter.check_input(request.message, request.text)
        if not verdict.allowed:
            request.log.info("message.blocked", direction="input", reason=verdict.reason)
            yield Outcome(OutcomeKind.BLOCKED, text=verdict.user_text or INPUT_BLOCKED_TEXT, reason=verdict.reason)
            return
        request.text = verdict.text  # redacted: what the LLM sees and what is stored, never the original
        request.notices += verdict.notices
        async with aclosing(self._generate(request)) as events:
            async for event in events:
                yield event
                if isinstance(event, Outcome):
                    return
        yield await self._finish(request)

    # --- generate ---------------------------------------------------------------

    async def _generate(self, request: ChatRequest) -> AsyncIterator[ReplyEvent]:
        """Stream the answer's deltas; an Outcome (a refusal) ends it early.

        Whatever happens, what was consumed is charged: the budget is settled with it, and an answer cut
        off (a mid-stream error, an output filter's stop, a reader that went away) also gets its usage row.
        """
        refusal: Outcome | None = None
        try:
            async with aclosing(self._attempts(request)) as events:
                async for event in events:
                    if isinstance(event, Outcome):
                        refusal = event
                    else:
                        yield event
            request.streamed = refusal is None
        except LLMBusy as busy:
            request.log.warning("reply.busy", retry_after=busy.retry_after)
            refusal = Outcome(OutcomeKind.LIMITED, text=busy.user_text, reason="llm_busy", retry_after=busy.retry_after)
        except LLMError as exc:
            request.log.warning("reply.failed", error=type(exc).__name__, cause=exc.cause)
            refusal = await self._refuse(request, kind=OutcomeKind.FAILED, reason=type(exc).__name__, user_text=exc.user_text)
        except OutputBlocked as blocked:
            request.log.info("message.blocked", direction="output", reason=blocked.reason)
            refusal = await self._refuse(request, kind=OutcomeKind.BLOCKED, reason=blocked.reason, user_text=blocked.user_text)
        finally:
            request.usage = self._accounting.consumed(request)
            if request.hold is not None:
                await self._budget.settle(request.hold, request.usage)
            if not request.streamed:
                await self._accounting.record_cut_off(request)
        if refusal is not None:
            yield refusal

    async def _attempts(self, request: ChatRequest) -> AsyncIterator[ReplyEvent]:
        """At most two tries: a context-length error before any text retries once with half the window."""
        window_budget = None
        for attempt in (1, 2):
            request.restart()
            await self._build_window(request, budget=window_budget)
            if request.hold is None:
                request.prompt_tokens = self._prompt_estimate(request)
                decision = await self._budget.reserve(
                    request.message, model=request.persona.model, max_tokens=request.persona.max_tokens,
                    prompt_tokens=request.prompt_tokens,
                )
                if isinstance(decision, LimitDecision):
                    yield _limited(decision, request)
                    return
                request.hold = decision
            try:
                async for delta in self._stream(request):
                    yield delta
                return
            except ContextTooLong as exc:
                if attempt == 2 or request.pieces:
                    raise
                window_budget = request.window.history_tokens // 2
                request.log.warning("llm.context_too_long", cause=exc.cause, retry_budget=window_budget)

    async def _build_window(self, request: ChatRequest, *, budget: int | None) -> None:
        persona = request.persona
        request.window = await self._memory.build(
            request.message.key, persona=persona, user_text=request.text, budget=budget,
            remember=request.settings.memory_enabled,
        )
        folded = request.window.summary_usage
        if folded is not None:  # old turns were summarised: that call is paid for too
            await self._accounting.record(request, folded)
            await self._budget.charge(request.message, model=persona.model, usage=folded)

    async def _stream(self, request: ChatRequest) -> AsyncIterator[TextDelta]:
        """One LLM call: deltas out, usage into ``request``, output filters at checkpoints."""
        persona = request.persona
        completion = CompletionRequest(
            model=persona.model, messages=request.window.messages,
            temperature=persona.temperature, max_tokens=persona.max_tokens,
        )
        checked_up_to = length = 0
        async for piece in self._llm.stream(completion):
            if isinstance(piece, Usage):
                request.usage = piece
                continue
            request.pieces.append(piece)
            yield TextDelta(piece)
            length += len(piece)
            if length - checked_up_to >= self._output_check_chars:
                held = await self._content_filter.check_output(
                    request.message, "".join(request.pieces), final=False, since=checked_up_to
                )
                checked_up_to = length
                if not held.allowed:
                    raise OutputBlocked(held.reason, held.user_text)

    def _prompt_estimate(self, request: ChatRequest) -> int:
        """Tokens of the request: the stored history's counts plus the system prompt and new message."""
        window, model = request.window, request.persona.model
        fresh = (window.messages[0], window.messages[-1])
        counted = sum(self._tokens.count(m.content, model=model) + MESSAGE_OVERHEAD_TOKENS for m in fresh)
        return counted + window.history_tokens

    # --- finish -----------------------------------------------------------------

    async def _finish(self, request: ChatRequest) -> Outcome:
        """The whole answer: output filters, then the exchange and its usage stored together."""
        answer = request.answer
        if not answer:
            request.log.warning("reply.failed", error="EmptyAnswer", cause="the model sent an empty answer")
            await self._accounting.record_cut_off(request)
            return await self._refuse(request, kind=OutcomeKind.FAILED, reason="empty_answer", user_text=EMPTY_ANSWER_TEXT)
        final = await self._content_filter.check_output(request.message, answer, final=True)
        if not final.allowed:
            request.log.info("message.blocked", direction="output", reason=final.reason)
            await self._accounting.record_cut_off(request)
            return await self._refuse(request, kind=OutcomeKind.BLOCKED, reason=final.reason, user_text=final.user_text)
        answer = final.text
        turns = [
            self._turn(request, role="user", author=request.message.user, content=request.text),
            self._turn(request, role="assistant", author="parley", content=answer),
        ] if request.keeps_turns else []
        await self._conversations.add_exchange(turns, usage=self._accounting.usage_record(request, request.usage))
        request.log.info(
            "reply.sent", prompt_tokens=request.usage.prompt_tokens, completion_tokens=request.usage.completion_tokens,
            chars=len(answer), ms=request.elapsed_ms(),
        )
        return Outcome(
            OutcomeKind.ANSWERED, text=answer, notices=request.notices + request.window.notices + final.notices,
            usage=request.usage, persona=request.persona.name,
        )

    async def _refuse(self, request: ChatRequest, *, kind: OutcomeKind, reason: str, user_text: str) -> Outcome:
        """A refusal after the LLM was asked: keep the question, marked failed, never half an answer."""
        if request.keeps_turns:
            failed = self._turn(request, role="user", author=request.message.user, content=request.text, status="failed")
            await self._conversations.add_turns([failed])
        fallback = OUTPUT_BLOCKED_TEXT if kind is OutcomeKind.BLOCKED else INTERNAL_ERROR_TEXT
        return Outcome(kind, text=user_text or fallback, reason=reason)

    def _turn(self, request: ChatRequest, *, role: str, author: str, content: str, status: str = "ok") -> NewTurn:
        return NewTurn(
            key=request.message.key, role=role, author=author, content=content,
            token_count=self._tokens.count(content, model=request.persona.model), status=status,
            created_at=self._clock.now(),
        )


def _limited(decision: LimitDecision, request: ChatRequest) -> Outcome:
    request.log.info("message.limited", reason=decision.reason, retry_after=decision.retry_after)
    return Outcome(OutcomeKind.LIMITED, text=decision.text, reason=decision.reason, retry_after=decision.retry_after)

