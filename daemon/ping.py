"""The six-monthly ping test of the directory: rounds, replies, reminders, results."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from models import Message


def record_ping_reply(session: Session, message: Message, token: str, now: datetime) -> bool:
    """Match a reply carrying a ping token to its round; True when it matched a target."""
    # Filled in by the ping-test work.
    return False
