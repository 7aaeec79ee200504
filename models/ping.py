"""Ping test rounds of the directory and each contact point's answer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class PingRound(Base):
    __tablename__ = "ping_rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    started_at: Mapped[datetime] = mapped_column(nullable=False)
    started_by: Mapped[str] = mapped_column(String(200), nullable=False)
    deadline_at: Mapped[datetime] = mapped_column(nullable=False)
    reminders_sent_at: Mapped[datetime | None]
    reported_at: Mapped[datetime | None]


class PingTarget(Base):
    __tablename__ = "ping_targets"
    __table_args__ = (UniqueConstraint("round_id", "address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(
        ForeignKey("ping_rounds.id", ondelete="CASCADE"), nullable=False, index=True
    )
    country: Mapped[str] = mapped_column(String(2), nullable=False)
    contact_point_id: Mapped[int | None] = mapped_column(
        ForeignKey("contact_points.id", ondelete="SET NULL")
    )
    address: Mapped[str] = mapped_column(String(320), nullable=False)
    sent_at: Mapped[datetime | None]
    replied_at: Mapped[datetime | None]
    reply_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL")
    )
    reminder_sent_at: Mapped[datetime | None]
