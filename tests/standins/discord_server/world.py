"""The stand-in Discord's fixed, small world: ids, users, roles, channels, and Discord's constants.

One guild (GUILD_ID) with text channels GENERAL and QUIET, roles MODERATORS
and ADMINS (Manage Server), users ALICE (admin), BOB (member) and HELPER_BOT
(another bot), DM channels DM_ALICE and DM_BOB, and the bot itself (BOT, also
the application id).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

API_PREFIX = "/api/v10"
FAKE_TOKEN = "fake-discord-token-for-tests"
DISCORD_EPOCH_MS = 1_420_070_400_000
MESSAGE_CONTENT_INTENT = 1 << 15

# Permission bits (Discord's values)
MANAGE_GUILD = 1 << 5
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
READ_MESSAGE_HISTORY = 1 << 16
USE_APPLICATION_COMMANDS = 1 << 31
CREATE_PUBLIC_THREADS = 1 << 35
SEND_MESSAGES_IN_THREADS = 1 << 38
MANAGE_MESSAGES = 1 << 13
#: the bot's permissions in every guild channel: exactly what Parley's invite URL asks for (README, Discord setup)
BOT_PERMISSIONS = VIEW_CHANNEL | SEND_MESSAGES | SEND_MESSAGES_IN_THREADS | CREATE_PUBLIC_THREADS | READ_MESSAGE_HISTORY
EVERYONE_PERMISSIONS = (
    VIEW_CHANNEL | SEND_MESSAGES | READ_MESSAGE_HISTORY | USE_APPLICATION_COMMANDS
    | CREATE_PUBLIC_THREADS | SEND_MESSAGES_IN_THREADS
)

BOT = 1_100_000_000_000_000_001
GUILD_ID = 1_200_000_000_000_000_001
GENERAL = 1_300_000_000_000_000_001
QUIET = 1_300_000_000_000_000_002
MODERATORS = 1_400_000_000_000_000_001
ADMINS = 1_400_000_000_000_000_002
DM_ALICE = 1_600_000_000_000_000_001
DM_BOB = 1_600_000_000_000_000_002


@dataclass(frozen=True)
class User:
    id: int
    username: str
    global_name: str | None = None
    bot: bool = False
    roles: tuple[int, ...] = ()

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id), "username": self.username, "discriminator": "0", "global_name": self.global_name,
            "avatar": None, "bot": self.bot, "public_flags": 0,
        }


BOT_USER = User(BOT, "parley", "Parley", bot=True)
OWNER = User(1_500_000_000_000_000_009, "owner", "Owner")
ALICE = User(1_500_000_000_000_000_001, "alice", "Alice", roles=(ADMINS,))
BOB = User(1_500_000_000_000_000_002, "bob", "Bob", roles=(MODERATORS,))
HELPER_BOT = User(1_500_000_000_000_000_003, "helper", "Helper", bot=True)
USERS = {u.id: u for u in (BOT_USER, OWNER, ALICE, BOB, HELPER_BOT)}
ROLES = {GUILD_ID: ("@everyone", EVERYONE_PERMISSIONS), MODERATORS: ("Moderators", 0), ADMINS: ("Admins", MANAGE_GUILD)}
TEXT_CHANNELS = {GENERAL: "general", QUIET: "quiet"}
DM_CHANNELS = {DM_ALICE: ALICE, DM_BOB: BOB}


def iso(moment: float | None = None) -> str:
    return datetime.fromtimestamp(moment or time.time(), timezone.utc).isoformat()


def command_id(name: str) -> str:
    """A stable id for an application command, from its name."""
    return str(int(hashlib.sha1(name.encode()).hexdigest()[:12], 16))


def guild_of(channel_id: int) -> int | None:
    return None if channel_id in DM_CHANNELS else GUILD_ID


def permissions_of(user: User) -> int:
    """@everyone's permissions and those of the user's roles."""
    bits = ROLES[GUILD_ID][1]
    for role in user.roles:
        bits |= ROLES[role][1]
    return bits
