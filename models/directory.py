"""Contact points of the network as held in the database, one row per contact point."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base


class ContactPointRow(Base):
    __tablename__ = "contact_points"

    id: Mapped[int] = mapped_column(primary_key=True)
    country: Mapped[str] = mapped_column(String(2), nullable=False, index=True)
    authority: Mapped[str] = mapped_column(Text, nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    timezone: Mapped[str] = mapped_column(String(64), nullable=False)
    office_hours: Mapped[str] = mapped_column(String(200), nullable=False)
    office_phone: Mapped[str | None] = mapped_column(String(32))
    after_hours_phone: Mapped[str | None] = mapped_column(String(32))
    languages: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    retention: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    preservation_days: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    changed_at: Mapped[datetime] = mapped_column(nullable=False)

    emails: Mapped[list[ContactEmail]] = relationship(
        back_populates="contact_point",
        cascade="all, delete-orphan",
        order_by="ContactEmail.position",
    )


class ContactEmail(Base):
    """An address of a contact point; an address belongs to exactly one contact point."""

    __tablename__ = "contact_emails"

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(320), unique=True, nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    contact_point_id: Mapped[int] = mapped_column(
        ForeignKey("contact_points.id", ondelete="CASCADE"), nullable=False, index=True
    )
    contact_point: Mapped[ContactPointRow] = relationship(back_populates="emails")
