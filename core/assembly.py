"""Wiring the core's parts together from its ports (no I/O here).

Each process's composition root (``bots/*/__main__.py``) gets its stores and
LLM from ``core.bootstrap`` and calls ``assemble_core``; tests call it with
fakes at the ports.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.admin import AdminPolicy
from core.channel_admin import ChannelAdmin
from core.chat_service import ChatService
from core.commands import CommandRouter
from core.memory import MemoryWindowBuilder
from core.persona_admin import PersonaAdmin, PersonaDirectory
from core.ports import (
    AuditLog, ChannelSettingsStore, Clock, ContentFilter, ConversationStore, Inbox, LLMProvider,
    PersonaStore, RateLimiter, TokenCounter, UsageStore,
)
from core.retention import RetentionPurger


@dataclass(frozen=True, slots=True)
class Stores:
    conversations: ConversationStore
    personas: PersonaStore
    channel_settings: ChannelSettingsStore
    inbox: Inbox
    usage: UsageStore
    audit: AuditLog


@dataclass(frozen=True, slots=True)
class CoreOptions:
    default_model: str
    admins: frozenset[str] = frozenset()
    max_message_chars: int = 16_000
    memory_summaries: bool = True


@dataclass(frozen=True, slots=True)
class Core:
    chat: ChatService
    commands: CommandRouter
    personas: PersonaAdmin
    channels: ChannelAdmin
    purger: RetentionPurger
    policy: AdminPolicy


def assemble_core(
    *,
    stores: Stores,
    llm: LLMProvider,
    tokens: TokenCounter,
    clock: Clock,
    options: CoreOptions,
    rate_limiter: RateLimiter | None = None,
    content_filter: ContentFilter | None = None,
) -> Core:
    policy = AdminPolicy(admins=options.admins)
    directory = PersonaDirectory(
        personas=stores.personas, settings=stores.channel_settings, default_model=options.default_model
    )
    memory = MemoryWindowBuilder(
        conversations=stores.conversations, llm=llm, tokens=tokens, summaries_enabled=options.memory_summaries
    )
    chat = ChatService(
        inbox=stores.inbox,
        conversations=stores.conversations,
        channel_settings=stores.channel_settings,
        personas=directory,
        memory=memory,
        llm=llm,
        tokens=tokens,
        usage=stores.usage,
        clock=clock,
        max_message_chars=options.max_message_chars,
        rate_limiter=rate_limiter,
        content_filter=content_filter,
    )
    personas = PersonaAdmin(
        directory=directory, personas=stores.personas, settings=stores.channel_settings,
        audit=stores.audit, policy=policy, clock=clock,
    )
    channels = ChannelAdmin(
        conversations=stores.conversations, settings=stores.channel_settings, usage=stores.usage,
        audit=stores.audit, policy=policy, clock=clock,
    )
    commands = CommandRouter(personas=personas, channels=channels, default_model=options.default_model)
    purger = RetentionPurger(
        conversations=stores.conversations, settings=stores.channel_settings, inbox=stores.inbox, clock=clock
    )
    return Core(chat=chat, commands=commands, personas=personas, channels=channels, purger=purger, policy=policy)
