"""The Web API client for one workspace: each workspace is answered with its own bot token.

One workspace (SLACK_BOT_TOKEN): the one client, whatever the team.  Many
(OAuth installs): a client carrying the team's installed bot token, found in
the installation store, built like bolt's per-request client (same base URL,
session, headers and retry handlers) and kept for ``ttl_seconds``; ``forget``
drops a team's at once (its tokens were revoked).  Listeners that bolt calls get
such a client from bolt (``context.client``); this is for what runs outside a
listener: answers handed to a task, redeliveries after a restart, user lookups.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import structlog
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.web.async_client import AsyncWebClient

log = structlog.get_logger(__name__)

CLIENT_TTL_SECONDS = 60.0  # a token revoked in another process stops being used here within this time


class NotInstalled(Exception):
    """No bot token for the workspace: the app is not (or no longer) installed there."""


class SlackClients:
    def __init__(
        self,
        base: AsyncWebClient,
        *,
        installations: AsyncInstallationStore | None = None,
        ttl_seconds: float = CLIENT_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base = base
        self._installations = installations
        self._ttl = ttl_seconds
        self._clock = clock
        self._clients: dict[str, tuple[float, AsyncWebClient]] = {}

    @property
    def per_workspace(self) -> bool:
        return self._installations is not None

    async def for_team(self, team_id: str) -> AsyncWebClient:
        """The client answering in ``team_id``; raises NotInstalled when the workspace has no bot token."""
        if self._installations is None:
            return self.base
        cached = self._clients.get(team_id)
        if cached is not None and cached[0] > self._clock():
            return cached[1]
        bot = await self._installations.async_find_bot(enterprise_id=None, team_id=team_id)
        if bot is None or not bot.bot_token:
            self._clients.pop(team_id, None)
            raise NotInstalled(team_id)
        client = self._client_with(bot.bot_token, team_id=team_id)
        self._clients[team_id] = (self._clock() + self._ttl, client)
        return client

    def forget(self, team_id: str) -> None:
        self._clients.pop(team_id, None)

    def _client_with(self, token: str, *, team_id: str) -> AsyncWebClient:
        base = self.base
        return AsyncWebClient(
            token=token, base_url=base.base_url, timeout=base.timeout, ssl=base.ssl, proxy=base.proxy,
            session=base.session, trust_env_in_session=base.trust_env_in_session, headers=base.headers,
            team_id=team_id, logger=base.logger, retry_handlers=list(base.retry_handlers or []),
        )
