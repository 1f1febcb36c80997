"""What a platform says was written before a message: the values of the ``ConversationHistory`` port.

An adapter reads the thread (or Discord reply chain) a message was posted in
and hands back ``EarlierMessage`` values, oldest first, platform-neutral:
who wrote it (their display name), whether a bot or Parley itself wrote it,
the text as a person reads it, the platform's id and time.  When it cannot
read (a scope or permission is missing, the thread is gone) it says why in
``HistoryRead.unavailable`` instead of raising: the answer goes on without.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class EarlierMessage:
    id: str  # the platform's message id (Slack ts, Discord snowflake)
    author: str  # the platform's user id ("" when there is none, e.g. a webhook)
    author_name: str  # display name
    text: str
    is_bot: bool = False
    is_parley: bool = False  # Parley's own earlier answer
    at: datetime | None = None


@dataclass(frozen=True, slots=True)
class HistoryRead:
    """``messages`` oldest first; ``more``: older ones were left unread; ``through``: the id of the message the read stopped before (the one being
    answered), so the next read can start after it; ``unavailable``: why nothing could be read, if so."""

    messages: tuple[EarlierMessage, ...] = ()
    through: str = ""
    unavailable: str = ""
    more: bool = False  # older messages there were not read (the limit was reached)
    starts_thread: bool = False  # the message starts its thread (a top-level mention): its thread is Parley's own


NOT_VISIBLE = "not_visible"  # the asker cannot see that channel or thread (not a member)


class NoHistory:
    """A place with no history to read (the terminal chat; an adapter that has not attached its own)."""

    async def read(
        self, message, *, after: str | None, limit: int, max_chars: int, channel_messages: int = 0
    ) -> HistoryRead:
        return HistoryRead()

    async def recent(self, scope, *, thread: str, asker: str, since, limit: int, max_chars: int) -> HistoryRead:
        return HistoryRead()
