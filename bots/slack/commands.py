"""``/persona`` and ``/parley`` → the core's CommandRouter; the persona form as a modal.

Slash commands are acked at once; the reply goes to ``response_url``,
ephemeral unless the core says the reply announces a change to the channel.
Who is an admin is Slack's verdict (workspace admin or owner, from
``users.info``), handed to the core in the ``Actor``; the core decides.
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
from bots.slack.outgoing import markdown, mrkdwn
from bots.slack.forms import FormContext, field_errors, fits_in_form, persona_view, result_view, submitted_fields
from bots.slack.translate import PLATFORM
from bots.slack.users import UserDirectory
from core.admin import Actor, CommandReply
from core.commands import CommandRouter
from core.personas.admin import PERSONA_HELP
from core.personas.values import PersonaForm, PersonaInvalid
from core.process import InFlight

log = structlog.get_logger(__name__)

COMMANDS = ("/persona", "/parley")


def is_dm_channel(channel_id: str, channel_name: str = "") -> bool:
    return channel_id.startswith("D") or channel_name == "directmessage"


class SlackCommands:
    def __init__(self, *, router: CommandRouter, users: UserDirectory, in_flight: InFlight) -> None:
        self._router = router
        self._users = users
        self._in_flight = in_flight

    async def actor(self, *, team: str, channel: str, user: str, is_dm: bool) -> Actor:
        slack_user = await self._users.get(user)
        return Actor(
            platform=PLATFORM, workspace=team, channel=channel, user=user, is_admin=slack_user.is_admin, is_dm=is_dm
        )

    async def on_command(
        self, ack: AsyncAck, command: Mapping[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()
        async with self._in_flight.track():
            name = str(command.get("command", "")).lstrip("/")
            args = str(command.get("text") or "")
            command_log = log.bind(
                team=command.get("team_id"), channel=command.get("channel_id"), user=command.get("user_id"),
                command=name, sub=args.strip().partition(" ")[0].lower(),
            )
            try:
                actor = await self.actor(
                    team=str(command.get("team_id") or ""), channel=str(command.get("channel_id") or ""),
                    user=str(command.get("user_id") or ""),
                    is_dm=is_dm_channel(str(command.get("channel_id") or ""), str(command.get("channel_name") or "")),
                )
                reply = await self._router.run(actor, name, args)
                command_log.info("slack.command", ok=reply.ok, admin=actor.is_admin, form=reply.form is not None)
                trigger_id = str(command.get("trigger_id") or "")
                if reply.form is not None and await self._open_form(
                    client, trigger_id=trigger_id, form=reply.form, actor=actor, log=command_log
                ):
                    return
                text = reply.text if reply.form is None else f"{texts.FORM_UNAVAILABLE} {PERSONA_HELP}"
                if reply.file is not None:
                    sent = await send_privately(client, user=actor.user, file=reply.file, comment=mrkdwn(reply.text), log=command_log)
                    text = f"{reply.text} {texts.FILE_SENT if sent else texts.FILE_FAILED}"
                await _respond(respond, reply, text=text, log=command_log)
            except Exception:
                command_log.exception("slack.command_failed")
                await _respond(respond, CommandReply(texts.COMMAND_FAILED, ok=False), log=command_log)

    async def on_form_submit(
        self, ack: AsyncAck, body: Mapping[str, Any], view: Mapping[str, Any], client: AsyncWebClient
    ) -> None:
        async with self._in_flight.track():
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
            if reply.ok and not reply.ephemeral and context.channel:
                try:
                    await client.chat_postMessage(channel=context.channel, markdown_text=markdown(reply.text))
                except SlackApiError as error:
                    form_log.warning("slack.announce_failed", error=error.response.get("error"))

    async def _open_form(
        self, client: AsyncWebClient, *, trigger_id: str, form: PersonaForm, actor: Actor, log
    ) -> bool:
        if not trigger_id or not fits_in_form(form.persona):
            return False
        context = FormContext(
            channel=actor.channel, is_dm=actor.is_dm, editing=form.persona.name if form.persona else None
        )
        try:
            await client.views_open(trigger_id=trigger_id, view=persona_view(form.persona, context=context))
            return True
        except SlackApiError as error:
            log.warning("slack.form_open_failed", error=error.response.get("error"))
            return False


async def _respond(respond: AsyncRespond, reply: CommandReply, *, log, text: str | None = None) -> None:
    try:
        response = await respond(
            text=mrkdwn(text if text is not None else reply.text),
            response_type="ephemeral" if reply.ephemeral else "in_channel",
        )
        if response.status_code != 200:
            log.warning("slack.respond_failed", status=response.status_code)
    except Exception:
        log.exception("slack.respond_failed")
