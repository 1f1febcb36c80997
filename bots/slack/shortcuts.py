"""The message shortcut "Summarize thread": a summary of the message's thread, posted in that thread.

Slack refuses slash commands inside threads, so this shortcut (and a mention
saying ``summarize`` in the thread) is how a thread is summarised on Slack.
It is acked at once; the core's ``/parley summarize`` then runs for the
thread (``Actor.thread``: only for a member of the channel, the same reading,
filters, limits and budgets), and the summary is posted in the thread; a
refusal goes privately to the person who asked (``response_url``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import structlog
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bots.slack import texts
from bots.slack.commands import SlackCommands
from bots.slack.handoff import Ready, hand_off
from bots.slack.outgoing import mrkdwn_pieces
from core.commands import CommandRouter
from core.process import InFlight

log = structlog.get_logger(__name__)

SUMMARIZE_THREAD = "parley_summarize_thread"  # the shortcut's callback_id, as in both manifests


class SlackShortcuts:
    def __init__(self, *, router: CommandRouter, commands: SlackCommands, in_flight: InFlight) -> None:
        self._router = router
        self._commands = commands
        self._in_flight = in_flight

    async def on_summarize_thread(
        self, ack: AsyncAck, shortcut: Mapping[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()

        async def run(ready: Ready) -> None:
            ready()
            await self._summarize(shortcut, respond=respond, client=client)

        await hand_off(self._in_flight, run)

    async def _summarize(self, shortcut: Mapping[str, Any], *, respond: AsyncRespond, client: AsyncWebClient) -> None:
        message = shortcut.get("message") or {}
        channel = str((shortcut.get("channel") or {}).get("id") or "")
        thread = str(message.get("thread_ts") or message.get("ts") or "")
        team = str((shortcut.get("team") or {}).get("id") or "")
        user = str((shortcut.get("user") or {}).get("id") or "")
        event_log = log.bind(team=team, channel=channel, thread=thread, user=user)
        try:
            actor = await self._commands.actor(team=team, channel=channel, user=user, is_dm=channel.startswith("D"))
            reply = await self._router.run(replace(actor, thread=thread), "parley", "summarize")
            event_log.info("slack.shortcut", shortcut=SUMMARIZE_THREAD, ok=reply.ok)
            if not reply.ok:
                await respond(text=mrkdwn_pieces(reply.text)[0], response_type="ephemeral")
                return
            for piece in mrkdwn_pieces(reply.text):
                await client.chat_postMessage(channel=channel, thread_ts=thread, text=piece)
        except Exception:
            event_log.exception("slack.shortcut_failed")
            await respond(text=texts.COMMAND_FAILED, response_type="ephemeral")
