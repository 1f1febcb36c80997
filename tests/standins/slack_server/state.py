"""The stand-in Slack's state (workspace, users, what it received) and waiting for it to change.

``SlackState`` is the base of the parts of ``SlackStandIn``: the Web API
methods (``web_api``, ``chat``, ``views``), Socket Mode (``socket_mode``) and
the routes (``server``) all read and change this one state.

What Slack would hold against the app is kept, not raised: ``violations``
(a rule broken: text over 4,000 characters, unescaped mrkdwn, an ephemeral
message nobody sees, a call inside its Retry-After) and ``pings`` (posted
text that would notify people).  The tests' fixture asserts both are empty.
``clock`` (default ``time.monotonic``) is the stand-in's time: trigger ids
expire and rate-limit windows move by it, so a test can move it instead of
sleeping.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from tests.standins.serving import HttpStandIn
from tests.standins.slack_server import markup
from tests.standins.slack_server.rate_limits import RateLimits
from tests.standins.slack_server.records import EphemeralMessage, SlackCall, StoredMessage, UploadedFile


MANIFEST = Path(__file__).resolve().parents[3] / "bots" / "slack" / "manifest.yml"


def manifest_bot_scopes() -> frozenset[str]:
    """The bot scopes the app's manifest asks for: what an installed Parley's token holds."""
    import yaml

    manifest = yaml.safe_load(MANIFEST.read_text())
    return frozenset(manifest["oauth_config"]["scopes"]["bot"])


class SlackState(HttpStandIn):
    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        team_id: str = "T0PARLEY",
        bot_user_id: str = "U0PARLEYBOT",
        bot_id: str = "B0PARLEYBOT",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(host=host)
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.clock = clock
        self.calls: list[SlackCall] = []
        self.users: dict[str, dict[str, Any]] = {}
        self.user_groups: dict[str, tuple[str, ...]] = {}  # usergroup id → its users (usergroups.users.list)
        self.bot_scopes: frozenset[str] = manifest_bot_scopes()  # what the app's manifest asks for
        self.messages: dict[tuple[str, str], StoredMessage] = {}
        self.ephemerals: list[EphemeralMessage] = []
        self.acks: dict[str, dict[str, Any]] = {}
        self.files: dict[str, UploadedFile] = {}
        self.views: dict[str, dict[str, Any]] = {}
        self.triggers: dict[str, float] = {}  # trigger_id → when it was issued (clock)
        self.pings: list[tuple[str, str]] = []  # (where, mention) of posted text that would notify people
        self.rate_limits = RateLimits(lambda: self.clock())
        self.held: list[str] = []  # methods whose calls are waiting on a hold
        self.most_at_once: Counter[str] = Counter()  # method → the most calls to it in progress at one time
        self._in_progress: Counter[str] = Counter()
        self._violations: list[str] = []
        self._exchanged: set[str] = set()
        self._response_urls: Counter[str] = Counter()
        self._holds: dict[str, tuple[asyncio.Event, int | None]] = {}  # method → (gate, calls still to hold)
        self._gates: list[asyncio.Event] = []
        self._failures: dict[str, tuple[str, int | None, int]] = {}  # method → (error, calls left or None, status)
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)
        self._sockets: list[web.WebSocketResponse] = []
        self.sockets_opened = 0
        self._changed: asyncio.Event | None = None
        self.oauth_apps: dict[str, tuple[str, str]] = {}  # client_id → (client_secret, app_id); see oauth.py
        self.codes: dict[str, Any] = {}  # authorization code → IssuedCode
        self.token_teams: dict[str, str] = {}  # installed bot token → its team
        self.revoked_tokens: set[str] = set()
        self.add_user(bot_user_id, name="parley", is_bot=True)
        # conversations.replies (``history``): the app's history scopes, channels it is not in, group DMs, bot authors
        self.scopes: set[str] = {
            "channels:history", "groups:history", "im:history", "mpim:history", "channels:read", "groups:read",
            "im:read", "mpim:read",
        }
        self.members_of: dict[str, list[str]] = {}
        self.outside: set[str] = set()
        self.group_dms: set[str] = set()
        self.bot_authors: dict[tuple[str, str], tuple[str, str]] = {}

    @property
    def violations(self) -> list[str]:
        return self._violations + self.rate_limits.violations

    def forget_findings(self) -> None:
        """Clear ``violations`` and ``pings`` (after a test that provoked them on purpose has looked)."""
        self._violations.clear()
        self.rate_limits.violations.clear()
        self.pings.clear()

    def add_user(
        self, user_id: str, *, name: str, is_admin: bool = False, is_owner: bool = False, is_bot: bool = False,
        team_id: str | None = None, is_stranger: bool = False,
    ) -> None:
        """A user; ``team_id`` another team's for a Slack Connect partner (``is_stranger``: not even shared)."""
        user: dict[str, Any] = {
            "id": user_id, "team_id": team_id or self.team_id, "name": name, "real_name": name.title(),
            "is_admin": is_admin, "is_owner": is_owner, "is_primary_owner": False, "is_bot": is_bot,
            "profile": {"display_name": name, "real_name": name.title()},
        }
        if is_stranger:
            user["is_stranger"] = True
        self.users[user_id] = user

    def add_user_group(self, group_id: str, *, users: tuple[str, ...]) -> None:
        self.user_groups[group_id] = tuple(users)

    def add_message(self, channel: str, ts: str, text: str, *, user: str, thread_ts: str | None = None) -> None:
        """A message a person posted (what a delivered event says happened); threads exist through replies."""
        if (channel, ts) not in self.messages:
            self.messages[(channel, ts)] = StoredMessage(channel=channel, ts=ts, text=text, thread_ts=thread_ts, user=user)

    def thread_has_replies(self, channel: str, thread_ts: str) -> bool:
        return any(m.channel == channel and m.thread_ts == thread_ts and m.ts != thread_ts for m in self.messages.values())

    def hold(self, method: str, *, calls: int | None = None) -> asyncio.Event:
        """Keep calls to ``method`` waiting (listed in ``held``) until the returned event is set; with ``calls``,
        only the next that many (later ones go through)."""
        gate = asyncio.Event()
        self._holds[method] = (gate, calls)
        self._gates.append(gate)
        return gate

    def _gate_for(self, method: str) -> asyncio.Event | None:
        """The gate a call to ``method`` waits on, if it is held (counting it against ``calls``)."""
        if method not in self._holds:
            return None
        gate, left = self._holds[method]
        if left is not None:
            if left <= 1:
                del self._holds[method]
            else:
                self._holds[method] = (gate, left - 1)
        return gate

    @staticmethod
    def dm_of(user: str) -> str:
        """The id of the DM between the bot and ``user`` (what conversations.open answers)."""
        return "D" + user.removeprefix("U")

    def _violation(self, text: str) -> None:
        self._violations.append(text)

    def _check_text(self, where: str, text: str) -> None:
        """A mrkdwn ``text`` as posted: its length, its markup, its pings."""
        if len(text) > markup.ADVISED_TEXT:
            self._violation(f"{where}: text of {len(text):,} characters (Slack advises at most 4,000)")
        self._check_mrkdwn(where, text)
        self.pings.extend((where, mention) for mention in markup.pings(text))

    def _check_mrkdwn(self, where: str, text: str) -> None:
        self._violations.extend(f"{where}: {problem}" for problem in markup.malformed(text))

    def _check_markdown(self, where: str, text: str) -> None:
        self.pings.extend((where, mention) for mention in markup.pings(text, markdown=True))

    async def _wait(self, done: Callable[[], bool], timeout: float) -> None:
        assert self._changed is not None, "stand-in not started"
        async with asyncio.timeout(timeout):
            while not done():
                await self._changed.wait()

    def _notify(self) -> None:
        assert self._changed is not None
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()
