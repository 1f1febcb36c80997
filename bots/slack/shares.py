"""Sharing a private channel summary: a button under it posts it in the channel, for everyone.

The summary (``CommandReply.share``) is kept in this process for a while
(bounded, ``TTL_SECONDS``) under a random key, which is all the button
carries; pressing it posts the text in the channel the command was typed in
(mrkdwn, mentions inert) and replaces the offer with a note.  After a restart
or the TTL the button says to run the command again.
"""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

import structlog
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bots.slack import texts
from bots.slack.outgoing import mrkdwn_pieces

log = structlog.get_logger(__name__)

SHARE_ACTION = "parley_share_summary"
TTL_SECONDS = 3_600.0
MAX_KEPT = 500


class SummaryShares:
    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._kept: OrderedDict[str, tuple[float, str, str]] = OrderedDict()  # key → (until, channel, text)

    async def offer(self, respond: AsyncRespond, *, channel: str, text: str) -> None:
        """One more private message under the summary: a button that shares it in ``channel``."""
        key = secrets.token_urlsafe(12)
        self._kept[key] = (self._clock() + TTL_SECONDS, channel, text)
        while len(self._kept) > MAX_KEPT:
            self._kept.popitem(last=False)
        await respond(
            text=texts.SHARE_OFFER, response_type="ephemeral",
            blocks=[
                {"type": "section", "text": {"type": "mrkdwn", "text": texts.SHARE_OFFER}},
                {"type": "actions", "elements": [{
                    "type": "button", "action_id": SHARE_ACTION, "value": key,
                    "text": {"type": "plain_text", "text": texts.SHARE_BUTTON},
                }]},
            ],
        )

    async def on_share(
        self, ack: AsyncAck, body: Mapping[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()
        action = next(iter(body.get("actions") or []), {})
        kept = self._kept.pop(str(action.get("value") or ""), None)
        if kept is None or kept[0] < self._clock():
            await respond(text=texts.SHARE_EXPIRED, response_type="ephemeral", replace_original=True)
            return
        _, channel, text = kept
        try:
            for piece in mrkdwn_pieces(text):
                await client.chat_postMessage(channel=channel, text=piece)
        except SlackApiError as error:
            log.warning("slack.share_failed", channel=channel, error=error.response.get("error"))
            await respond(text=texts.SHARE_FAILED, response_type="ephemeral", replace_original=True)
            return
        log.info("slack.summary_shared", channel=channel)
        await respond(text=texts.SHARED, response_type="ephemeral", replace_original=True)
