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

import time
from collections.abc import AsyncIterator
from contextlib import aclosing
from dataclasses import replace

import structlog

from core.access.models import ModelChoices
from core.access.policy import AccessGate
from core.access.texts import NOT_ALLOWED_HERE_TEXT
from core.channels.forgetting import ForgetMeLedger
from core.chat.accounting import UsageAccounting
from core.chat.delivery import Deliveries
from core.chat.generation import Generation, limited
from core.chat.input_text import check_text, clean_text, valid_text
from core.chat.memory import MemoryWindowBuilder
from core.chat.request import Accepted, ChatRequest
from core.feedback.recording import FeedbackRecorder
from core.chat.thread_context import ThreadContext
from core.summaries.thread import ThreadSummaries
from core.chat.texts import DELAYED_NOTICE, INPUT_BLOCKED_TEXT, INTERNAL_ERROR_TEXT
from core.files.intake import FileIntake, with_files
from core.files.values import FileLimits, VisionPolicy
from core.limits.pricing import Pricing
from core.limits.workspaces import NOT_ALLOWED_TEXT, WorkspaceAllowlist
from core.messages import IncomingMessage, Outcome, OutcomeKind, ReplyEvent, WorkspaceScope
from core.personas.directory import PersonaDirectory
from core.ports import (
    Budget, ChannelSettingsStore, Clock, ContentFilter, ConversationLocking, ConversationStore, LLMProvider, Metrics,
    RateLimiter, TokenCounter, Tracer, UsageStore,
)
from core.observability.no_metrics import NoMetrics
from core.observability.no_tracing import NoTracer
from core.records import STORED, Acceptance, PendingMessage
from core.tools.loop import ToolRunner

log = structlog.get_logger(__name__)

