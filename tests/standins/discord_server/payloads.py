"""The JSON Discord sends for the world's objects: channels, threads, members, the guild, messages, interactions.

Pure builders: the ids they need (snowflakes, threads) are passed in by the
stand-in, which keeps the state.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from tests.standins.discord_server.world import (
    BOT, BOT_USER, DM_CHANNELS, EVERYONE_PERMISSIONS, GUILD_ID, OWNER, ROLES, TEXT_CHANNELS, USERS, User, guild_of,
    iso, permissions_of,
)


def text_channel(channel_id: int) -> dict[str, Any]:
    return {
        "id": str(channel_id), "type": 0, "guild_id": str(GUILD_ID), "name": TEXT_CHANNELS[channel_id],
        "position": list(TEXT_CHANNELS).index(channel_id), "permission_overwrites": [], "nsfw": False,
        "parent_id": None, "topic": None, "last_message_id": None, "rate_limit_per_user": 0,
        "default_auto_archive_duration": 1440, "flags": 0,
    }


def dm_channel(channel_id: int) -> dict[str, Any]:
    return {"id": str(channel_id), "type": 1, "recipients": [DM_CHANNELS[channel_id].payload()],
            "last_message_id": None, "flags": 0}


def thread(*, thread_id: int, parent_id: int, owner: User, name: str, archive_minutes: int = 1440) -> dict[str, Any]:
    now = iso()
    return {
        "id": str(thread_id), "type": 11, "guild_id": str(GUILD_ID), "parent_id": str(parent_id),
        "owner_id": str(owner.id), "name": name, "last_message_id": None, "message_count": 0,
        "member_count": 1, "rate_limit_per_user": 0, "flags": 0, "total_message_sent": 0,
        "thread_metadata": {"archived": False, "auto_archive_duration": archive_minutes,
                            "archive_timestamp": now, "locked": False, "create_timestamp": now},
    }


def member(user: User) -> dict[str, Any]:
    return {"roles": [str(r) for r in user.roles], "joined_at": iso(0.0 + 1_600_000_000), "deaf": False,
            "mute": False, "flags": 0, "nick": None, "avatar": None, "premium_since": None, "pending": False}


def guild(threads: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """GUILD_CREATE's guild, with its roles, text channels, ``threads`` and the bot as member."""
    return {
        "id": str(GUILD_ID), "name": "Parley test guild", "icon": None, "owner_id": str(OWNER.id),
        "afk_timeout": 300, "verification_level": 0, "default_message_notifications": 0,
        "explicit_content_filter": 0, "features": [], "mfa_level": 0, "system_channel_id": None,
        "system_channel_flags": 0, "rules_channel_id": None, "vanity_url_code": None, "description": None,
        "banner": None, "premium_tier": 0, "preferred_locale": "en-US", "nsfw_level": 0,
        "premium_progress_bar_enabled": False, "emojis": [], "stickers": [], "large": False,
        "unavailable": False, "member_count": len(USERS), "joined_at": iso(),
        "roles": [
            {"id": str(rid), "name": name, "permissions": str(bits), "position": i, "color": 0, "hoist": False,
             "icon": None, "unicode_emoji": None, "managed": False, "mentionable": True, "flags": 0}
            for i, (rid, (name, bits)) in enumerate(ROLES.items())
        ],
        "channels": [text_channel(cid) for cid in TEXT_CHANNELS],
        "threads": list(threads),
        "members": [{**member(BOT_USER), "user": BOT_USER.payload()}],
        "voice_states": [], "presences": [], "stage_instances": [], "guild_scheduled_events": [],
    }


def message(
    message_id: int, *, author: User, channel_id: int, content: str, reference: dict | None = None, flags: int = 0
) -> dict[str, Any]:
    """A message (mentions of users and roles parsed from ``content``); ``channel_id`` 0: no channel, no guild."""
    guild_id = guild_of(channel_id) if channel_id else None
    mentioned = [USERS[int(i)] for i in dict.fromkeys(re.findall(r"<@!?(\d+)>", content)) if int(i) in USERS]
    payload: dict[str, Any] = {
        "id": str(message_id), "channel_id": str(channel_id), "author": author.payload(),
        "content": content, "timestamp": iso(), "edited_timestamp": None, "tts": False,
        "mention_everyone": False, "attachments": [], "embeds": [], "pinned": False, "components": [],
        "mentions": [{**u.payload(), **({"member": member(u)} if guild_id else {})} for u in mentioned],
        "mention_roles": [r for r in dict.fromkeys(re.findall(r"<@&(\d+)>", content)) if int(r) in ROLES],
        "type": 19 if reference else 0, "flags": flags,
    }
    if guild_id:
        payload["guild_id"] = str(guild_id)
        payload["member"] = member(author)
    if reference:
        ids = {k: str(reference[k]) for k in ("message_id", "channel_id", "guild_id") if reference.get(k)}
        payload["message_reference"] = {"type": 0, **ids}
    return payload


def interaction(
    interaction_id: int, kind: int, user: User, channel_id: int, channel: dict[str, Any] | None, data: dict[str, Any]
) -> dict[str, Any]:
    """INTERACTION_CREATE's interaction: ``kind`` 2 a slash command, 5 a modal submitted."""
    guild_id = guild_of(channel_id)
    payload: dict[str, Any] = {
        "id": str(interaction_id), "application_id": str(BOT), "type": kind, "data": data,
        "token": f"interaction-token-{interaction_id}", "version": 1, "attachment_size_limit": 10_485_760,
        "locale": "en-US", "entitlements": [], "channel_id": str(channel_id), "channel": channel,
        "app_permissions": str(EVERYONE_PERMISSIONS), "context": 0 if guild_id else 1,
        "authorizing_integration_owners": {"0": str(GUILD_ID)} if guild_id else {"1": str(user.id)},
    }
    if guild_id:
        payload.update(guild_id=str(guild_id), guild={"id": str(guild_id), "locale": "en-US", "features": []},
                       guild_locale="en-US",
                       member={**member(user), "user": user.payload(), "permissions": str(permissions_of(user))})
    else:
        payload["user"] = user.payload()
    return payload


def attachment(attachment_id: int, filename: str, size: int) -> dict[str, Any]:
    url = f"https://cdn.discordapp.invalid/attachments/{attachment_id}/{filename}"
    return {"id": str(attachment_id), "filename": filename, "size": size, "url": url, "proxy_url": url}
