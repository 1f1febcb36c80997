"""REST routes for login, the gateway's address, channels, messages and threads; what other users do.

    GET  /users/@me, /oauth2/applications/@me, /gateway, /gateway/bot, /channels/{id}
    GET  /channels/{id}/messages (before|after|around, limit 1–100; empty without Read Message History),
         /channels/{id}/messages/{mid} (403 without Read Message History)
    POST /channels/{id}/messages, /channels/{id}/typing
    PATCH|DELETE /channels/{id}/messages/{mid}
    POST /channels/{id}/messages/{mid}/threads (thread id = message id)

As Discord: posting needs Send Messages (Send Messages in Threads in a
thread), a reply also Read Message History (``permissions``); a reply to a
message not in the channel is refused (50035 message_reference) unless
``fail_if_not_exists`` is false, when it is sent as a plain message.  Only
the bot's own messages can be edited (else 403 50005) or deleted without
Manage Messages; an edit that would leave a message empty is 50006.  A
thread starts only in a text channel, with Create Public Threads, from a
message in that channel (else 404 10008), once (then 400 160004).  Messages
the bot posts or edits are echoed as MESSAGE_CREATE / MESSAGE_UPDATE,
threads it starts as THREAD_CREATE.  ``send_message``, ``delete_message``
and ``start_user_thread`` are what other people do.
"""

from __future__ import annotations

from typing import Any

from tests.standins.discord_server import content, errors, payloads
from tests.standins.discord_server.permissions import Permissions
from tests.standins.discord_server.state import UPLOADS
from tests.standins.discord_server.world import (
    BOT, BOT_USER, CREATE_PUBLIC_THREADS, DM_CHANNELS, MANAGE_MESSAGES, OWNER, READ_MESSAGE_HISTORY, TEXT_CHANNELS, VIEW_CHANNEL, User,
    iso,
)


