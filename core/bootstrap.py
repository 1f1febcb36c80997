"""Starting the core for real: settings → LLM choice → migrations → database → stores → LLM.

Each process's composition root calls ``start_core`` once and ``aclose`` at
the end.  Nothing here is a module-level singleton.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import TYPE_CHECKING

import structlog

from core.chat.thread_context import ThreadContextLimits
from core.summaries.thread import SummaryLimits
from core.ttl_cache import DEFAULT_TTL_SECONDS, TtlCache
from core.access.cache import CachedAccessStore
from core.access.values import AccessDefaults, Effect, Kind, SummonMode
from core.channels.cache import CachedChannelSettingsStore
from core.limits.cache import CachedLimitOverrideStore
from core.personas.cache import CachedPersonaStore
from core.assembly import Core, CoreOptions, LimitOptions, Stores, assemble_core
from core.limits.budgets import BudgetCaps
from core.limits.rate import limits_storage
from core.clock import SystemClock
from core.config import Settings, SettingsError
from core.files.values import FileLimits, VisionPolicy
from core.ports import Moderator
from core.llm.openai_provider import OpenAIProvider
from core.personas.values import ModelPolicy
from core.filters.setup import filter_defaults, moderator_for, start_moderation
from core.ports import LLMProvider, Redelivery
from core.storage.access import SqlAccessStore
from core.observability.checks import RedisCheck, core_checks
from core.observability.prometheus import PrometheusMetrics
from core.observability.readiness import Readiness
from core.observability.tracing import Tracing, instrument_database, start_tracing
from core.storage.audit import SqlAuditLog
from core.storage.budgets import SqlBudgetCounterStore
from core.storage.limit_overrides import SqlLimitOverrideStore
from core.storage.channel_settings import SqlChannelSettingsStore
from core.storage.conversations import SqlConversationStore
from core.storage.database import Database, describe
from core.storage.departures import SqlDepartureStore
from core.storage.feedback import SqlFeedbackStore
from core.storage.filters import SqlFilterDecisionLog, SqlFilterSettingsStore
from core.storage.inbox import SqlInbox
from core.storage.migrate import upgrade_to_head
from core.storage.personas import SqlPersonaStore
from core.storage.usage import SqlUsageStore
from core.tokens import TiktokenCounter
from core.assembly import ToolOptions
from core.storage.tools import SqlToolCallLog, SqlToolSettingsStore
from core.tools.config import ToolConfigError, load_servers
from core.tools.values import ToolLimits

if TYPE_CHECKING:
    from core.chat.redis_locks import RedisConversationLocks

log = structlog.get_logger(__name__)

RECOVERY_INTERVAL_SECONDS = 30.0

NO_LLM_CONFIGURED = (
    "No language model configured: set OPENAI_API_KEY (for OpenAI) or OPENAI_BASE_URL "
    "(any OpenAI-compatible server, e.g. http://127.0.0.1:11434/v1 for Ollama) in .env or the environment, "
    "or unset LLM_PROVIDER=openai to use the bundled local model."
)


@dataclass
class RunningCore:
    core: Core
    database: Database
    llm: LLMProvider
    moderator: Moderator | None = None
    locks: RedisConversationLocks | None = None
    metrics: PrometheusMetrics = field(default_factory=PrometheusMetrics)  # served at /metrics
    readiness: Readiness = field(default_factory=Readiness)  # served at /readyz; the adapter adds its connection
    redis_check: RedisCheck | None = None
    tracing: Tracing | None = None  # OTEL_EXPORTER_OTLP_ENDPOINT
    _tasks: list[asyncio.Task] = field(default_factory=list)

    def start_background_jobs(self, *, purge_interval_seconds: float) -> None:
        self._tasks.append(
            asyncio.create_task(self.core.purger.run_forever(interval_seconds=purge_interval_seconds))
        )
        self._tasks.append(asyncio.create_task(self.core.deliveries.keep_leases()))

    async def start_recovery(
        self, redelivery: Redelivery, *, platform: str, interval_seconds: float = RECOVERY_INTERVAL_SECONDS
    ) -> None:
        """Take over what processes that went away left unfinished: a first round now (call it once the
        adapter can post), then every ``interval_seconds`` in the background."""
        recovery = self.core.recovery
        await recovery.run_round(redelivery, platform=platform)
        self._tasks.append(asyncio.create_task(
            recovery.run_forever(redelivery, platform=platform, interval=interval_seconds)
        ))

    async def aclose(self) -> None:
        for task in self._tasks:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
        with suppress(Exception):  # the database may be the reason we stop
            await self.core.deliveries.release()
        for closable in (self.llm, self.moderator, self.locks, self.redis_check, self.core.tool_servers):
            close = getattr(closable, "close", None)
            if close is not None:
                await close()
        await self.database.dispose()
        if self.tracing is not None:
            await asyncio.to_thread(self.tracing.shutdown)  # the last spans flushed to the collector


def sql_stores(database: Database, *, cache_ttl: float = DEFAULT_TTL_SECONDS) -> Stores:
    """The SQL stores; the rarely-changed ones behind a per-process cache (``cache_ttl`` 0: none)."""
    personas, channel_settings, limit_overrides = (
        SqlPersonaStore(database), SqlChannelSettingsStore(database), SqlLimitOverrideStore(database)
    )
    access = SqlAccessStore(database)
    if cache_ttl > 0:
        cache = TtlCache(ttl=cache_ttl)
        personas = CachedPersonaStore(personas, cache)
        channel_settings = CachedChannelSettingsStore(channel_settings, cache)
        limit_overrides = CachedLimitOverrideStore(limit_overrides, cache)
        access = CachedAccessStore(access, cache)
    return Stores(
        conversations=SqlConversationStore(database),
        personas=personas,
        channel_settings=channel_settings,
        inbox=SqlInbox(database),
        usage=SqlUsageStore(database),
        audit=SqlAuditLog(database),
        budget_counters=SqlBudgetCounterStore(database),
        limit_overrides=limit_overrides,
        filter_settings=SqlFilterSettingsStore(database),
        filter_decisions=SqlFilterDecisionLog(database),
        departures=SqlDepartureStore(database),
        feedback=SqlFeedbackStore(database),
        access=access,
        tool_settings=SqlToolSettingsStore(database),
        tool_calls=SqlToolCallLog(database),
    )


def tool_options(settings: Settings, *, provider: str) -> ToolOptions:
    """The servers of MCP_SERVERS_FILE (a mistake in it is a one-line start-up error) and the tool limits."""
    servers = ()
    if settings.mcp_servers_file:
        try:
            servers = load_servers(settings.mcp_servers_file)
        except ToolConfigError as exc:
            raise SettingsError(str(exc)) from None
    return ToolOptions(
        servers=servers,
        limits=ToolLimits(
            max_rounds=settings.tool_max_rounds, call_seconds=settings.tool_call_timeout_seconds,
            result_chars=settings.tool_result_max_chars, approval_seconds=settings.tool_approval_timeout_seconds,
        ),
        unavailable="the local model has no tool calling" if provider == "local" else None,
    )


def access_defaults(settings: Settings) -> AccessDefaults:
    """The operator's access rules (ACCESS_ALLOW_USERS …) and SUMMON_DEFAULT."""
    return AccessDefaults.of(
        {
            (Effect.ALLOW, Kind.USER): settings.access_allow_users,
            (Effect.DENY, Kind.USER): settings.access_deny_users,
            (Effect.ALLOW, Kind.GROUP): settings.access_allow_groups,
            (Effect.DENY, Kind.GROUP): settings.access_deny_groups,
            (Effect.ALLOW, Kind.CHANNEL): settings.access_allow_channels,
            (Effect.DENY, Kind.CHANNEL): settings.access_deny_channels,
        },
        summon=SummonMode(settings.summon_default),
    )


