"""conversations.replies as Slack answers it: a thread's messages, oldest first, a page at a time; and
conversations.history: a channel's top-level messages, newest first (limit at most 999), same scopes; and
conversations.members (``set_members``), with the channel kind's ``:read`` scope.

Documented behaviour enforced: ``channel`` and ``ts`` required; ``ts`` must be
an existing message in the channel (else ``thread_not_found``); the parent
comes first, then its replies; ``latest`` / ``oldest`` bound the range
(``inclusive`` includes them); ``limit`` at most 1,000 (internal apps'
maximum and default); ``cursor`` from ``response_metadata.next_cursor`` (an
unknown one is ``invalid_cursor``).  The token needs the history scope of the
channel's kind (``channels:history`` for a C… channel, ``groups:history`` for
a private G… one, ``mpim:history`` for a group DM, ``im:history`` for a D…
DM; else ``missing_scope`` with ``needed`` and ``provided``), and the bot
must be in the channel (``not_in_channel``, ``leave_channel``).  The method
is tier 3 (``rate_limits``).
"""

from __future__ import annotations

import base64
from typing import Any

from tests.standins.slack_server.state import SlackState

HISTORY_SCOPES = frozenset({"channels:history", "groups:history", "im:history", "mpim:history"})
MAX_LIMIT = 1_000
CHANNEL_MAX_LIMIT = 999  # conversations.history


def _ts(value: Any) -> tuple[int, int] | None:
    seconds, _, micros = str(value).partition(".")
    if not seconds.isdigit() or (micros and not micros.isdigit()):
        return None
    return int(seconds), int(micros or 0)


