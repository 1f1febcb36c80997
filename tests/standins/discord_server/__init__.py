"""A stand-in Discord for tests: REST under /api/v10 and a gateway websocket, on 127.0.0.1, port 0.

Tests drive the *real* discord.py against it; nothing inside discord.py is
mocked.  Point the library here with the two class attributes (monkeypatch):

    discord.http.Route.BASE = server.api_url
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(server.gateway_url)

The world is fixed and small: one guild (GUILD_ID) with text channels GENERAL
and QUIET, roles MODERATORS and ADMINS (Manage Server), users ALICE (admin),
BOB (member) and HELPER_BOT (another bot), DM channels DM_ALICE and DM_BOB, and
the bot itself (BOT, also the application id).

REST (every call recorded in ``calls`` with its time and status; answers are
``Content-Type: application/json`` exactly):
    GET  /users/@me, /oauth2/applications/@me, /gateway, /gateway/bot, /channels/{id}
    POST /channels/{id}/messages, /channels/{id}/typing
    PATCH|DELETE /channels/{id}/messages/{mid}
    POST /channels/{id}/messages/{mid}/threads (thread id = message id; 400 160004 the
         second time)
with Discord's permission checks for the bot (``BOT_PERMISSIONS``, what the
invite asks for; ``deny(channel, bits)`` and ``forbid_threads(channel)`` take
some away), replies only to messages that exist, edits only of its own.
    PUT  /applications/{app}/commands, /applications/{app}/guilds/{gid}/commands
    POST /interactions/{id}/{token}/callback; POST|GET|PATCH /webhooks/{app}/{token}[/messages/{mid}]
    anything else: 404, recorded.
Request bodies of these routes are checked as Discord checks them
(``validation``): against Discord's request schemas
(tests/discord_api_spec), then the documented rules the schemas do not say
(``rules``: 2,000 characters for a bot's message, each route's flags, modal
and command rules); a refusal is 400 50035 naming the field, or 50006 for a
message with nothing in it (content, embeds, attachments, components).
Interactions (``interactions``, ``webhooks``) keep Discord's rules: the first
response within 3 seconds of the stand-in's clock (``advance_clock(seconds)``
moves it on without waiting), else 10062; one initial response (a second is
40060); a deferral shows "thinking…" until ``@original`` is edited; follow-ups
and edits only once acknowledged (else 10015), only of the interaction's own
messages (else 10008), for 15 minutes (then 50027).  ``interactions`` holds an
``InteractionState`` per interaction; ``wait_for_callback`` waits for its first
response, ``wait_for_answer`` until the person sees an answer.  Calls refused
for breaking such a rule (not scripted ones) are in ``broken_rules``.
Mentions (``pings``): every message sent or edited whose ``@everyone``,
``@here``, user or role mentions (or, for a reply, its author) its
``allowed_mentions`` lets through is noted in ``pings``; a call that sends
text without ``allowed_mentions`` parsing nothing is in ``unguarded_sends``.
``fail_next(method, route, status=, code=)`` scripts one failure;
``hold_calls(method, route, when=)`` leaves matching calls unanswered and
unapplied (``held_calls``) until the stand-in closes (for a client killed
while it waits).
Every route has a per-bucket rate limit (``rate_limit=(requests, seconds)``),
announced with X-RateLimit-* headers as Discord does; going over it answers
429 (with ``Via`` and a JSON ``retry_after``, so discord.py retries) and shows
up in ``rate_limited``.

Gateway (plain-text JSON frames): HELLO; heartbeat → ACK; IDENTIFY → READY then
GUILD_CREATE (only the guilds of the identified shard); RESUME → the missed
dispatches, then RESUMED.  A session gets only what its intents ask for
(GUILDS: guilds, channels, threads; GUILD_MESSAGES and DIRECT_MESSAGES:
messages).  Dispatches: ``send_message`` (a user posts),
``start_user_thread``, ``dispatch`` (any event, e.g. the same MESSAGE_CREATE
twice), ``run_command`` and ``submit_modal`` (INTERACTION_CREATE).  Messages the
bot posts or edits are echoed as MESSAGE_CREATE / MESSAGE_UPDATE, threads it
starts as THREAD_CREATE.  Without the message-content intent, content is
blanked except in DMs and mentions of the bot; asking for that intent with
``content_intent_enabled=False`` is closed with 4014, as Discord does.
``disconnect()`` closes the socket with 4000 (the client RESUMEs and gets what
it missed); ``reconnect(replay_from=seq)`` does that, also redelivers every
dispatch from ``seq`` on, and waits for the RESUME; ``disconnect(resumable=False)``
forgets the session, so the client's RESUME gets INVALID_SESSION and it
IDENTIFYs anew (a second READY).

Modules: ``world`` (ids, users, roles, channels, permissions), ``payloads``
(the JSON of the world's objects), ``state`` (what is received and held;
waiting), ``rest`` (limits, authorization, failures, recording), ``errors``
(Discord's error answers), ``validation`` and ``rules`` (request bodies),
``pings`` (mentions), ``content`` (empty messages, edits), ``permissions``
(the bot's, per channel), ``messages`` (login, channels, messages, threads),
``interactions`` (commands, callbacks), ``webhooks`` (follow-ups, the
interaction's messages), ``gateway`` (the websocket and dispatching),
``server`` (``DiscordStandIn`` and its route table); starting and stopping is
``tests.standins.serving``.
"""

from tests.standins.discord_server.interactions import InteractionState
from tests.standins.discord_server.server import DiscordStandIn
from tests.standins.discord_server.state import RestCall
from tests.standins.discord_server.world import (
    ADMINS,
    ALICE,
    API_PREFIX,
    BOB,
    BOT,
    BOT_PERMISSIONS,
    BOT_USER,
    CREATE_PUBLIC_THREADS,
    DISCORD_EPOCH_MS,
    DM_ALICE,
    DM_BOB,
    DM_CHANNELS,
    EVERYONE_PERMISSIONS,
    FAKE_TOKEN,
    GENERAL,
    GUILD_ID,
    HELPER_BOT,
    MANAGE_GUILD,
    MANAGE_MESSAGES,
    MESSAGE_CONTENT_INTENT,
    MODERATORS,
    OWNER,
    QUIET,
    READ_MESSAGE_HISTORY,
    ROLES,
    SEND_MESSAGES,
    SEND_MESSAGES_IN_THREADS,
    TEXT_CHANNELS,
    USE_APPLICATION_COMMANDS,
    USERS,
    VIEW_CHANNEL,
    User,
)

__all__ = [
    "ADMINS", "ALICE", "API_PREFIX", "BOB", "BOT", "BOT_PERMISSIONS", "BOT_USER", "CREATE_PUBLIC_THREADS",
    "DISCORD_EPOCH_MS", "DM_ALICE", "DM_BOB", "DM_CHANNELS", "EVERYONE_PERMISSIONS", "FAKE_TOKEN", "GENERAL", "GUILD_ID",
    "HELPER_BOT", "MANAGE_GUILD", "MANAGE_MESSAGES", "MESSAGE_CONTENT_INTENT", "MODERATORS", "OWNER", "QUIET",
    "READ_MESSAGE_HISTORY", "ROLES", "SEND_MESSAGES", "SEND_MESSAGES_IN_THREADS", "TEXT_CHANNELS",
    "USE_APPLICATION_COMMANDS", "USERS", "VIEW_CHANNEL", "DiscordStandIn", "InteractionState", "RestCall", "User",
]
