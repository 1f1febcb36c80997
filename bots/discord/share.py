"""Sharing a private channel summary on Discord: a button under it posts it in the channel, for everyone.

The summary (``CommandReply.share``) lives in the button's view, in this
process, for ``SHARE_SECONDS``; pressing it posts the text in the channel
(2,000-character pages, mentions inert) and tells the person it is shared.
"""

from __future__ import annotations

import discord
import structlog

from bots.discord.live_message import MESSAGE_LIMIT
from bots.discord.texts import SHARE_BUTTON, SHARE_FAILED, SHARED
from core.text_split import split_markdown

log = structlog.get_logger(__name__)

SHARE_SECONDS = 3_600.0


class ShareView(discord.ui.View):
    def __init__(self, *, text: str, timeout: float = SHARE_SECONDS) -> None:
        super().__init__(timeout=timeout)
        self._text = text

    @discord.ui.button(label=SHARE_BUTTON, style=discord.ButtonStyle.primary)
    async def share(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        channel = interaction.channel
        try:
            for piece in split_markdown(self._text, limit=MESSAGE_LIMIT):
                if piece.strip():
                    await channel.send(piece, allowed_mentions=discord.AllowedMentions.none())  # type: ignore[union-attr]
        except discord.HTTPException as error:
            log.warning("discord.share_failed", channel=interaction.channel_id, status=error.status, code=error.code)
            await interaction.response.send_message(SHARE_FAILED, ephemeral=True)
            return
        log.info("discord.summary_shared", channel=interaction.channel_id)
        self.stop()
        await interaction.response.send_message(SHARED, ephemeral=True)
