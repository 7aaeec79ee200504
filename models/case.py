"""Cases: one tracked request, incoming or outgoing, and its case-reference sequence."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base

DIRECTIONS = ("incoming", "outgoing")
STATUSES = ("new", "held", "acknowledged", "started", "answered", "closed")


class CaseSequence(Base):
    """Last number handed out per prefix and year; a row lock serialises allocation."""

    __tablename__ = "case_sequences"

    prefix: Mapped[str] = mapped_column(String(8), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class Case(Base):
    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True, nullable=False)
    direction: Mapped[str] = mapped_column(String(8), nullable=False)
    request_type: Mapped[str | None] = mapped_column(String(32))
    urgent: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="new", index=True)
    historical: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    country: Mapped[str | None] = mapped_column(String(2), index=True)
    counterpart_address: Mapped[str | None] = mapped_column(String(320))
    contact_point_id: Mapped[int | None] = mapped_column(
        ForeignKey("contact_points.id", ondelete="SET NULL")
    )
    sender_verified: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    their_reference: Mapped[str | None] = mapped_column(String(200))
    previous_reference: Mapped[str | None] = mapped_column(String(200))
    previous_case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    subject: Mapped[str] = mapped_column(Text, nullable=False, default="")
    provider: Mapped[str | None] = mapped_column(String(300))
    language: Mapped[str | None] = mapped_column(String(8))
    root_message_id: Mapped[str | None] = mapped_column(String(998))
    flags: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    rules: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)

    opened_at: Mapped[datetime] = mapped_column(nullable=False, index=True)
    acknowledged_at: Mapped[datetime | None]
    first_response_at: Mapped[datetime | None]
    partner_acked_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    close_reason: Mapped[str | None] = mapped_column(Text)

    start_due_at: Mapped[datetime | None] = mapped_column(index=True)
    answer_due_at: Mapped[datetime | None] = mapped_column(index=True)
    partner_ack_due_at: Mapped[datetime | None]
    preservation_expires_at: Mapped[datetime | None] = mapped_column(index=True)
    retention_risk_at: Mapped[datetime | None]


class Identifier(Base):
    """An account, address or number the request is about, with its instant."""

    __tablename__ = "identifiers"
    __table_args__ = (UniqueConstraint("case_id", "type", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, index=True
    )
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    type: Mapped[str] = mapped_column(String(16), nullable=False)
    value: Mapped[str] = mapped_column(String(1000), nullable=False)
    timestamp: Mapped[datetime | None]
