"""The core's reply stream → Discord: typing, a streamed answer, or a short refusal."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import aclosing

import discord

from bots.discord.live_message import LiveMessage
from bots.discord.texts import NOTICE_FORMAT
from bots.discord.typing_indicator import TypingIndicator
from core.messages import Outcome, OutcomeKind, ReplyEvent, TextDelta
from core.tools.values import ToolProgress

TOOL_STATUS = {
    "asking": "-# ⏳ Waiting for your approval to run `{tool}`…",
    "running": "-# ⚙️ Running `{tool}`…",
    "done": "-# ✅ `{tool}` done, writing the answer…",
    "failed": "-# ⚠️ `{tool}` failed",
    "declined": "-# 🚫 `{tool}` was not run",
}


async def render_reply(
    events: AsyncIterator[ReplyEvent], *, live: LiveMessage, typing: TypingIndicator,
    feedback: Callable[[], discord.ui.View | None] | None = None,
) -> Outcome | None:
    """Show one reply stream; returns its Outcome (None if the stream broke its contract).

    Typing shows until the first piece arrives; the answer streams into
    ``live``; the final text (with notices as a footer) replaces what was
    streamed.  A refusal is short and, if text was already streamed, replaces
    it.  IGNORED shows nothing.  An answer's last message carries the view ``feedback()`` makes (👍 / 👎).
    Discord errors propagate to the caller.
    """
    typing.start()
    text = ""
    try:
        async with aclosing(events) as stream:  # type: ignore[type-var]
            async for event in stream:
                await typing.stop()
                if isinstance(event, TextDelta):
                    text += event.text
                    await live.show(text)
                    continue
                if isinstance(event, ToolProgress):  # an edited status line under what was written so far
                    await live.show(f"{text}\n\n{tool_status(event)}" if text.strip() else tool_status(event))
                    continue
                if event.kind is OutcomeKind.ANSWERED:
                    view = feedback() if feedback is not None else None
                    await live.settle(event.text, footer=footer(event.notices), view=view)
                elif event.kind is not OutcomeKind.IGNORED:
                    await live.settle(event.text)
                return event
        return None
    except BaseException:
        await live.abandon()
        raise
    finally:
        await typing.stop()


def tool_status(progress: ToolProgress) -> str:
    return TOOL_STATUS[progress.state].format(tool=progress.tool)


def footer(notices: Sequence[str]) -> str:
    return "\n".join(NOTICE_FORMAT.format(notice=" ".join(n.split())) for n in notices if n.strip())
