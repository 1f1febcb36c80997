"""``/persona`` and ``/parley`` → the core's CommandRouter; the persona form as a modal.

Slash commands are acked at once (the command then runs in a task of its own,
``handoff``); the reply goes to ``response_url``,
ephemeral unless the core says the reply announces a change to the channel,
as mrkdwn messages of at most 4,000 characters (a longer reply is split, at
most 5 messages: what one response_url takes).  Who is an admin is Slack's
verdict (workspace admin or owner *of this workspace*, from ``users.info``),
handed to the core in the ``Actor``; the core decides.

A trigger_id lives 3 seconds, so a command that opens the persona form
(``/persona create``, ``/persona edit <name>``) opens the modal first, with
``loading_view``, and only then looks up who asks and what the form needs;
the modal is then updated to the form, or to the reply when there is no form.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import structlog
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bots.slack import texts
from bots.slack.files import send_privately
from bots.slack.handoff import Ready, hand_off
from bots.slack.forms import (
    FormContext, field_errors, fits_in_form, loading_view, persona_view, result_view, submitted_fields,
)
from bots.slack.outgoing import markdown, mrkdwn, mrkdwn_pieces
from bots.slack.shares import SummaryShares
from bots.slack.translate import PLATFORM
from bots.slack.users import UserDirectory
from core.admin import Actor, CommandReply
from core.commands import CommandRouter
from core.personas.admin import PERSONA_HELP
from core.personas.values import PersonaInvalid
from core.process import InFlight

log = structlog.get_logger(__name__)

COMMANDS = ("/persona", "/parley")
RESPONSE_URL_USES = 5  # Slack: a response_url takes up to 5 messages


def is_dm_channel(channel_id: str, channel_name: str = "") -> bool:
    return channel_id.startswith("D") or channel_name == "directmessage"


def opens_a_form(name: str, args: str) -> bool:
    """Whether this command line will want the persona form: ``/persona create [name]``, ``/persona edit <name>``."""
    words = args.split()
    if name != "persona" or not words:
        return False
    sub = words[0].lower()
    return (sub == "create" and len(words) <= 2) or (sub == "edit" and len(words) == 2)


class SlackCommands:
    def __init__(
        self, *, router: CommandRouter, users: UserDirectory, in_flight: InFlight, shares: SummaryShares | None = None
    ) -> None:
        self._shares = shares
        self._router = router
        self._users = users
        self._in_flight = in_flight

    async def actor(self, *, team: str, channel: str, user: str, is_dm: bool) -> Actor:
        slack_user = await self._users.get(user, team=team, essential=True)
        return Actor(
            platform=PLATFORM, workspace=team, channel=channel, user=user, is_admin=slack_user.is_admin_in(team),
            is_dm=is_dm,
        )

    async def on_command(
        self, ack: AsyncAck, command: Mapping[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        """Acked at once; the command runs after (bolt sends the ack when this returns)."""
        await ack()

        async def run(ready: Ready) -> None:
            ready()
            await self._run(command, respond=respond, client=client)

        await hand_off(self._in_flight, run)

    async def _run(self, command: Mapping[str, Any], *, respond: AsyncRespond, client: AsyncWebClient) -> None:
        name = str(command.get("command", "")).lstrip("/")
        args = str(command.get("text") or "")
        command_log = log.bind(
            team=command.get("team_id"), channel=command.get("channel_id"), user=command.get("user_id"),
            command=name, sub=args.strip().partition(" ")[0].lower(),
        )
        modal = _Modal(client, trigger_id=str(command.get("trigger_id") or ""), log=command_log)
        try:
            if opens_a_form(name, args):
                await modal.open(loading_view())
            actor = await self.actor(
                team=str(command.get("team_id") or ""), channel=str(command.get("channel_id") or ""),
                user=str(command.get("user_id") or ""),
                is_dm=is_dm_channel(str(command.get("channel_id") or ""), str(command.get("channel_name") or "")),
            )
            reply = await self._router.run(actor, name, args)
            command_log.info("slack.command", ok=reply.ok, admin=actor.is_admin, form=reply.form is not None)
            await self._answer(reply, actor=actor, modal=modal, respond=respond, client=client, log=command_log)
        except Exception:
            command_log.exception("slack.command_failed")
            if not (modal.is_open and await modal.show(result_view(texts.COMMAND_FAILED))):
                await _respond(respond, CommandReply(texts.COMMAND_FAILED, ok=False), log=command_log)

    async def _answer(
        self, reply: CommandReply, *, actor: Actor, modal: "_Modal", respond: AsyncRespond, client: AsyncWebClient, log
    ) -> None:
        """The form in the modal, else the reply (in the modal when one is open, else at response_url)."""
        text = reply.text
        if reply.form is not None:
            persona = reply.form.persona
            if fits_in_form(persona):
                context = FormContext(channel=actor.channel, is_dm=actor.is_dm, editing=persona.name if persona else None)
                if await modal.show(persona_view(persona, context=context)):
                    return
                text = f"{texts.FORM_UNAVAILABLE} {PERSONA_HELP}"
            else:
                text = f"{texts.FORM_TOO_BIG} {PERSONA_HELP}"
        if reply.file is not None:
            sent = await send_privately(client, user=actor.user, file=reply.file, comment=mrkdwn(reply.text), log=log)
            text = f"{reply.text} {texts.FILE_SENT if sent else texts.FILE_FAILED}"
        if modal.is_open and await modal.show(result_view(mrkdwn(text))):
            return
        await _respond(respond, reply, text=text, log=log)
        fits = len(mrkdwn_pieces(text)) < RESPONSE_URL_USES  # the offer is one more message at the response_url
        if reply.ok and reply.share and self._shares is not None and not actor.is_dm and fits:
            await self._shares.offer(respond, channel=actor.channel, text=reply.share)

    async def on_form_submit(
        self, ack: AsyncAck, body: Mapping[str, Any], view: Mapping[str, Any], client: AsyncWebClient
    ) -> None:
        """The form's answer is the ack (errors, or the result view); announcing a change comes after it."""

        async def run(ready: Ready) -> None:
            await self._submit(ack, body=body, view=view, client=client, ready=ready)

        await hand_off(self._in_flight, run)

    async def _submit(
        self, ack: AsyncAck, *, body: Mapping[str, Any], view: Mapping[str, Any], client: AsyncWebClient, ready: Ready
    ) -> None:
        context = FormContext.decode(str(view.get("private_metadata") or ""))
        user = body.get("user") or {}
        team = str((body.get("team") or {}).get("id") or user.get("team_id") or "")
        form_log = log.bind(team=team, channel=context.channel, user=user.get("id"), editing=context.editing)
        try:
            actor = await self.actor(
                team=team, channel=context.channel, user=str(user.get("id") or ""), is_dm=context.is_dm
            )
            fields = submitted_fields((view.get("state") or {}).get("values") or {})
            reply = await self._router.submit_persona_form(actor, editing=context.editing, fields=fields)
        except PersonaInvalid as invalid:
            form_log.info("slack.form_invalid", fields=[e.field for e in invalid.errors])
            await ack(response_action="errors", errors=field_errors(invalid, editing=context.editing is not None))
            return
        except Exception:
            form_log.exception("slack.form_failed")
            await ack(response_action="update", view=result_view(texts.FORM_FAILED))
            return
        form_log.info("slack.form_submitted", ok=reply.ok)
        await ack(response_action="update", view=result_view(mrkdwn(reply.text)))
        ready()
        if reply.ok and not reply.ephemeral and context.channel:
            try:
                await client.chat_postMessage(channel=context.channel, markdown_text=markdown(reply.text))
            except SlackApiError as error:
                form_log.warning("slack.announce_failed", error=error.response.get("error"))


