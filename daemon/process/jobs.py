"""Due work read from the database: reminders, call prompts, expiry warnings, digest, ping."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import structlog
from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings
from daemon.duties import alerts, digest, ping, reminders, upkeep
from daemon.process.clock import Clock
from daemon.store.db import DATABASE_ERRORS, transaction
from daemon.store.directory import load_directory
from parsers.directory import Directory

log = structlog.get_logger("watchkeeper.jobs")

Work = Callable[[Session, Settings, Directory, datetime], object]


def _backfill(session: Session, settings: Settings, directory: Directory, now: datetime) -> int:
    return reminders.backfill_deadlines(session, settings, directory, now)


def _reminders(session: Session, settings: Settings, directory: Directory, now: datetime) -> int:
    return reminders.send_due_reminders(session, settings, now)


def _classification(session: Session, settings: Settings, directory: Directory,
                    now: datetime) -> int:
    return reminders.send_classification_prompts(session, settings, now)


def _triage(session: Session, settings: Settings, directory: Directory, now: datetime) -> int:
    return reminders.send_triage_prompts(session, settings, now)


def _calls(session: Session, settings: Settings, directory: Directory, now: datetime) -> int:
    return reminders.send_call_prompts(session, settings, directory, now)


def _preservation(session: Session, settings: Settings, directory: Directory,
                  now: datetime) -> int:
    return reminders.send_preservation_warnings(session, settings, now)


def _retention(session: Session, settings: Settings, directory: Directory, now: datetime) -> int:
    return reminders.flag_retention_risks(session, settings, directory, now)


def _digest(session: Session, settings: Settings, directory: Directory, now: datetime) -> bool:
    return digest.send_due_digest(session, settings, now)


def _ping(session: Session, settings: Settings, directory: Directory, now: datetime) -> int:
    return ping.run_due_ping_work(session, settings, now)


# In this order: deadlines first, so that a case opened without them is reminded on time.
WORK: tuple[tuple[str, Work], ...] = (
    ("deadlines", _backfill),
    ("reminders", _reminders),
    ("classification_prompts", _classification),
    ("triage_prompts", _triage),
    ("call_prompts", _calls),
    ("preservation_warnings", _preservation),
    ("retention_risks", _retention),
    ("digest", _digest),
    ("ping", _ping),
)


def run_alerts(settings: Settings, sessions: sessionmaker[Session], clock: Clock) -> int:
    """Bring up to date the conditions the database shows (duties/upkeep.py), then plan the
    alerts the conditions call for now (duties/alerts.py); returns how many. Run with every
    delivery, so an outage that ended is announced at once."""
    with transaction(sessions) as session:
        upkeep.refresh(session, settings, clock.now())
        return alerts.alert_conditions(session, settings, clock.now())


def run_due(settings: Settings, sessions: sessionmaker[Session], clock: Clock) -> None:
    """Plan every reminder, prompt and report that is due at the clock's instant.

    Each kind of work runs in its own transaction, so one that fails (and is logged) does
    not hold back the others; the next tick tries it again from the database's state. A
    database error ends the run (raised): the rest would meet the same database.
    """
    now = clock.now()
    for name, work in WORK:
        try:
            with transaction(sessions) as session:
                directory = load_directory(session)
                work(session, settings, directory, now)
        except DATABASE_ERRORS:
            raise
        except Exception:
            log.exception("due_work_failed", work=name)
