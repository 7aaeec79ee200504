"""Due work read from the database: reminders, call prompts, expiry warnings, digest, ping."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings
from daemon.clock import Clock


def run_due(settings: Settings, sessions: sessionmaker[Session], clock: Clock) -> None:
    """Plan every reminder, prompt and report that is due at the clock's instant."""
    # Filled in by the deadlines work.
    return None
