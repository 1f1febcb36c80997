"""Wiring the core's parts together from its ports (no I/O here).

Each process's composition root (``bots/*/__main__.py``) gets its stores and
LLM from ``core.bootstrap`` and calls ``assemble_core``; tests call it with
fakes at the ports.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from core.admin import AdminPolicy
from core.channels.admin import ChannelAdmin
from core.channels.forgetting import ForgetMeLedger
from core.channels.retention import RetentionPurger
from core.chat.delivery import LEASE_SECONDS, Deliveries, process_identity
from core.chat.locks import ConversationLocks
from core.chat.memory import MemoryWindowBuilder
from core.chat.recovery import Recovery
from core.chat.service import ChatService
from core.chat.accounting import UsageAccounting
from core.chat.thread_context import ThreadContext, ThreadContextLimits
from core.summaries.summarizer import Summarizer
from core.summaries.admin import SummaryAdmin
from core.summaries.thread import SummaryLimits, ThreadSummaries
from core.commands import CommandRouter
from core.filters.admin import FilterAdmin
from core.filters.moderation import NoModeration
from core.filters.pipeline import FilterPipeline
from core.filters.policy import FilterDefaults
from core.limits.admin import LimitsAdmin
from core.limits.budgets import BudgetCaps, TokenBudget
from core.limits.pricing import Pricing
from core.limits.rate import LimitDefaults, RequestRateLimiter, limits_storage
from core.limits.usage import UsageAdmin
from core.limits.workspaces import WorkspaceAllowlist
from core.llm.concurrency import ConcurrencyLimitedProvider
from core.llm.deadline import DeadlineProvider
from core.personas.admin import PersonaAdmin
from core.personas.directory import PersonaDirectory
from core.personas.values import ModelPolicy
from core.ports import (
    AuditLog, BudgetCounterStore, ChannelSettingsStore, Clock, ContentFilter, ConversationLocking, ConversationStore,
    FilterDecisionLog, FilterSettingsStore, Inbox, LimitOverrideStore, LLMProvider, Moderator, PersonaStore,
    RateLimiter, TokenCounter, UsageStore,
)
from core.tokens import RememberingTokenCounter


@dataclass(frozen=True, slots=True)
class Stores:
    conversations: ConversationStore
    personas: PersonaStore
    channel_settings: ChannelSettingsStore
    inbox: Inbox
    usage: UsageStore
    audit: AuditLog
    budget_counters: BudgetCounterStore
    limit_overrides: LimitOverrideStore
    filter_settings: FilterSettingsStore
    filter_decisions: FilterDecisionLog


@dataclass(frozen=True, slots=True)
class LimitOptions:
    """Rate limits ("none" = no limit), budgets, prices and upstream protection."""

    user: str = "none"
    channel: str = "none"
    workspace: str = "none"
    exempt_admins: bool = False
    caps: BudgetCaps = field(default_factory=lambda: BudgetCaps({}))
    prices: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    budget_timezone: str = "UTC"
    max_in_flight: int | None = None  # None: no cap on concurrent LLM calls
    llm_total_seconds: float | None = None  # LLM_TOTAL_TIMEOUT_SECONDS; None: only the read timeout
    max_waiting: int = 100
    wait_timeout: float = 30.0


@dataclass(frozen=True, slots=True)
class CoreOptions:
    default_model: str
    admins: frozenset[str] = frozenset()
    max_message_chars: int = 16_000
    memory_summaries: bool = True
    limits: LimitOptions = field(default_factory=LimitOptions)
    filters: FilterDefaults = field(default_factory=FilterDefaults)
    models: ModelPolicy = field(default_factory=ModelPolicy)  # ALLOWED_MODELS, PERSONA_MAX_TOKENS
    allowed_workspaces: frozenset[str] = frozenset()  # ALLOWED_WORKSPACES; empty: all
    lease_seconds: float = LEASE_SECONDS  # INBOX_LEASE_SECONDS
    thread_context: ThreadContextLimits = field(default_factory=ThreadContextLimits)  # THREAD_CONTEXT_MAX_*
    summaries: SummaryLimits = field(default_factory=SummaryLimits)  # SUMMARY_MAX_*


@dataclass(frozen=True, slots=True)
class Core:
    chat: ChatService
    commands: CommandRouter
    personas: PersonaAdmin
    channels: ChannelAdmin
    purger: RetentionPurger
    policy: AdminPolicy
    limits: LimitsAdmin
    filters: FilterAdmin
    usage: UsageAdmin
    deliveries: Deliveries
    recovery: Recovery
    thread_context: ThreadContext | None = None  # the adapter attaches its history reader (``attach``)


def assemble_core(
    *,
    stores: Stores,
    llm: LLMProvider,
    tokens: TokenCounter,
    clock: Clock,
    options: CoreOptions,
    rate_limit_storage=None,
    rate_limiter: RateLimiter | None = None,
    content_filter: ContentFilter | None = None,
    moderator: Moderator | None = None,
    conversation_locks: ConversationLocking | None = None,
    owner: str | None = None,
) -> Core:
    """Wire the core. ``rate_limit_storage`` is a ``limits`` async storage (memory when None).

    The content filter is the FilterPipeline unless ``content_filter`` replaces it; ``moderator``
    None means no moderation endpoint (unavailable), the local rules and redaction still run.
    ``conversation_locks`` None: one message at a time per conversation within this process only.
    ``owner``: this process's name on the messages it accepts (``process_identity()`` when None).
    """
    policy = AdminPolicy(admins=options.admins)
    tokens = RememberingTokenCounter(tokens)
    pipeline = FilterPipeline(
        store=stores.filter_settings, decisions=stores.filter_decisions,
        moderator=moderator or NoModeration("no moderation endpoint is configured"),
        defaults=options.filters, clock=clock,
    )
    limit_options = options.limits
    if limit_options.llm_total_seconds is not None:
        llm = DeadlineProvider(llm, total_seconds=limit_options.llm_total_seconds)
    if limit_options.max_in_flight is not None:
        llm = ConcurrencyLimitedProvider(
            llm, max_in_flight=limit_options.max_in_flight, max_waiting=limit_options.max_waiting,
            wait_timeout=limit_options.wait_timeout,
        )
    request_limiter = RequestRateLimiter(
        storage=rate_limit_storage or limits_storage("memory://"),
        defaults=LimitDefaults(user=limit_options.user, channel=limit_options.channel, workspace=limit_options.workspace),
        overrides=stores.limit_overrides,
        admins=options.admins,
        exempt_admins=limit_options.exempt_admins,
    )
    pricing = Pricing(limit_options.prices)
    budget = TokenBudget(
        counters=stores.budget_counters, caps=limit_options.caps, pricing=pricing, clock=clock,
        timezone=limit_options.budget_timezone,
    )
    directory = PersonaDirectory(
        personas=stores.personas, settings=stores.channel_settings, default_model=options.default_model,
        models=options.models,
    )
    workspaces = WorkspaceAllowlist(options.allowed_workspaces)
    memory = MemoryWindowBuilder(
        conversations=stores.conversations, llm=llm, tokens=tokens, summaries_enabled=options.memory_summaries
    )
    deliveries = Deliveries(
        inbox=stores.inbox, clock=clock, owner=owner or process_identity(), lease_seconds=options.lease_seconds
    )
    forgotten = ForgetMeLedger()
    thread_context = ThreadContext(
        conversations=stores.conversations, content_filter=content_filter or pipeline, tokens=tokens, clock=clock,
        limits=options.thread_context,
    )
    summary_accounting = UsageAccounting(usage=stores.usage, tokens=tokens, pricing=pricing, clock=clock)
    summaries = ThreadSummaries(
        thread_context=thread_context, summarizer=Summarizer(llm), budget=budget, tokens=tokens,
        accounting=summary_accounting, limits=options.summaries,
    )
    chat = ChatService(
        deliveries=deliveries,
        conversations=stores.conversations,
        channel_settings=stores.channel_settings,
        personas=directory,
        memory=memory,
        llm=llm,
        tokens=tokens,
        usage=stores.usage,
        clock=clock,
        max_message_chars=options.max_message_chars,
        rate_limiter=rate_limiter or request_limiter,
        content_filter=content_filter or pipeline,
        budget=budget,
        pricing=pricing,
        locks=conversation_locks or ConversationLocks(),
        workspaces=workspaces,
        forgotten=forgotten,
        thread_context=thread_context,
        summaries=summaries,
    )
    summary_admin = SummaryAdmin(
        summaries=summaries, thread_context=thread_context, channel_settings=stores.channel_settings,
        personas=directory, rate_limiter=rate_limiter or request_limiter, content_filter=content_filter or pipeline,
        accounting=summary_accounting, clock=clock,
    )
    personas = PersonaAdmin(
        directory=directory, personas=stores.personas, settings=stores.channel_settings,
        audit=stores.audit, policy=policy, clock=clock, default_model=options.default_model, models=options.models,
    )
    channels = ChannelAdmin(
        conversations=stores.conversations, settings=stores.channel_settings, audit=stores.audit, policy=policy,
        clock=clock, forgotten=forgotten,
    )
    limits = LimitsAdmin(
        limiter=request_limiter, overrides=stores.limit_overrides, counters=stores.budget_counters,
        caps=limit_options.caps, audit=stores.audit, policy=policy, clock=clock,
        budget_timezone=limit_options.budget_timezone,
    )
    filters = FilterAdmin(
        pipeline=pipeline, store=stores.filter_settings, decisions=stores.filter_decisions, audit=stores.audit,
        policy=policy, clock=clock,
    )
    usage = UsageAdmin(usage=stores.usage, policy=policy, clock=clock)
    commands = CommandRouter(
        personas=personas,
        parley={**channels.commands(), "usage": usage.command, "limits": limits.command, "filter": filters.command,
                "summarize": summary_admin.command},
        workspaces=workspaces,
    )
    purger = RetentionPurger(
        conversations=stores.conversations, settings=stores.channel_settings, inbox=stores.inbox, clock=clock,
        filter_decisions=stores.filter_decisions, budget_counters=stores.budget_counters,
    )
    return Core(
        chat=chat, commands=commands, personas=personas, channels=channels, purger=purger, policy=policy,
        limits=limits, filters=filters, usage=usage, deliveries=deliveries,
        recovery=Recovery(chat=chat, deliveries=deliveries, clock=clock), thread_context=thread_context,
    )
