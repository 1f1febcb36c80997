"""Content filters: each workspace's policy, its blocklist rules, and the decisions (no content).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _id() -> sa.Column:
    return sa.Column("id", BIG_ID, nullable=False, autoincrement=True)


def _ts(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "filter_policies",
        _id(),
        sa.Column("platform", sa.String(64), nullable=False),
        sa.Column("workspace", sa.String(128), nullable=False),
        sa.Column("pii", sa.String(16), nullable=True),  # redact | off; NULL: the settings
        sa.Column("blocklist", sa.String(16), nullable=True),  # block | redact | off
        sa.Column("moderation", sa.String(16), nullable=True),  # block | flag | off
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_filter_policies"),
        sa.UniqueConstraint("platform", "workspace", name="uq_filter_policies_workspace"),
    )
    op.create_table(
        "filter_rules",
        _id(),
        sa.Column("platform", sa.String(64), nullable=False),
        sa.Column("workspace", sa.String(128), nullable=False),
        sa.Column("pattern", sa.String(255), nullable=False),  # a word, a phrase or /regex/
        sa.Column("action", sa.String(16), nullable=True),  # block | redact; NULL: the blocklist's mode
        sa.Column("author", sa.String(128), nullable=False),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_filter_rules"),
        sa.UniqueConstraint("platform", "workspace", "pattern", name="uq_filter_rules_pattern"),
    )
    op.create_table(
        "filter_decisions",
        _id(),
        sa.Column("platform", sa.String(64), nullable=False),
        sa.Column("workspace", sa.String(128), nullable=False),
        sa.Column("channel", sa.String(128), nullable=False),
        sa.Column("user", sa.String(128), nullable=False),
        sa.Column("direction", sa.String(8), nullable=False),  # input | output
        sa.Column("filter", sa.String(16), nullable=False),  # pii | blocklist | moderation
        sa.Column("category", sa.String(128), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_filter_decisions"),
    )
    op.create_index(
        "ix_filter_decisions_workspace_created_at", "filter_decisions", ["platform", "workspace", "created_at"]
    )
    op.create_index("ix_filter_decisions_created_at", "filter_decisions", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_filter_decisions_created_at", table_name="filter_decisions")
    op.drop_index("ix_filter_decisions_workspace_created_at", table_name="filter_decisions")
    op.drop_table("filter_decisions")
    op.drop_table("filter_rules")
    op.drop_table("filter_policies")