def limit_options(settings: Settings) -> LimitOptions:
    return LimitOptions(
        user=settings.rate_limit_user,
        channel=settings.rate_limit_channel,
        workspace=settings.rate_limit_workspace,
        exempt_admins=settings.rate_limit_exempt_admins,
        caps=BudgetCaps.from_settings(settings),
        prices=settings.model_prices,
        budget_timezone=settings.budget_timezone,
        max_in_flight=settings.llm_max_concurrency,
        max_waiting=settings.llm_queue_max,
        wait_timeout=settings.llm_queue_timeout_seconds,
        llm_total_seconds=settings.llm_total_timeout_seconds,
    )


def model_policy(settings: Settings, *, default_model: str, prices: Mapping[str, object]) -> ModelPolicy:
    """ALLOWED_MODELS, or by default the default model and every model with a price; PERSONA_MAX_TOKENS."""
    return ModelPolicy(
        allowed=settings.allowed_models or frozenset({default_model, *prices}), max_tokens=settings.persona_max_tokens
    )


def file_limits(settings: Settings) -> FileLimits:
    return FileLimits(
        max_file_bytes=settings.attachment_max_file_bytes, max_file_chars=settings.attachment_max_file_chars,
        max_message_chars=settings.attachment_max_message_chars, max_files=settings.attachment_max_files,
        image_max_bytes=settings.image_max_bytes, image_max_count=settings.image_max_count,
        image_max_side=settings.image_max_side,
    )


