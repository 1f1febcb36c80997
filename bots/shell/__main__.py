"""Composition root of the terminal chat: ``python -m bots.shell``."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator

from bots.shell.chat import PLATFORM, ShellChat
from core.bootstrap import describe_llm
from core.log import configure_logging
from core.process import core_or_fail, run_main, settings_or_fail


async def stdin_lines() -> AsyncIterator[str]:
    """Lines typed (or piped) in; bytes that are not UTF-8 become U+FFFD instead of ending the chat."""
    loop = asyncio.get_running_loop()
    encoding = sys.stdin.encoding or "utf-8"
    while True:
        line = await loop.run_in_executor(None, sys.stdin.buffer.readline)
        if not line:
            return
        yield line.decode(encoding, errors="replace")


async def main() -> int:
    settings = settings_or_fail()
    # The terminal is shared with the chat: only warnings, unless debugging.
    configure_logging(log_format=settings.log_format, level="DEBUG" if settings.log_level == "DEBUG" else "WARNING")
    running = await core_or_fail(settings)
    print(f"Parley terminal chat. {describe_llm(settings)} /help lists commands; Ctrl-D quits.")
    try:
        chat = ShellChat(running.core, out=sys.stdout)
        # What a chat that was killed left unanswered is answered now, late.
        await running.start_recovery(chat, platform=PLATFORM, interval_seconds=settings.recovery_interval_seconds)
        await chat.run(stdin_lines())
    finally:
        await running.aclose()
    return 0


if __name__ == "__main__":
    run_main(main)
