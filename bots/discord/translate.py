"""A Discord message → the core's ``IncomingMessage``: pure, no I/O.

Discord's own shapes come in two forms: the gateway payload (a
``discord.types.message.Message`` dict, what the tests record) and the rich
``discord.Message`` the library builds from it.  Both are reduced to
``MessageFacts``; ``translate`` decides from the facts alone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import discord

from bots.discord.places import PLATFORM, Place
from core.messages import Attachment, ConversationKey, IncomingMessage

if TYPE_CHECKING:  # discord.types is for type checkers only (its modules import each other)
    from discord.types.message import Message as MessagePayload
    from discord.types.user import User as UserPayload

ANSWERABLE_TYPES = frozenset({discord.MessageType.default.value, discord.MessageType.reply.value})
THREAD_NAME_LIMIT = 100  # Discord's limit for a thread name
THREAD_NAME_WORDS = 8
THREAD_NAME_FALLBACK = "Parley"

_MENTION = re.compile(r"<(@!?|@&|#)(\d{1,20})>")
_NAME_NOISE = re.compile(r"[`*_~|]+")  # Markdown emphasis and code marks
_NAME_MARKUP_WORD = re.compile(r"[#>\-]+")  # a heading, quote or list marker on its own


@dataclass(frozen=True, slots=True)
class Author:
    id: int
    name: str
    is_bot: bool = False
    manages_guild: bool = False  # Manage Server in this guild, as the library's caches resolve it
    roles: tuple[int, ...] = ()  # the member's roles in this guild (they come with the message's member)


@dataclass(frozen=True, slots=True)
class MessageFacts:
    """What Parley needs to know of one Discord message, whatever form it came in."""

    id: int
    type: int
    content: str
    author: Author
    place: Place
    user_names: tuple[tuple[int, str], ...] = ()
    role_names: tuple[tuple[int, str], ...] = ()
    channel_names: tuple[tuple[int, str], ...] = ()
    created_at: datetime | None = None
    from_webhook: bool = False
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True, slots=True)
class Skip:
    """Not for the core at all (its own echo, another bot, a system message)."""

    reason: str


@dataclass(frozen=True, slots=True)
class Delivery:
    """A message for the core, and where its answer should go.

    ``start_thread``: a top-level message in a channel that can have threads
    (a mention, or any message in an ``always`` channel: the core's gate decides);
    answer in a thread started on the message (Discord gives it the message's id).
    ``reply_in_channel``: the same where no thread can be started; answer as a
    reply.  Otherwise the answer goes where the message was (DM or thread).
    """

    message: IncomingMessage
    start_thread: bool = False
    reply_in_channel: bool = False
    thread_name: str = ""

    @property
    def expects_answer(self) -> bool:
        """The core will answer unless this is a duplicate or refused (show typing at once)."""
        m = self.message
        return m.is_dm or m.mentions_bot or m.in_bot_thread


def translate(facts: MessageFacts, *, bot_id: int, allow_bots: bool = False) -> Delivery | Skip:
    if facts.author.id == bot_id:
        return Skip("own_message")
    if (facts.author.is_bot or facts.from_webhook) and not allow_bots:
        return Skip("bot_author")
    if facts.type not in ANSWERABLE_TYPES:
        return Skip("system_message")
    place = facts.place
    mentions_bot = any(user_id == bot_id for user_id, _ in facts.user_names)
    text = readable_text(facts, bot_id=bot_id)
    thread = ""
    if place.is_thread:
        thread = str(place.channel_id)
    elif not place.is_dm:
        thread = str(facts.id)  # the thread started on this message has its id; a reply uses it too
    message = IncomingMessage(
        event_id=str(facts.id),
        key=ConversationKey(
            platform=PLATFORM, workspace=place.workspace, channel=str(place.memory_channel_id), thread=thread
        ),
        user=str(facts.author.id),
        text=text,
        is_dm=place.is_dm,
        mentions_bot=mentions_bot,
        in_bot_thread=place.is_thread and place.thread_owner_id == bot_id,
        sender_is_admin=facts.author.manages_guild,
        user_name=facts.author.name,
        received_at=facts.created_at,
        top_level=not place.is_dm and not place.is_thread,
        groups=frozenset(str(role) for role in facts.author.roles),
        attachments=facts.attachments,
    )
    in_channel = not place.is_dm and not place.is_thread
    return Delivery(
        message=message,
        start_thread=in_channel and place.can_start_threads,
        reply_in_channel=in_channel and not place.can_start_threads,
        thread_name=thread_name(text) if in_channel else "",
    )


def readable_text(facts: MessageFacts, *, bot_id: int) -> str:
    """The content with the bot's mention removed and other mentions turned into names."""
    users, roles, channels = dict(facts.user_names), dict(facts.role_names), dict(facts.channel_names)

    def name_of(match: re.Match[str]) -> str:
        kind, ident = match.group(1), int(match.group(2))
        if kind in ("@", "@!"):
            if ident == bot_id:
                return ""
            return f"@{users[ident]}" if ident in users else match.group(0)
        if kind == "@&":
            return f"@{roles[ident]}" if ident in roles else match.group(0)
        return f"#{channels[ident]}" if ident in channels else match.group(0)

    bot_mention = re.compile(rf"[ \t]*<@!?{bot_id}>[ \t]?")
    text = bot_mention.sub(lambda m: " " if m.start() else "", facts.content)
    return _MENTION.sub(name_of, text).strip()


def thread_name(text: str) -> str:
    """A thread name from the first words of ``text`` (1–100 characters)."""
    words = [w for w in (_NAME_NOISE.sub("", word) for word in text.split()) if w and not _NAME_MARKUP_WORD.fullmatch(w)]
    name = ""
    for word in words[:THREAD_NAME_WORDS]:
        candidate = f"{name} {word}" if name else word
        if len(candidate) > THREAD_NAME_LIMIT:
            break
        name = candidate
    if not name and words:
        name = words[0][: THREAD_NAME_LIMIT - 1] + "…"
    return name or THREAD_NAME_FALLBACK


# --- the two forms a message comes in ---------------------------------------------


def facts_from_payload(
    data: MessagePayload,
    *,
    place: Place,
    role_names: Mapping[int, str] | None = None,
    channel_names: Mapping[int, str] | None = None,
) -> MessageFacts:
    """From a gateway MESSAGE_CREATE payload; role and channel names come from the guild."""
    author = data["author"]
    roles = role_names or {}
    channels = dict(channel_names or {})
    for mentioned in data.get("mention_channels") or []:
        channels.setdefault(int(mentioned["id"]), mentioned["name"])
    return MessageFacts(
        id=int(data["id"]),
        type=int(data["type"]),
        content=data.get("content") or "",
        author=Author(
            id=int(author["id"]), name=_display_name(author, data.get("member")), is_bot=bool(author.get("bot")),
            roles=tuple(int(role) for role in (data.get("member") or {}).get("roles") or ()),
        ),
        place=place,
        user_names=tuple((int(u["id"]), _display_name(u, u.get("member"))) for u in data.get("mentions") or []),
        role_names=tuple((int(r), roles[int(r)]) for r in data.get("mention_roles") or [] if int(r) in roles),
        channel_names=tuple(channels.items()),
        created_at=datetime.fromisoformat(data["timestamp"]) if data.get("timestamp") else None,
        from_webhook=data.get("webhook_id") is not None,
        attachments=tuple(
            Attachment(name=a["filename"], mime_type=a.get("content_type") or "", size=int(a["size"]), ref=a["url"])
            for a in data.get("attachments") or []
        ),
    )


def facts_from_message(message: discord.Message, *, place: Place) -> MessageFacts:
    """From the library's message object (names resolved from its caches)."""
    return MessageFacts(
        id=message.id,
        type=message.type.value,
        content=message.content or "",
        author=Author(
            id=message.author.id, name=message.author.display_name, is_bot=message.author.bot,
            manages_guild=isinstance(message.author, discord.Member) and message.author.guild_permissions.manage_guild,
            roles=tuple(role.id for role in message.author.roles) if isinstance(message.author, discord.Member) else (),
        ),
        place=place,
        user_names=tuple((user.id, user.display_name) for user in message.mentions),
        role_names=tuple((role.id, role.name) for role in message.role_mentions),
        channel_names=tuple((channel.id, channel.name) for channel in message.channel_mentions),
        created_at=message.created_at,
        from_webhook=message.webhook_id is not None,
        attachments=tuple(
            Attachment(name=a.filename, mime_type=a.content_type or "", size=a.size, ref=a.url)
            for a in message.attachments
        ),
    )


def _display_name(user: UserPayload, member: Mapping | None) -> str:
    return (member or {}).get("nick") or user.get("global_name") or user["username"]
