"""The ping test's results: per contact point, what was sent, who answered and how fast.

Read from the database at any time (`ping status`, the supervisors' results mail); the
rounds themselves are started and followed in `daemon/duties/ping.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import ContactPointRow, OutboxMail, PingRound, PingTarget

REPLIED, WAITING, NO_ANSWER = "replied", "waiting", "no answer"



@dataclass(frozen=True)
class TargetStatus:
    """One contact point's part in a round."""

    country: str
    role: str | None
    address: str
    sent_at: datetime | None
    delivery: str | None  # the outbox row's status: pending, sent, failed, bounced
    replied_at: datetime | None
    response: timedelta | None
    reminder_sent_at: datetime | None
    state: str  # REPLIED, WAITING or NO_ANSWER

    def as_json(self) -> dict[str, object]:
        return {
            "country": self.country,
            "role": self.role,
            "address": self.address,
            "sent_at": _iso(self.sent_at),
            "delivery": self.delivery,
            "replied_at": _iso(self.replied_at),
            "response_seconds": (int(self.response.total_seconds())
                                 if self.response is not None else None),
            "reminder_sent": self.reminder_sent_at is not None,
            "reminder_sent_at": _iso(self.reminder_sent_at),
            "state": self.state,
        }


@dataclass(frozen=True)
class RoundStatus:
    """A round and every contact point's answer, for `ping status` and the results mail."""

    token: str
    started_at: datetime
    started_by: str
    deadline_at: datetime
    reminders_sent_at: datetime | None
    reported_at: datetime | None
    targets: tuple[TargetStatus, ...]

    @property
    def replied(self) -> int:
        return sum(1 for t in self.targets if t.state == REPLIED)

    @property
    def reminded(self) -> int:
        return sum(1 for t in self.targets if t.reminder_sent_at is not None)

    @property
    def no_answer(self) -> int:
        return sum(1 for t in self.targets if t.state == NO_ANSWER)

    def silent(self) -> list[str]:
        """Who did not answer: the country, with the role for a secondary contact point."""
        return [t.country if t.role != "secondary" else f"{t.country} secondary"
                for t in self.targets if t.state != REPLIED]

    def as_json(self) -> dict[str, object]:
        return {
            "token": self.token,
            "started_at": _iso(self.started_at),
            "started_by": self.started_by,
            "deadline_at": _iso(self.deadline_at),
            "reminders_sent_at": _iso(self.reminders_sent_at),
            "reported_at": _iso(self.reported_at),
            "sent": len(self.targets),
            "replied": self.replied,
            "reminded": self.reminded,
            "no_answer": self.no_answer,
            "targets": [t.as_json() for t in self.targets],
        }


def status(session: Session, round: str | None = None) -> RoundStatus | None:
    """A round's results per contact point (the latest round unless a token is given);
    None when there is no such round."""
    query = select(PingRound)
    if round is not None:
        query = query.where(PingRound.token == round.strip().upper())
    ping_round = session.scalars(
        query.order_by(PingRound.started_at.desc(), PingRound.id.desc())).first()
    if ping_round is None:
        return None
    rows = session.execute(
        select(PingTarget, ContactPointRow.role)
        .outerjoin(ContactPointRow, ContactPointRow.id == PingTarget.contact_point_id)
        .where(PingTarget.round_id == ping_round.id)
        .order_by(PingTarget.country, PingTarget.id)
    ).all()
    prefix = f"ping:{ping_round.token}:"
    mails = {key: (state, sent) for key, state, sent in session.execute(
        select(OutboxMail.key, OutboxMail.status, OutboxMail.sent_at)
        .where(OutboxMail.key.startswith(prefix, autoescape=True)))}
    overdue = ping_round.reminders_sent_at is not None or ping_round.reported_at is not None
    targets = []
    for target, role in rows:
        delivery, mailed_at = mails.get(prefix + target.address.lower(), (None, None))
        sent = mailed_at or target.sent_at
        replied = target.replied_at
        state = REPLIED if replied is not None else NO_ANSWER if overdue else WAITING
        targets.append(TargetStatus(
            country=target.country,
            role=role,
            address=target.address,
            sent_at=sent,
            delivery=delivery,
            replied_at=replied,
            response=replied - sent if replied is not None and sent is not None else None,
            reminder_sent_at=target.reminder_sent_at,
            state=state,
        ))
    return RoundStatus(
        token=ping_round.token,
        started_at=ping_round.started_at,
        started_by=ping_round.started_by,
        deadline_at=ping_round.deadline_at,
        reminders_sent_at=ping_round.reminders_sent_at,
        reported_at=ping_round.reported_at,
        targets=tuple(targets),
    )


def rounds(session: Session) -> list[RoundStatus]:
    """Every round, the latest first, for trends across the years."""
    tokens = session.scalars(select(PingRound.token)
                             .order_by(PingRound.started_at.desc(), PingRound.id.desc())).all()
    found = [status(session, token) for token in tokens]
    return [r for r in found if r is not None]


def format_response(response: timedelta | None) -> str:
    """A response time as `2d 03h 05m`, `3h 05m` or `12m`."""
    if response is None:
        return "-"
    minutes = max(0, int(response.total_seconds()) // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days}d {hours:02d}h {minutes:02d}m"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m"


def status_table(result: RoundStatus, zone: ZoneInfo) -> list[str]:
    """One line per contact point: the columns of `ping status` and of the results mail."""
    header = ("COUNTRY", "ROLE", "ADDRESS", "SENT", "MAIL", "REPLIED", "RESPONSE", "REMINDER",
              "STATE")
    rows = [header]
    for t in result.targets:
        rows.append((
            t.country,
            t.role or "-",
            t.address,
            show_time(t.sent_at, zone),
            t.delivery or "-",
            show_time(t.replied_at, zone),
            format_response(t.response),
            show_time(t.reminder_sent_at, zone) if t.reminder_sent_at else "no",
            t.state,
        ))
    widths = [max(len(r[n]) for r in rows) for n in range(len(header))]
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
            for r in rows]


def median_response(result: RoundStatus) -> timedelta | None:
    """The median time to answer among those who answered."""
    answered = sorted(t.response for t in result.targets if t.response is not None)
    return answered[len(answered) // 2] if answered else None


def show_time(at: datetime | None, zone: ZoneInfo) -> str:
    return at.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z") if at is not None else "-"


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None
