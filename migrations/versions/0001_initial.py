"""Initial schema: memory, personas, channel settings, inbox, usage, audit.

Revision ID: 0001
Revises:
Create Date: 2025-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# 64-bit ids on PostgreSQL; SQLite only autoincrements an INTEGER PRIMARY KEY.
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _id() -> sa.Column:
    # The table's named PrimaryKeyConstraint makes this the (autoincrementing) key.
    return sa.Column("id", BIG_ID, nullable=False, autoincrement=True)


def _ts(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "conversation_turns",
        _id(),
        sa.Column("platform", sa.String(64), nullable=False),
        sa.Column("workspace", sa.String(128), nullable=False),
        sa.Column("channel", sa.String(128), nullable=False),
        sa.Column("thread", sa.String(128), nullable=False, server_default=""),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("author", sa.String(128), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("token_count", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="ok"),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_conversation_turns"),
    )
    op.create_index(
        "ix_conversation_turns_conversation",
        "conversation_turns",
        ["platform", "workspace", "channel", "thread", "id"],
    )
    op.create_index("ix_conversation_turns_author", "conversation_turns", ["platform", "workspace", "author"])
    op.create_index("ix_conversation_turns_created_at", "conversation_turns", ["created_at"])

    op.create_table(
        "conversation_summaries",
        _id(),
        sa.Column("platform", sa.String(64), nullable=False),
        sa.Column("workspace", sa.String(128), nullable=False),
        sa.Column("channel", sa.String(128), nullable=False),
        sa.Column("thread", sa.String(128), nullable=False, server_default=""),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("through_turn_id", sa.BigInteger(), nullable=False),
        sa.Column("token_count", sa.Integer(), nullable=False),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_conversation_summaries"),
        sa.UniqueConstraint(
            "platform", "workspace", "channel", "thread", name="uq_conversation_summaries_conversation"
        ),
    )

    op.create_table(
        "personas",
        _id(),
        sa.Column("platform", sa.String(64), nullable=False),
        sa.Column("workspace", sa.String(128), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("system_prompt", sa.Text(), nullable=False),
        sa.Column("model", sa.String(128), nullable=False),
        sa.Column("temperature", sa.Float(), nullable=False),
        sa.Column("max_tokens", sa.Integer(), nullable=False),
        sa.Column("memory_budget", sa.Integer(), nullable=False),
        _ts("created_at"),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_personas"),
        sa.UniqueConstraint("platform", "workspace", "name", name="uq_personas_name"),
    )

    op.create_table(
        "channel_settings",
        _id(),
        sa.Column("platform", sa.String(64), nullable=False),
        sa.Column("workspace", sa.String(128), nullable=False),
        sa.Column("channel", sa.String(128), nullable=False),  # "*": the workspace-wide row
        sa.Column("persona", sa.String(64), nullable=True),
        sa.Column("retention_days", sa.Integer(), nullable=True),
        sa.Column("memory_enabled", sa.Boolean(), nullable=False, server_default=sa.true()),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_channel_settings"),
        sa.UniqueConstraint("platform", "workspace", "channel", name="uq_channel_settings_channel"),
    )

    op.create_table(
        "processed_events",
        sa.Column("platform", sa.String(64), nullable=False),
        sa.Column("event_id", sa.String(255), nullable=False),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("platform", "event_id", name="pk_processed_events"),
    )
    op.create_index("ix_processed_events_created_at", "processed_events", ["created_at"])

    op.create_table(
        "usage_records",
        _id(),
        sa.Column("platform", sa.String(64), nullable=False),
        sa.Column("workspace", sa.String(128), nullable=False),
        sa.Column("channel", sa.String(128), nullable=False),
        sa.Column("user", sa.String(128), nullable=False),
        sa.Column("model", sa.String(128), nullable=False),
        sa.Column("prompt_tokens", sa.Integer(), nullable=False),
        sa.Column("completion_tokens", sa.Integer(), nullable=False),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_usage_records"),
    )
    op.create_index(
        "ix_usage_records_workspace_created_at", "usage_records", ["platform", "workspace", "created_at"]
    )

    op.create_table(
        "audit_log",
        _id(),
        sa.Column("platform", sa.String(64), nullable=False),
        sa.Column("workspace", sa.String(128), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.String(255), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_workspace_created_at", "audit_log", ["platform", "workspace", "created_at"])


def downgrade() -> None:
    op.drop_table("audit_log")
    op.drop_table("usage_records")
    op.drop_table("processed_events")
    op.drop_table("channel_settings")
    op.drop_table("personas")
    op.drop_table("conversation_summaries")
    op.drop_table("conversation_turns")
