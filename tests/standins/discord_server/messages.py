"""REST routes for login, the gateway's address, channels, messages and threads; users posting and starting threads.

    GET  /users/@me, /oauth2/applications/@me, /gateway, /gateway/bot, /channels/{id}
    POST /channels/{id}/messages (bodies checked in ``validation``), /channels/{id}/typing
    PATCH|DELETE /channels/{id}/messages/{mid} (an edit that would empty the message: 50006)
    POST /channels/{id}/messages/{mid}/threads (thread id = message id; 400 160004 the
         second time; 403 50013 where ``forbid_threads(channel)`` was called)

Messages the bot posts or edits are echoed as MESSAGE_CREATE / MESSAGE_UPDATE,
threads it starts as THREAD_CREATE.  ``send_message`` (a user posts) and
``start_user_thread`` dispatch what another user does.
"""

from __future__ import annotations

from typing import Any

from tests.standins.discord_server import content, errors, payloads
from tests.standins.discord_server.state import UPLOADS, DiscordState
from tests.standins.discord_server.world import BOT, BOT_USER, OWNER, User, iso


class MessageRoutes(DiscordState):
    def forbid_threads(self, channel_id: int) -> None:
        """Starting a thread in ``channel_id`` answers 403 Missing Permissions from now on."""
        self._forbidden_threads.add(channel_id)

    async def send_message(self, author: User, channel_id: int, content: str) -> dict[str, Any]:
        """``author`` posts ``content`` (mentions parsed from it): stored and dispatched."""
        message = self._message(author=author, channel_id=channel_id, content=content)
        self.messages[int(message["id"])] = message
        await self.dispatch("MESSAGE_CREATE", message)
        return message

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
        channel = self._channel(int(params["channel_id"]))
        return (200, channel) if channel else (404, {"message": "Unknown Channel", "code": 10003})

    async def _create_message(self, request, params, body):
        channel_id = int(params["channel_id"])
        if self._channel(channel_id) is None:
            return errors.unknown_channel()
        reference = (body or {}).get("message_reference")
        message = self._message(author=BOT_USER, channel_id=channel_id, content=body.get("content") or "", reference=reference)
        message["attachments"] = content.new_attachments(request.get(UPLOADS, ()), self._snowflake)
        self.messages[int(message["id"])] = message
        await self.dispatch("MESSAGE_CREATE", message)
        return 200, message

    async def _edit_message(self, request, params, body):
        message = self.messages.get(int(params["message_id"]))
        if message is None or int(message["channel_id"]) != int(params["channel_id"]):
            return errors.unknown_message()
        result = content.edited(message, body or {}, content.new_attachments(request.get(UPLOADS, ()), self._snowflake))
        if content.is_empty(result):
            return errors.empty_message()
        message.update(result, edited_timestamp=iso())
        await self.dispatch("MESSAGE_UPDATE", message)
        return 200, message

    async def _delete_message(self, request, params, body):
        message = self.messages.pop(int(params["message_id"]), None)
        if message is None:
            return 404, {"message": "Unknown Message", "code": 10008}
        deleted = {k: message[k] for k in ("id", "channel_id", "guild_id") if k in message}
        await self.dispatch("MESSAGE_DELETE", deleted)
        return 204, None

    async def _start_thread(self, request, params, body):
        channel_id, message_id = int(params["channel_id"]), int(params["message_id"])
        if channel_id in self._forbidden_threads:
            return 403, {"message": "Missing Permissions", "code": 50013}
        if message_id in self.threads:
            return 400, {"message": "A thread has already been created for this message", "code": 160004}
        name = (body or {}).get("name") or ""
        if not 1 <= len(name) <= 100:
            return 400, {"message": "Invalid Form Body", "code": 50035, "errors": {"name": {"_errors": []}}}
        thread = payloads.thread(thread_id=message_id, parent_id=channel_id, owner=BOT_USER, name=name,
                                 archive_minutes=(body or {}).get("auto_archive_duration") or 1440)
        self.threads[message_id] = thread
        await self.dispatch("THREAD_CREATE", {**thread, "newly_created": True})
        return 201, thread

    async def _typing(self, request, params, body):
        return 204, None

