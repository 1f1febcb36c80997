"""Slack installs for many workspaces: installations, bots and OAuth states (slack_sdk's tables, tokens as
Fernet ciphertext in Text columns), and the workspaces that removed the app (erased after a grace period).

Revision ID: 0008
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer(), nullable=False, autoincrement=True)


def _s(name: str, length: int, *, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.String(length), nullable=nullable)


def _secret(name: str) -> sa.Column:
    return sa.Column(name, sa.Text(), nullable=True)  # Fernet ciphertext


def upgrade() -> None:
    op.create_table(
        "slack_installations",
        _id(),
        _s("client_id", 32, nullable=False),
        _s("app_id", 32, nullable=False),
        _s("enterprise_id", 32),
        _s("enterprise_name", 200),
        _s("enterprise_url", 200),
        _s("team_id", 32),
        _s("team_name", 200),
        _secret("bot_token"),
        _s("bot_id", 32),
        _s("bot_user_id", 32),
        _s("bot_scopes", 1000),
        _secret("bot_refresh_token"),
        sa.Column("bot_token_expires_at", sa.DateTime(), nullable=True),
        _s("user_id", 32, nullable=False),
        _secret("user_token"),
        _s("user_scopes", 1000),
        _secret("user_refresh_token"),
        sa.Column("user_token_expires_at", sa.DateTime(), nullable=True),
        _secret("incoming_webhook_url"),
        _s("incoming_webhook_channel", 200),
        _s("incoming_webhook_channel_id", 200),
        _s("incoming_webhook_configuration_url", 200),
        sa.Column("is_enterprise_install", sa.Boolean(), nullable=False),
        _s("token_type", 32),
        sa.Column("installed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_slack_installations"),
    )
    op.create_index(
        "slack_installations_idx", "slack_installations",
        ["client_id", "enterprise_id", "team_id", "user_id", "installed_at"],
    )
    op.create_table(
        "slack_bots",
        _id(),
        _s("client_id", 32, nullable=False),
        _s("app_id", 32, nullable=False),
        _s("enterprise_id", 32),
        _s("enterprise_name", 200),
        _s("team_id", 32),
        _s("team_name", 200),
        _secret("bot_token"),
        _s("bot_id", 32),
        _s("bot_user_id", 32),
        _s("bot_scopes", 1000),
        _secret("bot_refresh_token"),
        sa.Column("bot_token_expires_at", sa.DateTime(), nullable=True),
        sa.Column("is_enterprise_install", sa.Boolean(), nullable=False),
        sa.Column("installed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_slack_bots"),
    )
    op.create_index("slack_bots_idx", "slack_bots", ["client_id", "enterprise_id", "team_id", "installed_at"])
    op.create_table(
        "slack_oauth_states",
        _id(),
        _s("state", 200, nullable=False),
        sa.Column("expire_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_slack_oauth_states"),
    )
    op.create_table(
        "workspace_departures",
        sa.Column("id", BIG_ID, nullable=False, autoincrement=True),
        _s("platform", 64, nullable=False),
        _s("workspace", 128, nullable=False),
        sa.Column("left_at", sa.DateTime(timezone=True), nullable=False),
        _s("reason", 64, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_workspace_departures"),
        sa.UniqueConstraint("platform", "workspace", name="uq_workspace_departures_workspace"),
    )


def downgrade() -> None:
    op.drop_table("workspace_departures")
    op.drop_table("slack_oauth_states")
    op.drop_index("slack_bots_idx", table_name="slack_bots")
    op.drop_table("slack_bots")
    op.drop_index("slack_installations_idx", table_name="slack_installations")
    op.drop_table("slack_installations")
