"""Who is in a Slack user group, from ``usergroups.users.list`` (scope ``usergroups:read``), cached.

Asked only for the groups an access rule names (``ChatService.access_groups``), so a workspace without group
rules never calls it.  A lookup that fails (``no_such_subteam``, ``plan_upgrade_required``, a missing scope, a
429) counts as "not a member" for a short while and is logged: a deny rule on the group then lets its members
through, an allow rule keeps them out, until Slack answers again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable

import structlog
from slack_sdk.errors import SlackApiError

from bots.slack.clients import SlackClients

log = structlog.get_logger(__name__)


class UserGroups:
    def __init__(
        self,
        clients: SlackClients,
        *,
        ttl_seconds: float = 120.0,
        failure_ttl_seconds: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._clients = clients
        self._ttl = ttl_seconds
        self._failure_ttl = failure_ttl_seconds
        self._clock = clock
        self._members: dict[tuple[str, str], tuple[float, frozenset[str]]] = {}  # (team, group) →
        self._pending: dict[tuple[str, str], asyncio.Future[frozenset[str]]] = {}

    async def of(self, user: str, groups: Iterable[str], *, team: str) -> frozenset[str]:
        """Which of workspace ``team``'s ``groups`` ``user`` is in."""
        wanted = list(dict.fromkeys(groups))
        members = await asyncio.gather(*(self.members(group, team=team) for group in wanted))
        return frozenset(group for group, people in zip(wanted, members) if user in people)

    async def members(self, group: str, *, team: str) -> frozenset[str]:
        key = (team, group)
        cached = self._members.get(key)
        if cached is not None and cached[0] > self._clock():
            return cached[1]
        pending = self._pending.get(key)
        if pending is None:
            pending = asyncio.ensure_future(self._look_up(group, team=team))
            self._pending[key] = pending
            pending.add_done_callback(lambda _: self._pending.pop(key, None))
        return await asyncio.shield(pending)

    async def _look_up(self, group: str, *, team: str) -> frozenset[str]:
        try:
            client = await self._clients.for_team(team)
            response = await client.usergroups_users_list(usergroup=group)
            members, ttl = frozenset(str(user) for user in response.get("users") or ()), self._ttl
        except Exception as error:
            code = error.response.get("error") if isinstance(error, SlackApiError) else type(error).__name__
            log.warning("slack.user_group_lookup_failed", group=group, error=code)
            members, ttl = frozenset(), self._failure_ttl
        self._members[(team, group)] = (self._clock() + ttl, members)
        return members
