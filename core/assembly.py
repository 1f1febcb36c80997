"""Wiring the core's parts together from its ports (no I/O here).

Each process's composition root (``bots/*/__main__.py``) gets its stores and
LLM from ``core.bootstrap`` and calls ``assemble_core``; tests call it with
fakes at the ports.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from core.access.admin import AccessAdmin
from core.access.models import ModelChoices
from core.access.policy import AccessGate
from core.access.values import AccessDefaults
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
from core.departures.departures import WorkspaceDepartures
from core.feedback.admin import FeedbackAdmin
from core.feedback.recording import FeedbackRecorder
from core.files.intake import FileIntake
from core.files.values import FileLimits, VisionPolicy
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
    AccessStore, AuditLog, BudgetCounterStore, ChannelSettingsStore, Clock, ContentFilter, ConversationLocking,
    ConversationStore, DepartureStore, FeedbackStore, FilterDecisionLog, FilterSettingsStore, Inbox,
    LimitOverrideStore, LLMProvider, Metrics, Moderator, PersonaStore, RateLimiter, TokenCounter, ToolCallLog,
    ToolSettingsStore, Tracer, UsageStore,
)
from core.observability.no_metrics import NoMetrics
from core.tokens import RememberingTokenCounter
from core.tools.admin import ToolsAdmin
from core.tools.approvals import ApprovalDesk
from core.tools.loop import ToolRunner
from core.tools.servers import McpServers
from core.tools.values import ServerConfig, ToolLimits


@dataclass(frozen=True, slots=True)
class ToolOptions:
    """MCP_SERVERS_FILE's servers and the tool limits; ``unavailable`` says why tools are off (local model)."""

    servers: tuple[ServerConfig, ...] = ()
    limits: ToolLimits = field(default_factory=ToolLimits)
    unavailable: str | None = None


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
    feedback: FeedbackStore
    access: AccessStore
    departures: DepartureStore | None = None  # workspaces that removed the app (core/departures)
    tool_settings: ToolSettingsStore | None = None  # None: no tools feature (both or neither)
    tool_calls: ToolCallLog | None = None


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
    uninstall_grace: timedelta = timedelta(days=30)  # SLACK_UNINSTALL_GRACE_DAYS: data kept after an uninstall
    access: AccessDefaults = field(default_factory=AccessDefaults)  # ACCESS_*, SUMMON_DEFAULT
    files: FileLimits = field(default_factory=FileLimits)  # ATTACHMENT_*, IMAGE_*
    vision: VisionPolicy = field(default_factory=VisionPolicy)  # VISION_MODELS; the local model takes no images
    tools: ToolOptions = field(default_factory=lambda: ToolOptions())
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
    feedback: FeedbackRecorder
    feedback_admin: FeedbackAdmin
    access: AccessAdmin
    model_choices: ModelChoices
    files: FileIntake  # each adapter gives it its AttachmentFetcher (``files.serve``)
    approvals: ApprovalDesk = field(default_factory=ApprovalDesk)  # adapters attach their buttons to it
    tools: ToolsAdmin | None = None
    tool_servers: McpServers | None = None
    thread_context: ThreadContext | None = None  # the adapter attaches its history reader (``attach``)
    departures: WorkspaceDepartures | None = None


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
    metrics: Metrics | None = None,
    tracer: Tracer | None = None,
) -> Core:
    """Wire the core. ``rate_limit_storage`` is a ``limits`` async storage (memory when None).

    The content filter is the FilterPipeline unless ``content_filter`` replaces it; ``moderator``
    None means no moderation endpoint (unavailable), the local rules and redaction still run.
    ``conversation_locks`` None: one message at a time per conversation within this process only.
    ``owner``: this process's name on the messages it accepts (``process_identity()`` when None).
    ``metrics``: what the core counts (``core/observability``); None counts nothing.
    ``tracer``: OpenTelemetry spans (``core/observability/tracing.py``); None traces nothing.
    """
    metrics = metrics or NoMetrics()
    policy = AdminPolicy(admins=options.admins)
    tokens = RememberingTokenCounter(tokens)
    pipeline = FilterPipeline(
        store=stores.filter_settings, decisions=stores.filter_decisions,
        moderator=moderator or NoModeration("no moderation endpoint is configured"),
        defaults=options.filters, clock=clock, metrics=metrics,
    )
    limit_options = options.limits
    if limit_options.llm_total_seconds is not None:
        llm = DeadlineProvider(llm, total_seconds=limit_options.llm_total_seconds)
    if limit_options.max_in_flight is not None:
        llm = ConcurrencyLimitedProvider(
            llm, max_in_flight=limit_options.max_in_flight, max_waiting=limit_options.max_waiting,
            wait_timeout=limit_options.wait_timeout, metrics=metrics,
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
        inbox=stores.inbox, clock=clock, owner=owner or process_identity(), lease_seconds=options.lease_seconds,
        metrics=metrics,
    )
    forgotten = ForgetMeLedger()
    feedback = FeedbackRecorder(store=stores.feedback, clock=clock)
    gate = AccessGate(store=stores.access, defaults=options.access, clock=clock)
    model_choices = ModelChoices(
        store=stores.access, directory=directory, models=options.models, audit=stores.audit, clock=clock
    )
    files = FileIntake(limits=options.files, vision=options.vision)
    approvals = ApprovalDesk()
    tool_servers = tool_runner = None
    if stores.tool_settings is not None and stores.tool_calls is not None:
        tool_servers = McpServers(options.tools.servers, call_seconds=options.tools.limits.call_seconds)
        tool_runner = ToolRunner(
            servers=tool_servers, settings=stores.tool_settings, calls=stores.tool_calls, desk=approvals,
            content_filter=content_filter or pipeline, limits=options.tools.limits, clock=clock,
            unavailable=options.tools.unavailable,
        )
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
        feedback=feedback,
        access=gate,
        model_choices=model_choices,
        metrics=metrics,
        tracer=tracer,
        files=files,
        tools=tool_runner,
        thread_context=thread_context,
        summaries=summaries,
    )
    summary_admin = SummaryAdmin(
        summaries=summaries, thread_context=thread_context, channel_settings=stores.channel_settings,
        personas=directory, rate_limiter=rate_limiter or request_limiter, content_filter=content_filter or pipeline,
        accounting=summary_accounting, clock=clock, access=gate,
    )
    tools_admin = None
    persona_extras: dict = {}
    if tool_runner is not None and tool_servers is not None:
        tools_admin = ToolsAdmin(
            runner=tool_runner, servers=tool_servers, settings=stores.tool_settings, calls=stores.tool_calls,
            audit=stores.audit, policy=policy, clock=clock,
            find_persona=lambda actor, name: personas.show(actor, name),
        )
        persona_extras = {"extra_commands": {"tools": tools_admin.persona_command}, "show_extra": tools_admin.describe}
    personas = PersonaAdmin(
        directory=directory, personas=stores.personas, settings=stores.channel_settings,
        audit=stores.audit, policy=policy, clock=clock, default_model=options.default_model, models=options.models,
        **persona_extras,
    )
    channels = ChannelAdmin(
        conversations=stores.conversations, settings=stores.channel_settings, audit=stores.audit, policy=policy,
        clock=clock, forgotten=forgotten, feedback=stores.feedback, access=stores.access, tool_calls=stores.tool_calls,
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
    usage = UsageAdmin(usage=stores.usage, policy=policy, clock=clock, caps=limit_options.caps)
    feedback_admin = FeedbackAdmin(store=stores.feedback, policy=policy, clock=clock)
    access = AccessAdmin(gate=gate, store=stores.access, audit=stores.audit, policy=policy, clock=clock)
    commands = CommandRouter(
        personas=personas,
        parley={**channels.commands(), "usage": usage.command, "limits": limits.command, "filter": filters.command,
                "feedback": feedback_admin.command, **access.commands(), "model": model_choices.command,
                "summarize": summary_admin.command,
                **({"tools": tools_admin.parley_command} if tools_admin is not None else {})},
        workspaces=workspaces,
    )
    departures = None
    if stores.departures is not None:
        departures = WorkspaceDepartures(
            store=stores.departures, audit=stores.audit, clock=clock, grace=options.uninstall_grace
        )
    purger = RetentionPurger(
        conversations=stores.conversations, settings=stores.channel_settings, inbox=stores.inbox, clock=clock,
        filter_decisions=stores.filter_decisions, budget_counters=stores.budget_counters, departures=departures,
        feedback=stores.feedback,
        tool_calls=stores.tool_calls,
    )
    return Core(
        chat=chat, commands=commands, personas=personas, channels=channels, purger=purger, policy=policy,
        limits=limits, filters=filters, usage=usage, deliveries=deliveries,
        recovery=Recovery(chat=chat, deliveries=deliveries, clock=clock), departures=departures, feedback=feedback,
        feedback_admin=feedback_admin, access=access, model_choices=model_choices, files=files,
        approvals=approvals, tools=tools_admin, tool_servers=tool_servers,
        thread_context=thread_context,
    )
