"""Telling people something failed on our side: a failed interaction (a command, a form), a failed answer."""

from __future__ import annotations

import discord
import structlog

from bots.discord.interaction_reply import THINKING
from bots.discord.request_pace import RequestPace, take_turn

log = structlog.get_logger(__name__)


async def apologise(
    interaction: discord.Interaction, text: str, *, event: str, error: BaseException, **fields: object
) -> None:
    """Log ``event`` (with where, who and ``error``), then answer the interaction with ``text``, ephemerally.

    In place of "thinking…" when the interaction was deferred, a follow-up when
    it was already answered; an apology Discord refuses is logged, never raised.
    """
    log.error(
        event, guild=interaction.guild_id, channel=interaction.channel_id, user=interaction.user.id,
        **fields, error=type(error).__name__, exc_info=error,
    )
    try:
        if interaction.extras.pop(THINKING, False):
            await interaction.edit_original_response(content=text)
        elif interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True)
        else:
            await interaction.response.send_message(text, ephemeral=True)
    except discord.HTTPException as failed:
        log.warning("discord.apology_failed", status=failed.status, code=failed.code)


async def apologise_in(
    channel: discord.abc.Messageable, text: str, *, event_log: structlog.typing.FilteringBoundLogger,
    pace: RequestPace | None = None,
) -> None:
    """Post ``text`` where an answer failed (the failure is already logged), in its turn under Discord's global
    limit (``pace``: an outage fails a burst's answers all at once); an apology Discord refuses is logged."""
    try:
        await take_turn(pace)
        await channel.send(text)
    except discord.HTTPException as error:
        event_log.warning("discord.apology_failed", status=error.status, code=error.code)
