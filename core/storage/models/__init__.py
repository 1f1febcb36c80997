"""SQLAlchemy models: the tables behind the storage ports.

The schema itself is created by the hand-written alembic migrations in
``migrations/versions``; these models must stay in step with them (a test
compares the two).  Every datetime column is stored as UTC and read back as a
timezone-aware UTC datetime on every backend (see ``UTCDateTime``).  The
foundation's tables are here; each later feature's are in a module of its own
in this package (``access``, ``feedback``, ``slack_installs``, ``tools``),
imported below so that ``Base.metadata`` and ``PARLEY_TABLES`` hold them all.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

WORKSPACE_ROW = "*"
"""``channel_settings.channel`` of the row holding the workspace-wide default persona."""

# 64-bit ids on PostgreSQL; plain INTEGER on SQLite, which only autoincrements
# an ``INTEGER PRIMARY KEY`` (the rowid alias).
BigId = BigInteger().with_variant(Integer, "sqlite")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def as_utc(value: datetime) -> datetime:
    """A timezone-aware UTC datetime; a naive one is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


class UTCDateTime(TypeDecorator[datetime]):
    """``DateTime(timezone=True)`` that always binds UTC and always returns aware UTC.

    SQLite has no time zones: SQLAlchemy writes the wall-clock fields and drops
    ``tzinfo``, so a non-UTC value would be stored wrong and naive values come
    back.  Converting to UTC on the way in keeps stored values (and the string
    comparisons SQLite does on them) consistent; tagging UTC on the way out
    gives callers aware datetimes everywhere.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = as_utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class ConversationTurnRow(Base):
    __tablename__ = "conversation_turns"
    __table_args__ = (
        # recent_turns: newest N of one conversation via this index + LIMIT.
        Index("ix_conversation_turns_conversation", "platform", "workspace", "channel", "thread", "id"),
        Index("ix_conversation_turns_author", "platform", "workspace", "author"),
        Index("ix_conversation_turns_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(64))
    workspace: Mapped[str] = mapped_column(String(128))
    channel: Mapped[str] = mapped_column(String(128))
    thread: Mapped[str] = mapped_column(String(128), default="", server_default="")
    role: Mapped[str] = mapped_column(String(16))
    author: Mapped[str] = mapped_column(String(128))
    content: Mapped[str] = mapped_column(Text)
    token_count: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="ok", server_default="ok")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ConversationSummaryRow(Base):
    __tablename__ = "conversation_summaries"
    __table_args__ = (
        UniqueConstraint(
            "platform", "workspace", "channel", "thread", name="uq_conversation_summaries_conversation"
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(64))
    workspace: Mapped[str] = mapped_column(String(128))
    channel: Mapped[str] = mapped_column(String(128))
    thread: Mapped[str] = mapped_column(String(128), default="", server_default="")
    text: Mapped[str] = mapped_column(Text)
    through_turn_id: Mapped[int] = mapped_column(BigInteger)
    token_count: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PersonaRow(Base):
    __tablename__ = "personas"
    __table_args__ = (UniqueConstraint("platform", "workspace", "name", name="uq_personas_name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(64))
    workspace: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(64))
    system_prompt: Mapped[str] = mapped_column(Text)
    model: Mapped[str] = mapped_column(String(128))
    temperature: Mapped[float] = mapped_column(Float)
    max_tokens: Mapped[int] = mapped_column(Integer)
    memory_budget: Mapped[int] = mapped_column(Integer)
    vision: Mapped[str] = mapped_column(String(8), server_default="auto")  # auto | on | off (0010)
    channel_context: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Migration 0006: other models people may pick (``/parley model``), comma-separated; may they pick at all.
    models: Mapped[str] = mapped_column(Text, default="", server_default="")
    model_choice: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class ChannelSettingsRow(Base):
    __tablename__ = "channel_settings"
    __table_args__ = (UniqueConstraint("platform", "workspace", "channel", name="uq_channel_settings_channel"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(64))
    workspace: Mapped[str] = mapped_column(String(128))
    channel: Mapped[str] = mapped_column(String(128))
    persona: Mapped[str | None] = mapped_column(String(64), nullable=True)
    retention_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    memory_enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ProcessedEventRow(Base):
    """A message in the inbox (migration 0005): kept until its answer is delivered."""

    __tablename__ = "processed_events"
    __table_args__ = (
        Index("ix_processed_events_created_at", "created_at"),
        Index("ix_processed_events_pending", "platform", "state", "lease_until"),
    )

    platform: Mapped[str] = mapped_column(String(64), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    state: Mapped[str] = mapped_column(String(16), server_default="answered")
    owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    workspace: Mapped[str | None] = mapped_column(String(255))
    channel: Mapped[str | None] = mapped_column(String(255))
    thread: Mapped[str | None] = mapped_column(String(255))
    user: Mapped[str | None] = mapped_column(String(255))
    user_name: Mapped[str | None] = mapped_column(String(255))
    flags: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str | None] = mapped_column(Text)
    reply_ref: Mapped[str | None] = mapped_column(String(255))
    answer: Mapped[str | None] = mapped_column(Text)
    notices: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    attachments: Mapped[str | None] = mapped_column(Text)  # JSON: the files' names, types, sizes, refs (0010)


class UsageRecordRow(Base):
    __tablename__ = "usage_records"
    __table_args__ = (Index("ix_usage_records_workspace_created_at", "platform", "workspace", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(64))
    workspace: Mapped[str] = mapped_column(String(128))
    channel: Mapped[str] = mapped_column(String(128))
    user: Mapped[str] = mapped_column(String(128))
    model: Mapped[str] = mapped_column(String(128))
    prompt_tokens: Mapped[int] = mapped_column(Integer)
    completion_tokens: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    cost_micro_usd: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class BudgetCounterRow(Base):
    """Tokens (or micro-USD) used and reserved against one budget in one period."""

    __tablename__ = "budget_counters"
    __table_args__ = (
        UniqueConstraint("platform", "workspace", "user", "period", "unit", name="uq_budget_counters_counter"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(64))
    workspace: Mapped[str] = mapped_column(String(128))
    user: Mapped[str] = mapped_column(String(128))
    period: Mapped[str] = mapped_column(String(32))
    unit: Mapped[str] = mapped_column(String(16))
    used: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    reserved: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class BudgetHoldRow(Base):
    """One request's reservation on one counter, until it is settled (or released as stale)."""

    __tablename__ = "budget_holds"
    __table_args__ = (
        Index("ix_budget_holds_hold", "hold"),
        Index("ix_budget_holds_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    hold: Mapped[str] = mapped_column(String(64))
    counter_id: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LimitOverrideRow(Base):
    """A rate limit an admin set from chat; ``channel`` "*" for workspace-wide."""

    __tablename__ = "limit_overrides"
    __table_args__ = (
        UniqueConstraint("platform", "workspace", "channel", "scope", name="uq_limit_overrides_override"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(64))
    workspace: Mapped[str] = mapped_column(String(128))
    channel: Mapped[str] = mapped_column(String(128))
    scope: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(255))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AuditLogRow(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_workspace_created_at", "platform", "workspace", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(64))
    workspace: Mapped[str] = mapped_column(String(128))
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(255))
    # none_as_null: a missing before/after is SQL NULL, not the JSON literal null.
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), nullable=True)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class FilterPolicyRow(Base):
    """A workspace's own filter choices; NULL follows the settings."""

    __tablename__ = "filter_policies"
    __table_args__ = (UniqueConstraint("platform", "workspace", name="uq_filter_policies_workspace"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(64))
    workspace: Mapped[str] = mapped_column(String(128))
    pii: Mapped[str | None] = mapped_column(String(16), nullable=True)
    blocklist: Mapped[str | None] = mapped_column(String(16), nullable=True)
    moderation: Mapped[str | None] = mapped_column(String(16), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class FilterRuleRow(Base):
    """A blocklist rule added from chat: a word, phrase or /regex/, with its own action or NULL."""

    __tablename__ = "filter_rules"
    __table_args__ = (UniqueConstraint("platform", "workspace", "pattern", name="uq_filter_rules_pattern"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(64))
    workspace: Mapped[str] = mapped_column(String(128))
    pattern: Mapped[str] = mapped_column(String(255))
    action: Mapped[str | None] = mapped_column(String(16), nullable=True)
    author: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class FilterDecisionRow(Base):
    """What a filter did, without the content."""

    __tablename__ = "filter_decisions"
    __table_args__ = (
        Index("ix_filter_decisions_workspace_created_at", "platform", "workspace", "created_at"),
        Index("ix_filter_decisions_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(64))
    workspace: Mapped[str] = mapped_column(String(128))
    channel: Mapped[str] = mapped_column(String(128))
    user: Mapped[str] = mapped_column(String(128))
    direction: Mapped[str] = mapped_column(String(8))
    filter: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# The tables of this wave's features, each in its own module (they need ``Base`` above).
from core.storage.models.access import AccessRuleRow, ChannelSummoningRow, ModelChoiceRow  # noqa: E402
from core.storage.models.feedback import FeedbackAnswerRow, FeedbackRow  # noqa: E402
from core.storage.models.slack_installs import (  # noqa: E402
    SlackBotRow, SlackInstallationRow, SlackOAuthStateRow, WorkspaceDepartureRow,
)
from core.storage.models.tools import ToolCallRow, ToolRuleRow  # noqa: E402

__all__ = [  # the rows defined above, and those of the feature modules
    "AccessRuleRow", "ChannelSummoningRow", "FeedbackAnswerRow", "FeedbackRow", "ModelChoiceRow", "SlackBotRow",
    "SlackInstallationRow", "SlackOAuthStateRow", "ToolCallRow", "ToolRuleRow", "WorkspaceDepartureRow",
]

PARLEY_TABLES: tuple[str, ...] = tuple(table.name for table in Base.metadata.sorted_tables)
"""Every table this module defines (not ``alembic_version``)."""
