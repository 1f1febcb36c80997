"""The core's reply stream → Slack messages.

- Text streams into one live message (chat streaming API in threads, falling
  back to chat.postMessage + chat.update), at most once per ``interval``.
- The final answer replaces what was streamed; an answer longer than one
  Slack message is split with ``split_markdown`` (code fences intact) into
  several thread replies.  Notices become an italic footer line.
- Refusals are short and ephemeral in channels (a plain message in DMs); a
  refusal after text was shown replaces that text.  IGNORED shows nothing.
  Slack shows an ephemeral note in a thread only once the thread has a reply,
  so the note to a first, top-level mention goes to the channel itself.
- An answer longer than ``max_messages`` messages (MAX_ANSWER_MESSAGES_SLACK)
  shows its first ``max_messages - 1`` and ends with the notice, the whole
  answer attached as a file in the thread.
- Any failure while rendering is logged and the user told, where possible.
- Nothing posted pings anybody (``outgoing.markdown``); while streaming, the
  text shown stops before its last, possibly unfinished, word, so a mention
  arriving in two pieces is made inert like a whole one.
- The last message of an answer carries the 👍 / 👎 buttons (``feedback.py``), keyed by ``answer_id``
  (the asking message's event id).
- ``note`` hears which message shows the reply (a ``reply_ref``) as soon as
  it exists, so that after a crash the next process can end or replace it:
  the first streamed or posted text, or the first of several pieces.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import aclosing

from slack_sdk.web.async_client import AsyncWebClient

from bots.slack import texts
from bots.slack.outgoing import markdown, up_to_whitespace
from bots.slack.live_message import (
    EDITING, STREAMING, EditedMessage, LiveMessage, StreamedMessage, StreamUnavailable,
)
from bots.slack.rate_limits import Rests
from bots.slack.reply_ref import POST, STREAM, ReplyRef
from bots.slack.translate import ReplyPlace
from core.access.texts import ANSWER_FILENAME, too_many_messages_notice
from core.edit_pacer import EditPacer
from core.messages import Outcome, OutcomeKind, ReplyEvent, TextDelta
from core.text_split import split_markdown
from core.tools.values import ToolProgress

# A tool's progress → the status of its task card in the stream (Slack's task_update chunk).
TASK_STATUS = {"asking": "pending", "running": "in_progress", "done": "complete", "failed": "error", "declined": "error"}
# slack_sdk and Slack's docs: markdown_text is limited to 12,000 characters per call,
# and chat.postMessage / chat.update take one markdown_text each.
MESSAGE_LIMIT = 12_000
# Stream at most this much of a long answer live; the rest waits for the final
# split, so the streamed part is (almost always) a prefix of the first piece.
STREAM_CAP = 11_000


def with_footer(text: str, notices: tuple[str, ...]) -> str:
    notes = [n.strip() for n in notices if n.strip()]
    return f"{text}\n\n_{' · '.join(notes)}_" if notes else text


class ReplyRenderer:
    def __init__(
        self,
        client: AsyncWebClient,
        *,
        place: ReplyPlace,
        interval: float,
        clock: Callable[[], float],
        rests: Rests,
        log,
        note: Callable[[str], Awaitable[None]] | None = None,
        answer_id: str | None = None,
        max_messages: int | None = None,
    ) -> None:
        self._answer_id = answer_id
        self._max_messages = max_messages  # MAX_ANSWER_MESSAGES_SLACK: then a notice with the answer as a file
        self._client = client
        self._place = place
        self._rests = rests
        self._pacer = EditPacer(interval)
        self._clock = clock
        self._log = log
        self._note = note
        self._noted: str | None = None  # the ts last noted
        self._live: LiveMessage | None = None
        self._text = ""

    async def render(self, events: AsyncIterator[ReplyEvent]) -> OutcomeKind | None:
        """Show the reply stream; returns how it ended (None if rendering failed)."""
        try:
            async with aclosing(events):  # type: ignore[type-var]
                async for event in events:
                    if isinstance(event, TextDelta):
                        await self._grow(event.text)
                    elif isinstance(event, ToolProgress):
                        await self._tool_progress(event)
                    else:
                        await self._conclude(event)
                        return event.kind
        except asyncio.CancelledError:
            raise
        except Exception:
            self._log.exception("slack.render_failed")
            await self._say_failure()
        return None

    async def _grow(self, delta: str) -> None:
        self._text += delta
        shown = markdown(up_to_whitespace(self._text.lstrip()[:STREAM_CAP]))  # the core's final answer is stripped too
        now = self._clock()  # text held back by the pacer shows with a later delta, or with the final answer
        if shown and self._pacer.delay(now=now) == 0:
            self._pacer.mark(now=now)
            await self._show(shown)

    async def _show(self, text: str) -> None:
        if self._live is None:
            self._live = await self._new_live()
        try:
            await self._live.show(text)
        except StreamUnavailable as gone:
            self._fall_back(gone)
            await self._live.show(text)
        await self._note_live()

    async def _tool_progress(self, progress: ToolProgress) -> None:
        """A tool's progress as a task card in the streamed answer; where the answer cannot stream (a top-level
        DM reply, streaming resting after a 429) nothing is shown until the answer (the approval question,
        when there is one, is a message of its own)."""
        if self._live is None:
            self._live = await self._new_live()
        if not isinstance(self._live, StreamedMessage):
            return
        try:
            await self._live.task(task_id=progress.tool, title=f"Tool {progress.tool}", status=TASK_STATUS[progress.state])
        except StreamUnavailable as gone:
            self._fall_back(gone)
            return
        await self._note_live()

    async def _note_live(self) -> None:
        """Tell ``note`` which message shows the reply, once it exists (again if it became another one)."""
        ts = self._live.ts if self._live is not None else None
        if self._note is None or ts is None or ts == self._noted:
            return
        self._noted = ts
        kind = STREAM if isinstance(self._live, StreamedMessage) else POST
        try:
            await self._note(ReplyRef.of(self._place, kind=kind, ts=ts).encode())
        except Exception:  # the reply goes on; only a crash from here on would leave it half-shown
            self._log.exception("slack.reply_note_failed")

    async def _conclude(self, outcome: Outcome) -> None:
        if outcome.kind is OutcomeKind.ANSWERED:
            pieces = split_markdown(markdown(with_footer(outcome.text, outcome.notices)), limit=MESSAGE_LIMIT)
            overflow = self._max_messages is not None and len(pieces) > self._max_messages
            if overflow:
                pieces = pieces[: max(self._max_messages - 1, 1)]
            last = len(pieces) - 1
            await self._finish(pieces[0], answer_id=self._answer_id if last == 0 else None)
            if last or overflow:
                await self._note_live()  # a crash while the rest is posted: the next process replaces this
            for n, piece in enumerate(pieces[1:], start=1):
                await self._post(piece, answer_id=self._answer_id if n == last else None)
            if overflow:
                await self._attach(outcome.text, shown=len(pieces))
            self._log.debug("slack.reply_rendered", messages=len(pieces) + overflow)
        elif outcome.is_refusal:
            if self._live is not None and self._live.ts is not None:
                await self._live.replace(markdown(outcome.text))
            else:
                await self._notify(markdown(outcome.text))
            self._log.debug("slack.refusal_rendered", kind=outcome.kind.value)

    async def _finish(self, text: str, *, answer_id: str | None = None) -> None:
        if self._live is None:  # nothing was shown: one plain message
            self._live = EditedMessage(self._client, place=self._place, rests=self._rests)
        try:
            await self._live.finish(text, answer_id=answer_id)
        except StreamUnavailable as gone:
            self._fall_back(gone)
            await self._live.finish(text, answer_id=answer_id)

    async def _new_live(self) -> LiveMessage:
        # A top-level DM reply cannot be streamed; nor can anything while streaming rests after a 429, nor
        # more streams than chat.startStream's and chat.stopStream's tier allows (a burst): those answers
        # are posted and edited while chat.update's tier has room for their final edit, else posted whole.
        workspace = self._place.workspace
        if self._place.thread_ts and not self._rests.resting(workspace, STREAMING) and await self._rests.take(
            workspace, "chat.startStream", "chat.stopStream"
        ):
            return StreamedMessage(self._client, place=self._place, rests=self._rests)
        live = await self._rests.take(workspace, EDITING)
        return EditedMessage(self._client, place=self._place, rests=self._rests, live=live)

    def _fall_back(self, gone: StreamUnavailable) -> None:
        self._log.warning("slack.stream_unavailable", error=gone.error, started=gone.ts is not None)
        self._live = EditedMessage(self._client, place=self._place, rests=self._rests, ts=gone.ts, shown=gone.shown)

    async def _post(self, text: str, *, answer_id: str | None = None) -> None:
        if answer_id is None:
            await self._client.chat_postMessage(
                channel=self._place.channel, thread_ts=self._place.thread_ts, markdown_text=text
            )
            return
        await EditedMessage(self._client, place=self._place, rests=self._rests).finish(text, answer_id=answer_id)

    async def _attach(self, text: str, *, shown: int) -> None:
        """The last message of an answer too long for the channel: the notice, with the whole answer as a file
        shared in the reply's thread (``files:write``)."""
        await self._client.files_upload_v2(
            channel=self._place.channel, thread_ts=self._place.thread_ts, content=text.encode(),
            filename=ANSWER_FILENAME, title=ANSWER_FILENAME,
            initial_comment=too_many_messages_notice(shown=shown, filename=ANSWER_FILENAME),
        )

    async def _notify(self, text: str) -> None:
        """A short note to the user: ephemeral in a channel (in the thread once it exists), a plain message in a DM."""
        if self._place.is_dm:
            await self._post(text)
            return
        in_thread = self._place.thread_exists or (self._live is not None and self._live.ts is not None)
        await self._client.chat_postEphemeral(
            channel=self._place.channel, user=self._place.user,
            thread_ts=self._place.thread_ts if in_thread else None, markdown_text=text,
        )

    async def _say_failure(self) -> None:
        try:
            if self._live is not None and self._live.ts is not None:
                await self._live.replace(texts.RENDER_FAILED)
            else:
                await self._notify(texts.RENDER_FAILED)
        except Exception:
            self._log.exception("slack.failure_notice_failed")
