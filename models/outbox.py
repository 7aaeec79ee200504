"""Outbox: every mail the desk sends, planned in the transaction that causes it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base

# pending: waits to be sent; sent: the SMTP server took it; failed: refused for good when
# sent; bounced: taken, then returned by the partner's system (a final delivery failure).
# A delay notice leaves a sent mail sent and fills `delayed_at` and `delivery_report`.
OUTBOX_STATUSES = ("pending", "sent", "failed", "bounced")


class OutboxMail(Base):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True, nullable=False)
    purpose: Mapped[str] = mapped_column(String(40), nullable=False, index=True)
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id", ondelete="SET NULL"), index=True
    )
    message_id: Mapped[str] = mapped_column(String(998), unique=True, nullable=False)
    in_reply_to: Mapped[str | None] = mapped_column(String(998))
    mail_from: Mapped[str] = mapped_column(String(320), nullable=False)
    recipients: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    first_recipient: Mapped[str] = mapped_column(String(320), nullable=False, index=True)
    subject: Mapped[str] = mapped_column(Text, nullable=False, default="")
    raw: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    auto: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_at: Mapped[datetime] = mapped_column(nullable=False, index=True)
    next_attempt_at: Mapped[datetime] = mapped_column(nullable=False, index=True)
    sent_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    # The lease of the process sending the mail right now ("host/pid/instance"): a process
    # that is gone leaves it behind, and the next sender takes the mail at once.
    claimed_by: Mapped[str | None] = mapped_column(String(300))
    claimed_until: Mapped[datetime | None]
    # The last delivery report about this mail after it left (a delay or a bounce): its
    # action, status, diagnostic, reporting system, recipients and when it was read.
    delayed_at: Mapped[datetime | None]
    delivery_report: Mapped[dict[str, Any] | None] = mapped_column(JSON)
