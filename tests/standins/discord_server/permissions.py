"""What the bot may do where: the permissions its invite grants, less what a test denies in a channel.

In every guild channel the bot has ``BOT_PERMISSIONS``, exactly what Parley's
invite URL asks for; ``deny(channel, bits)`` takes bits away in that channel
and its threads, as a permission overwrite would (``forbid_threads`` denies
Create Public Threads).  In a DM no permissions apply.  A route the bot may
not use answers 403 50001 Missing Access without View Channel, else 403 50013
Missing Permissions.  (The guild the gateway sends shows the bot with the
@everyone role only; only REST applies these permissions.)
"""

from __future__ import annotations

from tests.standins.discord_server import errors
from tests.standins.discord_server.state import DiscordState
from tests.standins.discord_server.world import (
    BOT_PERMISSIONS, CREATE_PUBLIC_THREADS, DM_CHANNELS, SEND_MESSAGES, SEND_MESSAGES_IN_THREADS, VIEW_CHANNEL,
)


class Permissions(DiscordState):
    def deny(self, channel_id: int, permissions: int) -> None:
        """From now on the bot lacks ``permissions`` in ``channel_id`` and its threads."""
        self._denied[channel_id] = self._denied.get(channel_id, 0) | permissions

    def forbid_threads(self, channel_id: int) -> None:
        """Starting a thread in ``channel_id`` answers 403 Missing Permissions from now on."""
        self.deny(channel_id, CREATE_PUBLIC_THREADS)

    def bot_permissions(self, channel_id: int) -> int | None:
        """The bot's permissions in a channel or thread; None in a DM."""
        if channel_id in DM_CHANNELS:
            return None
        thread = self.threads.get(channel_id)
        parent = int(thread["parent_id"]) if thread else channel_id
        return BOT_PERMISSIONS & ~self._denied.get(parent, 0) & ~self._denied.get(channel_id, 0)

    def _refused_unless(self, channel_id: int, needed: int) -> errors.Answer | None:
        """Discord's refusal when the bot lacks ``needed`` (and View Channel) in ``channel_id``; None if it may."""
        bits = self.bot_permissions(channel_id)
        if bits is None:
            return None
        if not bits & VIEW_CHANNEL:
            return errors.missing_access()
        return errors.missing_permissions() if bits & needed != needed else None

    def _send_permission(self, channel_id: int) -> int:
        return SEND_MESSAGES_IN_THREADS if channel_id in self.threads else SEND_MESSAGES
