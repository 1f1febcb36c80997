"""Tools through MCP: each persona's tool rules, and the audit of every tool call.

Revision ID: 0009
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _id() -> sa.Column:
    return sa.Column("id", BIG_ID, nullable=False, autoincrement=True)


def _ts(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "tool_rules",
        _id(),
        sa.Column("platform", sa.String(64), nullable=False),
        sa.Column("workspace", sa.String(128), nullable=False),
        sa.Column("persona", sa.String(64), nullable=False),
        sa.Column("target", sa.String(255), nullable=False),  # server | server.tool
        sa.Column("policy", sa.String(8), nullable=False),  # auto | ask | off
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_tool_rules"),
        sa.UniqueConstraint("platform", "workspace", "persona", "target", name="uq_tool_rules_target"),
    )
    op.create_table(
        "tool_calls",
        _id(),
        sa.Column("platform", sa.String(64), nullable=False),
        sa.Column("workspace", sa.String(128), nullable=False),
        sa.Column("channel", sa.String(128), nullable=False),
        sa.Column("user", sa.String(128), nullable=False),
        sa.Column("persona", sa.String(64), nullable=False),
        sa.Column("tool", sa.String(255), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("arguments_digest", sa.String(64), nullable=False),
        sa.Column("result_chars", sa.Integer(), nullable=False),
        sa.Column("approved_by", sa.String(128), nullable=True),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_tool_calls"),
    )
    op.create_index("ix_tool_calls_workspace_created_at", "tool_calls", ["platform", "workspace", "created_at"])
    op.create_index("ix_tool_calls_created_at", "tool_calls", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_tool_calls_created_at", table_name="tool_calls")
    op.drop_index("ix_tool_calls_workspace_created_at", table_name="tool_calls")
    op.drop_table("tool_calls")
    op.drop_table("tool_rules")