class ChatService:
    def __init__(
        self,
        *,
        deliveries: Deliveries,
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
        forgotten: ForgetMeLedger,
        access: AccessGate,
        model_choices: ModelChoices,
        max_message_chars: int,
        feedback: FeedbackRecorder | None = None,
        output_check_chars: int = 500,
        metrics: Metrics | None = None,
        tracer: Tracer | None = None,
        files: FileIntake | None = None,
        tools: ToolRunner | None = None,
        thread_context: ThreadContext | None = None,
        summaries: ThreadSummaries | None = None,
    ) -> None:
        self._metrics = metrics = metrics or NoMetrics()
        self._tracer = tracer = tracer or NoTracer()
        self._files = files or FileIntake(limits=FileLimits(), vision=VisionPolicy())
        self._thread_context = thread_context
        self._summaries = summaries
        self._deliveries = deliveries
        self._conversations = conversations
        self._channel_settings = channel_settings
        self._personas = personas
        self._rate_limiter = rate_limiter
        self._content_filter = content_filter
        self._locks = locks
        self._workspaces = workspaces
        self._access = access
        self._model_choices = model_choices
        self._max_message_chars = max_message_chars
        self._generation = Generation(
            conversations=conversations, memory=memory, llm=llm, tokens=tokens, content_filter=content_filter,
            budget=budget,
            accounting=UsageAccounting(usage=usage, tokens=tokens, pricing=pricing, clock=clock, metrics=metrics),
            deliveries=deliveries, clock=clock, output_check_chars=output_check_chars, forgotten=forgotten,
            feedback=feedback, metrics=metrics, tracer=tracer, rate_limiter=rate_limiter, tools=tools,
        )
        self._clock = clock

    async def handle(self, message: IncomingMessage) -> AsyncIterator[ReplyEvent]:
        """``accept`` then ``answer``, for adapters that need no acknowledgement in between."""
        accepted = await self.accept(message)
        events = _just(accepted) if isinstance(accepted, Outcome) else self.answer(accepted)
        async with aclosing(events) as stream:
            async for event in stream:
                yield event

    async def accept(self, message: IncomingMessage) -> Accepted | Outcome:
        """The gate, then the message written durably (before the platform is acknowledged, where it must
        be): an ``Accepted`` to ``answer``, or an Outcome: IGNORED (not for the bot, a duplicate), DENIED
        (the access rules refuse it: show its one line privately) or FAILED (the database could not take it)."""
        started = time.perf_counter()
        event_log = _message_log(message)
        try:
            if not await self.is_addressed(message):
                event_log.debug("message.ignored", reason="not_addressed")
                return self._not_answered(message, Outcome(OutcomeKind.IGNORED, reason="not_addressed"))
            refused = await self.check_access(message)
            if refused is not None:
                return self._not_answered(message, refused)
            # Valid text before anything stores it (a lone surrogate cannot be encoded, by any driver or client).
            message = replace(message, text=valid_text(message.text), user_name=valid_text(message.user_name))
            if await self._deliveries.accept(message) is not Acceptance.NEW:
                event_log.info("message.duplicate")
                return self._not_answered(message, Outcome(OutcomeKind.IGNORED, reason="duplicate"))
            return Accepted(message, started=started)
        except Exception:
            event_log.exception("reply.error")
            failed = Outcome(OutcomeKind.FAILED, text=INTERNAL_ERROR_TEXT, reason="internal_error")
            return self._not_answered(message, failed)

    def _not_answered(self, message: IncomingMessage, outcome: Outcome) -> Outcome:
        self._metrics.message_finished(platform=message.key.platform, outcome=outcome.kind.value)
        return outcome

    def answer(self, accepted: Accepted) -> AsyncIterator[ReplyEvent]:
        """The reply stream of an accepted message: deltas, then one Outcome; finished once it was taken."""
        message = accepted.message
        event_log = _message_log(message)
        return self._delivered(message, event_log, self._fresh_reply(message, event_log), started=accepted.started)

    def resume(self, pending: PendingMessage) -> AsyncIterator[ReplyEvent]:
        """A message another process accepted and did not finish (taken over by ``Recovery``): its stored
        answer, or an answer now, with a note that it is late. No gate, no de-duplication, no rate limit:
        it was admitted once."""
        event_log = _message_log(pending.message).bind(attempt=pending.attempts)
        return self._delivered(
            pending.message, event_log, self._late_reply(pending, event_log), started=time.perf_counter()
        )

    async def _fresh_reply(self, message: IncomingMessage, event_log) -> AsyncIterator[ReplyEvent]:
        text, refusal = self._check(message, event_log)
        request = None
        if refusal is None:
            request = await self._request(message, text, event_log)
            # Before waiting for the conversation's turn: a flood of limited messages is refused at once.
            limit = await self._rate_limiter.check(message, persona=request.persona)
            refusal = limited(limit, request, self._metrics) if limit is not None else None
        async with aclosing(_just(refusal) if refusal is not None else self._in_turn(request)) as events:
            async for event in events:
                yield event

    async def _late_reply(self, pending: PendingMessage, event_log) -> AsyncIterator[ReplyEvent]:
        event_log.info("message.resumed", state=pending.state)
        if pending.state == STORED:
            yield Outcome(OutcomeKind.ANSWERED, text=pending.answer, notices=(*pending.notices, DELAYED_NOTICE))
            return
        request = await self._request(pending.message, clean_text(pending.message.text), event_log)
        request.notices += (DELAYED_NOTICE,)
        async with aclosing(self._in_turn(request)) as events:
            async for event in events:
                yield event

    async def _delivered(
        self, message: IncomingMessage, event_log, events: AsyncIterator[ReplyEvent], *, started: float
    ) -> AsyncIterator[ReplyEvent]:
        """``events``, the message finished once the Outcome was taken; an infrastructure failure becomes a
        polite FAILED Outcome and a log line (and the message is finished as failed). Counted for the metrics:
        in flight while it runs, then its outcome, its duration and its time to the first text (from ``started``,
        when the message arrived)."""
        metrics = self._metrics
        metrics.answers_in_flight(1)
        outcome: Outcome | None = None
        first_text: float | None = None
        try:
            with self._tracer.message_span(platform=message.key.platform) as span:
                try:
                    async with aclosing(self._finishing(message, events)) as stream:
                        async for event in stream:
                            if isinstance(event, Outcome):
                                outcome = event
                                span.set_attribute("parley.outcome", outcome.kind.value)
                            elif first_text is None:
                                first_text = time.perf_counter() - started
                            yield event
                except Exception:
                    event_log.exception("reply.error")
                    outcome = Outcome(OutcomeKind.FAILED, text=INTERNAL_ERROR_TEXT, reason="internal_error")
                    span.set_attribute("parley.outcome", outcome.kind.value)
                    yield outcome
                    await self._deliveries.fail(message)
        finally:
            metrics.answers_in_flight(-1)
            if outcome is not None:
                metrics.message_finished(
                    platform=message.key.platform, outcome=outcome.kind.value,
                    seconds=time.perf_counter() - started, first_text_seconds=first_text,
                )

    async def note_reply(self, message: IncomingMessage, reply_ref: str) -> None:
        """The adapter posted the first message of the reply: its platform id, to end or replace it should
        this process die before the answer is complete."""
        await self._deliveries.note_reply(message, reply_ref)

    async def _in_turn(self, request: ChatRequest) -> AsyncIterator[ReplyEvent]:
        async with self._locks.hold(request.message.key), aclosing(self._answer(request)) as events:
            async for event in events:
                yield event

    async def _finishing(self, message: IncomingMessage, events: AsyncIterator[ReplyEvent]) -> AsyncIterator[ReplyEvent]:
        """``events``; once the reader has taken the Outcome (and shown it), the message is finished.

        A reader that stops before the Outcome (it could not post, or it is being cancelled in a drain)
        lets the message go: it is taken over at the next recovery round, here or in another process, and
        answered late. A process killed outright lets it go when its lease runs out.
        """
        outcome = None
        try:
            async with aclosing(events) as stream:
                async for event in stream:
                    if isinstance(event, Outcome):
                        outcome = event
                    yield event
        finally:
            if outcome is not None:
                await self._deliveries.finish(message, outcome)
            else:
                await self._deliveries.let_go(message)

    def _check(self, message: IncomingMessage, event_log) -> tuple[str, Outcome | None]:
        """The text (cleaned) and the workspace: the text, or why the message is refused without the model."""
        text = clean_text(message.text)
        problem = check_text(text, max_chars=self._max_message_chars)
        if problem is not None and problem.reason == "empty" and message.attachments:
            problem = None  # a file alone is a question too
        if problem is not None:
            event_log.info("message.invalid", reason=problem.reason, chars=len(text))
            return text, Outcome(OutcomeKind.INVALID, text=problem.user_text, reason=problem.reason)
        if not self._workspaces.permits(message.key.workspace):
            event_log.info("message.refused", reason="workspace_not_allowed")
            return text, Outcome(OutcomeKind.LIMITED, text=NOT_ALLOWED_TEXT, reason="workspace_not_allowed")
        return text, None

    async def is_addressed(self, message: IncomingMessage) -> bool:
        """The gate alone, in the channel's summoning mode (a DM; a mention; a thread the bot takes part in;
        any top-level message in an ``always`` channel; nothing in an ``off`` one): ``accept`` asks it first,
        and an adapter may ask it before any costly lookup for a message that may well not be for the bot."""

        async def bot_thread() -> bool:
            return bool(message.key.thread) and await self._conversations.has_assistant_turns(message.key)

        return await self._access.summoned(message, in_bot_thread=bot_thread)

    async def access_groups(self, *, platform: str, workspace: str) -> frozenset[str]:
        """The groups (Slack user groups) the workspace's access rules name: all an adapter that must look a
        sender's groups up needs to ask about (none: no lookup at all)."""
        rules = await self._access.access_list(WorkspaceScope(platform=platform, workspace=workspace))
        return rules.groups()

    async def check_access(self, message: IncomingMessage) -> Outcome | None:
        """None when the access rules let the sender use it here; else DENIED with the one private line, or
        IGNORED when this person was told within the hour. Before de-duplication, rate limits and the model;
        an adapter that must act before ``accept`` (Discord starts a thread) asks it after ``is_addressed``."""
        reason = await self._access.refusal(message)
        if reason is None:
            return None
        _message_log(message).info("message.refused", reason=f"access_{reason}")
        if self._access.notice_due(message):
            return Outcome(OutcomeKind.DENIED, text=NOT_ALLOWED_HERE_TEXT, reason="access_denied")
        return Outcome(OutcomeKind.IGNORED, reason="access_denied")

    async def _request(self, message: IncomingMessage, text: str, event_log) -> ChatRequest:
        scope = message.key.channel_scope()
        settings = await self._channel_settings.get(scope)
        persona = await self._personas.resolve(scope, settings=settings)
        persona = await self._model_choices.apply(scope, user=message.user, persona=persona)
        return ChatRequest(
            message=message, text=text, persona=persona, settings=settings, admitted_at=self._clock.now(),
            log=event_log.bind(persona=persona.name, model=persona.model),
        )

    async def _answer(self, request: ChatRequest) -> AsyncIterator[ReplyEvent]:
        """In the conversation's turn: the attached files read, input filters, then generate, then finish."""
        if request.message.attachments:
            files = await self._files.read(request.message, persona=request.persona, event_log=request.log)
            request.text = with_files(request.text, files)  # the files' text is filtered, sent and stored
            request.images, request.image_tokens = files.images, files.image_tokens  # sent, never stored
            request.notices += files.notices
            if not request.text:  # only files, and none of them could be read
                request.log.info("message.invalid", reason="no_readable_files")
                yield Outcome(OutcomeKind.INVALID, text=" ".join(files.notices), reason="no_readable_files")
                return
        verdict = await self._content_filter.check_input(request.message, request.text)
        if not verdict.allowed:
            request.log.info("message.blocked", direction="input", reason=verdict.reason)
            yield Outcome(OutcomeKind.BLOCKED, text=verdict.user_text or INPUT_BLOCKED_TEXT, reason=verdict.reason)
            return
        request.text = verdict.text  # redacted: what the LLM sees and what is stored, never the original
        request.notices += verdict.notices
        if self._summaries is not None and self._summaries.asks(request):  # "@Parley summarize": a command
            refusal = await self._summaries.summarise(request)
            yield refusal if refusal is not None else await self._generation.finish(request)
            return
        if self._thread_context is not None:
            await self._thread_context.gather(request)
        async with aclosing(self._generation.generate(request)) as events:
            async for event in events:
                yield event
                if isinstance(event, Outcome):
                    return
        yield await self._generation.finish(request)



async def _just(outcome: Outcome) -> AsyncIterator[ReplyEvent]:
    yield outcome


def _message_log(message: IncomingMessage):
    key = message.key
    return log.bind(
        platform=key.platform, workspace=key.workspace, channel=key.channel, thread=key.thread,
        event_id=message.event_id,
    )
