"""The inbox keeps each message until it is answered: crash-safe delivery.

Each processed event becomes a message with a state (pending → stored →
answered | refused | failed | ignored), an owner process and its lease, what is
needed to answer it again (where, who, the text), the platform's id of the
reply being shown, and the stored answer until it is delivered.  Rows that
existed before were all handled: they are ``answered``.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    sa.Column("state", sa.String(16), nullable=False, server_default="answered"),
    sa.Column("owner", sa.String(64), nullable=True),
    sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
    sa.Column("workspace", sa.String(255), nullable=True),
    sa.Column("channel", sa.String(255), nullable=True),
    sa.Column("thread", sa.String(255), nullable=True),
    sa.Column("user", sa.String(255), nullable=True),
    sa.Column("user_name", sa.String(255), nullable=True),
    sa.Column("flags", sa.String(64), nullable=True),  # is_dm, mentions_bot, in_bot_thread, sender_is_admin
    sa.Column("text", sa.Text(), nullable=True),  # kept only until the message is finished
    sa.Column("reply_ref", sa.String(255), nullable=True),  # the platform's id of the reply being shown
    sa.Column("answer", sa.Text(), nullable=True),  # a stored answer not yet delivered
    sa.Column("notices", sa.Text(), nullable=True),
    sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
)


def upgrade() -> None:
    with op.batch_alter_table("processed_events") as batch:
        for column in COLUMNS:
            batch.add_column(column)
    op.create_index("ix_processed_events_pending", "processed_events", ["platform", "state", "lease_until"])


def downgrade() -> None:
    op.drop_index("ix_processed_events_pending", table_name="processed_events")
    with op.batch_alter_table("processed_events") as batch:
        for column in reversed(COLUMNS):
            batch.drop_column(column.name)
