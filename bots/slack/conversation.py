"""One message event: translate it, have the core accept it, acknowledge Slack, then answer it.

Slack is acknowledged only once the message is written durably
(``ChatService.accept``): the listener returns then (bolt acks when it
returns, ``process_before_response=True``), and the answer is rendered after,
in a task of its own counted in ``InFlight`` (``handoff``).  A process killed
after the ack leaves the message in the inbox for the next one; killed
before, Slack delivers it again.  Looking up the names in the text comes
before the acceptance (the stored text carries them), within
``LOOKUP_SECONDS``, so that the ack stays well inside Slack's 3 seconds: a
name not found by then keeps its id.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import structlog
from slack_sdk.web.async_client import AsyncWebClient

from bots.slack.clients import SlackClients
from bots.slack.handoff import Ready, hand_off
from bots.slack.rate_limits import Rests
from bots.slack.render import ReplyRenderer
from bots.slack.reply_ref import NONE, ReplyRef, needs_noting_early
from bots.slack.translate import (
    PLATFORM, BotIdentity, Delivery, ReplyPlace, skip_of, translate_event, users_to_resolve,
)
from bots.slack.user_groups import UserGroups
from bots.slack.users import SlackUser, UserDirectory
from core.chat.service import ChatService
from core.messages import IncomingMessage, Outcome, OutcomeKind, ReplyEvent
from core.process import InFlight

log = structlog.get_logger(__name__)

LOOKUP_SECONDS = 1.5  # users.info lookups before the ack; Slack wants the ack within 3 s


@dataclass(frozen=True, slots=True)
class ConversationOptions:
    allow_bot_messages: bool = False
    edit_interval: float = 1.0  # seconds between two changes of the streamed answer
    max_answer_messages: int = 4  # an answer longer than this many messages: the rest as a file


class SlackConversation:
    def __init__(
        self,
        *,
        chat: ChatService,
        clients: SlackClients,
        users: UserDirectory,
        in_flight: InFlight,
        options: ConversationOptions,
        rests: Rests,
        clock: Callable[[], float] = time.monotonic,
        lookup_seconds: float = LOOKUP_SECONDS,
        groups: UserGroups | None = None,
    ) -> None:
        self._groups = groups or UserGroups(clients)
        self._chat = chat
        self._rests = rests
        self._clients = clients
        self._users = users
        self._in_flight = in_flight
        self._options = options
        self._clock = clock
        self._lookup_seconds = lookup_seconds

    async def handle(
        self,
        event: Mapping[str, Any],
        *,
        team_id: str,
        bot: BotIdentity,
        before_answer: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """Take one Slack message event; returns once it may be acknowledged (accepted, or not for the core),
        and answers it after. Never raises."""

        async def deliver(ready: Ready) -> None:
            await self._deliver(event, team_id=team_id, bot=bot, ready=ready, before_answer=before_answer)

        await hand_off(self._in_flight, deliver)

    async def client_for(self, team_id: str) -> AsyncWebClient:
        """The Web API client answering in workspace ``team_id`` (its own bot token); NotInstalled if none."""
        return await self._clients.for_team(team_id)

    def renderer(
        self, place: ReplyPlace, *, message: IncomingMessage, log, client: AsyncWebClient
    ) -> ReplyRenderer:
        """The renderer of a reply to ``message`` at ``place`` through ``client`` (the workspace's), telling
        the core which message shows it."""

        async def note(reply_ref: str) -> None:
            await self._chat.note_reply(message, reply_ref)

        return ReplyRenderer(
            client, place=place, interval=self._options.edit_interval, clock=self._clock, rests=self._rests,
            log=log, note=note, answer_id=message.event_id, max_messages=self._options.max_answer_messages,
        )

    async def _deliver(
        self, event: Mapping[str, Any], *, team_id: str, bot: BotIdentity, ready: Ready,
        before_answer: Callable[[], Awaitable[None]] | None,
    ) -> None:
        event_log = log.bind(
            team=team_id, channel=event.get("channel"), event_id=f"{event.get('channel')}:{event.get('ts')}"
        )
        try:
            skip = skip_of(event, bot=bot, allow_bot_messages=self._options.allow_bot_messages)
            if skip is not None:
                event_log.debug("slack.message_skipped", reason=skip.reason, subtype=event.get("subtype"))
                return
            unnamed = translate_event(event, team_id=team_id, bot=bot, names={})
            if not await self._chat.is_addressed(unnamed.message):  # before any users.info lookup
                event_log.debug("slack.message_not_addressed")
                return
            delivery = await self._translate(event, team_id=team_id, bot=bot)
            event_log = event_log.bind(thread=delivery.message.key.thread)
            event_log.debug("slack.message_received", dm=delivery.message.is_dm,
                            mentions_bot=delivery.message.mentions_bot)
            accepted = await self._chat.accept(delivery.message)
            ready()  # durable (or not for the bot): Slack may have its ack
            if isinstance(accepted, Outcome) and accepted.kind is OutcomeKind.IGNORED:
                return
            client = await self.client_for(team_id)
            renderer = self.renderer(delivery.place, message=delivery.message, log=event_log, client=client)
            if isinstance(accepted, Outcome):  # not allowed here (ephemeral), or the database could not take it
                await renderer.render(just(accepted))
                return
            if before_answer is not None:
                await before_answer()
            if needs_noting_early(delivery.message, delivery.place):
                await self._note_place(delivery, event_log)
            await renderer.render(self._chat.answer(accepted))
        except Exception:
            event_log.exception("slack.message_failed")

    async def _note_place(self, delivery: Delivery, event_log) -> None:
        """Where the reply goes, before it exists, when the inbox's copy of the message would not say it."""
        try:
            await self._chat.note_reply(delivery.message, ReplyRef.of(delivery.place, kind=NONE).encode())
        except Exception:
            event_log.exception("slack.reply_note_failed")

    async def _translate(self, event: Mapping[str, Any], *, team_id: str, bot: BotIdentity) -> Delivery:
        """The event with its users' names looked up (a bounded number, within ``lookup_seconds``); the
        sender's admin verdict for this workspace comes with its (cached) lookup, and the sender's user groups
        that access rules name (``usergroups.users.list``, cached) within the same time."""
        sender = str(event.get("user") or "")
        wanted = users_to_resolve(event, bot=bot)
        lookups = {user_id: asyncio.ensure_future(self._users.get(user_id, team=team_id)) for user_id in wanted}
        named = await self._chat.access_groups(platform=PLATFORM, workspace=team_id) if sender else frozenset()
        groups = asyncio.ensure_future(self._groups.of(sender, named, team=team_id)) if named else None
        waiting = [*lookups.values(), *([groups] if groups is not None else [])]
        if waiting:
            await asyncio.wait(waiting, timeout=self._lookup_seconds)
        member_of: frozenset[str] = frozenset()
        if groups is not None:
            if groups.done() and not groups.cancelled() and groups.exception() is None:
                member_of = groups.result()
            else:
                groups.cancel()
        found: dict[str, SlackUser] = {}
        for user_id, lookup in lookups.items():
            if lookup.done() and not lookup.cancelled() and lookup.exception() is None:
                found[user_id] = lookup.result()
            else:
                lookup.cancel()  # the shared lookup itself goes on (``UserDirectory.get`` shields it) and is cached
        names = {user_id: user.name for user_id, user in found.items()}
        sender_is_admin = sender in found and found[sender].is_admin_in(team_id)
        return translate_event(
            event, team_id=team_id, bot=bot, names=names, sender_is_admin=sender_is_admin, groups=member_of
        )


async def just(outcome: Outcome) -> AsyncIterator[ReplyEvent]:
    """A reply stream that is only ``outcome``."""
    yield outcome
