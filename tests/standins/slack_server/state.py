"""The stand-in Slack's state (workspace, users, what it received) and waiting for it to change.

``SlackState`` is the base of the parts of ``SlackStandIn``: the Web API
methods (``web_api``), Socket Mode (``socket_mode``) and the routes
(``server``) all read and change this one state.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from typing import Any

from aiohttp import web

from tests.standins.serving import HttpStandIn
from tests.standins.slack_server.records import SlackCall, StoredMessage, UploadedFile


class SlackState(HttpStandIn):
    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        team_id: str = "T0PARLEY",
        bot_user_id: str = "U0PARLEYBOT",
        bot_id: str = "B0PARLEYBOT",
    ) -> None:
        super().__init__(host=host)
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.calls: list[SlackCall] = []
        self.users: dict[str, dict[str, Any]] = {}
        self.messages: dict[tuple[str, str], StoredMessage] = {}
        self.acks: dict[str, dict[str, Any]] = {}
        self.files: dict[str, UploadedFile] = {}
        self._failures: dict[str, tuple[str, int | None, int]] = {}  # method → (error, calls left or None, status)
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)
        self._sockets: list[web.WebSocketResponse] = []
        self._changed: asyncio.Event | None = None
        self.add_user(bot_user_id, name="parley", is_bot=True)

    def add_user(
        self, user_id: str, *, name: str, is_admin: bool = False, is_owner: bool = False, is_bot: bool = False
    ) -> None:
        self.users[user_id] = {
            "id": user_id, "team_id": self.team_id, "name": name, "real_name": name.title(),
            "is_admin": is_admin, "is_owner": is_owner, "is_primary_owner": False, "is_bot": is_bot,
            "profile": {"display_name": name, "real_name": name.title()},
        }

    @staticmethod
    def dm_of(user: str) -> str:
        """The id of the DM between the bot and ``user`` (what conversations.open answers)."""
        return "D" + user.removeprefix("U")

    async def _wait(self, done: Callable[[], bool], timeout: float) -> None:
        assert self._changed is not None, "stand-in not started"
        async with asyncio.timeout(timeout):
            while not done():
                await self._changed.wait()

    def _notify(self) -> None:
        assert self._changed is not None
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()
