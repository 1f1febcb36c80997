"""How Parley connects to Discord: options from settings, intents, permissions, the client."""

from __future__ import annotations

from dataclasses import dataclass

import discord
import discord.gateway
import discord.http
import yarl

from core.config import Settings

SCOPES = ("bot", "applications.commands")

# Exactly what the adapter uses: read and answer messages, start threads on
# mentions and answer in them, reply to a message (needs its history).
PERMISSIONS = discord.Permissions(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    create_public_threads=True,
    read_message_history=True,
)


class DiscordConfigError(Exception):
    """A Discord setting that cannot work; the message is one line naming the key."""


@dataclass(frozen=True, slots=True)
class DiscordOptions:
    token: str
    guild_id: int | None = None
    shard_count: int | None = None
    shard_ids: tuple[int, ...] = ()
    allow_bot_messages: bool = False
    edit_interval_seconds: float = 1.0
    max_answer_messages: int = 8  # MAX_ANSWER_MESSAGES_DISCORD: then a notice and the answer as a file
    cdn_url: str = "https://cdn.discordapp.com"  # attachments are read from here only

    @property
    def sharded(self) -> bool:
        return self.shard_count is not None

    @classmethod
    def from_settings(cls, settings: Settings) -> "DiscordOptions":
        if not settings.discord_bot_token:
            raise DiscordConfigError(
                "DISCORD_BOT_TOKEN is not set: copy the bot token from the Discord developer portal "
                "(your application → Bot) into .env or the environment."
            )
        count, ids = settings.discord_shard_count, settings.discord_shard_ids
        if ids and count is None:
            raise DiscordConfigError("DISCORD_SHARD_IDS needs DISCORD_SHARD_COUNT (the total number of shards).")
        if count is not None and any(not 0 <= i < count for i in ids):
            raise DiscordConfigError(f"DISCORD_SHARD_IDS must be between 0 and {count - 1} (DISCORD_SHARD_COUNT={count}).")
        return cls(
            token=settings.discord_bot_token,
            guild_id=settings.discord_guild_id,
            shard_count=count,
            shard_ids=tuple(ids),
            allow_bot_messages=settings.allow_bot_messages,
            edit_interval_seconds=settings.stream_edit_interval_seconds,
            max_answer_messages=settings.max_answer_messages_discord,
            cdn_url=settings.discord_cdn_url,
        )


def intents() -> discord.Intents:
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.guild_messages = True
    wanted.dm_messages = True
    wanted.message_content = True  # privileged: enable it on the developer portal's Bot page
    return wanted


def build_client(options: DiscordOptions) -> discord.Client:
    """A plain Client, or an AutoShardedClient running the configured shards."""
    common = dict(
        intents=intents(),
        allowed_mentions=discord.AllowedMentions.none(),  # an answer never pings anyone
        max_messages=None,  # Parley never looks messages up in the cache
        chunk_guilds_at_startup=False,
    )
    if options.sharded:
        return discord.AutoShardedClient(
            shard_count=options.shard_count, shard_ids=list(options.shard_ids) or None, **common
        )
    return discord.Client(**common)


def point_discord_at(*, api_url: str, gateway_url: str) -> None:
    """Send REST calls and the gateway connection to ``api_url`` / ``gateway_url`` (composition root only)."""
    discord.http.Route.BASE = api_url.rstrip("/")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


def invite_url(application_id: int) -> str:
    return discord.utils.oauth_url(application_id, permissions=PERMISSIONS, scopes=SCOPES)
