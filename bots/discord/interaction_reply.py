"""Answering an interaction in time: Discord wants the first response within 3 seconds.

The core's work for a command or a submitted form (database reads and writes,
an export of up to 8 MiB) may take longer, and after 3 seconds the
interaction's token dies ("The application did not respond").
``reply_in_time`` runs the work and waits up to ``ANSWER_AT_ONCE_SECONDS``:
an answer ready by then is the first response itself (a message, or a form:
Discord opens a modal only as a first response); otherwise Parley defers
(the person sees "Parley is thinking…", privately) and puts the answer in
that message when it is ready (the token lives 15 minutes).  A form whose
command had to be deferred can no longer open: the person is asked to run
the command again.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Awaitable, Callable

import discord
import structlog
from discord.utils import MISSING

from bots.discord.live_message import MESSAGE_LIMIT
from bots.discord.share import ShareView
from bots.discord.texts import FORM_TOO_LATE, SHARE_OFFER
from core.admin import CommandReply
from core.text_split import split_markdown

log = structlog.get_logger(__name__)

ANSWER_AT_ONCE_SECONDS = 1.5  # half of Discord's 3 s: room for the gateway's delay and for the deferral itself
THINKING = "parley.thinking"  # in ``interaction.extras`` while a deferred "thinking…" message waits for its answer

#: a reply that asks for a form → the modal to open, or the reply to show instead (the form cannot hold it)
FormOpener = Callable[[CommandReply], "discord.ui.Modal | CommandReply"]


async def reply_in_time(
    interaction: discord.Interaction,
    work: Awaitable[CommandReply],
    *,
    open_form: FormOpener | None = None,
    within: float = ANSWER_AT_ONCE_SECONDS,
) -> None:
    """Answer ``interaction`` with what ``work`` returns, deferring first if it is not ready ``within`` seconds."""
    task = asyncio.ensure_future(work)
    try:
        done, _ = await asyncio.wait({task}, timeout=within)
        if not done:
            await _defer(interaction, task, waited=within)
        reply = await task
    finally:
        task.cancel()  # only if the wait itself was cancelled: the work has no one left to answer
    if reply.form is not None:
        opened = open_form(reply) if open_form is not None else CommandReply(FORM_TOO_LATE, ok=False)
        if isinstance(opened, discord.ui.Modal):
            if not interaction.response.is_done():
                await interaction.response.send_modal(opened)
                return
            opened = CommandReply(FORM_TOO_LATE, ok=False)
        reply = opened
    await send_reply(interaction, reply)


async def send_reply(interaction: discord.Interaction, reply: CommandReply) -> None:
    """The reply's text in pieces of at most 2,000 characters, and its file, privately unless the core says not.

    The first piece is the first response, or fills the deferred "thinking…"
    message (whose privacy was fixed when deferring: command replies are
    private); the others are follow-ups.
    """
    pieces = [piece for piece in split_markdown(reply.text, limit=MESSAGE_LIMIT) if piece.strip()] or ["…"]
    file = discord.File(io.BytesIO(reply.file.content), filename=reply.file.filename) if reply.file else None
    ephemeral = reply.ephemeral or file is not None  # a file (an export) is only ever for the person who asked
    if interaction.extras.get(THINKING):
        await interaction.edit_original_response(content=pieces[0], attachments=[file] if file else MISSING)
        interaction.extras.pop(THINKING)
    else:
        await interaction.response.send_message(pieces[0], file=file or MISSING, ephemeral=ephemeral)
    for piece in pieces[1:]:
        await interaction.followup.send(piece, ephemeral=ephemeral)
    if reply.ok and reply.share and interaction.guild_id is not None:  # a summary the person may share
        await interaction.followup.send(SHARE_OFFER, view=ShareView(text=reply.share), ephemeral=True)


async def _defer(interaction: discord.Interaction, task: asyncio.Future[CommandReply], *, waited: float) -> None:
    try:
        await interaction.response.defer(ephemeral=True, thinking=True)
    except discord.HTTPException:
        await asyncio.wait({task})  # let the work finish all the same (half a reset helps nobody)
        raise
    interaction.extras[THINKING] = True
    command = interaction.command.qualified_name if interaction.command else None
    log.info("discord.interaction_deferred", interaction=interaction.id, command=command, waited_seconds=waited)
