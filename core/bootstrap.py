"""Starting the core for real: settings → migrations → database → stores → LLM.

Each process's composition root calls ``start_core`` once and ``aclose`` at
the end.  Nothing here is a module-level singleton.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from dataclasses import dataclass, field

import structlog

from core.assembly import Core, CoreOptions, Stores, assemble_core
from core.clock import SystemClock
from core.config import Settings
from core.llm.openai_provider import OpenAIProvider
from core.ports import LLMProvider
from core.storage.audit import SqlAuditLog
from core.storage.channel_settings import SqlChannelSettingsStore
from core.storage.conversations import SqlConversationStore
from core.storage.database import Database, describe
from core.storage.inbox import SqlInbox
from core.storage.migrate import upgrade_to_head
from core.storage.personas import SqlPersonaStore
from core.storage.usage import SqlUsageStore
from core.tokens import BpeTokenCounter

log = structlog.get_logger(__name__)

NO_LLM_CONFIGURED = (
    "No language model configured: set OPENAI_API_KEY (for OpenAI) or OPENAI_BASE_URL "
    "(any OpenAI-compatible server, e.g. http://127.0.0.1:11434/v1 for Ollama) in .env or the environment."
)


@dataclass
class RunningCore:
    core: Core
    database: Database
    llm: LLMProvider
    _tasks: list[asyncio.Task] = field(default_factory=list)

    def start_background_jobs(self, *, purge_interval_seconds: float) -> None:
        self._tasks.append(
            asyncio.create_task(self.core.purger.run_forever(interval_seconds=purge_interval_seconds))
        )

    async def aclose(self) -> None:
        for task in self._tasks:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
        close = getattr(self.llm, "close", None)
        if close is not None:
            await close()
        await self.database.dispose()


def sql_stores(database: Database) -> Stores:
    return Stores(
        conversations=SqlConversationStore(database),
        personas=SqlPersonaStore(database),
        channel_settings=SqlChannelSettingsStore(database),
        inbox=SqlInbox(database),
        usage=SqlUsageStore(database),
        audit=SqlAuditLog(database),
    )


def openai_provider(settings: Settings) -> OpenAIProvider:
    return OpenAIProvider(
        api_key=settings.openai_api_key,
        base_url=settings.openai_base_url,
        timeout=settings.llm_timeout_seconds,
        max_retries=settings.llm_max_retries,
        token_counter=BpeTokenCounter(),
    )


async def start_core(settings: Settings, *, llm: LLMProvider | None = None) -> RunningCore:
    """Migrate, connect and assemble. Raises DatabaseUnavailable with a one-line message."""
    await upgrade_to_head(settings.database_url)
    database = Database.from_url(settings.database_url)
    await database.check()
    llm = llm or openai_provider(settings)
    core = assemble_core(
        stores=sql_stores(database),
        llm=llm,
        tokens=BpeTokenCounter(),
        clock=SystemClock(),
        options=CoreOptions(
            default_model=settings.default_model,
            admins=settings.parley_admins,
            max_message_chars=settings.max_message_chars,
            memory_summaries=settings.memory_summaries,
        ),
    )
    log.info("core.started", database=describe(settings.database_url), model=settings.default_model)
    return RunningCore(core=core, database=database, llm=llm)
