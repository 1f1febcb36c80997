"""Answering a message that a stopped process accepted and did not finish (the core's ``Redelivery`` port).

``core/chat/recovery.py`` takes such messages over and hands each one here,
with its reply stream (the stored answer, or an answer made now) or an
apology.  First, what the stopped process half-showed (``reply_ref``, noted
by ``ReplyNoter``) is ended: its first message is edited to a short note and
any later pages are deleted (a message already gone is fine).  Then the reply
is shown as any reply is (``render_reply`` into a ``LiveMessage``), where the
person asked: in their thread, in the DM, or, where no thread could be
started on their mention, as a reply to their message.  Everything goes
through ids alone (partial channels and messages), so any process, whatever
guilds its shards cover, can do it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import discord
import structlog

from bots.discord.feedback import FeedbackButtons
from bots.discord.live_message import LiveMessage
from bots.discord.places import DM_WORKSPACE
from bots.discord.render import render_reply
from bots.discord.request_pace import RequestPace, take_turn
from bots.discord.reply_ref import ReplyNoter, ReplyRef
from bots.discord.texts import INTERRUPTED, INTERRUPTED_ANSWER
from bots.discord.typing_indicator import TypingIndicator
from core.chat.service import ChatService
from core.messages import ReplyEvent
from core.process import InFlight
from core.records import PendingMessage

log = structlog.get_logger(__name__)

Target = tuple[discord.PartialMessageable, discord.PartialMessage | None]  # where, and the message to reply to


class DiscordRedelivery:
    """Counted in ``in_flight`` like any answer, so a shutdown drains it (or cancels it: it is let go)."""

    def __init__(
        self, *, chat: ChatService, client: discord.Client, in_flight: InFlight, edit_interval: float,
        feedback: FeedbackButtons | None = None,
        max_answer_messages: int | None = None,
        pace: RequestPace | None = None,
    ) -> None:
        # Discord's global limit: a recovery round after a crash in a burst hands over many messages at once.
        self._pace = pace
        self._feedback = feedback
        self._chat = chat
        self._client = client
        self._in_flight = in_flight
        self._edit_interval = edit_interval
        self._max_answer_messages = max_answer_messages

    async def redeliver(self, pending: PendingMessage, replies: AsyncIterator[ReplyEvent]) -> None:
        async with self._in_flight.track():
            event_log = _log_of(pending)
            ref = await self._end_half_shown(pending, note=INTERRUPTED_ANSWER, event_log=event_log)
            target, reply_to = await self._place_of(pending, ref, event_log=event_log)
            live = LiveMessage(
                target, reference=reply_to, interval=self._edit_interval, max_messages=self._max_answer_messages,
                on_posted=ReplyNoter(chat=self._chat, message=pending.message, event_log=event_log), pace=self._pace,
            )
            feedback = self._feedback
            outcome = await render_reply(
                replies, live=live, typing=TypingIndicator(target, pace=self._pace),
                feedback=None if feedback is None else lambda: feedback.view(pending.message.event_id),
            )
            if outcome is None:
                event_log.error("discord.redelivery_failed", error="no_outcome")
                return
            event_log.info("discord.redelivered", outcome=outcome.kind.value, messages=len(live.messages))

    async def apologise(self, pending: PendingMessage, text: str) -> None:
        async with self._in_flight.track():
            event_log = _log_of(pending)
            ref = await self._end_half_shown(pending, note=INTERRUPTED, event_log=event_log)
            target, reply_to = await self._place_of(pending, ref, event_log=event_log)
            reference = reply_to.to_reference(fail_if_not_exists=False) if reply_to is not None else None
            await take_turn(self._pace)
            await target.send(text, reference=reference)
            event_log.info("discord.apologised")

    async def _end_half_shown(
        self, pending: PendingMessage, *, note: str, event_log: structlog.typing.FilteringBoundLogger
    ) -> ReplyRef | None:
        """The first message of what was half-shown becomes ``note``, the rest is deleted; never raises for
        Discord's refusals (logged), so the reply is shown whatever became of the old one."""
        ref = ReplyRef.parse(pending.reply_ref) if pending.reply_ref else None
        if ref is None:
            if pending.reply_ref:
                event_log.warning("discord.reply_ref_unreadable")
            return None
        channel = self._client.get_partial_messageable(ref.channel_id, guild_id=_guild_id(pending))
        first, *later = (channel.get_partial_message(message_id) for message_id in ref.message_ids)
        try:
            await take_turn(self._pace)
            await first.edit(content=note)
        except discord.HTTPException as error:
            _log_refusal(event_log, "edit", error)
        for page in later:
            try:
                await take_turn(self._pace)
                await page.delete()
            except discord.HTTPException as error:
                _log_refusal(event_log, "delete", error)
        return ref

    async def _place_of(
        self, pending: PendingMessage, ref: ReplyRef | None, *, event_log: structlog.typing.FilteringBoundLogger
    ) -> Target:
        key, guild_id = pending.message.key, _guild_id(pending)
        channel = self._client.get_partial_messageable(int(key.channel), guild_id=guild_id)
        if not key.thread:
            return channel, None  # a DM
        thread = self._client.get_partial_messageable(
            int(key.thread), guild_id=guild_id, type=discord.ChannelType.public_thread
        )
        if key.thread != pending.message.event_id:
            return thread, None  # a follow-up in a thread
        # A mention in a channel: answered in the thread started on it (its id is the message's), or, where
        # no thread could be started, as a reply to it. The reply already shown says which; else ask Discord.
        in_thread = ref.channel_id == thread.id if ref is not None else await self._exists(thread, event_log)
        return (thread, None) if in_thread else (channel, channel.get_partial_message(int(key.thread)))

    async def _exists(
        self, channel: discord.PartialMessageable, event_log: structlog.typing.FilteringBoundLogger
    ) -> bool:
        try:
            await self._client.fetch_channel(channel.id)
        except discord.NotFound:
            return False
        except discord.HTTPException as error:  # cannot tell: try the thread
            event_log.warning("discord.thread_unknown", status=error.status, code=error.code)
        return True


def _guild_id(pending: PendingMessage) -> int | None:
    workspace = pending.message.key.workspace
    return None if workspace == DM_WORKSPACE else int(workspace)


def _log_refusal(event_log: structlog.typing.FilteringBoundLogger, action: str, error: discord.HTTPException) -> None:
    if isinstance(error, discord.NotFound):  # deleted meanwhile: nothing left to end
        event_log.info("discord.half_shown_gone", action=action, code=error.code)
    else:
        event_log.warning("discord.half_shown_not_ended", action=action, status=error.status, code=error.code)


def _log_of(pending: PendingMessage) -> structlog.typing.FilteringBoundLogger:
    key = pending.message.key
    return log.bind(
        guild=key.workspace, channel=key.channel, thread=key.thread, event_id=pending.message.event_id,
        state=pending.state, attempt=pending.attempts,
    )
