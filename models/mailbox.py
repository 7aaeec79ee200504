"""Mailbox checkpoints (how far each folder is read) and the running daemon instances."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class MailboxCheckpoint(Base):
    __tablename__ = "mailbox_checkpoints"

    folder: Mapped[str] = mapped_column(String(255), primary_key=True)
    uidvalidity: Mapped[int] = mapped_column(BigInteger, nullable=False)
    last_uid: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    live_from_uid: Mapped[int | None] = mapped_column(BigInteger)
    backlog_total: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_poll_at: Mapped[datetime | None]
    idle: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    last_error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(nullable=False)


class DaemonInstance(Base):
    """A `watchkeeper run` process and its heartbeat, for `status` and high availability."""

    __tablename__ = "daemon_instances"

    instance_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    host: Mapped[str] = mapped_column(String(255), nullable=False)
    pid: Mapped[int] = mapped_column(Integer, nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    version: Mapped[str] = mapped_column(String(32), nullable=False)
    started_at: Mapped[datetime] = mapped_column(nullable=False)
    heartbeat_at: Mapped[datetime] = mapped_column(nullable=False)
    stopped_at: Mapped[datetime | None]
