"""Conditions that the database itself shows, brought up to date before the alerts are
decided (store/conditions.py, duties/alerts.py):

- quarantined mail waiting longer than `desk.quarantine_alert_minutes` raises
  QUARANTINE_WAITING (with the count and the oldest); none waiting any more clears it;
- a sender held back by the rate limit (SENDER_RATE_LIMITED, raised as each mail is held
  back) whose last held-back mail is an hour old is over the limit no longer: cleared, so
  that the next flood is a new episode and a new alert.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from config.settings import Settings
from daemon.store import conditions
from models import Message

# The rate limit counts automatic answers in the hour before each mail.
RATE_WINDOW = timedelta(hours=1)


def refresh(session: Session, settings: Settings, now: datetime) -> None:
    """Raise or clear the conditions the database shows at `now`."""
    quarantine(session, settings, now)
    quiet_senders(session, now)


def quarantine(session: Session, settings: Settings, now: datetime) -> None:
    count, oldest = session.execute(
        select(func.count(Message.id), func.min(Message.fetched_at)).where(
            Message.quarantined.is_(True), Message.released_at.is_(None))).one()
    if not count:
        conditions.clear(session, conditions.QUARANTINE_WAITING, "", now=now)
        return
    waited = now - oldest
    if waited < timedelta(minutes=settings.desk.quarantine_alert_minutes):
        return
    detail = (f"{conditions.plural(int(count), 'message', 'messages')} quarantined, the "
              f"oldest for {int(waited.total_seconds() // 60)} min")
    conditions.report(session, conditions.QUARANTINE_WAITING, "", detail, now=now,
                      count=int(count), oldest_at=oldest.isoformat())


def quiet_senders(session: Session, now: datetime) -> None:
    for c in conditions.active(session, [conditions.SENDER_RATE_LIMITED]):
        if now - c.last_seen_at >= RATE_WINDOW:
            conditions.clear(session, conditions.SENDER_RATE_LIMITED, c.subject, now=now)


def held_back(session: Session, settings: Settings, now: datetime, sender: str) -> int:
    """One more mail from `sender` was not acknowledged for the rate limit: the sender's
    condition starts or goes on, counting the mails held back in this episode. Returns
    the count."""
    current = next((c for c in conditions.active(session, [conditions.SENDER_RATE_LIMITED])
                    if c.subject == sender), None)
    held = int(current.data.get("held") or 0) + 1 if current is not None else 1
    limit = settings.smtp.max_auto_replies_per_hour
    conditions.report(
        session, conditions.SENDER_RATE_LIMITED, sender,
        f"{conditions.plural(held, 'mail', 'mails')} from {sender} not acknowledged: over "
        f"{limit} automatic answers an hour", now=now, held=held, limit=limit)
    return held
