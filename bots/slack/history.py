"""The earlier messages of a Slack thread (the core's ``ConversationHistory`` port): ``conversations.replies``.

Only the thread the message was posted in is read, and only what came before
it (``latest`` = the message, not inclusive; after the last read, ``oldest``).
``conversations.replies`` answers oldest first, a page at a time (``cursor``):
at most ``max_pages`` pages of ``page_size`` are read, the newest ``limit``
messages kept.  It is tier 3 (about 50 calls a minute per workspace): a read past that
tier, or within a 429's Retry-After (``Rests``), does without.
The scope it needs depends on the channel (``channels:history``,
``groups:history``, ``im:history``, ``mpim:history``); without it, or outside
the channel, Slack refuses, and the refusal is a log line naming what is
missing, then an answer without context.  A mention at the top of a channel
starts its thread; with the persona's ``channel_context`` the channel's last
few messages before it are read instead (``conversations.history``, tier 3,
same scopes).  For a summary (``recent``), the asker must be a member of the
channel (``conversations.members``: ``channels:read``, ``groups:read``,
``mpim:read``), or nothing is read.  Authors' names come from
``UserDirectory`` (cached ``users.info``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import structlog
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bots.slack.clients import SlackClients

from bots.slack.markup import plain_text
from bots.slack.rate_limits import Rests
from bots.slack.translate import BOT_SUBTYPE, SPOKEN_SUBTYPES, BotIdentity
from bots.slack.users import UserDirectory
from core.chat.history import NOT_VISIBLE, EarlierMessage, HistoryRead
from core.messages import ChannelScope, IncomingMessage

log = structlog.get_logger(__name__)

METHOD = "conversations.replies"
CHANNEL_METHOD = "conversations.history"  # a top-level mention's channel messages (the persona's channel_context)
PAGE_SIZE = 200  # Slack advises at most 200 per page
MAX_PAGES = 5
MEMBER_PAGES = 20  # conversations.members pages (1,000 each) looked through for the asker
HISTORY_SCOPES = "channels:history, groups:history, im:history, mpim:history"


def ts_key(ts: str) -> tuple[int, int]:
    """A Slack ts ("1700000000.000100") as a sortable pair."""
    seconds, _, micros = ts.partition(".")
    return int(seconds or 0), int(micros or 0)


class SlackHistory:
    def __init__(
        self,
        clients: SlackClients,
        *,
        users: UserDirectory,
        rests: Rests,
        page_size: int = PAGE_SIZE,
        max_pages: int = MAX_PAGES,
    ) -> None:
        self._clients = clients
        self._users = users
        self._rests = rests
        self._page_size = page_size
        self._max_pages = max_pages
        self._identities: dict[str, BotIdentity] = {}  # team → who Parley is there

    async def read(
        self, message: IncomingMessage, *, after: str | None, limit: int, max_chars: int, channel_messages: int = 0
    ) -> HistoryRead:
        key = message.key
        channel, _, ts = message.event_id.partition(":")
        if message.is_dm or not key.thread or channel != key.channel:
            return HistoryRead(through=ts)
        starts_thread = key.thread == ts
        if starts_thread and channel_messages <= 0:
            return HistoryRead(through=ts, starts_thread=True)  # a message that starts its thread: nothing before it
        team = key.workspace
        method = CHANNEL_METHOD if starts_thread else METHOD
        if not await self._rests.take(team, method):  # resting after a 429, or its tier used up this minute
            return HistoryRead(unavailable="rate_limited")
        try:
            client = await self._clients.for_team(team)
            if starts_thread:  # the persona's channel_context: the channel's last few messages before it
                raw, more = await self._channel(client, channel, latest=ts, count=channel_messages), False
                limit = channel_messages
            else:
                raw, more = await self._pages(client, channel, thread_ts=key.thread, latest=ts, oldest=after)
            bot = await self._bot(client, team=team)
        except SlackApiError as error:
            return HistoryRead(unavailable=self._refusal(error, team=team, channel=channel, method=method))
        raw = [m for m in raw if ts_key(str(m.get("ts", "0"))) < ts_key(ts)
               and (after is None or ts_key(str(m.get("ts", "0"))) > ts_key(after))]
        more = more or len(raw) > limit
        raw = raw[-limit:]
        names = await self._users.names(
            {str(m["user"]) for m in raw if m.get("user") and not m.get("bot_id")}, team=team
        )
        messages = tuple(m for m in (self._earlier(item, bot=bot, names=names) for item in raw) if m is not None)
        return HistoryRead(messages=messages, through=ts, more=more, starts_thread=starts_thread)

    async def recent(
        self, scope: ChannelScope, *, thread: str, asker: str, since: datetime | None, limit: int, max_chars: int
    ) -> HistoryRead:
        """For a summary: the thread, or the channel's messages since ``since``; only for a member of the channel
        (``conversations.members``)."""
        channel, team = scope.channel, scope.workspace
        try:
            client = await self._clients.for_team(team)
            if not await self._is_member(client, channel, asker):
                log.info("slack.history_not_visible", team=team, channel=channel)
                return HistoryRead(unavailable=NOT_VISIBLE)
            if thread:
                raw, more = await self._pages(client, channel, thread_ts=thread, latest=None, oldest=None)
                more, raw = more or len(raw) > limit, raw[-limit:]
            else:
                raw, more = await self._since(client, channel, oldest=since, limit=limit)
            bot = await self._bot(client, team=team)
        except SlackApiError as error:
            method = METHOD if thread else CHANNEL_METHOD
            return HistoryRead(unavailable=self._refusal(error, team=team, channel=channel, method=method))
        names = await self._users.names(
            {str(m["user"]) for m in raw if m.get("user") and not m.get("bot_id")}, team=team
        )
        messages = tuple(m for m in (self._earlier(item, bot=bot, names=names) for item in raw) if m is not None)
        return HistoryRead(messages=messages, more=more)

    async def _is_member(self, client: AsyncWebClient, channel: str, user: str) -> bool:
        cursor: str | None = None
        for _ in range(MEMBER_PAGES):
            params: dict[str, Any] = {"channel": channel, "limit": 1000}
            if cursor:
                params["cursor"] = cursor
            response = await client.conversations_members(**params)
            if user in (response.get("members") or []):
                return True
            cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return False
        return False

    async def _since(
        self, client: AsyncWebClient, channel: str, *, oldest: datetime | None, limit: int) -> tuple[list[dict[str, Any]], bool]:
        """The channel's newest ``limit`` messages after ``oldest`` (conversations.history, newest first), oldest first."""
        found: list[dict[str, Any]] = []
        cursor: str | None = None
        more = False
        for _ in range(self._max_pages):
            params: dict[str, Any] = {"channel": channel, "limit": min(self._page_size, limit - len(found))}
            if oldest is not None:
                params["oldest"] = f"{oldest.timestamp():.6f}"
            if cursor:
                params["cursor"] = cursor
            response = await client.conversations_history(**params)
            found.extend(response.get("messages") or [])
            cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
            more = bool(cursor)
            if not cursor or len(found) >= limit:
                break
        return list(reversed(found[:limit])), more

    async def _pages(
        self, client: AsyncWebClient, channel: str, *, thread_ts: str, latest: str | None, oldest: str | None
    ) -> tuple[list[dict[str, Any]], bool]:
        """The thread's messages before ``latest`` (after ``oldest``), oldest first; True when pages were left."""
        found: list[dict[str, Any]] = []
        cursor: str | None = None
        for _ in range(self._max_pages):
            params: dict[str, Any] = {"channel": channel, "ts": thread_ts, "limit": self._page_size}
            if latest is not None:
                params.update(latest=latest, inclusive=False)
            if oldest is not None:
                params["oldest"] = oldest
            if cursor:
                params["cursor"] = cursor
            response = await client.conversations_replies(**params)
            found.extend(response.get("messages") or [])
            cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return found, False
        return found, True

    async def _channel(self, client: AsyncWebClient, channel: str, *, latest: str, count: int) -> list[dict[str, Any]]:
        """The channel's last ``count`` messages before ``latest`` (conversations.history: newest first), oldest first."""
        response = await client.conversations_history(channel=channel, latest=latest, inclusive=False, limit=count)
        return list(reversed(response.get("messages") or []))

    async def _bot(self, client: AsyncWebClient, *, team: str) -> BotIdentity:
        """Who Parley is in ``team`` (``auth.test``, once): its own earlier answers are marked as its own."""
        if team not in self._identities:
            response = await client.auth_test()
            self._identities[team] = BotIdentity(
                user_id=str(response.get("user_id") or ""), bot_id=str(response.get("bot_id") or "")
            )
        return self._identities[team]

    def _earlier(self, item: dict[str, Any], *, bot: BotIdentity, names: dict[str, str]) -> EarlierMessage | None:
        subtype = item.get("subtype")
        if subtype is not None and subtype not in SPOKEN_SUBTYPES and subtype != BOT_SUBTYPE:
            return None  # joins, topic changes, deletions: nothing anybody said
        user, bot_id = str(item.get("user") or ""), str(item.get("bot_id") or "")
        is_parley = (bool(user) and user == bot.user_id) or (bool(bot_id) and bot_id == bot.bot_id)
        is_bot = is_parley or bool(bot_id) or subtype == BOT_SUBTYPE
        if is_bot:
            name = str(item.get("username") or (item.get("bot_profile") or {}).get("name") or names.get(user) or "a bot")
        else:
            name = names.get(user) or user
        text = plain_text(str(item.get("text") or ""), bot_user_id=bot.user_id, names=names)
        return EarlierMessage(
            id=str(item.get("ts")), author=user or bot_id, author_name="Parley" if is_parley else name, text=text,
            is_bot=is_bot, is_parley=is_parley,
        )

    def _refusal(self, error: SlackApiError, *, team: str, channel: str, method: str) -> str:
        code = str(error.response.get("error") or "error")
        if self._rests.note(team, method, error):
            log.warning("slack.history_rate_limited", team=team, channel=channel)
            return "rate_limited"
        if code == "missing_scope":
            needed = str(error.response.get("needed") or HISTORY_SCOPES)
            log.warning("slack.history_missing_scope", team=team, channel=channel, needed=needed,
                        hint="add the history scopes to the Slack app and reinstall it (README: thread context)")
            return f"missing_scope:{needed}"
        log.warning("slack.history_refused", team=team, channel=channel, error=code)
        return code
