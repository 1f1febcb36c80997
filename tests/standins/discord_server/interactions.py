"""Slash commands, modals and interaction callbacks, with Discord's deadline and single acknowledgement.

    PUT  /applications/{app}/commands, /applications/{app}/guilds/{gid}/commands  (tree.sync(), kept in ``commands``)
    POST /interactions/{id}/{token}/callback

``run_command``, ``click`` (a button on a message, as it is stored: only one it really carries) and
``submit_modal`` dispatch INTERACTION_CREATE and keep an
``InteractionState``.  The first response must arrive within 3 seconds of the
stand-in's clock (``advance_clock`` moves it), else 404 10062 Unknown
interaction; an unknown id or a wrong token is 10062 too; a second initial
response is 400 40060.  A deferral (type 5) leaves the original message
"thinking…" (flag LOADING) until it is edited (``webhooks``).  A modal (type 9)
is only an initial response, and not one to a modal's submission.  A person
submits a modal only as the opened modal allows (its inputs, each within its
length, required ones filled): anything else is a test's mistake.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from tests.standins.discord_server import content, errors, payloads
from tests.standins.discord_server.state import UPLOADS, DiscordState
from tests.standins.discord_server.world import BOT, BOT_USER, GUILD_ID, User, command_id, guild_of

DEADLINE_SECONDS = 3.0  # for the first response
TOKEN_SECONDS = 15 * 60  # for follow-ups and edits
APPLICATION_COMMAND, MESSAGE_COMPONENT, MODAL_SUBMIT = 2, 3, 5  # interaction types
MESSAGE_REPLY, DEFERRED_REPLY, DEFERRED_UPDATE, UPDATE_MESSAGE, MODAL = 4, 5, 6, 7, 9  # callback types
EPHEMERAL, LOADING = 1 << 6, 1 << 7  # message flags


@dataclass
class InteractionState:
    """One interaction as Discord keeps it: its token, its first response and the messages it made."""

    id: int
    token: str
    kind: int
    user: User
    channel_id: int
    created_at: float
    response_type: int | None = None
    modal: dict[str, Any] | None = None  # the modal opened (callback type 9)
    original: dict[str, Any] | None = None  # the first message (type 4, or type 5 until edited)
    followups: list[dict[str, Any]] = field(default_factory=list)

    @property
    def answered(self) -> bool:
        """The person sees an answer: a modal, or a first message that is no longer "thinking…"."""
        if self.response_type in (DEFERRED_UPDATE, UPDATE_MESSAGE):  # a button's press acknowledged on its message
            return True
        return self.modal is not None or (self.original is not None and not self.original["flags"] & LOADING)

    def message(self, message_id: str) -> dict[str, Any] | None:
        """``@original`` or a message id; None for a message this interaction did not make."""
        if message_id == "@original":
            return self.original
        return next((m for m in (self.original, *self.followups) if m is not None and m["id"] == message_id), None)


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
        return await self._interact(APPLICATION_COMMAND, user, channel_id, data)

    async def click(self, user: User, message_id: int, custom_id: str) -> int:
        """``user`` clicks the button ``custom_id`` on a message; returns the interaction id."""
        message = self.messages[message_id]
        return await self.press_button(user, int(message["channel_id"]), message, custom_id)

    async def run_message_command(self, user: User, channel_id: int, name: str, message_id: int) -> int:
        """``user`` picks the message command ``name`` (a context menu) on a message; returns the interaction id."""
        target = self.messages[message_id]
        data: dict[str, Any] = {"id": command_id(name), "name": name, "type": 3, "target_id": str(message_id),
                                "resolved": {"messages": {str(message_id): target}}}
        if guild_of(channel_id):
            data["guild_id"] = str(GUILD_ID)
        return await self._interact(APPLICATION_COMMAND, user, channel_id, data)

    async def submit_modal(self, user: User, channel_id: int, custom_id: str, values: dict[str, str]) -> int:
        """``user`` submits the opened modal ``custom_id``, typing ``values`` (untouched inputs keep their value)."""
        inputs = _text_inputs(self._opened_modal(custom_id))
        unknown = set(values) - set(inputs)
        assert not unknown, f"the modal has no inputs {unknown}"
        submitted = {key: values.get(key, text_input.get("value") or "") for key, text_input in inputs.items()}
        for key, value in submitted.items():
            _assert_typeable(key, value, inputs[key])
        components = [
            {"type": 18, "id": i * 2 + 1, "component": {"type": 4, "id": i * 2 + 2, "custom_id": k, "value": v}}
            for i, (k, v) in enumerate(submitted.items())
        ]
        return await self._interact(MODAL_SUBMIT, user, channel_id, {"custom_id": custom_id, "components": components})

    def _opened_modal(self, custom_id: str) -> dict[str, Any]:
        opened = [s.modal for s in self.interactions.values() if s.modal and s.modal["custom_id"] == custom_id]
        assert opened, f"no modal {custom_id!r} was opened"
        return opened[-1]

    async def press_button(self, user: User, channel_id: int, message: dict[str, Any], custom_id: str) -> int:
        """``user`` presses the button ``custom_id`` on ``message`` (an interaction's message); the interaction id."""
        buttons = [c for row in message.get("components") or [] for c in row.get("components") or []]
        assert any(b.get("custom_id") == custom_id for b in buttons), f"no button {custom_id} on that message"
        return await self._interact(MESSAGE_COMPONENT, user, channel_id, {"custom_id": custom_id, "component_type": 2},
                                    message=message)

    async def _interact(
        self, kind: int, user: User, channel_id: int, data: dict[str, Any], *, message: dict[str, Any] | None = None
    ) -> int:
        interaction_id = self._snowflake()
        state = InteractionState(
            id=interaction_id, token=f"interaction-token-{uuid.uuid4().hex}", kind=kind, user=user,
            channel_id=channel_id, created_at=self.now(),
        )
        self.interactions[interaction_id] = state
        payload = payloads.interaction(interaction_id, kind, user, channel_id, self._channel(channel_id), data)
        if message is not None:
            payload["message"] = message
        await self.dispatch("INTERACTION_CREATE", {**payload, "token": state.token})
        return interaction_id

    async def _sync_commands(self, request, params, body):
        scope = params.get("guild_id") or "global"
        synced = [
            {"description": "", **command, "id": command_id(command["name"]), "application_id": str(BOT), "version": "1",
             **({"guild_id": scope} if scope != "global" else {})}
            for command in body or []
        ]
        self.commands[scope] = synced
        return 200, synced

    async def _interaction_callback(self, request, params, body):
        state = self.interactions.get(int(params["interaction_id"]))
        if state is None or state.token != params["token"]:
            return errors.unknown_interaction()
        if state.response_type is not None:
            return errors.already_acknowledged()
        if self.now() - state.created_at > DEADLINE_SECONDS:
            return errors.unknown_interaction()  # the token died: the person saw "The application did not respond"
        kind = body["type"]
        if kind == MODAL and state.kind == MODAL_SUBMIT:
            return errors.invalid_form_body([(("type",), "INTERACTION_CALLBACK_TYPE_INVALID", "Invalid callback type.")])
        if kind in (DEFERRED_UPDATE, UPDATE_MESSAGE) and state.kind != MESSAGE_COMPONENT:  # only for a component's message
            return errors.invalid_form_body([(("type",), "INTERACTION_CALLBACK_TYPE_INVALID", "Invalid callback type.")])
        state.response_type = kind
        self.callbacks[state.id] = body
        answer: dict[str, Any] = {"interaction": {"id": str(state.id), "type": state.kind,
                                                  "response_message_loading": False,
                                                  "response_message_ephemeral": False}}
        answer["resource"] = {"type": kind}
        if kind == MODAL:
            state.modal = body["data"]
        elif kind in (MESSAGE_REPLY, DEFERRED_REPLY):
            state.original = self._interaction_message(state, body.get("data") or {}, request.get(UPLOADS, ()),
                                                      loading=kind == DEFERRED_REPLY)
            flags = state.original["flags"]
            answer["interaction"].update(response_message_id=state.original["id"],
                                         response_message_loading=bool(flags & LOADING),
                                         response_message_ephemeral=bool(flags & EPHEMERAL))
            if kind == MESSAGE_REPLY:
                answer["resource"]["message"] = state.original
        return 200, answer

    def _interaction_message(
        self, state: InteractionState, data: dict[str, Any], files, *, loading: bool = False
    ) -> dict[str, Any]:
        """A message an interaction made (not posted in the channel's history: Parley's are ephemeral)."""
        flags = (data.get("flags") or 0) | (LOADING if loading else 0)
        message = self._message(author=BOT_USER, channel_id=state.channel_id, content=data.get("content") or "",
                                flags=flags)
        message["attachments"] = content.new_attachments(files, self._snowflake)
        message["interaction_id"] = str(state.id)
        if data.get("components"):
            message["components"] = data["components"]
        return message


def _text_inputs(modal: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The modal's text inputs by custom_id (in labels or, the older way, in action rows)."""
    found: dict[str, dict[str, Any]] = {}
    for row in modal["components"]:
        children = [row["component"]] if row["type"] == 18 else row.get("components", [])
        found.update({c["custom_id"]: c for c in children if c["type"] == 4})
    return found


def _assert_typeable(key: str, value: str, text_input: dict[str, Any]) -> None:
    """What Discord's client lets a person submit: required inputs filled, each within its lengths."""
    if text_input.get("required", True):
        assert value, f"{key} is required: Discord does not let the person submit it empty"
    if value:
        low, high = text_input.get("min_length") or 0, text_input.get("max_length") or 4000
        assert low <= len(value) <= high, f"{key}: Discord lets a person type {low}–{high} characters here"
