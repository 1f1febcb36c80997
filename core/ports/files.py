"""Files attached to a message, from the platform that holds them (``core/files``)."""

from __future__ import annotations

from typing import Protocol

from core.messages import Attachment


class AttachmentFetcher(Protocol):
    """The bytes of a file attached to a message, from the platform that holds it (each adapter has one:
    ``bots/slack/attachments.py``, ``bots/discord/attachments.py``). Only the platform's own host is ever
    asked; nothing named in a message's text is fetched."""

    async def fetch(self, attachment: Attachment, *, workspace: str, max_bytes: int) -> bytes:
        """At most ``max_bytes``, read as ``workspace`` (the one the message came from: its token, on Slack); raises ``core.files.values.FileTooLarge`` beyond, ``FileUnavailable`` when the
        platform will not give it (no access, gone, another host)."""
        ...
