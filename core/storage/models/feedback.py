"""Feedback on answers (migration 0007)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.storage.models import BigId, Base, UTCDateTime, utcnow


class FeedbackAnswerRow(Base):
    """An answer people may rate (migration 0007): where, and the persona and model that wrote it; no text."""

    __tablename__ = "feedback_answers"
    __table_args__ = (
        Index("ix_feedback_answers_channel", "platform", "workspace", "channel"),
        Index("ix_feedback_answers_created_at", "created_at"),
    )

    platform: Mapped[str] = mapped_column(String(64), primary_key=True)
    answer_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    workspace: Mapped[str] = mapped_column(String(128))
    channel: Mapped[str] = mapped_column(String(128))
    thread: Mapped[str] = mapped_column(String(128), default="", server_default="")
    persona: Mapped[str] = mapped_column(String(64))
    model: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class FeedbackRow(Base):
    """One person's 👍 / 👎 on one answer (migration 0007), with the answer's persona and model copied in."""

    __tablename__ = "feedback"
    __table_args__ = (
        UniqueConstraint("platform", "answer_id", "user", name="uq_feedback_vote"),
        Index("ix_feedback_workspace_updated_at", "platform", "workspace", "updated_at"),
        Index("ix_feedback_user", "platform", "workspace", "user"),
        Index("ix_feedback_channel", "platform", "workspace", "channel"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(64))
    answer_id: Mapped[str] = mapped_column(String(255))
    user: Mapped[str] = mapped_column(String(128))
    workspace: Mapped[str] = mapped_column(String(128))
    channel: Mapped[str] = mapped_column(String(128))
    thread: Mapped[str] = mapped_column(String(128), default="", server_default="")
    persona: Mapped[str] = mapped_column(String(64))
    model: Mapped[str] = mapped_column(String(128))
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    rating: Mapped[str] = mapped_column(String(8))
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
