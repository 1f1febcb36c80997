"""Rate-limit overrides, budget counters, and the cost of each usage record.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("usage_records") as batch:
        batch.add_column(sa.Column("cost_micro_usd", sa.BigInteger(), nullable=True))

    op.create_table(
        "budget_counters",
        sa.Column("id", BIG_ID, nullable=False, autoincrement=True),
        sa.Column("platform", sa.String(64), nullable=False),
        sa.Column("workspace", sa.String(128), nullable=False),
        sa.Column("user", sa.String(128), nullable=False),  # "": the workspace's own budget
        sa.Column("period", sa.String(32), nullable=False),  # day:YYYY-MM-DD | month:YYYY-MM
        sa.Column("unit", sa.String(16), nullable=False),  # tokens | micro_usd
        sa.Column("used", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("reserved", sa.BigInteger(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("id", name="pk_budget_counters"),
        sa.UniqueConstraint("platform", "workspace", "user", "period", "unit", name="uq_budget_counters_counter"),
    )

    op.create_table(
        "limit_overrides",
        sa.Column("id", BIG_ID, nullable=False, autoincrement=True),
        sa.Column("platform", sa.String(64), nullable=False),
        sa.Column("workspace", sa.String(128), nullable=False),
        sa.Column("channel", sa.String(128), nullable=False),  # "*": workspace-wide
        sa.Column("scope", sa.String(16), nullable=False),  # user | channel | workspace
        sa.Column("value", sa.String(255), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_limit_overrides"),
        sa.UniqueConstraint("platform", "workspace", "channel", "scope", name="uq_limit_overrides_override"),
    )


def downgrade() -> None:
    op.drop_table("limit_overrides")
    op.drop_table("budget_counters")
    with op.batch_alter_table("usage_records") as batch:
        batch.drop_column("cost_micro_usd")