class HistoryMethods(SlackState):
    def revoke_scope(self, scope: str) -> None:
        """The app was installed without ``scope`` (its calls that need it answer ``missing_scope``)."""
        self.scopes.discard(scope)

    def leave_channel(self, channel: str) -> None:
        """The bot is no longer a member of ``channel`` (reads there answer ``not_in_channel``)."""
        self.outside.add(channel)

    def mark_group_dm(self, channel: str) -> None:
        self.group_dms.add(channel)

    def add_bot_message(self, channel: str, ts: str, text: str, *, bot_id: str, username: str,
                        thread_ts: str | None = None) -> None:
        """Another app's message (``subtype: bot_message``)."""
        self.add_message(channel, ts, text, user="", thread_ts=thread_ts)
        self.bot_authors[(channel, ts)] = (bot_id, username)

    def _history_scope(self, channel: str) -> str:
        if channel.startswith("D"):
            return "im:history"
        if channel in self.group_dms:
            return "mpim:history"
        return "groups:history" if channel.startswith("G") else "channels:history"

    def _m_conversations_replies(self, params, token):
        channel, thread = str(params.get("channel") or ""), str(params.get("ts") or "")
        if (refused := self._refusal(channel, self._history_scope(channel), member=True)) is not None:
            return refused
        if (channel, thread) not in self.messages:
            return {"ok": False, "error": "thread_not_found"}
        latest, oldest = params.get("latest"), params.get("oldest")
        if latest is not None and _ts(latest) is None:
            return {"ok": False, "error": "invalid_ts_latest"}
        if oldest is not None and _ts(oldest) is None:
            return {"ok": False, "error": "invalid_ts_oldest"}
        inclusive = str(params.get("inclusive") or "").lower() in ("1", "true")
        limit = min(int(params.get("limit") or MAX_LIMIT), MAX_LIMIT)
        found = sorted(
            (m for m in self.messages.values()
             if m.channel == channel and (m.ts == thread or m.thread_ts == thread) and not m.streaming),
            key=lambda m: _ts(m.ts) or (0, 0),
        )
        parent, replies = found[0], found[1:]  # the parent comes first, whatever the range
        if latest is not None:
            bound = _ts(latest)
            replies = [m for m in replies if (_ts(m.ts) < bound or (inclusive and _ts(m.ts) == bound))]
        if oldest is not None:
            bound = _ts(oldest)
            replies = [m for m in replies if (_ts(m.ts) > bound or (inclusive and _ts(m.ts) == bound))]
        listed = [parent, *replies]
        start = 0
        if params.get("cursor"):
            try:
                start = int(base64.b64decode(str(params["cursor"])).decode().removeprefix("next:"))
            except ValueError:
                return {"ok": False, "error": "invalid_cursor"}
        page = listed[start:start + limit]
        more = start + limit < len(listed)
        answer: dict[str, Any] = {
            "ok": True, "messages": [self._history_item(m) for m in page], "has_more": more,
            "response_metadata": {"next_cursor": base64.b64encode(f"next:{start + limit}".encode()).decode() if more else ""},
        }
        return answer

    def _m_conversations_history(self, params, token):
        """A channel's top-level messages (a thread's parent, not its replies), newest first; limit at most 999."""
        channel = str(params.get("channel") or "")
        if (refused := self._refusal(channel, self._history_scope(channel), member=True)) is not None:
            return refused
        latest, oldest = params.get("latest"), params.get("oldest")
        if latest is not None and _ts(latest) is None:
            return {"ok": False, "error": "invalid_ts_latest"}
        if oldest is not None and _ts(oldest) is None:
            return {"ok": False, "error": "invalid_ts_oldest"}
        inclusive = str(params.get("inclusive") or "").lower() in ("1", "true")
        limit = min(int(params.get("limit") or 100), CHANNEL_MAX_LIMIT)
        listed = sorted(
            (m for m in self.messages.values()
             if m.channel == channel and (m.thread_ts is None or m.thread_ts == m.ts) and not m.streaming),
            key=lambda m: _ts(m.ts) or (0, 0), reverse=True,
        )
        if latest is not None:
            listed = [m for m in listed if _ts(m.ts) < _ts(latest) or (inclusive and _ts(m.ts) == _ts(latest))]
        if oldest is not None:
            listed = [m for m in listed if _ts(m.ts) > _ts(oldest) or (inclusive and _ts(m.ts) == _ts(oldest))]
        start = 0
        if params.get("cursor"):
            try:
                start = int(base64.b64decode(str(params["cursor"])).decode().removeprefix("next:"))
            except ValueError:
                return {"ok": False, "error": "invalid_cursor"}
        page, more = listed[start:start + limit], start + limit < len(listed)
        return {
            "ok": True, "messages": [self._history_item(m) for m in page], "has_more": more,
            "response_metadata": {"next_cursor": base64.b64encode(f"next:{start + limit}".encode()).decode() if more else ""},
        }

    def set_members(self, channel: str, *users: str) -> None:
        """Who is in ``channel`` (the bot is added); a channel never set has every known user."""
        self.members_of[channel] = [self.bot_user_id, *users]

    def _refusal(self, channel: str, needed: str, *, member: bool) -> dict[str, Any] | None:
        """What Slack answers before reading ``channel``: no channel, the scope missing, the bot not in it
        (``member``: for reads of its messages)."""
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if needed not in self.scopes:
            return {"ok": False, "error": "missing_scope", "needed": needed, "provided": ",".join(sorted(self.scopes))}
        if member and channel in self.outside:
            return {"ok": False, "error": "not_in_channel"}
        return None

    def _read_scope(self, channel: str) -> str:
        return self._history_scope(channel).replace(":history", ":read")

    def _m_conversations_members(self, params, token):
        """A channel's members, a page at a time (limit at most 1,000); needs the channel kind's ``:read`` scope."""
        channel = str(params.get("channel") or "")
        if (refused := self._refusal(channel, self._read_scope(channel), member=False)) is not None:
            return refused
        members = self.members_of.get(channel, list(self.users))
        limit = min(int(params.get("limit") or 100), MAX_LIMIT)
        start = 0
        if params.get("cursor"):
            try:
                start = int(base64.b64decode(str(params["cursor"])).decode().removeprefix("next:"))
            except ValueError:
                return {"ok": False, "error": "invalid_cursor"}
        more = start + limit < len(members)
        return {"ok": True, "members": members[start:start + limit], "response_metadata": {
            "next_cursor": base64.b64encode(f"next:{start + limit}".encode()).decode() if more else ""}}

    def _history_item(self, message) -> dict[str, Any]:
        item: dict[str, Any] = {"type": "message", "ts": message.ts, "text": message.text}
        if message.thread_ts:
            item["thread_ts"] = message.thread_ts
        bot = self.bot_authors.get((message.channel, message.ts))
        if bot is not None:
            item.update(subtype="bot_message", bot_id=bot[0], username=bot[1])
        elif message.user == self.bot_user_id:
            item.update(user=message.user, bot_id=self.bot_id)
        else:
            item["user"] = message.user
        return item
