"""The bolt AsyncApp with Parley's listeners: messages, mentions, the assistant, commands, the form; and the
``Redelivery`` that shows what a process that went away left unanswered.

``build_bot`` is what a composition root (``__main__``) or a test calls; the
transport (HTTP or Socket Mode) is chosen separately, in ``bots.slack.server``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine

from bots.slack.approvals import APPROVE_ACTION, DECLINE_ACTION, SlackApprovals
from bots.slack.assistant import AssistantSurface
from bots.slack.attachments import SlackAttachments
from bots.slack.clients import SlackClients
from bots.slack.commands import COMMANDS, SlackCommands
from bots.slack.conversation import ConversationOptions, SlackConversation
from bots.slack.feedback import ACTION_ID as FEEDBACK_ACTION, COMMENT_CALLBACK_ID, SlackFeedback
from bots.slack.forms import CALLBACK_ID
from bots.slack.install import Installs
from bots.slack.history import SlackHistory
from bots.slack.shares import SHARE_ACTION, SummaryShares
from bots.slack.shortcuts import SUMMARIZE_THREAD, SlackShortcuts
from bots.slack.rate_limits import Rests, ShortWaitRetry
from bots.slack.redelivery import SlackRedelivery
from bots.slack.shared_tiers import SharedTiers
from bots.slack.translate import PLATFORM, BotIdentity
from bots.slack.users import UserDirectory
from core.assembly import Core
from core.config import Settings
from core.process import InFlight


def api_base_url(url: str) -> str:
    """slack_sdk joins method names onto the base URL, which must end in '/'."""
    return url if url.endswith("/") else url + "/"


WEB_API_TIMEOUT_SECONDS = 30  # slack_sdk's own default, for the whole of one call


def web_client(settings: Settings) -> AsyncWebClient:
    """The one Web API client: SLACK_API_URL as base; a 429's Retry-After waited out (twice at most) when short.

    Over one aiohttp session for the process's life (``SlackBot.aclose`` closes it): without one, slack_sdk
    opens a session and a new connection for every call and closes them after it, which under a burst of
    mentions cost about a sixth of the process's CPU (docs/PERFORMANCE.md). Must be called in the event loop.
    """
    session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=WEB_API_TIMEOUT_SECONDS))
    client = AsyncWebClient(
        token=settings.slack_bot_token, base_url=api_base_url(settings.slack_api_url),
        timeout=WEB_API_TIMEOUT_SECONDS, session=session,
    )
    client.retry_handlers.append(ShortWaitRetry())
    return client


class SlackBot:
    def __init__(
        self,
        *,
        core: Core,
        client: AsyncWebClient,
        signing_secret: str,
        options: ConversationOptions,
        clock: Callable[[], float] = time.monotonic,
        installs: Installs | None = None,
        tiers: SharedTiers | None = None,
    ) -> None:
        self.client = client
        self.installs = installs
        # One workspace: ``client`` with SLACK_BOT_TOKEN. Many: each workspace's installed token.
        self.clients = SlackClients(client, installations=installs.store if installs is not None else None)
        self.in_flight = InFlight()
        core.files.serve(PLATFORM, SlackAttachments(self.clients, api_url=client.base_url))
        self.rests = Rests(clock=clock, shared=tiers)  # with Redis, Slack's tiers are counted for every process
        self.users = UserDirectory(self.clients, rests=self.rests)
        if core.thread_context is not None:  # the threads' earlier messages, read through this client
            core.thread_context.attach(SlackHistory(self.clients, users=self.users, rests=self.rests))
        self.conversation = SlackConversation(
            chat=core.chat, clients=self.clients, users=self.users, in_flight=self.in_flight, options=options,
            rests=self.rests, clock=clock,
        )
        self.shares = SummaryShares(clock=clock)
        self.commands = SlackCommands(
            router=core.commands, users=self.users, in_flight=self.in_flight, shares=self.shares
        )
        self.shortcuts = SlackShortcuts(router=core.commands, commands=self.commands, in_flight=self.in_flight)
        self.feedback = SlackFeedback(recorder=core.feedback, in_flight=self.in_flight)
        self.redelivery = SlackRedelivery(conversation=self.conversation, rests=self.rests, in_flight=self.in_flight)
        # process_before_response=True: bolt acks when a listener returns, and each listener returns once its
        # delivery is safe (a message written durably, a command acked), handing the rest to a task (handoff).
        oauth = {} if installs is None else {"oauth_settings": installs.oauth_settings, "authorize": installs.authorize}
        self.app = AsyncApp(
            client=client, signing_secret=signing_secret, process_before_response=True, name="parley", **oauth
        )
        self.approvals = SlackApprovals(clients=self.clients, desk=core.approvals)
        core.approvals.attach(self.approvals)
        self._register()
        if installs is not None:
            installs.attach(self.app, self.clients)

    async def aclose(self) -> None:
        """Close the Web API client's connections (after the answers in flight are done)."""
        if self.client.session is not None:
            await self.client.session.close()

    def _register(self) -> None:
        self.app.assistant(AssistantSurface(conversation=self.conversation, in_flight=self.in_flight).build())
        self.app.event("app_mention")(self.on_message_event)
        self.app.event("message")(self.on_message_event)
        for command in COMMANDS:
            self.app.command(command)(self.commands.on_command)
        self.app.view(CALLBACK_ID)(self.commands.on_form_submit)
        self.app.action(FEEDBACK_ACTION)(self.feedback.on_click)
        self.app.view(COMMENT_CALLBACK_ID)(self.feedback.on_comment)
        for action_id in (APPROVE_ACTION, DECLINE_ACTION):
            self.app.action(action_id)(self.approvals.on_action)
        self.app.shortcut(SUMMARIZE_THREAD)(self.shortcuts.on_summarize_thread)
        self.app.action(SHARE_ACTION)(self.shares.on_share)

    async def on_message_event(
        self, event: Mapping[str, Any], body: Mapping[str, Any], context: AsyncBoltContext
    ) -> None:
        bot = BotIdentity(user_id=context.bot_user_id or "", bot_id=context.bot_id or "")
        await self.conversation.handle(event, team_id=str(body.get("team_id") or context.team_id or ""), bot=bot)


def build_bot(
    core: Core, settings: Settings, *, clock: Callable[[], float] = time.monotonic, engine: AsyncEngine | None = None
) -> SlackBot:
    """The bot; with SLACK_CLIENT_ID, installs for many workspaces, their tokens in ``engine``'s database."""
    installs = None
    if settings.slack_client_id:
        if engine is None:
            raise ValueError("installs for many workspaces (SLACK_CLIENT_ID) need the database's engine")
        installs = Installs(settings=settings, engine=engine, departures=core.departures)
    return SlackBot(
        core=core,
        client=web_client(settings),
        signing_secret=settings.slack_signing_secret or "",
        options=ConversationOptions(
            allow_bot_messages=settings.allow_bot_messages,
            edit_interval=settings.stream_edit_interval_seconds,
            max_answer_messages=settings.max_answer_messages_slack,
        ),
        clock=clock,
        installs=installs,
        tiers=None if settings.rate_limit_storage_url.startswith("memory://") else SharedTiers(settings.rate_limit_storage_url),
    )
