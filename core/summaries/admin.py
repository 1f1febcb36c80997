"""``/parley summarize [hours]``: the channel's last hours (or, typed in a thread, that thread), summarised for
the person who asked, privately.

Read through the adapter's history (``ConversationHistory.recent``), only if
the asker can see the channel or thread (a member): otherwise refused, and
nothing is read.  The same filters as any message (blocklist, PII on each
message read; the output filters on the summary), the channel's persona and
model, the rate limits (the asker's), and budgets (reserved, settled) as any
request; each model call's usage recorded.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import structlog

from core.access.policy import AccessGate
from core.access.texts import NOT_ALLOWED_HERE_TEXT
from core.admin import Actor, AdminError, CommandReply
from core.chat.accounting import UsageAccounting
from core.chat.history import NOT_VISIBLE
from core.chat.request import ChatRequest
from core.chat.thread_context import ThreadContext
from core.messages import ConversationKey, IncomingMessage
from core.personas.directory import PersonaDirectory
from core.ports import ChannelSettingsStore, Clock, ContentFilter, RateLimiter
from core.summaries.texts import (
    BAD_HOURS, CHANNEL_SHARED_TITLE, CHANNEL_SUMMARY_TITLE, NOT_IN_A_DM, NOT_VISIBLE_TEXT, SUMMARY_BLOCKED, THREAD_SUMMARY_TITLE,
)
from core.summaries.thread import ThreadSummaries

log = structlog.get_logger(__name__)

DEFAULT_HOURS = 24
MAX_HOURS = 24 * 7


def parse_hours(args: str) -> int:
    """``""`` → 24; a whole number of hours from 1 to a week; else AdminError naming the bounds."""
    text = args.strip().lower().removesuffix("h").strip()
    if not text:
        return DEFAULT_HOURS
    if not text.isdigit() or not 1 <= int(text) <= MAX_HOURS:
        raise AdminError(BAD_HOURS.format(given=args.strip(), most=MAX_HOURS))
    return int(text)


class SummaryAdmin:
    def __init__(
        self,
        *,
        summaries: ThreadSummaries,
        thread_context: ThreadContext,
        channel_settings: ChannelSettingsStore,
        personas: PersonaDirectory,
        rate_limiter: RateLimiter,
        content_filter: ContentFilter,
        accounting: UsageAccounting,
        clock: Clock,
        access: AccessGate | None = None,
    ) -> None:
        self._access = access  # the access rules hold for a summary as for a question: it calls the model
        self._summaries = summaries
        self._thread_context = thread_context
        self._channel_settings = channel_settings
        self._personas = personas
        self._rate_limiter = rate_limiter
        self._content_filter = content_filter
        self._accounting = accounting
        self._clock = clock

    async def command(self, actor: Actor, args: str) -> CommandReply:
        if actor.is_dm:
            raise AdminError(NOT_IN_A_DM)
        hours = parse_hours(args) if not actor.thread else DEFAULT_HOURS  # a thread is summarised whole
        request = await self._request(actor)
        if self._access is not None and (refused := await self._access.refusal(request.message)) is not None:
            request.log.info("summary.refused", reason=f"access_{refused}")  # before the rate limits, as for a question
            raise AdminError(NOT_ALLOWED_HERE_TEXT)
        limit = await self._rate_limiter.check(request.message, persona=request.persona)
        if limit is not None:
            raise AdminError(limit.text)
        limits = self._summaries.limits
        since = None if actor.thread else self._clock.now() - timedelta(hours=hours)
        transcript = await self._thread_context.recent(
            request, since=since, max_messages=limits.max_messages, max_chars=limits.max_chars,
            message_chars=limits.message_chars,
        )
        if transcript.unavailable == NOT_VISIBLE:
            request.log.info("summary.refused", reason="not_visible")
            raise AdminError(NOT_VISIBLE_TEXT)
        refusal = await self._summaries.summarise_transcript(request, transcript)
        if refusal is not None:
            raise AdminError(refusal.text)
        await self._accounting.record(request, request.usage)
        final = await self._content_filter.check_output(request.message, request.answer, final=True)
        if not final.allowed:
            request.log.info("message.blocked", direction="output", reason=final.reason)
            raise AdminError(final.user_text or SUMMARY_BLOCKED)
        title = THREAD_SUMMARY_TITLE if actor.thread else CHANNEL_SUMMARY_TITLE.format(hours=hours)
        notes = "".join(f"\n_{notice}_" for notice in (*request.notices, *final.notices))
        # Shown privately with a button that posts it for everyone: in the channel, or in the thread where a
        # platform's thread command answers privately (Discord); Slack's shortcut and mentions post it at once.
        shared_title = THREAD_SUMMARY_TITLE if actor.thread else CHANNEL_SHARED_TITLE.format(hours=hours)
        share = f"{shared_title}\n{final.text}"
        return CommandReply(f"{title}\n{final.text}{notes}", share=share)

    async def _request(self, actor: Actor) -> ChatRequest:
        scope = actor.channel_scope
        settings = await self._channel_settings.get(scope)
        persona = await self._personas.resolve(scope, settings=settings)
        message = IncomingMessage(
            event_id=f"summary:{uuid.uuid4().hex}",
            key=ConversationKey(actor.platform, actor.workspace, actor.channel, actor.thread),
            user=actor.user, text="summarize", sender_is_admin=actor.is_admin,
        )
        event_log = log.bind(platform=actor.platform, workspace=actor.workspace, channel=actor.channel,
                             thread=actor.thread, persona=persona.name, model=persona.model)
        return ChatRequest(
            message=message, text="summarize", persona=persona, settings=settings, log=event_log,
            admitted_at=self._clock.now(),
        )
