"""Who may use it, how each channel summons it, each person's model (migration 0006)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Index,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.storage.models import BigId, Base, UTCDateTime, utcnow


class AccessRuleRow(Base):
    """An admin's allow or deny of a user, group/role or channel in a workspace (migration 0006)."""

    __tablename__ = "access_rules"
    __table_args__ = (UniqueConstraint("platform", "workspace", "kind", "subject", name="uq_access_rules_subject"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(64))
    workspace: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(128))
    effect: Mapped[str] = mapped_column(String(8))
    author: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ChannelSummoningRow(Base):
    """How a channel summons the bot: mention | always | off, and auto | mention in threads (migration 0006)."""

    __tablename__ = "channel_summoning"
    __table_args__ = (UniqueConstraint("platform", "workspace", "channel", name="uq_channel_summoning_channel"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(64))
    workspace: Mapped[str] = mapped_column(String(128))
    channel: Mapped[str] = mapped_column(String(128))
    mode: Mapped[str] = mapped_column(String(16))
    threads: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ModelChoiceRow(Base):
    """The model a person picked for themselves in a channel (``/parley model``; migration 0006)."""

    __tablename__ = "model_choices"
    __table_args__ = (
        UniqueConstraint("platform", "workspace", "channel", "user", name="uq_model_choices_person"),
        Index("ix_model_choices_user", "platform", "workspace", "user"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(64))
    workspace: Mapped[str] = mapped_column(String(128))
    channel: Mapped[str] = mapped_column(String(128))
    user: Mapped[str] = mapped_column(String(128))
    model: Mapped[str] = mapped_column(String(128))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
