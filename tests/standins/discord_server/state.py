"""The stand-in Discord's state (what it received and holds) and waiting for it to change.

``DiscordState`` is the base of the parts of ``DiscordStandIn``: the REST
plumbing (``rest``), the message and channel routes (``messages``),
interactions and webhooks (``interactions``) and the gateway (``gateway``) all
read and change this one state.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from aiohttp import web

from tests.standins.discord_server import errors, payloads, pings
from tests.standins.discord_server.rate_limits import GlobalLimit, RouteLimits
from tests.standins.discord_server.world import (
    API_PREFIX, BOT, DISCORD_EPOCH_MS, DM_CHANNELS, FAKE_TOKEN, TEXT_CHANNELS, User,
)
from tests.standins.serving import HttpStandIn

if TYPE_CHECKING:
    from tests.standins.discord_server.gateway import Session
    from tests.standins.discord_server.interactions import InteractionState

T = TypeVar("T")

#: a request's uploaded files, (filename, content) pairs, for the route handlers
UPLOADS = web.RequestKey("uploads", tuple)


@dataclass(frozen=True)
class RestCall:
    method: str
    path: str  # without the /api/v10 prefix
    route: str  # the route template, e.g. /channels/{channel_id}/messages
    params: dict[str, str]
    query: dict[str, str]
    json: Any
    status: int
    at: float  # time.monotonic() when it arrived
    authorization: str | None
    files: tuple[tuple[str, bytes], ...] = ()  # (filename, content) of multipart uploads
    code: int | None = None  # the JSON error code of a refusal
    scripted: bool = False  # a failure a test asked for (``fail_next``)


@dataclass(frozen=True)
class Ping:
    """A message sent or edited whose mentions got through its allowed_mentions (``pings``)."""

    method: str
    path: str
    who: tuple[str, ...]  # "@everyone", "@here", "user:ID", "role:ID", "reply:ID"


class DiscordState(HttpStandIn):
    def __init__(
        self, *, token: str = FAKE_TOKEN, rate_limit: tuple[int, float] = (5, 1.0), content_intent_enabled: bool = True
    ) -> None:
        super().__init__()
        self.token = token
        self.content_intent_enabled = content_intent_enabled  # False: like a portal with the intent switched off
        self.calls: list[RestCall] = []
        self.identifies: list[dict[str, Any]] = []
        self.resumes: list[dict[str, Any]] = []
        self.commands: dict[str, list[dict[str, Any]]] = {}  # "global" or the guild id → synced commands
        self.messages: dict[int, dict[str, Any]] = {}  # every message, by id (deleted ones removed)
        self.threads: dict[int, dict[str, Any]] = {}
        self.callbacks: dict[int, dict[str, Any]] = {}  # interaction id → the accepted initial response's body
        self.interactions: dict[int, InteractionState] = {}
        self.pings: list[Ping] = []  # sends and edits that would ping someone
        self._limits = RouteLimits(*rate_limit)
        self.global_limit = GlobalLimit()  # 50 requests a second in all, as Discord allows a bot
        self._denied: dict[int, int] = {}  # channel id → permissions the bot lost there (``Permissions.deny``)
        self._failures: dict[tuple[str, str], list[tuple[int, dict[str, Any]]]] = {}
        self._holds: list[tuple[str, str, Callable[[Any], bool]]] = []  # (method, route, which bodies) never answered
        self.held_calls: list[RestCall] = []  # calls held unanswered (``hold_calls``), status 0
        self._closing: asyncio.Event | None = None
        self._sessions: dict[str, Session] = {}
        self._sockets: set[web.WebSocketResponse] = set()
        self._counter = itertools.count(1)
        self._changed: asyncio.Condition | None = None
        self._clock_offset = 0.0

    # -- the clock of interaction deadlines: real time, plus what a test adds

    def now(self) -> float:
        return time.monotonic() + self._clock_offset

    def advance_clock(self, seconds: float) -> None:
        """Let ``seconds`` pass for deadlines (an interaction's 3 s, its token's 15 minutes) without waiting."""
        self._clock_offset += seconds

    @property
    def api_url(self) -> str:
        return self.url(API_PREFIX)

    @property
    def gateway_url(self) -> str:
        return self.url("/gateway", scheme="ws")

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send ``event`` to every gateway session that covers its guild (``Gateway`` does it)."""
        raise NotImplementedError

    # -- looking at what happened

    async def wait_for(self, check: Callable[[], T], *, timeout: float = 5.0) -> T:
        """Wait until ``check()`` is truthy (re-checked whenever something happens); returns it."""
        assert self._changed is not None, "server not started"
        async with asyncio.timeout(timeout):
            async with self._changed:
                while not (result := check()):
                    await self._changed.wait()
                return result

    async def wait_connected(self, *, identifies: int = 1, timeout: float = 5.0) -> None:
        await self.wait_for(lambda: len(self.identifies) >= identifies, timeout=timeout)

    async def wait_for_callback(self, interaction_id: int, *, timeout: float = 5.0) -> InteractionState:
        """Wait for the interaction's initial response (a message, a deferral or a modal)."""
        return await self.wait_for(
            lambda: (state := self.interactions[interaction_id]).response_type is not None and state, timeout=timeout
        )

    async def wait_for_answer(self, interaction_id: int, *, timeout: float = 5.0) -> InteractionState:
        """Wait until the person sees an answer: a modal, or a first message that is no longer "thinking…"."""
        return await self.wait_for(
            lambda: (state := self.interactions[interaction_id]).answered and state, timeout=timeout
        )

    def calls_to(self, method: str, route: str) -> list[RestCall]:
        return [c for c in self.calls if c.method == method and c.route == route]

    def bot_messages(self, channel_id: int) -> list[dict[str, Any]]:
        """The bot's messages in a channel or thread, oldest first, as they are now."""
        return [m for m in self.messages.values() if int(m["channel_id"]) == channel_id and int(m["author"]["id"]) == BOT]

    @property
    def rate_limited(self) -> list[RestCall]:
        return [c for c in self.calls if c.status == 429]

    @property
    def unguarded_sends(self) -> list[RestCall]:
        """Calls that sent or edited text without ``allowed_mentions`` that lets nothing ping."""
        return [c for c in self.calls if c.status < 300 and not pings.guards(c.method, c.route, c.json)]

    @property
    def broken_rules(self) -> list[RestCall]:
        """Calls refused for breaking one of Discord's rules (a bad body, too late, twice), unscripted."""
        return [c for c in self.calls if c.code in errors.RULE_CODES and not c.scripted]

    async def _notify(self) -> None:
        assert self._changed is not None
        async with self._changed:
            self._changed.notify_all()

    # -- ids and payloads that depend on the state

    def _snowflake(self) -> int:
        return ((int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22) | (next(self._counter) & 0x3FFFFF)

    def _channel(self, channel_id: int) -> dict[str, Any] | None:
        if channel_id in TEXT_CHANNELS:
            return payloads.text_channel(channel_id)
        if channel_id in self.threads:
            return self.threads[channel_id]
        if channel_id in DM_CHANNELS:
            return payloads.dm_channel(channel_id)
        return None

    def _message(
        self, *, author: User, channel_id: int, content: str, reference: dict | None = None, flags: int = 0
    ) -> dict[str, Any]:
        return payloads.message(
            self._snowflake(), author=author, channel_id=channel_id, content=content, reference=reference, flags=flags,
        )
