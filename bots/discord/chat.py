"""A Discord message in, the core's answer out, in a thread, a reply, a thread's follow-up or a DM."""

from __future__ import annotations

import discord
import structlog

from bots.discord.live import LiveReply
from bots.discord.places import Place, place_of
from bots.discord.render import render_reply
from bots.discord.texts import RENDER_FAILED
from bots.discord.translate import Delivery, Skip, facts_from_message, translate
from bots.discord.typing_indicator import TypingIndicator
from core.chat.service import ChatService
from core.messages import OutcomeKind

log = structlog.get_logger(__name__)

THREAD_ALREADY_CREATED = 160004  # Discord's error code: a thread was already started on this message
TYPING_GRACE_SECONDS = 0.5  # for messages the core may well ignore


class DiscordChat:
    def __init__(
        self,
        *,
        chat: ChatService,
        client: discord.Client,
        allow_bot_messages: bool = False,
        edit_interval_seconds: float = 1.0,
    ) -> None:
        self._chat = chat
        self._client = client
        self._allow_bots = allow_bot_messages
        self._interval = edit_interval_seconds

    async def on_message(self, message: discord.Message) -> None:
        me = self._client.user
        if me is None:
            return
        place = place_of(message.channel)
        if place is None and message.author.id != me.id:
            place = await self._fetch_place(message)
        if place is None:
            return
        decision = translate(facts_from_message(message, place=place), bot_id=me.id, allow_bots=self._allow_bots)
        if isinstance(decision, Skip):
            return
        event_log = log.bind(
            guild=place.guild_id, channel=place.channel_id, thread=decision.message.key.thread, message_id=message.id
        )
        target: discord.abc.Messageable = message.channel
        try:
            target, reference = await self._answer_place(message, decision, event_log=event_log)
            live = LiveReply(target, reference=reference, interval=self._interval)
            typing = TypingIndicator(target, delay=0.0 if decision.expects_answer else TYPING_GRACE_SECONDS)
            outcome = await render_reply(self._chat.handle(decision.message), live=live, typing=typing)
        except Exception as error:
            event_log.exception("discord.render_failed", error=type(error).__name__)
            await self._apologise(target, event_log)
            return
        if outcome is None:
            event_log.error("discord.render_failed", error="no_outcome")
            await self._apologise(target, event_log)
        elif outcome.kind is not OutcomeKind.IGNORED:
            event_log.info("discord.replied", outcome=outcome.kind.value, messages=len(live.messages))

    async def _answer_place(
        self, message: discord.Message, decision: Delivery, *, event_log: structlog.typing.FilteringBoundLogger
    ) -> tuple[discord.abc.Messageable, discord.Message | None]:
        """Where the answer goes, and the message it replies to (only when no thread is possible)."""
        if decision.reply_in_channel:
            return message.channel, message
        if not decision.start_thread:
            return message.channel, None
        try:
            return await message.create_thread(name=decision.thread_name), None
        except discord.Forbidden as error:
            event_log.info("discord.thread_forbidden", code=error.code)
            return message.channel, message
        except discord.HTTPException as error:
            if error.code != THREAD_ALREADY_CREATED:
                raise
            # A second delivery of the same message: its thread has the message's id.
            guild_id = message.guild.id if message.guild else None
            return self._client.get_partial_messageable(
                message.id, guild_id=guild_id, type=discord.ChannelType.public_thread
            ), None

    async def _fetch_place(self, message: discord.Message) -> Place | None:
        """A channel the library has not cached (e.g. a thread created while disconnected)."""
        if message.guild is None:
            return None
        try:
            return place_of(await self._client.fetch_channel(message.channel.id))
        except discord.HTTPException as error:
            log.warning("discord.channel_unknown", channel=message.channel.id, status=error.status)
            return None

    @staticmethod
    async def _apologise(target: discord.abc.Messageable, event_log: structlog.typing.FilteringBoundLogger) -> None:
        try:
            await target.send(RENDER_FAILED)
        except discord.HTTPException as error:
            event_log.warning("discord.apology_failed", status=error.status, code=error.code)
