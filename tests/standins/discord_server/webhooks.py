"""An interaction's webhook: follow-ups, and reading or editing the messages the interaction made.

    POST  /webhooks/{app}/{token}                  a follow-up
    GET   /webhooks/{app}/{token}/messages/{mid}   ``@original`` or a follow-up's id
    PATCH /webhooks/{app}/{token}/messages/{mid}   edit it

Discord makes the webhook with the interaction's first response: before it,
with an unknown token or another application's id, these are 404 10015
Unknown Webhook; 15 minutes after the interaction, 401 50027.  A message the
interaction did not make is 404 10008.  A follow-up right after a deferral
fills the "thinking…" message and keeps its flags (documented, deprecated:
edit ``@original`` instead); later ones are new messages.  A message left
empty is refused with 50006.
"""

from __future__ import annotations

from typing import Any

from tests.standins.discord_server import content, errors
from tests.standins.discord_server.interactions import EPHEMERAL, LOADING, TOKEN_SECONDS, InteractionState
from tests.standins.discord_server.state import UPLOADS, DiscordState
from tests.standins.discord_server.world import BOT, iso


class WebhookRoutes(DiscordState):
    async def _followup(self, request, params, body):
        state, refused = self._webhook_interaction(params)
        if state is None:
            return refused
        body, files = body or {}, request.get(UPLOADS, ())
        if state.original is not None and state.original["flags"] & LOADING:
            return self._edit_interaction_message(state.original, body, files)
        message = self._interaction_message(state, body, files)  # type: ignore[attr-defined]
        if content.is_empty(message):
            return errors.empty_message()
        state.followups.append(message)
        return 200, message

    async def _get_webhook_message(self, request, params, body):
        state, refused = self._webhook_interaction(params)
        if state is None:
            return refused
        message = state.message(params["message_id"])
        return (200, message) if message is not None else errors.unknown_message()

    async def _edit_webhook_message(self, request, params, body):
        state, refused = self._webhook_interaction(params)
        if state is None:
            return refused
        message = state.message(params["message_id"])
        if message is None:
            return errors.unknown_message()
        return self._edit_interaction_message(message, body or {}, request.get(UPLOADS, ()))

    def _webhook_interaction(self, params) -> tuple[InteractionState | None, errors.Answer]:
        state = next((s for s in self.interactions.values() if s.token == params["token"]), None)
        if state is None or params["application_id"] != str(BOT) or state.response_type is None:
            return None, errors.unknown_webhook()
        if self.now() - state.created_at > TOKEN_SECONDS:
            return None, errors.invalid_webhook_token()
        return state, (200, {})

    def _edit_interaction_message(self, message: dict[str, Any], changes: dict[str, Any], files) -> errors.Answer:
        result = content.edited(message, changes, content.new_attachments(files, self._snowflake))
        result["flags"] = (result.get("flags") or 0) & ~(LOADING | EPHEMERAL) | (message["flags"] & EPHEMERAL)
        if content.is_empty(result):
            return errors.empty_message()
        message.update(result, edited_timestamp=iso())
        return 200, message
