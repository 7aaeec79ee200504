"""Conditions: what is wrong with the desk right now (SMTP down, a login refused, ...).

One row per kind and subject, reused episode after episode: `since` is when the current
episode began, `cleared_at` is set when it ended (NULL while it lasts). The history of
every episode is in the events (`condition_raised`, `condition_cleared`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class Condition(Base):
    __tablename__ = "conditions"
    __table_args__ = (UniqueConstraint("kind", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # What is wrong (`smtp_unavailable`, `imap_login_refused`, ...) and with what: a server,
    # a file, a sender; "" when the desk has only one of it.
    kind: Mapped[str] = mapped_column(String(64), nullable=False)
    subject: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    # The cause in one line, as the reporter saw it last (the server's answer, the problem).
    detail: Mapped[str] = mapped_column(Text, nullable=False, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    since: Mapped[datetime] = mapped_column(nullable=False)
    last_seen_at: Mapped[datetime] = mapped_column(nullable=False)
    seen: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    cleared_at: Mapped[datetime | None]
    # When the operators were told of this episode (or told nothing because an alert of the
    # same kind had just gone out), and of its end, for kinds that announce their end.
    alerted_at: Mapped[datetime | None]
    recovery_alerted_at: Mapped[datetime | None]
