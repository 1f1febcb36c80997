"""Who a Slack user is (display name, team, workspace admin or owner), from ``users.info``, cached.

One bounded cache per process, entries kept a few minutes: names for the text
the core sees, and the admin verdict the core's ``Actor`` carries.  A lookup
already under way is shared: however many messages or commands ask for the
same person at once, Slack is asked once.  At most ``concurrency`` lookups
are in flight at a time, and none beyond users.info's tier (tier 4, about 100
a minute, ``Rests.take``): under a burst of new people the rest go without a
name for a while (their id stands in).  Names for messages leave a few calls
of the tier to commands, whose admin verdict is never guessed (``essential``).

The admin verdict belongs to a workspace: a Slack Connect partner's admin
(another ``team_id``, or ``is_stranger``) is no admin here.
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

from bots.slack.clients import SlackClients
from bots.slack.rate_limits import Rests

log = structlog.get_logger(__name__)
SPARE_FOR_COMMANDS = 10  # users.info calls a minute that names for messages leave to commands' admin checks


@dataclass(frozen=True, slots=True)
class SlackUser:
    id: str
    name: str
    is_admin: bool = False  # workspace admin or owner, in the user's own team
    is_bot: bool = False
    team: str = ""  # the user's own team (another one for a Slack Connect partner)
    is_stranger: bool = False  # from a team this workspace shares nothing with but the channel

    def is_admin_in(self, workspace: str) -> bool:
        """An admin or owner *of this workspace*: their own team is the workspace's."""
        return self.is_admin and not self.is_stranger and bool(self.team) and self.team == workspace


def user_from_info(info: Mapping[str, Any]) -> SlackUser:
    """A ``users.info`` ``user`` object → SlackUser."""
    profile = info.get("profile") or {}
    name = (
        profile.get("display_name") or profile.get("real_name")
        or info.get("real_name") or info.get("name") or info["id"]
    )
    is_admin = bool(info.get("is_admin") or info.get("is_owner") or info.get("is_primary_owner"))
    return SlackUser(
        id=info["id"], name=name, is_admin=is_admin, is_bot=bool(info.get("is_bot")),
        team=str(info.get("team_id") or profile.get("team") or ""), is_stranger=bool(info.get("is_stranger")),
    )


class UserDirectory:
    def __init__(
        self,
        clients: SlackClients,
        *,
        ttl_seconds: float = 300.0,
        failure_ttl_seconds: float = 30.0,
        max_entries: int = 2_000,
        concurrency: int = 4,
        clock: Callable[[], float] = time.monotonic,
        rests: Rests | None = None,
    ) -> None:
        self._clients = clients
        self._rests = rests or Rests(clock=clock)
        self._ttl = ttl_seconds
        self._failure_ttl = failure_ttl_seconds
        self._max = max_entries
        self._clock = clock
        self._cache: OrderedDict[str, tuple[float, SlackUser]] = OrderedDict()
        self._pending: dict[str, asyncio.Future[SlackUser]] = {}
        self._slots = asyncio.Semaphore(concurrency)

    async def get(self, user_id: str, *, team: str, essential: bool = False) -> SlackUser:
        """The user as seen from workspace ``team`` (whose bot token asks); ``essential`` (a command's admin
        verdict) asks Slack even past users.info's tier."""
        cached = self._cache.get(user_id)
        if cached is not None and cached[0] > self._clock():
            self._cache.move_to_end(user_id)
            return cached[1]
        pending = self._pending.get(user_id)
        if pending is None:
            spare = 0 if essential else SPARE_FOR_COMMANDS
            if not await self._rests.take(team, "users.info", spare=spare) and not essential:
                log.debug("slack.user_lookup_deferred", user=user_id, reason="users.info rate tier")
                return SlackUser(id=user_id, name=user_id)  # not remembered: the next message asks again
            pending = self._pending.get(user_id)  # another caller may have started it meanwhile
        if pending is None:
            pending = asyncio.ensure_future(self._look_up(user_id, team=team))
            self._pending[user_id] = pending
            pending.add_done_callback(lambda _: self._pending.pop(user_id, None))
        return await asyncio.shield(pending)  # one caller giving up does not cancel the others' lookup

    async def names(self, user_ids: Iterable[str], *, team: str) -> dict[str, str]:
        ids = list(dict.fromkeys(user_ids))
        users = await asyncio.gather(*(self.get(user_id, team=team) for user_id in ids))
        return {user.id: user.name for user in users}

    async def _look_up(self, user_id: str, *, team: str) -> SlackUser:
        try:
            async with self._slots:
                client = await self._clients.for_team(team)
                response = await client.users_info(user=user_id)
            user, ttl = user_from_info(response["user"]), self._ttl
        except Exception as error:  # a name is nice to have; not being admin is the safe default
            code = error.response.get("error") if isinstance(error, SlackApiError) else type(error).__name__
            log.warning("slack.user_lookup_failed", user=user_id, error=code)
            user, ttl = SlackUser(id=user_id, name=user_id), self._failure_ttl
        self._remember(user, ttl)
        return user

    def _remember(self, user: SlackUser, ttl: float) -> None:
        self._cache[user.id] = (self._clock() + ttl, user)
        self._cache.move_to_end(user.id)
        while len(self._cache) > self._max:
            self._cache.popitem(last=False)
