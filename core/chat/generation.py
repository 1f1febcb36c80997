"""In the conversation's turn, after the input filters: the answer generated and finished.

**generate**: the memory window, the budget reservation, the LLM streamed with
the output filters at checkpoints (one retry with half the window when the
context is too long), and whatever happens, the budget settled with what was
consumed.  **finish**: the output filters on the whole answer, then the
exchange, its usage and its inbox message (stored) in one transaction.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import aclosing

from core.channels.forgetting import ForgetMeLedger
from core.chat.accounting import UsageAccounting
from core.chat.delivery import Deliveries
from core.chat.memory import MemoryWindowBuilder
from core.chat.request import ChatRequest, OutputBlocked
from core.chat.texts import EMPTY_ANSWER_TEXT, INTERNAL_ERROR_TEXT, OUTPUT_BLOCKED_TEXT
from core.feedback.recording import FeedbackRecorder
from core.files.intake import with_images
from core.llm_types import ChatMessage, CompletionRequest, ContextTooLong, LLMBusy, LLMError, ToolCall
from core.messages import Outcome, OutcomeKind, ReplyEvent, TextDelta, Usage
from core.observability.no_metrics import NoMetrics
from core.observability.no_tracing import NoTracer
from core.ports import (
    Budget, Clock, ContentFilter, ConversationStore, LLMProvider, Metrics, RateLimiter, TokenCounter, Tracer,
)
from core.records import LimitDecision, NewTurn
from core.tokens import MESSAGE_OVERHEAD_TOKENS
from core.tools.loop import ToolRunner
from core.tools.values import ToolProgress


class Generation:
    def __init__(
        self,
        *,
        conversations: ConversationStore,
        memory: MemoryWindowBuilder,
        llm: LLMProvider,
        tokens: TokenCounter,
        content_filter: ContentFilter,
        budget: Budget,
        accounting: UsageAccounting,
        deliveries: Deliveries,
        clock: Clock,
        output_check_chars: int,
        forgotten: ForgetMeLedger,
        feedback: FeedbackRecorder | None = None,
        metrics: Metrics | None = None,
        tracer: Tracer | None = None,
        rate_limiter: RateLimiter | None = None,
        tools: ToolRunner | None = None,
    ) -> None:
        self._feedback = feedback
        self._metrics = metrics or NoMetrics()
        self._tracer = tracer or NoTracer()
        self._rate_limiter = rate_limiter
        self._tools = tools
        self._forgotten = forgotten
        self._conversations = conversations
        self._memory = memory
        self._llm = llm
        self._tokens = tokens
        self._content_filter = content_filter
        self._budget = budget
        self._accounting = accounting
        self._deliveries = deliveries
        self._clock = clock
        self._output_check_chars = output_check_chars

    async def generate(self, request: ChatRequest) -> AsyncIterator[ReplyEvent]:
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
            refusal = await self.refuse(request, kind=OutcomeKind.FAILED, reason=type(exc).__name__, user_text=exc.user_text)
        except OutputBlocked as blocked:
            request.log.info("message.blocked", direction="output", reason=blocked.reason)
            refusal = await self.refuse(request, kind=OutcomeKind.BLOCKED, reason=blocked.reason, user_text=blocked.user_text)
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
                    yield limited(decision, request, self._metrics)
                    return
                request.hold = decision
            try:
                async for delta in self._stream(request):
                    yield delta
                return
            except ContextTooLong as exc:
                if attempt == 2 or request.pieces or request.tool_rounds:
                    raise
                window_budget = request.window.history_tokens // 2
                request.log.warning("llm.context_too_long", cause=exc.cause, retry_budget=window_budget)

    async def _build_window(self, request: ChatRequest, *, budget: int | None) -> None:
        persona = request.persona
        request.window = await self._memory.build(
            request.message.key, persona=persona, user_text=request.text, budget=budget,
            remember=request.settings.memory_enabled, earlier=request.earlier,
        )
        folded = request.window.summary_usage
        if folded is not None:  # old turns were summarised: that call is paid for too
            await self._accounting.record(request, folded)
            await self._budget.charge(request.message, model=persona.model, usage=folded)

    async def _stream(self, request: ChatRequest) -> AsyncIterator[ReplyEvent | ToolProgress]:
        """The LLM call, and with tools, one more per tool round (``core/tools``): deltas and tool progress
        out, usage into ``request``, output filters at checkpoints. Each round before the last is charged,
        settled and rate limited like an LLM call of its own; the last round is the answer's."""
        persona = request.persona
        toolset = await self._tools.offer(request.message, persona) if self._tools is not None else None
        messages = with_images(request.window.messages, request.images)
        while True:
            offered = toolset.specs if toolset is not None and request.tool_rounds < self._tools.limits.max_rounds else ()
            completion = CompletionRequest(
                model=persona.model, messages=messages, temperature=persona.temperature,
                max_tokens=persona.max_tokens, tools=offered,
            )
            calls: list[ToolCall] = []
            async for delta in self._one_call(request, completion, calls):
                yield delta
            if not calls:
                return
            request.tool_rounds += 1
            text = "".join(request.pieces[request.round_start:])
            messages += (ChatMessage("assistant", text, tool_calls=tuple(calls)),)
            async for event in self._tools.run(request.message, persona, calls, toolset):
                if isinstance(event, ChatMessage):
                    messages += (event,)
                else:
                    yield event
            refusal = await self._next_round(request, messages)
            if refusal is not None:
                yield refusal
                return

    async def _next_round(self, request: ChatRequest, messages: tuple[ChatMessage, ...]) -> Outcome | None:
        """The finished round charged and settled; the next one rate limited and reserved as an LLM call."""
        usage = self._accounting.consumed(request)
        await self._accounting.record(request, usage)
        if request.hold is not None:
            await self._budget.settle(request.hold, usage)
            request.hold = None
        request.usage = Usage(0, 0)
        request.round_start = len(request.pieces)
        if self._rate_limiter is not None:
            limit = await self._rate_limiter.check(request.message, persona=request.persona)
            if limit is not None:
                return limited(limit, request)
        model = request.persona.model
        request.prompt_tokens = sum(self._tokens.count(m.content, model=model) + MESSAGE_OVERHEAD_TOKENS for m in messages)
        decision = await self._budget.reserve(
            request.message, model=model, max_tokens=request.persona.max_tokens, prompt_tokens=request.prompt_tokens,
        )
        if isinstance(decision, LimitDecision):
            return limited(decision, request)
        request.hold = decision
        return None

    async def _one_call(
        self, request: ChatRequest, completion: CompletionRequest, calls: list[ToolCall]
    ) -> AsyncIterator[TextDelta]:
        checked_up_to = length = 0
        persona = request.persona
        outcome = "stopped"  # an output filter or the reader ended it
        with self._tracer.llm_span(
            model=persona.model, max_tokens=persona.max_tokens, temperature=persona.temperature
        ) as span:
            try:
                async for piece in self._llm.stream(completion):
                    if isinstance(piece, Usage):
                        request.usage = piece
                        span.set_attribute("gen_ai.usage.input_tokens", piece.prompt_tokens)
                        span.set_attribute("gen_ai.usage.output_tokens", piece.completion_tokens)
                        continue
                    if isinstance(piece, ToolCall):
                        calls.append(piece)
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
                outcome = "ok"
            except LLMBusy:
                outcome = "busy"
                raise
            except LLMError as error:
                outcome = "error"
                span.set_attribute("error.type", type(error).__name__)
                raise
            finally:
                self._metrics.llm_request(model=persona.model, outcome=outcome)

    def _prompt_estimate(self, request: ChatRequest) -> int:
        """Tokens of the request: the stored history's counts plus the system prompt and new message."""
        window, model = request.window, request.persona.model
        fresh = (window.messages[0], window.messages[-1])
        counted = sum(self._tokens.count(m.content, model=model) + MESSAGE_OVERHEAD_TOKENS for m in fresh)
        return counted + window.history_tokens + request.image_tokens

    # --- finish -----------------------------------------------------------------

    async def finish(self, request: ChatRequest) -> Outcome:
        """The whole answer: output filters, then the exchange and its usage stored together."""
        answer = request.answer
        if not answer:
            request.log.warning("reply.failed", error="EmptyAnswer", cause="the model sent an empty answer")
            await self._accounting.record_cut_off(request)
            return await self.refuse(request, kind=OutcomeKind.FAILED, reason="empty_answer", user_text=EMPTY_ANSWER_TEXT)
        final = await self._content_filter.check_output(request.message, answer, final=True)
        if not final.allowed:
            request.log.info("message.blocked", direction="output", reason=final.reason)
            await self._accounting.record_cut_off(request)
            return await self.refuse(request, kind=OutcomeKind.BLOCKED, reason=final.reason, user_text=final.user_text)
        answer = final.text
        turns = [
            self._turn(request, role="user", author=request.message.user, content=request.text),
            self._turn(request, role="assistant", author="parley", content=answer),
        ] if self._keeps_turns(request) else []
        notices = request.notices + request.window.notices + final.notices
        stored = self._deliveries.stored(request.message, answer=answer, notices=notices)
        rated = None if self._feedback is None else self._feedback.rateable(  # its persona and model (no text)
            request.message, persona=request.persona.name, model=request.persona.model
        )
        await self._conversations.add_exchange(
            turns, usage=self._accounting.usage_record(request, request.usage), stored=stored, rated=rated
        )
        request.log.info(
            "reply.sent", prompt_tokens=request.usage.prompt_tokens, completion_tokens=request.usage.completion_tokens,
            chars=len(answer), ms=request.elapsed_ms(),
        )
        return Outcome(
            OutcomeKind.ANSWERED, text=answer, notices=notices, usage=request.usage, persona=request.persona.name,
        )

    def _keeps_turns(self, request: ChatRequest) -> bool:
        """Memory on, retention above 0, and the person did not ask to be forgotten while this was answered."""
        message = request.message
        forgotten = request.admitted_at is not None and self._forgotten.asked_since(
            platform=message.key.platform, workspace=message.key.workspace, user=message.user,
            since=request.admitted_at,
        )
        if forgotten:
            request.log.info("turns.not_stored", reason="forget-me while answering")
        return request.keeps_turns and not forgotten

    async def refuse(self, request: ChatRequest, *, kind: OutcomeKind, reason: str, user_text: str) -> Outcome:
        """A refusal after the LLM was asked: keep the question, marked failed, never half an answer."""
        if self._keeps_turns(request):
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


def limited(decision: LimitDecision, request: ChatRequest, metrics: Metrics) -> Outcome:
    request.log.info("message.limited", reason=decision.reason, retry_after=decision.retry_after)
    kind, _, rest = decision.reason.partition(".")  # rate_limit.user, budget.workspace.daily.tokens …
    metrics.refused(kind=kind, scope=rest.partition(".")[0])
    return Outcome(OutcomeKind.LIMITED, text=decision.text, reason=decision.reason, retry_after=decision.retry_after)
