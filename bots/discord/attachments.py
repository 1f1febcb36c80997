"""Discord's attachments → bytes for the core (the ``AttachmentFetcher`` port).

A message's attachments come with a signed URL on Discord's CDN; discord.py reads it (``HTTPClient.get_from_cdn``,
what ``Attachment.read()`` does) with the client's own session.  Only URLs on the configured CDN
(DISCORD_CDN_URL) are asked; the size Discord reported is checked before anything is downloaded.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import discord
import structlog

from core.files.values import FileTooLarge, FileUnavailable
from core.messages import Attachment

log = structlog.get_logger(__name__)


def cdn_origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc


class DiscordAttachments:
    def __init__(self, client: discord.Client, *, cdn_url: str) -> None:
        self._client = client
        self._origin = cdn_origin(cdn_url)

    async def fetch(self, attachment: Attachment, *, workspace: str, max_bytes: int) -> bytes:
        if cdn_origin(attachment.ref) != self._origin:
            log.warning("discord.file_refused", reason="not_discord_cdn")
            raise FileUnavailable("it is not on Discord's CDN")
        if attachment.size > max_bytes:
            raise FileTooLarge("over the limit")
        try:
            data = await self._client.http.get_from_cdn(attachment.ref)
        except discord.NotFound:
            raise FileUnavailable("Discord no longer has it (deleted, or its link expired)") from None
        except discord.HTTPException as error:
            log.warning("discord.file_failed", status=error.status)
            raise FileUnavailable(f"Discord answered {error.status}") from None
        except OSError as error:  # aiohttp's connection errors
            log.warning("discord.file_failed", error=type(error).__name__)
            raise FileUnavailable("Discord's CDN could not be reached for it") from None
        if len(data) > max_bytes:
            raise FileTooLarge("over the limit")
        return data
