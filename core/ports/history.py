"""The earlier messages of a thread, from the platform (``core/chat/thread_context.py``)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from core.chat.history import HistoryRead
from core.messages import ChannelScope, IncomingMessage


class ConversationHistory(Protocol):
    """What was said before a message in the thread (or Discord reply chain) it was posted in: each adapter
    reads its platform (``bots/<platform>/history.py``); nothing outside that thread is read."""

    async def read(
        self, message: IncomingMessage, *, after: str | None, limit: int, max_chars: int, channel_messages: int = 0
    ) -> HistoryRead:
        """At most ``limit`` of the newest messages before ``message`` (only those after the message id
        ``after``, when given), oldest first; the platform may stop early once ``max_chars`` of text are in.
        A message that starts its thread has none; with ``channel_messages``, the channel's last that many
        messages before it instead (the persona's ``channel_context``).
        A missing scope or permission is ``HistoryRead.unavailable``, never an exception."""
        ...

    async def recent(
        self, scope: ChannelScope, *, thread: str, asker: str, since: datetime | None, limit: int, max_chars: int
    ) -> HistoryRead:
        """For a summary: the messages of ``thread``, or (``thread`` "") the channel's messages since ``since``;
        the newest ``limit``, oldest first. Only what ``asker`` can see: otherwise ``unavailable`` is
        ``NOT_VISIBLE`` and nothing is read."""
        ...
