"""One Slack message that shows an answer as it grows.

``StreamedMessage`` uses Slack's chat streaming API through slack_sdk's
``chat_stream`` (chat.startStream / appendStream / stopStream); it raises
``StreamUnavailable`` when the workspace answers one of those with an error,
and the renderer carries on with an ``EditedMessage`` (chat.postMessage once,
then chat.update), adopting the streamed message when there is one.

Both take the *whole* text so far; they work out what to send.  How often is
the caller's business (``render.py``, with an ``EditPacer``).
"""

from __future__ import annotations

from typing import Protocol

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_chat_stream import AsyncChatStream
from slack_sdk.web.async_client import AsyncWebClient

from bots.slack.translate import ReplyPlace


class EditPacer:
    """When the next change may happen: one per ``interval``, the first at once; the caller passes the time."""

    def __init__(self, interval: float) -> None:
        self._interval = interval
        self._last: float | None = None

    def delay(self, *, now: float) -> float:
        return 0.0 if self._last is None else max(0.0, self._last + self._interval - now)

    def mark(self, *, now: float) -> None:
        self._last = now


class StreamUnavailable(Exception):
    """The streaming API refused; ``ts`` is the streamed message's, if one was started."""

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

    async def finish(self, text: str) -> None:
        """Make ``text`` the message's final content."""

    async def replace(self, text: str) -> None:
        """Replace whatever was shown with ``text`` (a refusal or failure notice)."""


def _error_code(error: SlackApiError) -> str:
    return str(error.response.get("error") or "unknown_error")


class StreamedMessage:
    def __init__(self, client: AsyncWebClient, *, place: ReplyPlace) -> None:
        assert place.thread_ts, "Slack streams only as a reply in a thread"
        self._client = client
        self._place = place
        self._stream: AsyncChatStream | None = None
        self._shown = ""
        self._stopped = False

    @property
    def ts(self) -> str | None:
        return self._stream.ts if self._stream is not None else None

    async def show(self, text: str) -> None:
        if not text.startswith(self._shown) or text == self._shown:
            return
        try:
            stream = await self._started()
            await stream.append(markdown_text=text[len(self._shown):])
        except SlackApiError as error:
            raise StreamUnavailable(_error_code(error), ts=self.ts, shown=self._shown) from error
        self._shown = text

    async def finish(self, text: str) -> None:
        try:
            stream = await self._started()
            if text.startswith(self._shown):
                await stream.stop(markdown_text=text[len(self._shown):] or None)
                self._stopped = True
                return
            await stream.stop()
            self._stopped = True
        except SlackApiError as error:
            raise StreamUnavailable(_error_code(error), ts=self.ts, shown=self._shown) from error
        await self._client.chat_update(channel=self._place.channel, ts=self.ts, markdown_text=text)

    async def replace(self, text: str) -> None:
        if self.ts is None:
            return
        if not self._stopped:
            self._stopped = True
            try:
                await self._stream.stop()  # type: ignore[union-attr]
            except SlackApiError:
                pass  # an expired stream is still a message that chat.update can change
        await self._client.chat_update(channel=self._place.channel, ts=self.ts, markdown_text=text)

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


class EditedMessage:
    def __init__(self, client: AsyncWebClient, *, place: ReplyPlace, ts: str | None = None, shown: str = "") -> None:
        self._client = client
        self._place = place
        self._ts = ts
        self._shown = shown

    @property
    def ts(self) -> str | None:
        return self._ts

    async def show(self, text: str) -> None:
        if text == self._shown and self._ts is not None:
            return
        if self._ts is None:
            response = await self._client.chat_postMessage(
                channel=self._place.channel, thread_ts=self._place.thread_ts, markdown_text=text
            )
            self._ts = str(response["ts"])
        else:
            await self._client.chat_update(channel=self._place.channel, ts=self._ts, markdown_text=text)
        self._shown = text

    async def finish(self, text: str) -> None:
        await self.show(text)

    async def replace(self, text: str) -> None:
        await self.show(text)
