"""One message event, after bolt's ack: translate it, hand it to the core, render the reply."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import structlog
from slack_sdk.web.async_client import AsyncWebClient

from bots.slack.rate_limits import Rests
from bots.slack.render import ReplyRenderer
from bots.slack.translate import BotIdentity, Delivery, skip_of, translate_event, users_to_resolve
from bots.slack.users import UserDirectory
from core.chat.service import ChatService
from core.process import InFlight

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class ConversationOptions:
    allow_bot_messages: bool = False
    edit_interval: float = 1.0  # seconds between two changes of the streamed answer


class SlackConversation:
    def __init__(
        self,
        *,
        chat: ChatService,
        client: AsyncWebClient,
        users: UserDirectory,
        in_flight: InFlight,
        options: ConversationOptions,
        rests: Rests,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._chat = chat
        self._rests = rests
        self._client = client
        self._users = users
        self._in_flight = in_flight
        self._options = options
        self._clock = clock

    async def handle(
        self,
        event: Mapping[str, Any],
        *,
        team_id: str,
        bot: BotIdentity,
        before_answer: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """Answer one Slack message event (or skip it); never raises."""
        async with self._in_flight.track():
            event_log = log.bind(
                team=team_id, channel=event.get("channel"), event_id=f"{event.get('channel')}:{event.get('ts')}"
            )
            try:
                skip = skip_of(event, bot=bot, allow_bot_messages=self._options.allow_bot_messages)
                if skip is not None:
                    event_log.debug("slack.message_skipped", reason=skip.reason, subtype=event.get("subtype"))
                    return
                delivery = await self._translate(event, team_id=team_id, bot=bot)
                event_log = event_log.bind(thread=delivery.message.key.thread)
                event_log.debug("slack.message_received", dm=delivery.message.is_dm,
                                mentions_bot=delivery.message.mentions_bot)
                if before_answer is not None:
                    await before_answer()
                renderer = ReplyRenderer(
                    self._client, place=delivery.place, interval=self._options.edit_interval,
                    clock=self._clock, rests=self._rests, log=event_log,
                )
                await renderer.render(self._chat.handle(delivery.message))
            except Exception:
                event_log.exception("slack.message_failed")

    async def _translate(self, event: Mapping[str, Any], *, team_id: str, bot: BotIdentity) -> Delivery:
        """The event with its users' names looked up (a bounded number); the sender's admin verdict for this
        workspace comes with its (cached) lookup."""
        names = await self._users.names(users_to_resolve(event, bot=bot))
        sender = event.get("user")
        sender_is_admin = bool(sender) and (await self._users.get(sender)).is_admin_in(team_id)
        return translate_event(event, team_id=team_id, bot=bot, names=names, sender_is_admin=sender_is_admin)
