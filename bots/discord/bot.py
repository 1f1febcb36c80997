"""One Discord connection (a plain client or a set of shards) serving the core."""

from __future__ import annotations

import asyncio
from contextlib import suppress

import discord
import structlog
from discord import app_commands

from bots.discord.chat import DiscordChat
from bots.discord.commands import install_commands
from bots.discord.connection import DiscordOptions, build_client, invite_url
from core.assembly import Core

log = structlog.get_logger(__name__)

SHUTDOWN_GRACE_SECONDS = 5.0


class DiscordBot:
    def __init__(self, core: Core, options: DiscordOptions) -> None:
        self._options = options
        self.client = build_client(options)
        self.tree = app_commands.CommandTree(self.client)
        install_commands(self.tree, router=core.commands)
        self._chat = DiscordChat(
            chat=core.chat, client=self.client,
            allow_bot_messages=options.allow_bot_messages, edit_interval_seconds=options.edit_interval_seconds,
        )
        self._handling: set[asyncio.Task] = set()
        self._register_events()

    async def run(self) -> None:
        """Log in, sync the commands, then stay connected until ``close``."""
        await self.client.login(self._options.token)
        application_id = self.client.application_id
        assert application_id is not None  # login fetched the application
        log.info("discord.invite_url", url=invite_url(application_id))
        await self._sync_commands()
        await self.client.connect()

    async def close(self, *, grace: float = SHUTDOWN_GRACE_SECONDS) -> None:
        """Let answers in progress finish (up to ``grace`` seconds, then cancel them), then disconnect."""
        pending = {task for task in self._handling if task is not asyncio.current_task()}
        if pending:
            _, late = await asyncio.wait(pending, timeout=grace) if grace > 0 else (set(), pending)
            for task in late:
                task.cancel()
            for task in late:
                with suppress(asyncio.CancelledError, Exception):
                    await task
        await self.client.close()

    async def _sync_commands(self) -> None:
        """Register /persona and /parley; a failure is logged and the bot still answers messages."""
        guild_id = self._options.guild_id
        guild = discord.Object(id=guild_id) if guild_id is not None else None
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        sync_log = log.bind(scope="global" if guild is None else "guild", guild=guild_id)
        try:
            synced = await self.tree.sync(guild=guild)
        except discord.HTTPException as error:
            sync_log.error("discord.commands_sync_failed", status=error.status, code=error.code)
            return
        sync_log.info("discord.commands_synced", commands=sorted(c.name for c in synced))

    def _register_events(self) -> None:
        client = self.client

        @client.event
        async def on_message(message: discord.Message) -> None:
            task = asyncio.current_task()
            if task is not None:
                self._handling.add(task)
            try:
                await self._chat.on_message(message)
            finally:
                self._handling.discard(task)

        @client.event
        async def on_ready() -> None:
            log.info("discord.ready", user=client.user.id if client.user else None, guilds=len(client.guilds))

        @client.event
        async def on_resumed() -> None:
            log.info("discord.resumed")
