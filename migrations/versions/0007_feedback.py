"""Feedback: the answers people may rate (persona, model, where; no text) and each person's 👍 / 👎.

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _ts(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def _where() -> list[sa.Column]:
    return [
        sa.Column("workspace", sa.String(128), nullable=False),
        sa.Column("channel", sa.String(128), nullable=False),
        sa.Column("thread", sa.String(128), nullable=False, server_default=""),
        sa.Column("persona", sa.String(64), nullable=False),
        sa.Column("model", sa.String(128), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "feedback_answers",
        sa.Column("platform", sa.String(64), nullable=False),
        sa.Column("answer_id", sa.String(255), nullable=False),  # the asking message's event id
        *_where(),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("platform", "answer_id", name="pk_feedback_answers"),
    )
    op.create_index("ix_feedback_answers_channel", "feedback_answers", ["platform", "workspace", "channel"])
    op.create_index("ix_feedback_answers_created_at", "feedback_answers", ["created_at"])
    op.create_table(
        "feedback",
        sa.Column("id", BIG_ID, nullable=False, autoincrement=True),
        sa.Column("platform", sa.String(64), nullable=False),
        sa.Column("answer_id", sa.String(255), nullable=False),
        sa.Column("user", sa.String(128), nullable=False),
        *_where(),
        _ts("answered_at"),
        sa.Column("rating", sa.String(8), nullable=False),  # up | down
        sa.Column("comment", sa.Text(), nullable=True),  # a 👎's optional comment
        _ts("created_at"),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_feedback"),
        sa.UniqueConstraint("platform", "answer_id", "user", name="uq_feedback_vote"),
    )
    op.create_index("ix_feedback_workspace_updated_at", "feedback", ["platform", "workspace", "updated_at"])
    op.create_index("ix_feedback_user", "feedback", ["platform", "workspace", "user"])
    op.create_index("ix_feedback_channel", "feedback", ["platform", "workspace", "channel"])


def downgrade() -> None:
    op.drop_table("feedback")
    op.drop_table("feedback_answers")
