"""Showing what a process that went away left unanswered: the core's ``Redelivery`` port, for ``Recovery``.

What the dead process half-showed (``PendingMessage.reply_ref``, written by
the renderer, see ``reply_ref``) is ended first: a stream that may still be
open is stopped (chat.stopStream; Slack answers
``message_not_in_streaming_state`` when it has ended already, as it does by
itself about 5 minutes after it started), then the message is edited
(chat.update; an open stream cannot be) to a short note that the full answer
follows.  The reply is then shown like any other (``ReplyRenderer``), where
the person asked, and noted in turn: a crash now leaves nothing half-shown
either.  An apology (a message too old to answer) takes the half-shown
message's place, or, when nothing was shown, goes where a refusal goes
(only to the asker; in the thread only once the thread exists).

Each redelivery counts in ``InFlight``, so a drain lets it finish.  Once the
process is stopping (``close``), a message is not started any more: it is
released with the rest for the next process.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import structlog
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bots.slack import texts
from bots.slack.clients import NotInstalled
from bots.slack.conversation import SlackConversation, just
from bots.slack.live_message import STREAMING
from bots.slack.outgoing import markdown
from bots.slack.rate_limits import Rests
from bots.slack.reply_ref import STREAM, ReplyRef, place_of
from core.messages import Outcome, OutcomeKind, ReplyEvent
from core.process import InFlight
from core.records import PendingMessage

log = structlog.get_logger(__name__)

NOT_STREAMING = "message_not_in_streaming_state"  # the stream ended already (stopped, or timed out)


class SlackRedelivery:
    def __init__(
        self, *, conversation: SlackConversation, rests: Rests, in_flight: InFlight
    ) -> None:
        self._conversation = conversation
        self._rests = rests
        self._in_flight = in_flight
        self._closing = False

    def close(self) -> None:
        """The process is stopping: leave what is not started yet to the next one."""
        self._closing = True

    async def redeliver(self, pending: PendingMessage, replies: AsyncIterator[ReplyEvent]) -> None:
        if self._closing:
            await _close(replies)  # never started: the message stays this process's until it releases it
            return
        async with self._in_flight.track():
            ref = ReplyRef.parse(pending.reply_ref)
            message_log = _log_of(pending)
            client = await self._client_or_none(pending, message_log)
            if client is None:
                await _close(replies)  # taken again later, then given up on as too late (apologise)
                return
            if ref is not None and ref.shown:
                await self._replace(client, ref, texts.REPLY_INTERRUPTED, workspace=pending.message.key.workspace,
                                    log=message_log)
            place = place_of(pending.message, ref)
            renderer = self._conversation.renderer(place, message=pending.message, log=message_log, client=client)
            kind = await renderer.render(replies)
            message_log.info("slack.redelivered", outcome=kind.value if kind is not None else None,
                             replaced=bool(ref is not None and ref.shown))

    async def apologise(self, pending: PendingMessage, text: str) -> None:
        async with self._in_flight.track():
            ref = ReplyRef.parse(pending.reply_ref)
            message_log = _log_of(pending)
            workspace = pending.message.key.workspace
            client = await self._client_or_none(pending, message_log)
            if client is None:
                return  # nobody there to tell: the message is finished as failed
            if ref is not None and ref.shown and await self._replace(
                client, ref, text, workspace=workspace, log=message_log
            ):
                return
            place = place_of(pending.message, ref)
            renderer = self._conversation.renderer(place, message=pending.message, log=message_log, client=client)
            await renderer.render(just(Outcome(OutcomeKind.FAILED, text=text, reason="too_late")))

    async def _client_or_none(self, pending: PendingMessage, log) -> AsyncWebClient | None:
        """The workspace's client; None when the app was uninstalled there meanwhile (no token to answer with)."""
        try:
            return await self._conversation.client_for(pending.message.key.workspace)
        except NotInstalled:
            log.warning("slack.redelivery_not_installed")
            return None

    async def _replace(self, client: AsyncWebClient, ref: ReplyRef, text: str, *, workspace: str, log) -> bool:
        """End the message's stream if it may be open, then make it say ``text``; False when Slack refused."""
        try:
            if ref.kind == STREAM:
                try:
                    await client.chat_stopStream(channel=ref.channel, ts=ref.ts)
                except SlackApiError as error:
                    self._rests.note(workspace, STREAMING, error)
                    if error.response.get("error") != NOT_STREAMING:
                        raise
            await client.chat_update(channel=ref.channel, ts=ref.ts, markdown_text=markdown(text))
            return True
        except SlackApiError as error:  # deleted meanwhile, or Slack refuses: the answer is shown anyway
            log.warning("slack.half_reply_left", error=str(error.response.get("error") or "unknown_error"))
            return False


async def _close(replies: AsyncIterator[ReplyEvent]) -> None:
    aclose = getattr(replies, "aclose", None)
    if aclose is not None:
        await aclose()


def _log_of(pending: PendingMessage):
    key = pending.message.key
    return log.bind(team=key.workspace, channel=key.channel, thread=key.thread, event_id=pending.message.event_id,
                    state=pending.state, attempt=pending.attempts)
