"""A Discord message in, the core's answer out, in a thread, a reply, a thread's follow-up or a DM."""

from __future__ import annotations

from dataclasses import dataclass

import discord
import structlog

from bots.discord.apology import apologise_in
from bots.discord.feedback import FeedbackButtons
from bots.discord.history import DiscordHistory
from bots.discord.live_message import LiveMessage
from bots.discord.places import Place, place_of
from bots.discord.render import render_reply
from bots.discord.reply_ref import ReplyNoter
from bots.discord.texts import DENIED_IN, RENDER_FAILED
from bots.discord.translate import Delivery, Skip, facts_from_message, translate
from bots.discord.request_pace import RequestPace, take_turn
from bots.discord.typing_indicator import TypingIndicator
from core.chat.service import ChatService
from core.messages import OutcomeKind
from core.process import InFlight

log = structlog.get_logger(__name__)

THREAD_ALREADY_CREATED = 160004  # Discord's error code: a thread was already started on this message
UNKNOWN_MESSAGE = 10008  # Discord's error code: the message is gone (deleted)
TYPING_GRACE_SECONDS = 0.5  # for messages the core may well ignore


@dataclass(frozen=True, slots=True)
class ConversationOptions:
    allow_bot_messages: bool = False
    edit_interval: float = 1.0  # seconds between two edits of the streamed answer
    max_answer_messages: int = 8  # an answer longer than this many messages: the rest as a file


class DiscordConversation:
    def __init__(
        self,
        *,
        chat: ChatService,
        client: discord.Client,
        in_flight: InFlight,
        options: ConversationOptions,
        feedback: FeedbackButtons | None = None,
        history: DiscordHistory | None = None,
        pace: RequestPace | None = None,
    ) -> None:
        self._pace = pace  # Discord's global limit, for every request of the answer path
        self._feedback = feedback
        self._history = history
        self._chat = chat
        self._client = client
        self._in_flight = in_flight
        self._options = options

    def _buttons_for(self, answer_id: str):
        """What makes the 👍 / 👎 buttons of this answer (None: no feedback buttons)."""
        feedback = self._feedback
        return None if feedback is None else lambda: feedback.view(answer_id)

    async def on_message(self, message: discord.Message) -> None:
        """Answer one Discord message (or skip it), counted in flight until it is done."""
        async with self._in_flight.track():
            await self._handle(message)

    async def _handle(self, message: discord.Message) -> None:
        me = self._client.user
        if me is None:
            return
        place = place_of(message.channel)
        if place is None and message.author.id != me.id:
            place = await self._fetch_place(message)
        if place is None:
            return
        facts = facts_from_message(message, place=place)
        decision = translate(facts, bot_id=me.id, allow_bots=self._options.allow_bot_messages)
        if isinstance(decision, Skip):
            return
        event_log = log.bind(
            guild=place.guild_id, channel=place.channel_id, thread=decision.message.key.thread, message_id=message.id
        )
        if not decision.message.is_dm and not await self._admitted(message, decision, event_log=event_log):
            return
        target: discord.abc.Messageable = message.channel
        if self._history is not None and (decision.start_thread or decision.reply_in_channel):
            self._history.note_reply(message)  # a mention in a channel: its reply chain is read in the answer's turn
        try:
            answer_place = await self._answer_place(message, decision, event_log=event_log)
            if answer_place is None:
                event_log.info("discord.question_deleted")  # before its thread could start: nothing to answer
                return
            target, reference = answer_place
            live = LiveMessage(
                target, reference=reference, interval=self._options.edit_interval,
                max_messages=self._options.max_answer_messages,
                on_posted=ReplyNoter(chat=self._chat, message=decision.message, event_log=event_log), pace=self._pace,
            )
            typing = TypingIndicator(
                target, delay=0.0 if decision.expects_answer else TYPING_GRACE_SECONDS, pace=self._pace
            )
            outcome = await render_reply(
                self._chat.handle(decision.message), live=live, typing=typing,
                feedback=self._buttons_for(decision.message.event_id),
            )
        except Exception as error:
            event_log.exception("discord.render_failed", error=type(error).__name__)
            await apologise_in(target, RENDER_FAILED, event_log=event_log, pace=self._pace)
            return
        if outcome is None:
            event_log.error("discord.render_failed", error="no_outcome")
            await apologise_in(target, RENDER_FAILED, event_log=event_log, pace=self._pace)
        elif outcome.kind is not OutcomeKind.IGNORED:
            event_log.info("discord.replied", outcome=outcome.kind.value, messages=len(live.messages))

    async def _admitted(
        self, message: discord.Message, decision: Delivery, *, event_log: structlog.typing.FilteringBoundLogger
    ) -> bool:
        """The core's gate and access rules, before a thread is started for a channel message: False when the
        message is not for the bot (its channel's summoning mode) or the sender may not use it here; a refused
        person then gets the one line in a DM (Discord has no private message in a channel), at most hourly."""
        if not await self._chat.is_addressed(decision.message):
            return False
        refused = await self._chat.check_access(decision.message)
        if refused is None:
            return True
        if refused.kind is OutcomeKind.DENIED:
            await self._tell_privately(message.author, refused.text, channel_id=message.channel.id, event_log=event_log)
        return False

    async def _tell_privately(
        self, person: discord.abc.User, text: str, *, channel_id: int, event_log: structlog.typing.FilteringBoundLogger
    ) -> None:
        try:
            await person.send(DENIED_IN.format(text=text, channel=channel_id))
            event_log.info("discord.denial_sent")
        except discord.HTTPException as error:  # their DMs are closed: nothing else is private
            event_log.info("discord.denial_undeliverable", status=error.status, code=error.code)

    async def _answer_place(
        self, message: discord.Message, decision: Delivery, *, event_log: structlog.typing.FilteringBoundLogger
    ) -> tuple[discord.abc.Messageable, discord.Message | None] | None:
        """Where the answer goes, and the message it replies to (only when no thread is possible).

        None when the message was deleted before its thread could start.
        """
        if decision.reply_in_channel:
            return message.channel, message
        if not decision.start_thread:
            return message.channel, None
        try:
            await take_turn(self._pace)
            return await message.create_thread(name=decision.thread_name), None
        except discord.Forbidden as error:
            event_log.info("discord.thread_forbidden", code=error.code)
            return message.channel, message
        except discord.HTTPException as error:
            if error.code == UNKNOWN_MESSAGE:
                return None
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
