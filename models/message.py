"""Messages: every mail seen in a watched folder, raw bytes first, exactly once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("folder", "uidvalidity", "uid", name="uq_messages_folder_uid"),
        Index("ix_messages_identity", "message_id", "sha256"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    folder: Mapped[str] = mapped_column(String(255), nullable=False)
    uidvalidity: Mapped[int] = mapped_column(BigInteger, nullable=False)
    uid: Mapped[int] = mapped_column(BigInteger, nullable=False)
    direction: Mapped[str] = mapped_column(String(8), nullable=False, default="in")
    sha256: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    raw: Mapped[bytes | None] = mapped_column(LargeBinary)
    truncated: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    message_id: Mapped[str | None] = mapped_column(String(998))
    in_reply_to: Mapped[str | None] = mapped_column(String(998))
    references: Mapped[str | None] = mapped_column(Text)
    from_addr: Mapped[str | None] = mapped_column(String(320), index=True)
    subject: Mapped[str | None] = mapped_column(Text)
    sent_date: Mapped[datetime | None]
    internal_date: Mapped[datetime | None]
    fetched_at: Mapped[datetime] = mapped_column(nullable=False)
    kind: Mapped[str | None] = mapped_column(String(16))
    parsed: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    live: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    ours: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id", ondelete="SET NULL"), index=True
    )
    candidate_case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id", ondelete="SET NULL")
    )
    quarantined: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, index=True)
    error: Mapped[str | None] = mapped_column(Text)
    released_at: Mapped[datetime | None]