def openai_provider(settings: Settings) -> OpenAIProvider:
    return OpenAIProvider(
        api_key=settings.openai_api_key,
        base_url=settings.openai_base_url,
        timeout=settings.llm_timeout_seconds,
        max_retries=settings.llm_max_retries,
        token_counter=TiktokenCounter(),
        transport=settings.llm_http_transport,
    )


def check_llm_settings(settings: Settings) -> None:
    """Fail fast, before any I/O, on an LLM choice that cannot work. Raises SettingsError (one line)."""
    if settings.resolved_llm_provider == "openai":
        if not settings.llm_configured:
            raise SettingsError(NO_LLM_CONFIGURED)
        return
    from core.llm.local_model import require_engine, resolve_model_path

    resolve_model_path(settings)
    require_engine()


async def llm_provider(settings: Settings) -> LLMProvider:
    """The provider LLM_PROVIDER resolves to; the local model is loaded here, once, off the event loop."""
    if settings.resolved_llm_provider == "openai":
        return openai_provider(settings)
    from core.llm.local_model import resolve_model_path
    from core.llm.local_provider import LocalProvider

    path = resolve_model_path(settings)
    return await asyncio.to_thread(LocalProvider.load, path)


def shared_conversation_locks(settings: Settings) -> RedisConversationLocks | None:
    """With rate limits in Redis (several processes), the same Redis keeps each conversation's turn."""
    if settings.rate_limit_storage_url.startswith("memory://"):
        return None
    from core.chat.redis_locks import RedisConversationLocks  # redis-py only in a process that uses Redis

    return RedisConversationLocks.from_url(settings.rate_limit_storage_url)


def describe_llm(settings: Settings) -> str:
    """One sentence for the startup banner (terminal) or log line (bots): which provider and model."""
    if settings.resolved_llm_provider == "openai":
        where = f"the OpenAI-compatible server at {settings.openai_base_url}" if settings.openai_base_url else "OpenAI"
        return f"Model {settings.default_model} via {where}."
    from core.llm.local_model import BUNDLED_NOTE, is_bundled, model_name_of, resolve_model_path

    try:
        path = resolve_model_path(settings)
    except SettingsError:
        return f"Local model (llama.cpp in process) from LOCAL_MODEL_PATH {settings.local_model_path} (not found)."
    if is_bundled(path):
        return (
            f"Local model {model_name_of(path)}, bundled, in process (llama.cpp): {BUNDLED_NOTE}. "
            "Set OPENAI_API_KEY or OPENAI_BASE_URL for a real model."
        )
    return f"Local model {model_name_of(path)} from {path}, in process (llama.cpp)."


