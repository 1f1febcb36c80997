"""MCP tool rules per persona and the tool-call log (migration 0009)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.storage.models import BigId, Base, UTCDateTime, utcnow


class ToolRuleRow(Base):
    """A persona's use of an MCP server (``target`` = server) or of one tool (``server.tool``)."""

    __tablename__ = "tool_rules"
    __table_args__ = (UniqueConstraint("platform", "workspace", "persona", "target", name="uq_tool_rules_target"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(64))
    workspace: Mapped[str] = mapped_column(String(128))
    persona: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(255))
    policy: Mapped[str] = mapped_column(String(8))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ToolCallRow(Base):
    """One tool call, audited: who asked, which tool, when, a digest of the arguments, the result's size."""

    __tablename__ = "tool_calls"
    __table_args__ = (
        Index("ix_tool_calls_workspace_created_at", "platform", "workspace", "created_at"),
        Index("ix_tool_calls_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(64))
    workspace: Mapped[str] = mapped_column(String(128))
    channel: Mapped[str] = mapped_column(String(128))
    user: Mapped[str] = mapped_column(String(128))
    persona: Mapped[str] = mapped_column(String(64))
    tool: Mapped[str] = mapped_column(String(255))
    outcome: Mapped[str] = mapped_column(String(16))
    arguments_digest: Mapped[str] = mapped_column(String(64))
    result_chars: Mapped[int] = mapped_column(Integer)
    approved_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
