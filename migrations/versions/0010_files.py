"""Files and images: a persona's ``vision`` setting, and the inbox keeps a message's attachments.

``personas.vision`` (auto | on | off) says whether attached images go to the persona's model.
``processed_events.attachments`` keeps the names, types, sizes and platform references of a message's
files (never their content) until the message is finished, so a take-over reads them again.

Revision ID: 0010
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("personas") as batch:
        batch.add_column(sa.Column("vision", sa.String(8), nullable=False, server_default="auto"))
    with op.batch_alter_table("processed_events") as batch:
        batch.add_column(sa.Column("attachments", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("processed_events") as batch:
        batch.drop_column("attachments")
    with op.batch_alter_table("personas") as batch:
        batch.drop_column("vision")
