"""The earlier messages of a Discord thread or reply chain (the core's ``ConversationHistory`` port).

- In a thread: the thread's history before the message (``GET /channels/{thread}/messages?before=``,
  newest first, 100 a page, through discord.py's ``history``); after the last read, only what is newer.
- A mention in a channel that replies to a message: the reply chain, message by message
  (``message_reference``: the conversation notes a reply it hands to the core, ``note_reply``; each link
  is then ``GET /channels/{id}/messages/{id}``, as Parley keeps no message cache).
- A mention in a channel that replies to nothing starts its thread: nothing is read, unless the persona's
  ``channel_context`` asks for the channel's last few messages before it.

Discord lists no messages to a bot without Read Message History (an empty list, not an error) and
refuses it a single message (403): where the library's view of the channel says the permission is
missing, or Discord refuses, the refusal is a log line and the answer goes on without context.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import replace
from datetime import datetime

import discord
import structlog

from bots.discord.translate import ANSWERABLE_TYPES
from core.chat.history import NOT_VISIBLE, EarlierMessage, HistoryRead
from core.messages import ChannelScope, IncomingMessage

log = structlog.get_logger(__name__)

MISSING_PERMISSION = "missing_permission:read_message_history"
NOTED_REPLIES = 1_000  # replies noted and not yet read (the oldest forgotten first)


class DiscordHistory:
    def __init__(self, client: discord.Client, *, max_noted: int = NOTED_REPLIES) -> None:
        self._client = client
        self._replies: OrderedDict[int, discord.Message] = OrderedDict()
        self._readers: OrderedDict[tuple[int, int], bool] = OrderedDict()
        self._max_noted = max_noted

    def note_reader(self, channel_id: int, user_id: int, *, can_read: bool) -> None:
        """Whether a person may read a channel's history, as Discord resolved it for their command."""
        self._readers[(channel_id, user_id)] = can_read
        self._readers.move_to_end((channel_id, user_id))
        while len(self._readers) > self._max_noted:
            self._readers.popitem(last=False)

    async def recent(
        self, scope: ChannelScope, *, thread: str, asker: str, since: datetime | None, limit: int, max_chars: int
    ) -> HistoryRead:
        """For a summary: the thread, or the channel's messages since ``since``; only if the asker may read it
        (as Discord resolved it for their command, ``note_reader``)."""
        channel_id = int(thread or scope.channel)
        if not self._readers.get((channel_id, int(asker)), False):
            log.info("discord.history_not_visible", channel=channel_id)
            return HistoryRead(unavailable=NOT_VISIBLE)
        after = discord.Object(discord.utils.time_snowflake(since, high=True)) if since and not thread else None
        try:
            found = [
                m async for m in self._client.get_partial_messageable(channel_id).history(
                    limit=limit + 1, after=after, oldest_first=False,
                )
            ]
        except discord.Forbidden as error:
            log.warning("discord.history_forbidden", channel=channel_id, code=error.code)
            return HistoryRead(unavailable=MISSING_PERMISSION)
        return HistoryRead(messages=self._earlier(list(reversed(found[:limit]))), more=len(found) > limit)

    def note_reply(self, message: discord.Message) -> None:
        """A message about to go to the core that replies to another: its chain can be read without a fetch."""
        if message.reference is None:
            return
        self._replies[message.id] = message
        while len(self._replies) > self._max_noted:
            self._replies.popitem(last=False)

    async def read(
        self, message: IncomingMessage, *, after: str | None, limit: int, max_chars: int, channel_messages: int = 0
    ) -> HistoryRead:
        key = message.key
        if message.is_dm or not key.thread or not message.event_id.isdigit():
            return HistoryRead()
        message_id = int(message.event_id)
        try:
            if key.thread != message.event_id:
                return await self._thread(int(key.thread), before=message_id, after=after, limit=limit)
            chain = await self._reply_chain(int(key.channel), message_id, after=after, limit=limit)
            if not chain.messages and channel_messages > 0 and after is None:
                chain = await self._channel(int(key.channel), before=message_id, count=channel_messages)
            return replace(chain, starts_thread=True)  # the mention starts its thread (or is answered by a reply)
        except discord.Forbidden as error:
            log.warning("discord.history_forbidden", channel=key.channel, thread=key.thread, code=error.code,
                        hint="give Parley Read Message History in this channel (README: thread context)")
            return HistoryRead(unavailable=MISSING_PERMISSION)
        except discord.NotFound as error:
            log.info("discord.history_not_found", channel=key.channel, thread=key.thread, code=error.code)
            return HistoryRead(unavailable="not_found", through=message.event_id)

    async def _thread(self, thread_id: int, *, before: int, after: str | None, limit: int) -> HistoryRead:
        channel = self._client.get_channel(thread_id)
        me = channel.guild.me if isinstance(channel, discord.Thread) else None
        if me is not None and not channel.permissions_for(me).read_message_history:  # Discord would list nothing
            log.warning("discord.history_forbidden", thread=thread_id, hint="give Parley Read Message History")
            return HistoryRead(unavailable=MISSING_PERMISSION)
        messageable = channel if isinstance(channel, discord.Thread) else self._client.get_partial_messageable(thread_id)
        found = [
            m async for m in messageable.history(
                limit=limit + 1, before=discord.Object(before),
                after=discord.Object(int(after)) if after else None, oldest_first=False,
            )
        ]
        more = len(found) > limit
        newest = list(reversed(found[:limit]))
        return HistoryRead(messages=self._earlier(newest), through=str(before), more=more)

    async def _channel(self, channel_id: int, *, before: int, count: int) -> HistoryRead:
        """A mention that replies to nothing, with the persona's ``channel_context``: the channel's last few."""
        messageable = self._client.get_partial_messageable(channel_id)
        found = [m async for m in messageable.history(limit=count, before=discord.Object(before), oldest_first=False)]
        return HistoryRead(messages=self._earlier(list(reversed(found))), through=str(before))

    async def _reply_chain(self, channel_id: int, message_id: int, *, after: str | None, limit: int) -> HistoryRead:
        """The messages the mention replies to, then what those reply to, newest first, oldest first returned."""
        current = self._replies.pop(message_id, None)  # a mention that replies to nothing starts its thread
        chain: list[discord.Message] = []
        stop = int(after) if after else 0
        while current is not None and current.reference is not None and len(chain) <= limit:
            reference = current.reference
            if reference.message_id is None or reference.message_id <= stop:
                break
            resolved = reference.resolved if isinstance(reference.resolved, discord.Message) else None
            current = resolved or await self._message(reference.channel_id or channel_id, reference.message_id)
            if current is None:
                break
            chain.append(current)
        more = len(chain) > limit
        return HistoryRead(messages=self._earlier(list(reversed(chain[:limit]))), through=str(message_id), more=more)

    async def _message(self, channel_id: int, message_id: int) -> discord.Message | None:
        try:
            return await self._client.get_partial_messageable(channel_id).fetch_message(message_id)
        except discord.NotFound:
            return None  # deleted: the chain ends there

    def _earlier(self, messages: list[discord.Message]) -> tuple[EarlierMessage, ...]:
        me = self._client.user
        return tuple(
            EarlierMessage(
                id=str(m.id), author=str(m.author.id), author_name=m.author.display_name, text=m.clean_content,
                is_bot=m.author.bot, is_parley=me is not None and m.author.id == me.id, at=m.created_at,
            )
            for m in messages if m.type.value in ANSWERABLE_TYPES
        )
