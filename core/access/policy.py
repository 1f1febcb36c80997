"""The access gate: how a channel summons the bot, whether a person or place may use it, and the short
private "not allowed here" line, at most once per person per hour.

``ChatService`` asks it before de-duplication, rate limits and any model call.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime, timedelta

from core.access.values import AccessDefaults, AccessList, Sender, Summoning, SummonMode, ThreadMode
from core.messages import ChannelScope, IncomingMessage, WorkspaceScope
from core.ports import AccessStore, Clock

NOTICE_EVERY = timedelta(hours=1)
MAX_NOTICED = 50_000  # people remembered for the hourly notice; the oldest go first


class AccessGate:
    def __init__(
        self, *, store: AccessStore, defaults: AccessDefaults, clock: Clock, notice_every: timedelta = NOTICE_EVERY
    ) -> None:
        self._store = store
        self._defaults = defaults
        self._clock = clock
        self._notice_every = notice_every
        self._noticed: OrderedDict[tuple[str, str, str], datetime] = OrderedDict()

    @property
    def defaults(self) -> AccessDefaults:
        return self._defaults

    async def summoning(self, scope: ChannelScope) -> Summoning:
        """The channel's own mode, or the operator's default (SUMMON_DEFAULT)."""
        return await self._store.summoning(scope) or self._defaults.summoning

    async def summoned(self, message: IncomingMessage, *, in_bot_thread) -> bool:
        """Is ``message`` for the bot in its channel's mode? ``in_bot_thread``: an awaitable-returning callable,
        asked only when it matters (whether the bot takes part in the message's thread)."""
        if message.is_dm:
            return True
        summoning = await self.summoning(message.key.channel_scope())
        if summoning.mode is SummonMode.OFF:
            return False
        if message.top_level:
            return message.mentions_bot or summoning.mode is SummonMode.ALWAYS
        if message.mentions_bot:
            return True
        if summoning.threads is ThreadMode.MENTION:
            return False
        return message.in_bot_thread or await in_bot_thread()

    async def access_list(self, workspace: WorkspaceScope) -> AccessList:
        """The operator's rules and the workspace's admins' rules."""
        return AccessList(rules=(*self._defaults.rules, *await self._store.rules(workspace)))

    async def refusal(self, message: IncomingMessage) -> str | None:
        """Why the sender may not use it here (user, group, channel), or None."""
        key = message.key
        rules = await self.access_list(WorkspaceScope(platform=key.platform, workspace=key.workspace))
        sender = Sender(user=message.user, channel=key.channel, groups=message.groups, is_dm=message.is_dm)
        return rules.refusal(sender)

    def notice_due(self, message: IncomingMessage) -> bool:
        """True once per person per ``notice_every`` (in this process): a refused person is told, a busy
        channel is not flooded with the same line."""
        who = (message.key.platform, message.key.workspace, message.user)
        now = self._clock.now()
        last = self._noticed.get(who)
        if last is not None and now - last < self._notice_every:
            return False
        self._noticed[who] = now
        self._noticed.move_to_end(who)
        while len(self._noticed) > MAX_NOTICED:
            self._noticed.popitem(last=False)
        return True
