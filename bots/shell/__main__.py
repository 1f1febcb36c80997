"""Composition root of the terminal chat: ``python -m bots.shell``."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator

from bots.shell.chat import ShellChat
from core.bootstrap import describe_llm, start_core
from core.config import SettingsError, load_settings
from core.log import configure_logging
from core.storage.database import DatabaseUnavailable


async def stdin_lines() -> AsyncIterator[str]:
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            return
        yield line


async def main() -> int:
    try:
        settings = load_settings()
    except SettingsError as error:
        print(error, file=sys.stderr)
        return 2
    # The terminal is shared with the chat: only warnings, unless debugging.
    configure_logging(log_format=settings.log_format, level="DEBUG" if settings.log_level == "DEBUG" else "WARNING")
    try:
        running = await start_core(settings)  # no key or base URL: the bundled local model
    except SettingsError as error:  # e.g. LLM_PROVIDER=openai without a key, a missing LOCAL_MODEL_PATH
        print(error, file=sys.stderr)
        return 2
    except DatabaseUnavailable as error:
        print(error, file=sys.stderr)
        return 1
    running.start_background_jobs(purge_interval_seconds=settings.retention_purge_interval_seconds)
    print(f"Parley terminal chat. {describe_llm(settings)} /help lists commands; Ctrl-D quits.")
    try:
        await ShellChat(running.core, out=sys.stdout).run(stdin_lines())
    finally:
        await running.aclose()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(asyncio.run(main()))
    except KeyboardInterrupt:
        sys.exit(130)