class MessageRoutes(Permissions):
    async def send_message(
        self, author: User, channel_id: int, content: str, *, reply_to: int | None = None
    ) -> dict[str, Any]:
        """``author`` posts ``content`` (mentions parsed from it), a reply to ``reply_to`` if given: stored and
        dispatched."""
        reference = {"message_id": reply_to, "channel_id": channel_id} if reply_to else None
        message = self._message(author=author, channel_id=channel_id, content=content, reference=reference)
        self.messages[int(message["id"])] = message
        await self.dispatch("MESSAGE_CREATE", message)
        return message

    async def delete_message(self, message_id: int) -> None:
        """Someone (its author, a moderator) deletes a message: gone, and MESSAGE_DELETE dispatched."""
        message = self.messages.pop(message_id)
        await self.dispatch("MESSAGE_DELETE", {k: message[k] for k in ("id", "channel_id", "guild_id") if k in message})

    async def start_user_thread(self, owner: User, parent_id: int, name: str) -> int:
        """A thread someone else started (the bot is not its owner); returns its id."""
        thread_id = self._snowflake()
        self.threads[thread_id] = payloads.thread(thread_id=thread_id, parent_id=parent_id, owner=owner, name=name)
        await self.dispatch("THREAD_CREATE", {**self.threads[thread_id], "newly_created": True})
        return thread_id

    async def _users_me(self, request, params, body):
        return 200, BOT_USER.payload()

    async def _application(self, request, params, body):
        return 200, {
            "id": str(BOT), "name": "Parley", "icon": None, "description": "", "rpc_origins": [],
            "bot_public": True, "bot_require_code_grant": False, "owner": OWNER.payload(), "summary": "",
            "verify_key": "0" * 64, "team": None, "flags": 0, "bot": BOT_USER.payload(),
        }

    async def _gateway_info(self, request, params, body):
        limit = {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}
        return 200, {"url": self.gateway_url, "shards": 1, "session_start_limit": limit}

    async def _get_channel(self, request, params, body):
        channel_id = int(params["channel_id"])
        channel = self._channel(channel_id)
        if channel is None:
            return errors.unknown_channel()
        return self._refused_unless(channel_id, VIEW_CHANNEL) or (200, channel)

    async def _open_dm(self, request, params, body):
        """Create DM: the DM channel with ``recipient_id`` (one of the world's DM channels), or 50035."""
        recipient = int(body["recipient_id"])
        for channel_id, user in DM_CHANNELS.items():
            if user.id == recipient:
                return 200, payloads.dm_channel(channel_id)
        return errors.invalid_form_body([(("recipient_id",), "BASE_TYPE_INVALID", "Unknown user or no DM possible")])

    async def _create_message(self, request, params, body):
        channel_id, body = int(params["channel_id"]), body or {}
        if self._channel(channel_id) is None:
            return errors.unknown_channel()
        reference = body.get("message_reference")
        needed = self._send_permission(channel_id) | (READ_MESSAGE_HISTORY if reference else 0)
        if (refused := self._refused_unless(channel_id, needed)) is not None:
            return refused
        if reference and not self._replies_to(channel_id, reference):
            if reference.get("fail_if_not_exists") is not False:
                return errors.invalid_form_body([(("message_reference",), "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "Unknown message")])
            reference = None  # Discord sends it as a plain message
        message = self._message(author=BOT_USER, channel_id=channel_id, content=body.get("content") or "", reference=reference)
        message["components"] = body.get("components") or []
        message["attachments"] = content.new_attachments(request.get(UPLOADS, ()), self._snowflake)
        message["components"] = body.get("components") or []  # buttons (checked against Discord's schema)
        self.messages[int(message["id"])] = message
        await self.dispatch("MESSAGE_CREATE", message)
        return 200, message

    async def _edit_message(self, request, params, body):
        message = self._message_in(params)
        if message is None:
            return errors.unknown_message()
        if int(message["author"]["id"]) != BOT:
            return errors.cannot_edit_others()
        result = content.edited(message, body or {}, content.new_attachments(request.get(UPLOADS, ()), self._snowflake))
        if content.is_empty(result):
            return errors.empty_message()
        message.update(result, edited_timestamp=iso())
        await self.dispatch("MESSAGE_UPDATE", message)
        return 200, message

    async def _delete_message(self, request, params, body):
        message = self._message_in(params)
        if message is None:
            return errors.unknown_message()
        if int(message["author"]["id"]) != BOT and (refused := self._refused_unless(
                int(params["channel_id"]), MANAGE_MESSAGES)) is not None:
            return refused
        await self.delete_message(int(message["id"]))
        return 204, None

    async def _start_thread(self, request, params, body):
        channel_id, message_id = int(params["channel_id"]), int(params["message_id"])
        if channel_id not in TEXT_CHANNELS:
            return errors.unknown_channel()
        if (refused := self._refused_unless(channel_id, CREATE_PUBLIC_THREADS)) is not None:
            return refused
        if self._message_in(params) is None:
            return errors.unknown_message()
        if message_id in self.threads:
            return errors.thread_already_created()
        thread = payloads.thread(thread_id=message_id, parent_id=channel_id, owner=BOT_USER, name=body["name"],
                                 archive_minutes=body.get("auto_archive_duration") or 1440)
        self.threads[message_id] = thread
        await self.dispatch("THREAD_CREATE", {**thread, "newly_created": True})
        return 201, thread

    async def _typing(self, request, params, body):
        channel_id = int(params["channel_id"])
        if self._channel(channel_id) is None:
            return errors.unknown_channel()
        return self._refused_unless(channel_id, VIEW_CHANNEL) or (204, None)

    async def _list_messages(self, request, params, body):
        """GET /channels/{id}/messages: newest first; ``before``, ``after``, ``around`` exclusive; limit 1–100.
        Without Read Message History the list is empty (Discord: "no messages will be returned")."""
        channel_id, query = int(params["channel_id"]), request.query
        if self._channel(channel_id) is None:
            return errors.unknown_channel()
        if (refused := self._refused_unless(channel_id, VIEW_CHANNEL)) is not None:
            return refused
        anchors = [name for name in ("before", "after", "around") if name in query]
        limit = query.get("limit", "50")
        problems = []
        if len(anchors) > 1:
            problems.append(((anchors[1],), "BASE_TYPE_BAD_VALUE", "before, after and around are mutually exclusive"))
        if not limit.isdigit() or not 1 <= int(limit) <= 100:
            problems.append((("limit",), "NUMBER_TYPE_MAX", "Must be between 1 and 100."))
        if problems:
            return errors.invalid_form_body(problems)
        bits = self.bot_permissions(channel_id)
        if bits is not None and not bits & READ_MESSAGE_HISTORY:
            return 200, []
        listed = sorted((m for m in self.messages.values() if int(m["channel_id"]) == channel_id), key=lambda m: int(m["id"]))
        count = int(limit)
        if "after" in query:
            listed = [m for m in listed if int(m["id"]) > int(query["after"])][:count]
        elif "around" in query:
            at = next((i for i, m in enumerate(listed) if int(m["id"]) >= int(query["around"])), len(listed))
            listed = listed[max(0, at - count // 2):at - count // 2 + count]
        else:
            if "before" in query:
                listed = [m for m in listed if int(m["id"]) < int(query["before"])]
            listed = listed[-count:]
        return 200, list(reversed(listed))

    async def _get_message(self, request, params, body):
        """GET /channels/{id}/messages/{mid}: needs Read Message History (403 50013 without)."""
        channel_id = int(params["channel_id"])
        if self._channel(channel_id) is None:
            return errors.unknown_channel()
        if (refused := self._refused_unless(channel_id, READ_MESSAGE_HISTORY)) is not None:
            return refused
        message = self._message_in(params)
        return (200, message) if message is not None else errors.unknown_message()

    def _message_in(self, params) -> dict[str, Any] | None:
        """The message of the route's message_id, if it is in the route's channel."""
        message = self.messages.get(int(params["message_id"]))
        return message if message is not None and int(message["channel_id"]) == int(params["channel_id"]) else None

    def _replies_to(self, channel_id: int, reference: dict[str, Any]) -> bool:
        replied = self.messages.get(int(reference["message_id"]))
        return replied is not None and int(replied["channel_id"]) == channel_id
