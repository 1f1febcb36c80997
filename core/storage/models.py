"""SQLAlchemy models: the tables behind the storage ports.

The schema itself is created by the hand-written alembic migrations in
``migrations/versions``; these models must stay in step with them (a test
compares the two).  Every datetime column is stored as UTC and read back as a
timezone-aware UTC datetime on every backend (see ``UTCDateTime``).
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


# -- Slack installs for many workspaces (migration 0008).  The three slack_* tables are slack_sdk's own
# (its SQLAlchemy installation and OAuth state stores read and write them; naive UTC datetimes, as it
# writes them), except that the token columns are Text: they hold Fernet ciphertext, never a token.


class SlackInstallationRow(Base):
    __tablename__ = "slack_installations"
    __table_args__ = (
        Index("slack_installations_idx", "client_id", "enterprise_id", "team_id", "user_id", "installed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client_id: Mapped[str] = mapped_column(String(32))
    app_id: Mapped[str] = mapped_column(String(32))
    enterprise_id: Mapped[str | None] = mapped_column(String(32))
    enterprise_name: Mapped[str | None] = mapped_column(String(200))
    enterprise_url: Mapped[str | None] = mapped_column(String(200))
    team_id: Mapped[str | None] = mapped_column(String(32))
    team_name: Mapped[str | None] = mapped_column(String(200))
    bot_token: Mapped[str | None] = mapped_column(Text)
    bot_id: Mapped[str | None] = mapped_column(String(32))
    bot_user_id: Mapped[str | None] = mapped_column(String(32))
    bot_scopes: Mapped[str | None] = mapped_column(String(1000))
    bot_refresh_token: Mapped[str | None] = mapped_column(Text)
    bot_token_expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    user_id: Mapped[str] = mapped_column(String(32))
    user_token: Mapped[str | None] = mapped_column(Text)
    user_scopes: Mapped[str | None] = mapped_column(String(1000))
    user_refresh_token: Mapped[str | None] = mapped_column(Text)
    user_token_expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    incoming_webhook_url: Mapped[str | None] = mapped_column(Text)
    incoming_webhook_channel: Mapped[str | None] = mapped_column(String(200))
    incoming_webhook_channel_id: Mapped[str | None] = mapped_column(String(200))
    incoming_webhook_configuration_url: Mapped[str | None] = mapped_column(String(200))
    is_enterprise_install: Mapped[bool] = mapped_column(Boolean, default=False)
    token_type: Mapped[str | None] = mapped_column(String(32))
    installed_at: Mapped[datetime] = mapped_column(DateTime)


class SlackBotRow(Base):
    __tablename__ = "slack_bots"
    __table_args__ = (Index("slack_bots_idx", "client_id", "enterprise_id", "team_id", "installed_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client_id: Mapped[str] = mapped_column(String(32))
    app_id: Mapped[str] = mapped_column(String(32))
    enterprise_id: Mapped[str | None] = mapped_column(String(32))
    enterprise_name: Mapped[str | None] = mapped_column(String(200))
    team_id: Mapped[str | None] = mapped_column(String(32))
    team_name: Mapped[str | None] = mapped_column(String(200))
    bot_token: Mapped[str | None] = mapped_column(Text)
    bot_id: Mapped[str | None] = mapped_column(String(32))
    bot_user_id: Mapped[str | None] = mapped_column(String(32))
    bot_scopes: Mapped[str | None] = mapped_column(String(1000))
    bot_refresh_token: Mapped[str | None] = mapped_column(Text)
    bot_token_expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    is_enterprise_install: Mapped[bool] = mapped_column(Boolean, default=False)
    installed_at: Mapped[datetime] = mapped_column(DateTime)


class SlackOAuthStateRow(Base):
    """One install started (GET /slack/install) and not finished yet; single use, 10 minutes."""

    __tablename__ = "slack_oauth_states"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    state: Mapped[str] = mapped_column(String(200))
    expire_at: Mapped[datetime] = mapped_column(DateTime)


class WorkspaceDepartureRow(Base):
    """A workspace that removed the app: its data is erased once the grace period after ``left_at`` ends."""

    __tablename__ = "workspace_departures"
    __table_args__ = (UniqueConstraint("platform", "workspace", name="uq_workspace_departures_workspace"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(64))
    workspace: Mapped[str] = mapped_column(String(128))
    left_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(String(64))
class FeedbackAnswerRow(Base):
    """An answer people may rate (migration 0007): where, and the persona and model that wrote it; no text."""

    __tablename__ = "feedback_answers"
    __table_args__ = (
        Index("ix_feedback_answers_channel", "platform", "workspace", "channel"),
        Index("ix_feedback_answers_created_at", "created_at"),
    )

    platform: Mapped[str] = mapped_column(String(64), primary_key=True)
    answer_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    workspace: Mapped[str] = mapped_column(String(128))
    channel: Mapped[str] = mapped_column(String(128))
    thread: Mapped[str] = mapped_column(String(128), default="", server_default="")
    persona: Mapped[str] = mapped_column(String(64))
    model: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class FeedbackRow(Base):
    """One person's 👍 / 👎 on one answer (migration 0007), with the answer's persona and model copied in."""

    __tablename__ = "feedback"
    __table_args__ = (
        UniqueConstraint("platform", "answer_id", "user", name="uq_feedback_vote"),
        Index("ix_feedback_workspace_updated_at", "platform", "workspace", "updated_at"),
        Index("ix_feedback_user", "platform", "workspace", "user"),
        Index("ix_feedback_channel", "platform", "workspace", "channel"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(64))
    answer_id: Mapped[str] = mapped_column(String(255))
    user: Mapped[str] = mapped_column(String(128))
    workspace: Mapped[str] = mapped_column(String(128))
    channel: Mapped[str] = mapped_column(String(128))
    thread: Mapped[str] = mapped_column(String(128), default="", server_default="")
    persona: Mapped[str] = mapped_column(String(64))
    model: Mapped[str] = mapped_column(String(128))
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    rating: Mapped[str] = mapped_column(String(8))
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AccessRuleRow(Base):
    """An admin's allow or deny of a user, group/role or channel in a workspace (migration 0006)."""

    __tablename__ = "access_rules"
    __table_args__ = (UniqueConstraint("platform", "workspace", "kind", "subject", name="uq_access_rules_subject"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(64))
    workspace: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(128))
    effect: Mapped[str] = mapped_column(String(8))
    author: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ChannelSummoningRow(Base):
    """How a channel summons the bot: mention | always | off, and auto | mention in threads (migration 0006)."""

    __tablename__ = "channel_summoning"
    __table_args__ = (UniqueConstraint("platform", "workspace", "channel", name="uq_channel_summoning_channel"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(64))
    workspace: Mapped[str] = mapped_column(String(128))
    channel: Mapped[str] = mapped_column(String(128))
    mode: Mapped[str] = mapped_column(String(16))
    threads: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ModelChoiceRow(Base):
    """The model a person picked for themselves in a channel (``/parley model``; migration 0006)."""

    __tablename__ = "model_choices"
    __table_args__ = (
        UniqueConstraint("platform", "workspace", "channel", "user", name="uq_model_choices_person"),
        Index("ix_model_choices_user", "platform", "workspace", "user"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(64))
    workspace: Mapped[str] = mapped_column(String(128))
    channel: Mapped[str] = mapped_column(String(128))
    user: Mapped[str] = mapped_column(String(128))
    model: Mapped[str] = mapped_column(String(128))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ToolRuleRow(Base):
    """A persona's use of an MCP server (``target`` = server) or of one tool (``server.tool``)."""

    __tablename__ = "tool_rules"
    __table_args__ = (UniqueConstraint("platform", "workspace", "persona", "target", name="uq_tool_rules_target"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(64))
    workspace: Mapped[str] = mapped_column(String(128))
    persona: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(255))
    policy: Mapped[str] = mapped_column(String(8))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ToolCallRow(Base):
    """One tool call, audited: who asked, which tool, when, a digest of the arguments, the result's size."""

    __tablename__ = "tool_calls"
    __table_args__ = (
        Index("ix_tool_calls_workspace_created_at", "platform", "workspace", "created_at"),
        Index("ix_tool_calls_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(64))
    workspace: Mapped[str] = mapped_column(String(128))
    channel: Mapped[str] = mapped_column(String(128))
    user: Mapped[str] = mapped_column(String(128))
    persona: Mapped[str] = mapped_column(String(64))
    tool: Mapped[str] = mapped_column(String(255))
    outcome: Mapped[str] = mapped_column(String(16))
    arguments_digest: Mapped[str] = mapped_column(String(64))
    result_chars: Mapped[int] = mapped_column(Integer)
    approved_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


PARLEY_TABLES: tuple[str, ...] = tuple(table.name for table in Base.metadata.sorted_tables)
"""Every table this module defines (not ``alembic_version``)."""
