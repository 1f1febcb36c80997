"""What every process's composition root does the same way at start and exit.

A start-up problem is one line on stderr and an exit code, never a traceback:
2 for settings (including an LLM choice that cannot work), 1 for a service
that is down (the database, the platform).
"""

from __future__ import annotations

import asyncio
import gc
import sys
from collections.abc import Awaitable, Callable
from typing import NoReturn

from core.bootstrap import RunningCore, start_core
from core.config import Settings, SettingsError, load_settings
from core.storage.database import DatabaseUnavailable

EXIT_SETTINGS = 2
EXIT_UNAVAILABLE = 1


class StartupFailed(Exception):
    """Stop the process with ``message`` (one line) and ``exit_code``."""

    def __init__(self, message: str, *, exit_code: int = EXIT_SETTINGS) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def settings_or_fail() -> Settings:
    try:
        return load_settings()
    except SettingsError as error:
        raise StartupFailed(str(error)) from None


async def core_or_fail(settings: Settings) -> RunningCore:
    """``start_core``, with its one-line errors turned into StartupFailed; background jobs started."""
    try:
        running = await start_core(settings)  # no OpenAI key or base URL: the bundled local model
    except SettingsError as error:  # an LLM choice that cannot work, a missing LOCAL_MODEL_PATH
        raise StartupFailed(str(error)) from None
    except DatabaseUnavailable as error:
        raise StartupFailed(str(error), exit_code=EXIT_UNAVAILABLE) from None
    running.start_background_jobs(purge_interval_seconds=settings.retention_purge_interval_seconds)
    gc.freeze()  # what start-up loaded stays: later full collections skip it (shorter pauses mid-answer)
    return running


def run_main(main: Callable[[], Awaitable[int]]) -> NoReturn:
    """``sys.exit(asyncio.run(main()))``, printing a StartupFailed as its one line."""
    try:
        code = asyncio.run(main())
    except StartupFailed as failed:
        print(failed, file=sys.stderr)
        code = failed.exit_code
    except KeyboardInterrupt:
        code = 130
    sys.exit(code)
