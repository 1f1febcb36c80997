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

import structlog

from core.conversation_locks import ConversationLocks
from core.hooks import NoContentFilter, NoRateLimit
from core.input_text import check_text, clean_text
from core.llm.types import CompletionRequest, ContextTooLong, LLMError
from core.memory import MemoryWindowBuilder
from core.messages import IncomingMessage, Outcome, OutcomeKind, ReplyEvent, TextDelta, Usage
from core.persona_admin import PersonaDirectory
from core.personas import Persona
from core.ports import (
    ChannelSettingsStore, Clock, ContentFilter, ConversationStore, Inbox, LLMProvider,
    NewTurn, RateLimiter, TokenCounter, UsageRecord, UsageStore,
)

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
        output_check_chars: int = 500,
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
        self._output_check_chars = output_check_chars
        self._locks = ConversationLocks()

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
        persona = await self._personas.resolve(scope)
        settings = await self._channel_settings.get(scope)
        keep_turns = settings.memory_enabled and settings.retention_days != 0
        event_log = event_log.bind(persona=persona.name, model=persona.model)

        limit = await self._rate_limiter.check(message, persona=persona)
        if limit is not None:
            event_log.info("message.limited", reason=limit.reason, retry_after=limit.retry_after)
            yield Outcome(OutcomeKind.LIMITED, text=limit.text, reason=limit.reason, retry_after=limit.retry_after)
            return
        verdict = await self._content_filter.check_input(message, text)
        if not verdict.allowed:
            event_log.info("message.blocked", direction="input", reason=verdict.reason)
            yield Outcome(OutcomeKind.BLOCKED, text=verdict.user_text or INPUT_BLOCKED_TEXT, reason=verdict.reason)
            return
        text = verdict.text

        budget = None
        for attempt in (1, 2):
            window = await self._memory.build(
                message.key, persona=persona, user_text=text, budget=budget, remember=settings.memory_enabled
            )
            if window.summary_usage is not None:
                await self._account(message, persona, window.summary_usage)
            request = CompletionRequest(
                model=persona.model, messages=window.messages,
                temperature=persona.temperature, max_tokens=persona.max_tokens,
            )
            pieces: list[str] = []
            usage = Usage(0, 0)
            try:
                checked_up_to = 0
                async for piece in self._llm.stream(request):
                    if isinstance(piece, Usage):
                        usage = piece
                        continue
                    pieces.append(piece)
                    yield TextDelta(piece)
                    length = sum(map(len, pieces))
                    if length - checked_up_to >= self._output_check_chars:
                        checked_up_to = length
                        held = await self._content_filter.check_output(message, "".join(pieces), final=False)
                        if not held.allowed:
                            raise _OutputBlocked(held.reason, held.user_text)
                break
            except ContextTooLong as exc:
                if attempt == 1 and not pieces:
                    budget = window.history_tokens // 2
                    event_log.warning("llm.context_too_long", cause=exc.cause, retry_budget=budget)
                    continue
                yield await self._fail(message, text, persona, exc, keep_turns, event_log)
                return
            except LLMError as exc:
                yield await self._fail(message, text, persona, exc, keep_turns, event_log)
                return
            except _OutputBlocked as blocked:
                yield await self._block_output(message, text, persona, blocked.reason, blocked.user_text, keep_turns, event_log)
                return

        answer = "".join(pieces).strip()
        if not answer:
            yield await self._fail(message, text, persona, LLMError("empty answer"), keep_turns, event_log, EMPTY_ANSWER_TEXT)
            return
        final = await self._content_filter.check_output(message, answer, final=True)
        if not final.allowed:
            yield await self._block_output(message, text, persona, final.reason, final.user_text, keep_turns, event_log)
            return
        answer = final.text
        if keep_turns:
            await self._conversations.add_turns([
                self._turn(message, "user", message.user, text, persona),
                self._turn(message, "assistant", "parley", answer, persona),
            ])
        await self._account(message, persona, usage)
        event_log.info(
            "reply.sent", prompt_tokens=usage.prompt_tokens, completion_tokens=usage.completion_tokens,
            chars=len(answer), ms=round((time.perf_counter() - started) * 1000),
        )
        yield Outcome(
            OutcomeKind.ANSWERED, text=answer, notices=window.notices + final.notices,
            usage=usage, persona=persona.name,
        )

    async def _fail(
        self, message, text, persona, exc: LLMError, keep_turns: bool, event_log, user_text: str | None = None
    ):
        event_log.warning("reply.failed", error=type(exc).__name__, cause=exc.cause)
        if keep_turns:
            await self._conversations.add_turns([self._turn(message, "user", message.user, text, persona, status="failed")])
        return Outcome(OutcomeKind.FAILED, text=user_text or exc.user_text, reason=type(exc).__name__)

    async def _block_output(self, message, text, persona, reason: str, user_text: str, keep_turns: bool, event_log):
        event_log.info("message.blocked", direction="output", reason=reason)
        if keep_turns:
            await self._conversations.add_turns([self._turn(message, "user", message.user, text, persona, status="failed")])
        return Outcome(OutcomeKind.BLOCKED, text=user_text or OUTPUT_BLOCKED_TEXT, reason=reason)

    def _turn(self, message, role: str, author: str, content: str, persona: Persona, *, status: str = "ok"):
        model = persona.model
        return NewTurn(
            key=message.key, role=role, author=author, content=content,
            token_count=self._tokens.count(content, model=model), status=status, created_at=self._clock.now(),
        )

    async def _account(self, message: IncomingMessage, persona: Persona, usage: Usage) -> None:
        key = message.key
        await self._usage.record(
            UsageRecord(
                platform=key.platform, workspace=key.workspace, channel=key.channel, user=message.user,
                model=persona.model, prompt_tokens=usage.prompt_tokens,
                completion_tokens=usage.completion_tokens, created_at=self._clock.now(),
            )
        )


class _OutputBlocked(Exception):
    def __init__(self, reason: str, user_text: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.user_text = user_text