class _Modal:
    """The modal a command's trigger_id opens: opened once (within the trigger's 3 s), then updated."""

    def __init__(self, client: AsyncWebClient, *, trigger_id: str, log) -> None:
        self._client = client
        self._trigger_id = trigger_id
        self._log = log
        self._view_id: str | None = None
        self._tried = False

    @property
    def is_open(self) -> bool:
        return self._view_id is not None

    async def open(self, view: dict[str, Any]) -> bool:
        if self._tried or not self._trigger_id:
            return self.is_open
        self._tried = True
        try:
            response = await self._client.views_open(trigger_id=self._trigger_id, view=view)
            self._view_id = str((response.get("view") or {}).get("id") or "") or None
        except SlackApiError as error:
            self._log.warning("slack.form_open_failed", error=error.response.get("error"))
        return self.is_open

    async def show(self, view: dict[str, Any]) -> bool:
        """Put ``view`` in the modal (opening it if it is not yet); False when Slack refused."""
        if self._view_id is None:
            return await self.open(view)
        try:
            await self._client.views_update(view_id=self._view_id, view=view)
            return True
        except SlackApiError as error:
            self._log.warning("slack.form_update_failed", error=error.response.get("error"))
            return False


async def _respond(respond: AsyncRespond, reply: CommandReply, *, log, text: str | None = None) -> None:
    """The reply at response_url: mrkdwn messages of at most 4,000 characters, at most 5 of them."""
    pieces = mrkdwn_pieces(text if text is not None else reply.text)
    if len(pieces) > RESPONSE_URL_USES:
        pieces = pieces[: RESPONSE_URL_USES - 1] + [texts.REPLY_CUT]
    try:
        for piece in pieces:
            response = await respond(text=piece, response_type="ephemeral" if reply.ephemeral else "in_channel")
            if response.status_code != 200:
                log.warning("slack.respond_failed", status=response.status_code)
                return
    except Exception:
        log.exception("slack.respond_failed")
