"""One Slack message that shows an answer as it grows.

``StreamedMessage`` uses Slack's chat streaming API through slack_sdk's
``chat_stream`` (chat.startStream / appendStream / stopStream); it raises
``StreamUnavailable`` when the workspace answers one of those with an error,
and the renderer carries on with an ``EditedMessage`` (chat.postMessage once,
then chat.update).  Slack refuses to edit a message whose stream is open
(``streaming_state_conflict``), so a failed stream is ended first
(chat.stopStream): the ``EditedMessage`` adopts the streamed message only when
that worked, and otherwise starts a new one with the whole text.

Rate limits (``rate_limits``): a stream method answered 429 ends the stream
like any refusal and makes streaming rest in the workspace for the
Retry-After (``STREAMING`` in ``Rests``); an intermediate chat.update answered
429 is skipped and edits rest; a final text that cannot be edited in comes as
a new message.

``finish`` may put the feedback buttons under the final text (``answer_id``): a stream gets them
at chat.stopStream; a posted or edited message is sent as blocks (a ``markdown`` block and the
buttons; ``markdown_text`` cannot go with blocks).

Both take the *whole* text so far; they work out what to send.  How often is
the caller's business (``render.py``, with an ``EditPacer``).
"""

from __future__ import annotations

from typing import Protocol

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_chat_stream import AsyncChatStream
from slack_sdk.models.messages.chunk import TaskUpdateChunk
from slack_sdk.web.async_client import AsyncWebClient

from bots.slack.feedback import answer_blocks, fallback_text, feedback_blocks
from bots.slack.rate_limits import Rests
from bots.slack.translate import ReplyPlace

STREAMING = "chat.*Stream"  # the key under which streaming rests after a 429
EDITING = "chat.update"




class StreamUnavailable(Exception):
    """The streaming API refused; ``ts`` is the streamed message's if there is one that can now be edited
    (its stream ended), ``shown`` what it shows."""

    def __init__(self, error: str, *, ts: str | None, shown: str) -> None:
        super().__init__(error)
        self.error = error
        self.ts = ts
        self.shown = shown


class LiveMessage(Protocol):
    @property
    def ts(self) -> str | None: ...

    async def show(self, text: str) -> None:
        """Show ``text`` (the answer so far, a continuation of what was shown)."""

    async def finish(self, text: str, *, answer_id: str | None = None) -> None:
        """Make ``text`` the message's final content (with the feedback buttons of ``answer_id``)."""

    async def replace(self, text: str) -> None:
        """Replace whatever was shown with ``text`` (a refusal or failure notice)."""


def _error_code(error: SlackApiError) -> str:
    return str(error.response.get("error") or "unknown_error")


