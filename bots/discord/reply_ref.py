"""Where a reply is shown, noted in the core as soon as it exists (``ChatService.note_reply``).

Should the process die before the answer is complete, the next one finds the
half-shown messages by this note and ends them (``redelivery``).  The note is
``<channel id>:<message id>[,<message id>…]``: the channel (or thread) and
the reply's messages, first to last, as many as fit the core's 255
characters (an answer of eleven 2,000-character pages; later ones are not
noted).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import discord
import structlog

from core.chat.service import ChatService
from core.messages import IncomingMessage

log = structlog.get_logger(__name__)

MAX_REF_CHARS = 255  # what the inbox keeps


@dataclass(frozen=True, slots=True)
class ReplyRef:
    channel_id: int
    message_ids: tuple[int, ...]

    def encode(self) -> str:
        """The note, with as many of the messages as fit (the first one always does)."""
        text = f"{self.channel_id}:{self.message_ids[0]}"
        for message_id in self.message_ids[1:]:
            longer = f"{text},{message_id}"
            if len(longer) > MAX_REF_CHARS:
                break
            text = longer
        return text

    @classmethod
    def parse(cls, text: str) -> ReplyRef | None:
        """The note's place and messages; None for "" (nothing was posted) or a note this adapter did not write."""
        channel, _, messages = text.partition(":")
        try:
            ids = tuple(int(part) for part in messages.split(","))
            return cls(channel_id=int(channel), message_ids=ids)
        except ValueError:
            return None


class ReplyNoter:
    """A ``LiveMessage`` hook: each time the reply gains a message, the core notes where it is.

    A note that fails (the database is away for a moment) is logged and the
    answer goes on: only a crash in that moment would leave it half-shown.
    """

    def __init__(
        self, *, chat: ChatService, message: IncomingMessage, event_log: structlog.typing.FilteringBoundLogger
    ) -> None:
        self._chat = chat
        self._message = message
        self._log = event_log
        self._noted = ""

    async def __call__(self, posted: Sequence[discord.Message]) -> None:
        ref = ReplyRef(channel_id=posted[0].channel.id, message_ids=tuple(m.id for m in posted)).encode()
        if ref == self._noted:  # the newest page did not fit: nothing new to note
            return
        try:
            await self._chat.note_reply(self._message, ref)
            self._noted = ref
        except Exception as error:
            self._log.warning("discord.reply_note_failed", error=type(error).__name__)
