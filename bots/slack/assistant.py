"""Slack's AI-app surface through bolt's ``AsyncAssistant``.

A new assistant thread gets suggested prompts (after the ack); a user message
in it is accepted like any DM message, then sets the "is thinking…" status
(and, once per thread, a title) and is answered.  With the surface off in the
app's settings none of these events arrive and DMs work as before.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import structlog
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.set_status.async_set_status import AsyncSetStatus
from slack_bolt.context.set_suggested_prompts.async_set_suggested_prompts import AsyncSetSuggestedPrompts
from slack_bolt.context.set_title.async_set_title import AsyncSetTitle
from slack_bolt.middleware.assistant.async_assistant import AsyncAssistant

from bots.slack import texts
from bots.slack.conversation import SlackConversation
from bots.slack.handoff import Ready, hand_off
from bots.slack.translate import BotIdentity
from core.process import InFlight

log = structlog.get_logger(__name__)

TITLE_CHARS = 60


def thread_title(text: str) -> str:
    first_line = next((line.strip() for line in (text or "").splitlines() if line.strip()), "")
    return first_line if len(first_line) <= TITLE_CHARS else first_line[: TITLE_CHARS - 1].rstrip() + "…"


class AssistantSurface:
    def __init__(
        self, *, conversation: SlackConversation, in_flight: InFlight, remembered_threads: int = 1_000
    ) -> None:
        self._conversation = conversation
        self._in_flight = in_flight
        self._titled: OrderedDict[str, None] = OrderedDict()
        self._remembered = remembered_threads

    def build(self) -> AsyncAssistant:
        assistant = AsyncAssistant()
        assistant.thread_started(self.on_thread_started)
        assistant.user_message(self.on_user_message)
        return assistant

    async def on_thread_started(
        self, payload: Mapping[str, Any], set_suggested_prompts: AsyncSetSuggestedPrompts
    ) -> None:
        thread = (payload.get("assistant_thread") or {}).get("thread_ts")

        async def suggest(ready: Ready) -> None:
            ready()  # nothing to keep: acked at once, the prompts set after
            try:
                await set_suggested_prompts(prompts=list(texts.ASSISTANT_PROMPTS), title=texts.ASSISTANT_PROMPTS_TITLE)
            except Exception:
                log.exception("slack.assistant_prompts_failed", thread=thread)

        await hand_off(self._in_flight, suggest)

    async def on_user_message(
        self,
        payload: Mapping[str, Any],
        body: Mapping[str, Any],
        context: AsyncBoltContext,
        set_status: AsyncSetStatus,
        set_title: AsyncSetTitle,
    ) -> None:
        async def thinking() -> None:
            try:
                await set_status(texts.ASSISTANT_THINKING)
                thread = str(payload.get("thread_ts") or "")
                if thread and thread not in self._titled and (title := thread_title(payload.get("text") or "")):
                    self._remember(thread)
                    await set_title(title)
            except Exception as error:  # a DM thread outside the assistant surface has no status or title
                log.debug("slack.assistant_status_failed", error=type(error).__name__)

        bot = BotIdentity(user_id=context.bot_user_id or "", bot_id=context.bot_id or "")
        team_id = str(body.get("team_id") or context.team_id or "")
        await self._conversation.handle(payload, team_id=team_id, bot=bot, before_answer=thinking)

    def _remember(self, thread: str) -> None:
        self._titled[thread] = None
        while len(self._titled) > self._remembered:
            self._titled.popitem(last=False)
