"""👍 / 👎 under every answer on Discord: two buttons on the answer's last message, and a modal for a 👎's
optional comment.

Each button's ``custom_id`` carries the rating and the answer's id (``parley:fb:up:<message id>``);
the buttons are ``DynamicItem``s registered on the client (``client.add_dynamic_items``), so a click is
handled by any process, after any restart, from its custom_id alone (no view kept per message: the
view sent is stopped first, so discord.py does not hold one per answer forever).  A click is answered
within Discord's 3 s: the comment modal for a new 👎, otherwise a private note; a slow database
defers first.  The comment modal lives in the process that opened it (15 minutes).
"""

from __future__ import annotations

import asyncio
import re

import discord
import structlog

from bots.discord.apology import apologise
from bots.discord.interaction_reply import ANSWER_AT_ONCE_SECONDS
from core.feedback import texts
from core.feedback.recording import ClickReply, FeedbackRecorder
from core.feedback.values import COMMENT_MAX_CHARS, Rating

log = structlog.get_logger(__name__)

CUSTOM_ID_LIMIT = 100  # Discord's limit for a component's custom_id
PREFIX = "parley:fb:"
TEMPLATE = re.compile(r"parley:fb:(?P<rating>up|down):(?P<answer>[^\s]+)")
EMOJI = {Rating.UP: "👍", Rating.DOWN: "👎"}
COMMENT_TIMEOUT_SECONDS = 15 * 60
TITLE_LIMIT = 45  # a modal's title and a label's text


def custom_id(rating: Rating, answer_id: str) -> str:
    return f"{PREFIX}{rating}:{answer_id}"


class FeedbackButtons:
    """The buttons' class, bound to the core's recorder (built once per bot: no module-level state)."""

    def __init__(self, recorder: FeedbackRecorder) -> None:
        self.item = _button_class(recorder)

    def view(self, answer_id: str) -> discord.ui.View | None:
        """The two buttons for an answer, ready to send (None when its id does not fit a custom_id)."""
        if len(custom_id(Rating.DOWN, answer_id)) > CUSTOM_ID_LIMIT:
            return None
        view = discord.ui.View(timeout=None)
        view.add_item(self.item(Rating.UP, answer_id))
        view.add_item(self.item(Rating.DOWN, answer_id))
        view.stop()  # sent as components only: clicks reach the dynamic item, in any process
        return view


def _button_class(recorder: FeedbackRecorder) -> type[discord.ui.DynamicItem[discord.ui.Button]]:
    class FeedbackButton(discord.ui.DynamicItem[discord.ui.Button], template=TEMPLATE):
        def __init__(self, rating: Rating, answer_id: str) -> None:
            super().__init__(discord.ui.Button(
                style=discord.ButtonStyle.secondary, emoji=EMOJI[rating], custom_id=custom_id(rating, answer_id),
            ))
            self.rating = rating
            self.answer_id = answer_id

        @classmethod
        async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item, match: re.Match[str]):
            return cls(Rating(match["rating"]), match["answer"])

        async def callback(self, interaction: discord.Interaction) -> None:
            try:
                await on_click(interaction, recorder, rating=self.rating, answer_id=self.answer_id)
            except Exception as error:
                await apologise(interaction, texts.UNAVAILABLE, event="discord.feedback_failed", error=error)

    return FeedbackButton


async def on_click(interaction: discord.Interaction, recorder: FeedbackRecorder, *, rating: Rating, answer_id: str) -> None:
    """Record the click; a new 👎 opens the comment modal, anything else gets a private note."""
    work = asyncio.ensure_future(
        recorder.rate(platform="discord", answer_id=answer_id, user=str(interaction.user.id), rating=rating)
    )
    done, _ = await asyncio.wait({work}, timeout=ANSWER_AT_ONCE_SECONDS)
    if not done:  # a modal can only be the first response: after a deferral, only the note
        await interaction.response.defer(ephemeral=True, thinking=True)
        reply: ClickReply = await work
        await interaction.edit_original_response(content=reply.text)
        return
    reply = work.result()
    if reply.ask_comment:
        await interaction.response.send_modal(CommentForm(recorder, answer_id=answer_id))
        return
    await interaction.response.send_message(reply.text, ephemeral=True)


class CommentForm(discord.ui.Modal):
    """A 👎's optional comment."""

    def __init__(self, recorder: FeedbackRecorder, *, answer_id: str) -> None:
        super().__init__(title=texts.COMMENT_TITLE[:TITLE_LIMIT], timeout=COMMENT_TIMEOUT_SECONDS,
                         custom_id=f"parley:fbc:{answer_id}"[:CUSTOM_ID_LIMIT])
        self._recorder = recorder
        self._answer_id = answer_id
        self.comment = discord.ui.TextInput(
            custom_id="comment", style=discord.TextStyle.paragraph, required=False, max_length=COMMENT_MAX_CHARS,
        )
        self.add_item(discord.ui.Label(text=texts.COMMENT_LABEL[:TITLE_LIMIT], component=self.comment))

    async def on_submit(self, interaction: discord.Interaction) -> None:
        comment = self.comment.value or ""
        if not comment.strip():
            await interaction.response.send_message(texts.THANKS_NO_COMMENT, ephemeral=True)
            return
        text = await self._recorder.comment(
            platform="discord", answer_id=self._answer_id, user=str(interaction.user.id), text=comment
        )
        await interaction.response.send_message(text, ephemeral=True)

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:
        await apologise(interaction, texts.UNAVAILABLE, event="discord.feedback_comment_failed", error=error)
