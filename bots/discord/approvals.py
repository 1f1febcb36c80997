"""Tool approval on Discord: a message with Approve / Decline buttons in the asker's thread; each click is
handed to the core's ``ApprovalDesk``, which checks that the person who clicked is the one who asked (anyone
else gets a private note)."""

from __future__ import annotations

import discord
import structlog

from bots.discord.request_pace import RequestPace, take_turn
from core.tools.approvals import GONE_TEXT, NOT_YOURS_TEXT, ApprovalDesk
from core.tools.values import ApprovalPrompt, ApprovalVerdict

log = structlog.get_logger(__name__)

_VERDICTS = {
    "approved": "✅ Approved: `{tool}` ran.",
    "declined": "🚫 Declined: `{tool}` did not run.",
    "timeout": "⌛ Nobody answered in time: `{tool}` did not run.",
}


def question(prompt: ApprovalPrompt) -> str:
    arguments = prompt.arguments.replace("`", "'")
    return (f"May I run the tool `{prompt.tool}` with `{arguments}`? Only the person who asked can answer; "
            f"no answer within {prompt.timeout:g} s declines.")[:2000]


class ApprovalButtons(discord.ui.View):
    def __init__(self, *, desk: ApprovalDesk, prompt_id: str) -> None:
        super().__init__(timeout=None)
        self._desk = desk
        self._prompt_id = prompt_id
        for label, style, approve in (("Approve", discord.ButtonStyle.success, True),
                                      ("Decline", discord.ButtonStyle.danger, False)):
            button = discord.ui.Button(label=label, style=style, custom_id=f"parley_tool:{'approve' if approve else 'decline'}:{prompt_id}")
            button.callback = self._clicked(approve)
            self.add_item(button)

    def _clicked(self, approve: bool):
        async def callback(interaction: discord.Interaction) -> None:
            result = self._desk.click(self._prompt_id, user=str(interaction.user.id), approve=approve)
            if result == "done":
                await interaction.response.defer()  # the question is replaced with the verdict by ``close``
            else:
                await interaction.response.send_message(NOT_YOURS_TEXT if result == "not_yours" else GONE_TEXT, ephemeral=True)

        return callback


class DiscordApprovals:
    """The ``ApprovalPrompter`` port on Discord."""

    def __init__(self, *, client: discord.Client, desk: ApprovalDesk, pace: RequestPace | None = None) -> None:
        self._pace = pace  # Discord's global limit: the question and its verdict are requests like any answer's
        self._client = client
        self._desk = desk
        self._posted: dict[str, discord.Message] = {}
        self._views: dict[str, ApprovalButtons] = {}

    async def show(self, prompt: ApprovalPrompt) -> None:
        channel = self._client.get_partial_messageable(int(prompt.key.thread or prompt.key.channel))
        view = ApprovalButtons(desk=self._desk, prompt_id=prompt.id)
        # Listening before the message exists: a click as soon as it shows must find the buttons' view.
        self._client.add_view(view)
        self._views[prompt.id] = view
        await take_turn(self._pace)
        self._posted[prompt.id] = await channel.send(
            question(prompt), view=view, allowed_mentions=discord.AllowedMentions.none(),
        )

    async def close(self, prompt: ApprovalPrompt, verdict: ApprovalVerdict) -> None:
        view = self._views.pop(prompt.id, None)
        if view is not None:
            view.stop()
        message = self._posted.pop(prompt.id, None)
        if message is not None:
            await take_turn(self._pace)
            await message.edit(content=_VERDICTS[verdict.outcome].format(tool=prompt.tool), view=None)
