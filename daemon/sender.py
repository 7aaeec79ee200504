"""The outbox sender: the only module that speaks SMTP (aiosmtplib)."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings
from daemon.clock import Clock


async def deliver_pending(settings: Settings, sessions: sessionmaker[Session], clock: Clock) -> int:
    """Send every outbox mail that is due; returns how many were accepted by the server."""
    # Filled in by the outgoing-mail work.
    return 0
