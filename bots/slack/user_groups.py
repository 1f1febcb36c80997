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
from slack_sdk.web.async_client import AsyncWebClient

log = structlog.get_logger(__name__)


class UserGroups:
    def __init__(
        self,
        client: AsyncWebClient,
        *,
        ttl_seconds: float = 120.0,
        failure_ttl_seconds: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._ttl = ttl_seconds
        self._failure_ttl = failure_ttl_seconds
        self._clock = clock
        self._members: dict[str, tuple[float, frozenset[str]]] = {}
        self._pending: dict[str, asyncio.Future[frozenset[str]]] = {}

    async def of(self, user: str, groups: Iterable[str]) -> frozenset[str]:
        """Which of ``groups`` ``user`` is in."""
        wanted = list(dict.fromkeys(groups))
        members = await asyncio.gather(*(self.members(group) for group in wanted))
        return frozenset(group for group, people in zip(wanted, members) if user in people)

    async def members(self, group: str) -> frozenset[str]:
        cached = self._members.get(group)
        if cached is not None and cached[0] > self._clock():
            return cached[1]
        pending = self._pending.get(group)
        if pending is None:
            pending = asyncio.ensure_future(self._look_up(group))
            self._pending[group] = pending
            pending.add_done_callback(lambda _: self._pending.pop(group, None))
        return await asyncio.shield(pending)

    async def _look_up(self, group: str) -> frozenset[str]:
        try:
            response = await self._client.usergroups_users_list(usergroup=group)
            members, ttl = frozenset(str(user) for user in response.get("users") or ()), self._ttl
        except Exception as error:
            code = error.response.get("error") if isinstance(error, SlackApiError) else type(error).__name__
            log.warning("slack.user_group_lookup_failed", group=group, error=code)
            members, ttl = frozenset(), self._failure_ttl
        self._members[group] = (self._clock() + ttl, members)
        return members
