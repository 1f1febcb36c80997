"""Slash commands, modals, interaction callbacks and webhooks (follow-ups).

    PUT  /applications/{app}/commands, /applications/{app}/guilds/{gid}/commands  (tree.sync(), kept in ``commands``)
    POST /interactions/{id}/{token}/callback  (kept in ``callbacks``)
    POST|GET|PATCH /webhooks/{app}/{token}[/messages/{mid}]

``run_command`` and ``submit_modal`` dispatch INTERACTION_CREATE.
"""

from __future__ import annotations

from typing import Any

from tests.standins.discord_server import payloads
from tests.standins.discord_server.state import DiscordState
from tests.standins.discord_server.world import BOT, BOT_USER, GUILD_ID, User, command_id, guild_of


class InteractionRoutes(DiscordState):
    async def run_command(
        self, user: User, channel_id: int, command: str, sub: str, options: dict[str, str] | None = None
    ) -> int:
        """``user`` runs ``/command sub [options]``; returns the interaction id."""
        sub_option: dict[str, Any] = {"type": 1, "name": sub}
        if options:
            sub_option["options"] = [{"type": 3, "name": k, "value": v} for k, v in options.items()]
        data: dict[str, Any] = {"id": command_id(command), "name": command, "type": 1, "options": [sub_option]}
        if guild_of(channel_id):
            data["guild_id"] = str(GUILD_ID)
        return await self._interact(2, user, channel_id, data)

    async def submit_modal(self, user: User, channel_id: int, custom_id: str, values: dict[str, str]) -> int:
        """``user`` submits the modal ``custom_id`` (text inputs: custom_id → value); returns the interaction id."""
        components = [
            {"type": 18, "id": i * 2 + 1, "component": {"type": 4, "id": i * 2 + 2, "custom_id": k, "value": v}}
            for i, (k, v) in enumerate(values.items())
        ]
        return await self._interact(5, user, channel_id, {"custom_id": custom_id, "components": components})

    async def _interact(self, kind: int, user: User, channel_id: int, data: dict[str, Any]) -> int:
        interaction_id = self._snowflake()
        payload = payloads.interaction(interaction_id, kind, user, channel_id, self._channel(channel_id), data)
        await self.dispatch("INTERACTION_CREATE", payload)
        return interaction_id

    async def _sync_commands(self, request, params, body):
        scope = params.get("guild_id") or "global"
        synced = [
            {**command, "id": command_id(command["name"]), "application_id": str(BOT), "version": "1",
             **({"guild_id": scope} if scope != "global" else {})}
            for command in body or []
        ]
        self.commands[scope] = synced
        return 200, synced

    async def _interaction_callback(self, request, params, body):
        interaction_id = int(params["interaction_id"])
        self.callbacks[interaction_id] = body
        kind = body.get("type")
        answer: dict[str, Any] = {"interaction": {"id": str(interaction_id), "type": 2, "response_message_loading": False,
                                                  "response_message_ephemeral": False}}
        if kind == 4:
            data = body.get("data") or {}
            message = self._message(author=BOT_USER, channel_id=0, content=data.get("content") or "", flags=data.get("flags", 0))
            answer["interaction"].update(response_message_id=message["id"],
                                         response_message_ephemeral=bool(message["flags"] & 64))
            answer["resource"] = {"type": 4, "message": message}
        else:
            answer["resource"] = {"type": kind}
        return 200, answer

    async def _followup(self, request, params, body):
        return 200, self._message(author=BOT_USER, channel_id=0, content=(body or {}).get("content") or "",
                                  flags=(body or {}).get("flags", 0))

    async def _webhook_message(self, request, params, body):
        return 200, self._message(author=BOT_USER, channel_id=0, content=(body or {}).get("content") or "")

