"""'Parley is typing…' while the answer's first words are on their way."""

from __future__ import annotations

import asyncio
from contextlib import suppress

import discord

from bots.discord.request_pace import RequestPace
import structlog

log = structlog.get_logger(__name__)


class TypingIndicator:
    """Shows typing after ``delay`` seconds until stopped (discord.py renews it every 5 s).

    A delay lets a message the core will most likely ignore (a thread the bot
    may not be part of) end before anyone sees Parley typing.
    """

    def __init__(
        self, channel: discord.abc.Messageable, *, delay: float = 0.0, pace: RequestPace | None = None
    ) -> None:
        self._channel = channel
        self._pace = pace  # typing is cosmetic: only when a request turn is free at once (a burst goes without)
        self._delay = delay
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._type())

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task

    async def _type(self) -> None:
        try:
            if self._delay:
                await asyncio.sleep(self._delay)
            if self._pace is not None and not self._pace.spare():
                return
            async with self._channel.typing():
                await asyncio.Event().wait()  # until cancelled by stop()
        except discord.HTTPException as error:  # cosmetic: never worth failing an answer for
            log.info("discord.typing_failed", status=error.status, code=error.code)
