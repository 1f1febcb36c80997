"""One Discord connection (a plain client or a set of shards) serving the core.

Answers run in discord.py's event tasks, counted in ``in_flight``: a composition
root (``__main__``) or a test drains them before ``close``, which cancels what
is left and disconnects.  ``take_over_when_ready`` starts the core's recovery
(what a stopped process left unanswered, shown by ``redelivery``) once the
connection is first ready: discord.py's ``on_ready`` fires again after every
new session, the recovery starts once.
"""

from __future__ import annotations

import asyncio

import discord
import structlog
from discord import app_commands

from bots.discord.approvals import DiscordApprovals
from bots.discord.commands import install_commands
from bots.discord.attachments import DiscordAttachments
from bots.discord.connection import DiscordOptions, build_client, invite_url
from bots.discord.conversation import ConversationOptions, DiscordConversation
from bots.discord.feedback import FeedbackButtons
from bots.discord.history import DiscordHistory
from bots.discord.request_pace import RequestPace
from bots.discord.places import PLATFORM
from bots.discord.redelivery import DiscordRedelivery
from core.assembly import Core
from core.bootstrap import RunningCore
from core.process import InFlight

log = structlog.get_logger(__name__)


class DiscordBot:
    def __init__(self, core: Core, options: DiscordOptions) -> None:
        self._options = options
        self.client = build_client(options)
        self.tree = app_commands.CommandTree(self.client)
        self.history = DiscordHistory(self.client)
        install_commands(self.tree, router=core.commands, history=self.history)
        self.in_flight = InFlight()
        self.feedback = FeedbackButtons(core.feedback)
        self.client.add_dynamic_items(self.feedback.item)  # clicks on any answer's buttons, after any restart
        core.files.serve(PLATFORM, DiscordAttachments(self.client, cdn_url=options.cdn_url))
        if core.thread_context is not None:  # the threads' and reply chains' earlier messages, through this client
            core.thread_context.attach(self.history)
        self.pace = RequestPace()  # Discord's global limit: 50 requests a second for the bot, in all
        self.conversation = DiscordConversation(
            chat=core.chat, client=self.client, in_flight=self.in_flight, feedback=self.feedback,
            options=ConversationOptions(
                allow_bot_messages=options.allow_bot_messages, edit_interval=options.edit_interval_seconds,
                max_answer_messages=options.max_answer_messages,
            ),
            history=self.history, pace=self.pace,
        )
        self.redelivery = DiscordRedelivery(
            chat=core.chat, client=self.client, in_flight=self.in_flight, edit_interval=options.edit_interval_seconds,
            feedback=self.feedback,
            max_answer_messages=options.max_answer_messages, pace=self.pace,
        )
        self.approvals = DiscordApprovals(client=self.client, desk=core.approvals, pace=self.pace)
        core.approvals.attach(self.approvals)
        self.ready = asyncio.Event()
        self._register_events()

    async def run(self) -> None:
        """Log in, sync the commands, then stay connected until ``close``."""
        await self.client.login(self._options.token)
        application_id = self.client.application_id
        assert application_id is not None  # login fetched the application
        log.info("discord.invite_url", url=invite_url(application_id))
        await self._sync_commands()
        await self.client.connect()

    async def take_over_when_ready(self, running: RunningCore, *, interval_seconds: float) -> None:
        """Once the bot can post: a first round of take-over, then one every ``interval_seconds`` (in the
        background, until ``running`` closes)."""
        await self.ready.wait()
        log.info("discord.recovery_started", interval_seconds=interval_seconds)
        await running.start_recovery(self.redelivery, platform=PLATFORM, interval_seconds=interval_seconds)

    async def gateway_check(self) -> str | None:
        """Readiness: the gateway connection open with a session (READY); when sharded, every shard's open."""
        client = self.client
        if client.is_closed():
            return "the Discord gateway connection is closed"
        if isinstance(client, discord.AutoShardedClient):
            connected = bool(client.shards) and not any(shard.is_closed() for shard in client.shards.values())
        else:
            connected = client.ws is not None and client.ws.open and bool(client.ws.session_id)
        return None if connected else "the Discord gateway is not connected (yet, or reconnecting)"

    async def close(self) -> None:
        """Cancel the answers still in flight (drain ``in_flight`` first to let them finish), then disconnect."""
        await self.in_flight.cancel()
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
            await self.conversation.on_message(message)

        @client.event
        async def on_ready() -> None:
            log.info("discord.ready", user=client.user.id if client.user else None, guilds=len(client.guilds))
            self.ready.set()

        @client.event
        async def on_resumed() -> None:
            log.info("discord.resumed")
