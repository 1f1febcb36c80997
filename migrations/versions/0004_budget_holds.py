"""Budget holds: each unsettled reservation, so that a crashed request's can be taken back.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "budget_holds",
        sa.Column("id", BIG_ID, nullable=False, autoincrement=True),
        sa.Column("hold", sa.String(64), nullable=False),  # one request's reservation, across its counters
        sa.Column("counter_id", sa.BigInteger(), nullable=False),  # budget_counters.id
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_budget_holds"),
    )
    op.create_index("ix_budget_holds_hold", "budget_holds", ["hold"])
    op.create_index("ix_budget_holds_created_at", "budget_holds", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_budget_holds_created_at", table_name="budget_holds")
    op.drop_index("ix_budget_holds_hold", table_name="budget_holds")
    op.drop_table("budget_holds")
