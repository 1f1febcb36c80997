"""A Slack message event → the core's ``IncomingMessage`` and where to reply (pure: no I/O).

Conversation mapping:
- ``app_mention`` (or the ``message`` copy of it) in a channel: the thread
  under the message, or the thread it was posted in (``thread_ts or ts``);
- any other message in a channel thread: that thread, without
  ``mentions_bot`` (the core answers if it already took part);
- a top-level channel message without a mention: the thread under it,
  ``top_level`` (the core answers it only in an ``always`` channel);
- a DM (``channel_type`` ``im``): one conversation per DM (``thread=""``),
  answered in the DM, in the message's thread when it has one.

``event_id`` is ``"{channel}:{ts}"``: it names the message, so Slack's retries
and the ``message`` + ``app_mention`` double delivery collapse in the core.

Two steps, because the names in the text are looked up (``users.info``) in
between, and only for events worth it: ``skip_of`` decides, once, whether an
event is a message for the core at all (a ``Skip`` with the reason, or None);
``translate_event`` then turns an event it let through into a ``Delivery``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bots.slack.markup import mentioned_users, mentions, plain_text
from core.messages import Attachment, ConversationKey, IncomingMessage

PLATFORM = "slack"
MESSAGE_EVENTS = frozenset({"message", "app_mention"})
# Subtypes that are still a person (or, when allowed, a bot) saying something.
SPOKEN_SUBTYPES = frozenset({"thread_broadcast", "file_share"})
BOT_SUBTYPE = "bot_message"


@dataclass(frozen=True, slots=True)
class BotIdentity:
    """Who the bot is in this workspace (from ``auth.test``, via bolt's context)."""

    user_id: str
    bot_id: str = ""


@dataclass(frozen=True, slots=True)
class ReplyPlace:
    """Where and to whom an answer goes. ``thread_ts`` None: top level (DMs only).

    ``team`` is the *user's* team (another one for a Slack Connect guest), as
    Slack's streaming API wants it; ``workspace`` the one the app answers in
    (rate limits are counted per workspace).  ``thread_exists``: the message was itself
    a reply, so its thread is already there (an ephemeral note in a thread is
    only shown when the thread has a reply).
    """

    team: str
    channel: str
    user: str
    thread_ts: str | None
    is_dm: bool
    thread_exists: bool = False
    workspace: str = ""


@dataclass(frozen=True, slots=True)
class Skip:
    """Not a message for the core (an edit, its own echo, another bot, a channel message not for it)."""

    reason: str


@dataclass(frozen=True, slots=True)
class Delivery:
    """A message for the core, and where its answer should go."""

    message: IncomingMessage
    place: ReplyPlace


def skip_of(event: Mapping[str, Any], *, bot: BotIdentity, allow_bot_messages: bool) -> Skip | None:
    """Why this event is no message for the core (the one place that decides), or None when it is one."""
    if event.get("type") not in MESSAGE_EVENTS:
        return Skip("not_a_message")
    subtype = event.get("subtype")
    if subtype is not None and subtype not in SPOKEN_SUBTYPES and subtype != BOT_SUBTYPE:
        return Skip("subtype")
    user, bot_id = event.get("user") or "", event.get("bot_id") or ""
    if (user and user == bot.user_id) or (bot_id and bot_id == bot.bot_id):
        return Skip("own_message")
    if (bot_id or subtype == BOT_SUBTYPE) and not allow_bot_messages:
        return Skip("bot_message")
    if not (user or bot_id) or not event.get("channel") or not event.get("ts"):
        return Skip("incomplete")
    return None  # whether a channel message is for the bot is the core's gate (its channel's summoning mode)


MAX_LOOKUPS = 20  # users looked up for one message; the others keep their id (or the label Slack sent)


def users_to_resolve(event: Mapping[str, Any], *, bot: BotIdentity) -> list[str]:
    """The sender and the first users mentioned, except the bot: whose names the text needs (``MAX_LOOKUPS``)."""
    sender = event.get("user") or ""
    ids = ([sender] if sender else []) + mentioned_users(event.get("text") or "")
    return [user_id for user_id in dict.fromkeys(ids) if user_id != bot.user_id][:MAX_LOOKUPS]


def translate_event(
    event: Mapping[str, Any],
    *,
    team_id: str,
    bot: BotIdentity,
    names: Mapping[str, str],
    sender_is_admin: bool = False,
    groups: frozenset[str] = frozenset(),
) -> Delivery:
    """An event ``skip_of`` let through → the core's message and where to reply; ``names``: user id → name."""
    channel, ts = str(event["channel"]), str(event["ts"])
    thread_ts = event.get("thread_ts") or None
    raw_text = event.get("text") or ""
    mentions_bot = mentions(raw_text, bot.user_id)
    is_dm = _is_dm(event)
    if is_dm:
        thread, reply_in = "", thread_ts
    else:  # a top-level message starts its own thread (answered there, if the channel's mode answers it)
        thread = reply_in = thread_ts or ts
    user = str(event.get("user") or event.get("bot_id"))
    message = IncomingMessage(
        event_id=f"{channel}:{ts}",
        key=ConversationKey(platform=PLATFORM, workspace=team_id, channel=channel, thread=thread),
        user=user,
        text=plain_text(raw_text, bot_user_id=bot.user_id, names=names),
        is_dm=is_dm,
        mentions_bot=mentions_bot,
        in_bot_thread=bool(thread_ts) and bool(bot.user_id) and event.get("parent_user_id") == bot.user_id,
        sender_is_admin=sender_is_admin,
        user_name=names.get(user, "") or str(event.get("username") or ""),
        received_at=_time_of(ts),
        top_level=not is_dm and not thread_ts,
        groups=groups,
        attachments=attachments_of(event),
    )
    user_team = str(event.get("user_team") or event.get("team") or team_id)
    place = ReplyPlace(
        team=user_team, channel=channel, user=user, thread_ts=reply_in, is_dm=is_dm,
        thread_exists=bool(thread_ts) and thread_ts != ts, workspace=team_id,
    )
    return Delivery(message=message, place=place)


UNREADABLE_MODES = frozenset({"external", "tombstone", "hidden_by_limit"})  # no bytes on Slack to read


def attachments_of(event: Mapping[str, Any]) -> tuple[Attachment, ...]:
    """The files shared in the message itself (``files``: name, mimetype, size, url_private)."""
    found = []
    for file in event.get("files") or []:
        if not isinstance(file, Mapping) or not file.get("url_private") or file.get("mode") in UNREADABLE_MODES:
            continue
        url = file["url_private"]
        found.append(Attachment(
            name=str(file.get("name") or file.get("title") or file.get("id") or "file"),
            mime_type=str(file.get("mimetype") or ""), size=int(file.get("size") or 0), ref=str(url),
        ))
    return tuple(found)


def _is_dm(event: Mapping[str, Any]) -> bool:
    return event.get("channel_type") == "im"


def _time_of(ts: str) -> datetime | None:
    try:
        return datetime.fromtimestamp(float(ts), tz=UTC)
    except (TypeError, ValueError, OverflowError):
        return None