class StreamedMessage:
    def __init__(self, client: AsyncWebClient, *, place: ReplyPlace, rests: Rests) -> None:
        assert place.thread_ts, "Slack streams only as a reply in a thread"
        self._client = client
        self._place = place
        self._rests = rests
        self._stream: AsyncChatStream | None = None
        self._shown = ""
        self._stop_tried = False
        self._stopped = False

    @property
    def ts(self) -> str | None:
        return self._stream.ts if self._stream is not None else None

    async def show(self, text: str) -> None:
        """The answer so far: the stream's start, then appends while they fit the tier (the final text carries
        what was skipped)."""
        if not text.startswith(self._shown) or text == self._shown:
            return
        if self._stream is not None and not await self._rests.take(self._place.workspace, "chat.appendStream"):
            return
        try:
            stream = await self._started()
            await stream.append(markdown_text=text[len(self._shown):])
        except SlackApiError as error:
            raise await self._unavailable(error) from error
        self._shown = text

    async def task(self, *, task_id: str, title: str, status: str) -> None:
        """A tool's progress as a task card in the stream (Slack's ``task_update`` chunk)."""
        try:
            stream = await self._started()
            await stream.append(chunks=[TaskUpdateChunk(id=task_id, title=title, status=status)])
        except SlackApiError as error:
            raise await self._unavailable(error) from error

    async def finish(self, text: str, *, answer_id: str | None = None) -> None:
        try:
            stream = await self._started()
            remainder = text[len(self._shown):] if text.startswith(self._shown) else ""
            self._stop_tried = True
            await stream.stop(markdown_text=remainder or None, blocks=feedback_blocks(answer_id) if answer_id else None)
            self._stopped = True
        except SlackApiError as error:
            raise await self._unavailable(error) from error
        if not text.startswith(self._shown):
            await _put(self._client, self._place, ts=self.ts, text=text, answer_id=answer_id)

    async def replace(self, text: str) -> None:
        """Once the stream has ended, edit the message; if it cannot be ended, say it in a new reply."""
        if self.ts is None:
            return
        if await self._end():
            await self._client.chat_update(channel=self._place.channel, ts=self.ts, markdown_text=text)
        else:
            await self._client.chat_postMessage(
                channel=self._place.channel, thread_ts=self._place.thread_ts, markdown_text=text
            )

    async def _started(self) -> AsyncChatStream:
        if self._stream is None:
            # buffer_size=1: every append is sent at once; the renderer decides how often.
            self._stream = await self._client.chat_stream(
                channel=self._place.channel,
                thread_ts=self._place.thread_ts,  # type: ignore[arg-type]
                recipient_team_id=self._place.team,
                recipient_user_id=self._place.user,
                buffer_size=1,
            )
        return self._stream

    async def _end(self) -> bool:
        """Stop the stream as it stands (what was shown stays); True when the message can be edited now.

        Tried once: a refused chat.stopStream is not repeated (a 429 would only be refused again)."""
        if self._stopped:
            return True
        if self._stop_tried:
            return False
        self._stop_tried = True
        try:
            await self._client.chat_stopStream(channel=self._place.channel, ts=self.ts)  # type: ignore[arg-type]
        except SlackApiError as error:
            if _error_code(error) != "message_not_in_streaming_state":  # not streaming any more: editable
                return False
        self._stopped = True
        return True

    async def _unavailable(self, error: SlackApiError) -> StreamUnavailable:
        """What the renderer needs to carry on: the message to edit if its stream could be ended, else none."""
        self._rests.note(self._place.workspace, STREAMING, error)
        if _error_code(error) == "message_not_in_streaming_state":  # ended already (expired, or stopped by the user)
            self._stopped = True
        if self.ts is not None and await self._end():
            return StreamUnavailable(_error_code(error), ts=self.ts, shown=self._shown)
        return StreamUnavailable(_error_code(error), ts=None, shown="")


class EditedMessage:
    """Posted once, then edited.  ``live`` (the final edit fitted chat.update's tier when it was made): shows
    intermediate texts; otherwise (a burst) nothing shows until the final text is posted."""

    def __init__(
        self, client: AsyncWebClient, *, place: ReplyPlace, rests: Rests, ts: str | None = None, shown: str = "",
        live: bool = True,
    ) -> None:
        self._client = client
        self._place = place
        self._rests = rests
        self._ts = ts
        self._shown = shown
        self._live = live

    @property
    def ts(self) -> str | None:
        return self._ts

    async def show(self, text: str) -> None:
        """An intermediate text: skipped while edits rest after a 429 (the final text carries it)."""
        if not self._live or (text == self._shown and self._ts is not None):
            return
        if self._ts is not None and not await self._rests.take(self._place.workspace, EDITING):
            return
        try:
            await self._put(text)
        except SlackApiError as error:
            if self._ts is None or not self._rests.note(self._place.workspace, EDITING, error):
                raise

    async def finish(self, text: str, *, answer_id: str | None = None) -> None:
        """The final text: edited in, or, when edits rest after a 429, posted as a new message."""
        if text == self._shown and self._ts is not None and answer_id is None:
            return
        if self._ts is not None and not self._rests.resting(self._place.workspace, EDITING):
            try:
                await self._put(text, answer_id=answer_id)
                return
            except SlackApiError as error:
                if not self._rests.note(self._place.workspace, EDITING, error):
                    raise
        self._ts = None
        await self._put(text, answer_id=answer_id)

    async def replace(self, text: str) -> None:
        await self.finish(text)

    async def _put(self, text: str, *, answer_id: str | None = None) -> None:
        self._ts = await _put(self._client, self._place, ts=self._ts, text=text, answer_id=answer_id)
        self._shown = text


async def _put(
    client: AsyncWebClient, place: ReplyPlace, *, ts: str | None, text: str, answer_id: str | None = None
) -> str:
    """Post (``ts`` None) or edit a message to show ``text``, as blocks with the buttons of ``answer_id``; its ts."""
    content: dict = (
        {"blocks": answer_blocks(text, answer_id), "text": fallback_text(text)} if answer_id else {"markdown_text": text}
    )
    if ts is None:
        response = await client.chat_postMessage(channel=place.channel, thread_ts=place.thread_ts, **content)
        return str(response["ts"])
    await client.chat_update(channel=place.channel, ts=ts, **content)
    return ts
