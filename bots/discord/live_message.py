"""An answer shown live in one or more Discord messages, edited as it grows.

Edits are paced: at most one change per ``interval`` (measured from the end of
the previous change, so the server sees them at least that far apart), and
the latest text always gets shown within one interval.  Text longer than a
message continues in follow-up messages, split by ``split_markdown`` so code
blocks are closed and reopened with their language.  ``on_posted`` hears
of every new message (all of them so far), so the caller can note where the
reply is shown before it is complete.  ``settle`` may put a view (the feedback buttons) on the
answer's last message.

An answer never floods a channel: with ``max_messages``, at most that many
messages are posted; a longer answer streams into the first ``max_messages - 1``
and ends with one more message, the core's notice with the whole answer
attached as a file (``ANSWER_FILENAME``).
"""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import Awaitable, Callable, Sequence

import discord

from bots.discord.request_pace import RequestPace, take_turn

from core.access.texts import ANSWER_FILENAME, too_many_messages_notice
from core.edit_pacer import EditPacer
from core.text_split import split_markdown

MESSAGE_LIMIT = 2_000  # Discord's limit for one message's content

#: told of the messages posted so far each time a new one is posted; must not raise
PostedHook = Callable[[Sequence[discord.Message]], Awaitable[None]]




class LiveMessage:
    def __init__(
        self,
        channel: discord.abc.Messageable,
        *,
        reference: discord.Message | discord.PartialMessage | None = None,
        interval: float,
        limit: int = MESSAGE_LIMIT,
        clock: Callable[[], float] = time.monotonic,
        on_posted: PostedHook | None = None,
        max_messages: int | None = None,
        pace: RequestPace | None = None,
    ) -> None:
        self._channel = channel
        self._pace = pace  # Discord's global limit (request_pace.py)
        self._max_messages = max_messages
        self._on_posted = on_posted
        self._reference = reference.to_reference(fail_if_not_exists=False) if reference is not None else None
        self._limit = limit
        self._clock = clock
        self._pacer = EditPacer(interval)
        self._sent: list[discord.Message] = []
        self._shown: list[str] = []
        self._wanted = ""
        self._synced = ""
        self._flusher: asyncio.Task[None] | None = None
        self._writing = False

    @property
    def messages(self) -> tuple[discord.Message, ...]:
        return tuple(self._sent)

    async def show(self, text: str) -> None:
        """Show ``text`` (a longer version of the last one): the first piece at once, then paced. While Discord's
        global limit is the bottleneck (a burst), intermediate text waits for the final one: fewer requests."""
        self._wanted = text
        if self._pace is not None and self._pace.behind():
            return
        if not self._sent:
            await self._sync(self._pieces(text))
            self._synced = text
            return
        if self._flusher is not None and self._flusher.done():
            self._flusher.result()  # a failed edit surfaces here
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._catch_up())

    async def settle(self, text: str, *, footer: str = "", view: discord.ui.View | None = None) -> None:
        """Show the final ``text`` (plus a footer line), ``view`` on its last message, and delete messages it no
        longer needs."""
        pieces = self._all_pieces(text)
        if footer:
            if pieces and len(pieces[-1]) + 1 + len(footer) <= self._limit:
                pieces[-1] = f"{pieces[-1]}\n{footer}"
            else:
                pieces.append(footer[: self._limit])
        overflow = self._max_messages is not None and len(pieces) > self._max_messages
        if overflow:
            pieces = pieces[: self._max_messages - 1]
        await self._stop_flushing()
        if pieces == self._shown and view is None and not overflow:
            return
        if self._sent:
            await asyncio.sleep(self._pacer.delay(now=self._clock()))
        await self._sync(pieces, prune=True, view=None if overflow else view)
        if overflow:
            await self._attach(text, shown=len(pieces), view=view)

    async def _attach(self, text: str, *, shown: int, view: discord.ui.View | None = None) -> None:
        """The last message of an answer too long for the channel: the notice, with the whole answer as a file."""
        notice = too_many_messages_notice(shown=shown, filename=ANSWER_FILENAME)
        answer = discord.File(io.BytesIO(text.encode()), filename=ANSWER_FILENAME)
        reference = self._reference if not self._sent else None
        extra = {"view": view} if view is not None else {}
        await self._turn()
        sent = await self._channel.send(notice, file=answer, reference=reference, **extra)
        self._sent.append(sent)
        self._shown.append(notice)
        if self._on_posted is not None:
            await self._on_posted(tuple(self._sent))

    async def abandon(self) -> None:
        """Stop any pending edit (after a failure)."""
        try:
            await self._stop_flushing()
        except Exception:
            pass

    async def _stop_flushing(self) -> None:
        """Cancel a pending edit that is only waiting its turn; let one that is under way finish."""
        flusher, self._flusher = self._flusher, None
        if flusher is None:
            return
        if not self._writing:
            flusher.cancel()
        try:
            await flusher
        except asyncio.CancelledError:
            if not flusher.cancelled():
                raise

    async def _catch_up(self) -> None:
        while self._synced != self._wanted:
            await asyncio.sleep(self._pacer.delay(now=self._clock()))
            wanted = self._wanted
            await self._sync(self._pieces(wanted))
            self._synced = wanted

    def _all_pieces(self, text: str) -> list[str]:
        return [piece for piece in split_markdown(text, limit=self._limit) if piece.strip()]

    async def _turn(self) -> None:
        await take_turn(self._pace)

    def _pieces(self, text: str) -> list[str]:
        """What streams: at most ``max_messages - 1`` messages (the last is kept for the notice and the file)."""
        pieces = self._all_pieces(text)
        return pieces if self._max_messages is None else pieces[: max(self._max_messages - 1, 1)]

    async def _sync(self, pieces: list[str], *, prune: bool = False, view: discord.ui.View | None = None) -> None:
        self._writing = True
        try:
            changed = await self._write(pieces, prune=prune, view=view)
        finally:
            self._writing = False
        if changed:
            self._pacer.mark(now=self._clock())

    async def _write(self, pieces: list[str], *, prune: bool, view: discord.ui.View | None = None) -> bool:
        changed = False
        last = len(pieces) - 1
        for index, piece in enumerate(pieces):
            extra = {"view": view} if view is not None and index == last else {}
            if index < len(self._sent):
                if self._shown[index] != piece or extra:
                    await self._turn()
                    self._sent[index] = await self._sent[index].edit(content=piece, **extra)
                    self._shown[index] = piece
                    changed = True
                continue
            reference = self._reference if index == 0 else None
            await self._turn()
            sent = await self._channel.send(piece, reference=reference, **extra)
            self._sent.append(sent)
            self._shown.append(piece)
            changed = True
            if self._on_posted is not None:
                await self._on_posted(tuple(self._sent))
        if prune:
            while len(self._sent) > len(pieces):
                await self._turn()
                await self._sent.pop().delete()
                self._shown.pop()
                changed = True
        return changed
