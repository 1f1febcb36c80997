"""Who may use it, where, and how it is summoned; each person's choice of model.

``access_rules``: a workspace's allow/deny rules for users, groups/roles and
channels.  ``channel_summoning``: a channel's mode (mention | always | off) and
whether threads need a mention.  ``model_choices``: the model a person picked
in a channel.  Personas get the other models people may pick and a switch to
forbid picking.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "access_rules",
        sa.PrimaryKeyConstraint("id", name="pk_access_rules"),
        sa.Column("id", BigId, nullable=False, autoincrement=True),
        sa.Column("platform", sa.String(64), nullable=False),
        sa.Column("workspace", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("subject", sa.String(128), nullable=False),
        sa.Column("effect", sa.String(8), nullable=False),
        sa.Column("author", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("platform", "workspace", "kind", "subject", name="uq_access_rules_subject"),
    )
    op.create_table(
        "channel_summoning",
        sa.PrimaryKeyConstraint("id", name="pk_channel_summoning"),
        sa.Column("id", BigId, nullable=False, autoincrement=True),
        sa.Column("platform", sa.String(64), nullable=False),
        sa.Column("workspace", sa.String(128), nullable=False),
        sa.Column("channel", sa.String(128), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("threads", sa.String(16), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("platform", "workspace", "channel", name="uq_channel_summoning_channel"),
    )
    op.create_table(
        "model_choices",
        sa.PrimaryKeyConstraint("id", name="pk_model_choices"),
        sa.Column("id", BigId, nullable=False, autoincrement=True),
        sa.Column("platform", sa.String(64), nullable=False),
        sa.Column("workspace", sa.String(128), nullable=False),
        sa.Column("channel", sa.String(128), nullable=False),
        sa.Column("user", sa.String(128), nullable=False),
        sa.Column("model", sa.String(128), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("platform", "workspace", "channel", "user", name="uq_model_choices_person"),
    )
    op.create_index("ix_model_choices_user", "model_choices", ["platform", "workspace", "user"])
    with op.batch_alter_table("personas") as batch:
        batch.add_column(sa.Column("models", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("model_choice", sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table("personas") as batch:
        batch.drop_column("model_choice")
        batch.drop_column("models")
    op.drop_index("ix_model_choices_user", table_name="model_choices")
    op.drop_table("model_choices")
    op.drop_table("channel_summoning")
    op.drop_table("access_rules")
