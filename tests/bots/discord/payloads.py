"""Gateway MESSAGE_CREATE payloads in Discord's recorded shape (``discord.types.message.Message``).

Ids are Discord snowflakes; the bot is 1100…0001, the guild 1200…0001, #general 1300…0001.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from discord.types.message import Message

BOT_ID = 1100000000000000001
GUILD_ID = 1200000000000000001
GENERAL_ID = 1300000000000000001
THREAD_ID = 1574437235430785027
ALICE_ID = 1500000000000000001
BOB_ID = 1500000000000000002
MODERATORS_ID = 1400000000000000001

_ALICE = {"id": str(ALICE_ID), "username": "alice", "discriminator": "0", "global_name": "Alice",
          "avatar": None, "public_flags": 0, "primary_guild": None, "collectibles": None, "clan": None}
_ALICE_MEMBER = {"roles": ["1400000000000000002"], "premium_since": None, "pending": False, "nick": "Ally",
                 "mute": False, "joined_at": "2024-05-01T09:30:12.041000+00:00", "flags": 0, "deaf": False,
                 "communication_disabled_until": None, "banner": None, "avatar": None}
_BOT_MENTION = {"id": str(BOT_ID), "username": "parley", "discriminator": "0", "global_name": "Parley",
                "avatar": None, "bot": True, "public_flags": 0,
                "member": {"roles": [], "nick": None, "joined_at": "2024-05-01T09:31:00+00:00", "flags": 0,
                           "deaf": False, "mute": False, "premium_since": None, "pending": False}}
_BOB_MENTION = {"id": str(BOB_ID), "username": "bob", "discriminator": "0", "global_name": None,
                "avatar": None, "public_flags": 0,
                "member": {"roles": [str(MODERATORS_ID)], "nick": "Bobby", "joined_at": "2024-05-02T10:00:00+00:00",
                           "flags": 0, "deaf": False, "mute": False, "premium_since": None, "pending": False}}

GUILD_MENTION: Message = {  # type: ignore[typeddict-item]
    "type": 0,
    "tts": False,
    "timestamp": "2025-03-14T15:09:26.535000+00:00",
    "pinned": False,
    "nonce": "1350127541290811392",
    "mentions": [_BOT_MENTION, _BOB_MENTION],
    "mention_roles": [str(MODERATORS_ID)],
    "mention_everyone": False,
    "member": _ALICE_MEMBER,
    "id": "1350127543572594708",
    "flags": 0,
    "embeds": [],
    "edited_timestamp": None,
    "content": f"<@{BOT_ID}> ask <@{BOB_ID}> and <@&{MODERATORS_ID}> about <#{GENERAL_ID}> please",
    "components": [],
    "channel_type": 0,
    "channel_id": str(GENERAL_ID),
    "author": _ALICE,
    "attachments": [],
    "guild_id": str(GUILD_ID),
}

THREAD_FOLLOW_UP: Message = {  # type: ignore[typeddict-item]
    **copy.deepcopy(GUILD_MENTION),
    "id": "1350127999999999999",
    "channel_id": str(THREAD_ID),
    "channel_type": 11,
    "mentions": [],
    "mention_roles": [],
    "content": "and what about tomorrow?",
}

DIRECT_MESSAGE: Message = {  # type: ignore[typeddict-item]
    "type": 0,
    "tts": False,
    "timestamp": "2025-03-14T16:00:00.000000+00:00",
    "pinned": False,
    "nonce": "1350130000000000000",
    "mentions": [],
    "mention_roles": [],
    "mention_everyone": False,
    "id": "1350130002000000000",
    "flags": 0,
    "embeds": [],
    "edited_timestamp": None,
    "content": "hello in private",
    "components": [],
    "channel_type": 1,
    "channel_id": "1600000000000000001",
    "author": _ALICE,
    "attachments": [],
}


def variant(payload: Message, **changes: Any) -> Message:
    """A deep copy of ``payload`` with top-level keys changed."""
    changed = copy.deepcopy(payload)
    changed.update(changes)  # type: ignore[typeddict-item]
    return changed