async def start_core(
    settings: Settings, *, llm: LLMProvider | None = None, span_exporter: object = None
) -> RunningCore:
    """Check the LLM choice, migrate, connect, load the LLM and assemble.

    Raises SettingsError (an LLM choice that cannot work, e.g. a missing
    LOCAL_MODEL_PATH) or DatabaseUnavailable, each with a one-line message.  ``span_exporter``: traces to it
    (a test's in-memory exporter) as if OTEL_EXPORTER_OTLP_ENDPOINT were set.
    """
    if llm is None:
        check_llm_settings(settings)
    tracing = start_tracing(settings, service_name="parley", exporter=span_exporter)  # None: no endpoint
    tools = tool_options(settings, provider=settings.resolved_llm_provider if llm is None else "given")
    await upgrade_to_head(settings.database_url)
    database = Database.from_url(settings.database_url)
    instrument_database(tracing, database)
    await database.check()
    provider = "given"  # a test's or a benchmark's own LLM
    default_model = settings.default_model
    if llm is None:
        provider = settings.resolved_llm_provider
        try:
            llm = await llm_provider(settings)
        except BaseException:
            await database.dispose()
            raise
        if provider == "local":
            # One local model answers whatever a persona names: label the built-in persona and usage with it.
            default_model = llm.model_name  # type: ignore[attr-defined]
    limits = limit_options(settings)
    if provider == "local":  # in process: it costs nothing (and has no price to warn about)
        limits = replace(limits, prices={**limits.prices, default_model: (0.0, 0.0)})
    tokens = TiktokenCounter()
    await asyncio.to_thread(tokens.count, "warm up", model=default_model)  # loads the tables (~0.5 s) now
    moderator = moderator_for(settings)
    locks = shared_conversation_locks(settings)
    metrics = PrometheusMetrics()
    core = assemble_core(
        stores=sql_stores(database, cache_ttl=settings.settings_cache_seconds),
        llm=llm,
        tokens=tokens,
        clock=SystemClock(),
        options=CoreOptions(
            default_model=default_model,
            admins=settings.parley_admins,
            max_message_chars=settings.max_message_chars,
            memory_summaries=settings.memory_summaries,
            limits=limits,
            filters=filter_defaults(settings),
            models=model_policy(settings, default_model=default_model, prices=limits.prices),
            allowed_workspaces=settings.allowed_workspaces,
            lease_seconds=settings.inbox_lease_seconds,
            uninstall_grace=timedelta(days=settings.slack_uninstall_grace_days),
            access=access_defaults(settings),
            files=file_limits(settings),
            vision=VisionPolicy(models=settings.vision_models, llm_takes_images=getattr(llm, "takes_images", True)),
            tools=tools,
            thread_context=ThreadContextLimits(
                max_messages=settings.thread_context_max_messages, max_chars=settings.thread_context_max_chars
            ),
            summaries=SummaryLimits(
                max_messages=settings.summary_max_messages, max_chars=settings.summary_max_chars,
                message_chars=settings.summary_message_max_chars,
            ),
        ),
        rate_limit_storage=limits_storage(settings.rate_limit_storage_url),
        moderator=moderator,
        conversation_locks=locks,
        metrics=metrics,
        tracer=tracing.tracer if tracing is not None else None,
    )
    redis_check = None if settings.rate_limit_storage_url.startswith("memory://") else RedisCheck(
        settings.rate_limit_storage_url
    )
    readiness = Readiness(core_checks(database=database, llm=llm, redis=redis_check))
    await start_moderation(moderator, settings)
    log.info(
        "core.started",
        database=describe(settings.database_url),
        provider=provider,
        model=default_model,
        llm=describe_llm(settings) if provider != "given" else type(llm).__name__,
    )
    return RunningCore(
        core=core, database=database, llm=llm, moderator=moderator, locks=locks, metrics=metrics, readiness=readiness,
        redis_check=redis_check, tracing=tracing,
    )
