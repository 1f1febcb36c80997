"""Where on Discord something happened, and who did it, in the core's terms.

A thread's memory belongs to its parent channel; a DM is the core's ``NO_WORKSPACE`` ("dm"): its memory
and personas are shared by every DM, its rate limits and budgets are each person's own.
"""

from __future__ import annotations

from dataclasses import dataclass

import discord

from core.admin import Actor
from core.messages import NO_WORKSPACE

PLATFORM = "discord"
DM_WORKSPACE = NO_WORKSPACE


@dataclass(frozen=True, slots=True)
class Place:
    guild_id: int | None  # None: a DM
    channel_id: int  # the channel, or the thread, the message was posted in
    parent_id: int | None = None  # for a thread: the channel it belongs to
    thread_owner_id: int | None = None
    can_start_threads: bool = False  # a text or announcement channel

    @property
    def is_dm(self) -> bool:
        return self.guild_id is None

    @property
    def is_thread(self) -> bool:
        return self.parent_id is not None

    @property
    def workspace(self) -> str:
        return DM_WORKSPACE if self.guild_id is None else str(self.guild_id)

    @property
    def memory_channel_id(self) -> int:
        """The channel whose memory, persona and retention apply here."""
        return self.parent_id if self.parent_id is not None else self.channel_id


def place_of(channel: object) -> Place | None:
    """The place of a channel object; None when the library only knows its id."""
    if isinstance(channel, discord.Thread):
        return Place(
            guild_id=channel.guild.id, channel_id=channel.id,
            parent_id=channel.parent_id, thread_owner_id=channel.owner_id,
        )
    if isinstance(channel, discord.DMChannel):
        return Place(guild_id=None, channel_id=channel.id)
    if isinstance(channel, discord.TextChannel):
        return Place(guild_id=channel.guild.id, channel_id=channel.id, can_start_threads=True)
    if isinstance(channel, discord.abc.GuildChannel):
        return Place(guild_id=channel.guild.id, channel_id=channel.id)
    return None


def actor_from(place: Place, *, user_id: int, manages_guild: bool) -> Actor:
    """The core's Actor: admins are members with Manage Server (PARLEY_ADMINS are added by the core)."""
    return Actor(
        platform=PLATFORM,
        workspace=place.workspace,
        channel=str(place.memory_channel_id),
        user=str(user_id),
        is_admin=manages_guild and not place.is_dm,
        is_dm=place.is_dm,
        thread=str(place.channel_id) if place.is_thread else "",
    )
