"""Who a Slack user is (display name, workspace admin or owner), from ``users.info``, cached.

One bounded cache per process, entries kept a few minutes: names for the text
the core sees, and the admin verdict the core's ``Actor`` carries.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import structlog
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class SlackUser:
    id: str
    name: str
    is_admin: bool = False  # workspace admin or owner
    is_bot: bool = False


def user_from_info(info: Mapping[str, Any]) -> SlackUser:
    """A ``users.info`` ``user`` object → SlackUser."""
    profile = info.get("profile") or {}
    name = (
        profile.get("display_name") or profile.get("real_name")
        or info.get("real_name") or info.get("name") or info["id"]
    )
    is_admin = bool(info.get("is_admin") or info.get("is_owner") or info.get("is_primary_owner"))
    return SlackUser(id=info["id"], name=name, is_admin=is_admin, is_bot=bool(info.get("is_bot")))


class UserDirectory:
    def __init__(
        self,
        client: AsyncWebClient,
        *,
        ttl_seconds: float = 300.0,
        failure_ttl_seconds: float = 30.0,
        max_entries: int = 2_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._ttl = ttl_seconds
        self._failure_ttl = failure_ttl_seconds
        self._max = max_entries
        self._clock = clock
        self._cache: OrderedDict[str, tuple[float, SlackUser]] = OrderedDict()

    async def get(self, user_id: str) -> SlackUser:
        cached = self._cache.get(user_id)
        if cached is not None and cached[0] > self._clock():
            self._cache.move_to_end(user_id)
            return cached[1]
        try:
            response = await self._client.users_info(user=user_id)
            user, ttl = user_from_info(response["user"]), self._ttl
        except Exception as error:  # a name is nice to have; not being admin is the safe default
            code = error.response.get("error") if isinstance(error, SlackApiError) else type(error).__name__
            log.warning("slack.user_lookup_failed", user=user_id, error=code)
            user, ttl = SlackUser(id=user_id, name=user_id), self._failure_ttl
        self._remember(user, ttl)
        return user

    async def names(self, user_ids: Iterable[str]) -> dict[str, str]:
        ids = list(dict.fromkeys(user_ids))
        users = await asyncio.gather(*(self.get(user_id) for user_id in ids))
        return {user.id: user.name for user in users}

    def _remember(self, user: SlackUser, ttl: float) -> None:
        self._cache[user.id] = (self._clock() + ttl, user)
        self._cache.move_to_end(user.id)
        while len(self._cache) > self._max:
            self._cache.popitem(last=False)
