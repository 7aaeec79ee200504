"""Triage items: human mail from an unknown address that is not a request, waiting for an
operator to turn it into a case or dismiss it (it is never acknowledged, never forgotten)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base

TRIAGE_STATUSES = ("open", "closed")
# How an item was closed: an operator opened a case for it or dismissed it, or it was
# imported as history on a first run.
RESOLUTIONS = ("case", "dismissed", "historical")


class TriageItem(Base):
    __tablename__ = "triage_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), unique=True, nullable=False
    )
    reason: Mapped[str] = mapped_column(String(64), nullable=False)  # why it is not a case
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="open", index=True)
    historical: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    received_at: Mapped[datetime] = mapped_column(nullable=False, index=True)
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    prompted_at: Mapped[datetime | None]  # when the duty officer was prompted about it
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(200))
    resolution: Mapped[str | None] = mapped_column(String(16))
    close_reason: Mapped[str | None] = mapped_column(Text)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"))
