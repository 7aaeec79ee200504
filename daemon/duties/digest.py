"""The supervisors' daily digest: read the database at an instant, render HTML and text."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import structlog
from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy import case as when_then
from sqlalchemy.orm import Session

from config.settings import Settings
from daemon.duties import reminders
from daemon.outbound import templates
from daemon.outbound.outbox import OPERATOR_PURPOSES, Draft, enqueue, purpose_label
from daemon.rules.intake import TRIAGE_REASONS, UNCLASSIFIED
from daemon.store import conditions
from models import Case, Event, Message, OutboxMail, PingRound, PingTarget, TriageItem

log = structlog.get_logger("watchkeeper.digest")

LIST_LIMIT = 25
LAPSE_DAYS = 14
CHART_DAYS = 14
CHART_HEIGHT = 120  # pixels of the tallest bar


@dataclass(frozen=True)
class Row:
    """One case as a digest line."""

    reference: str
    direction: str
    country: str
    request_type: str
    urgent: bool
    subject: str
    when: datetime | None = None
    label: str = ""


@dataclass(frozen=True)
class Section:
    """A list of cases, the first `LIST_LIMIT` of `total`."""

    rows: tuple[Row, ...]
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.rows)


@dataclass(frozen=True)
class Median:
    label: str
    week: timedelta | None
    week_n: int
    month: timedelta | None
    month_n: int


@dataclass(frozen=True)
class Day:
    day: date
    incoming: int
    outgoing: int


@dataclass(frozen=True)
class Quarantined:
    at: datetime
    sender: str
    subject: str
    error: str


@dataclass(frozen=True)
class TriageRow:
    """A mail from an unknown address waiting for an operator (`watchkeeper triage`)."""

    message: int
    received: datetime
    sender: str
    subject: str
    why: str
    waiting: timedelta


@dataclass(frozen=True)
class DirectoryChange:
    at: datetime
    kind: str
    actor: str
    summary: str


@dataclass(frozen=True)
class PingSummary:
    """The latest ping test of the directory: who answered, who did not (yet)."""

    started_at: datetime
    deadline_at: datetime
    targets: int
    answered: int
    silent: tuple[tuple[str, str], ...]  # (country, address) without an answer

    @property
    def overdue(self) -> bool:
        return bool(self.silent)


@dataclass(frozen=True)
class DigestData:
    """Everything the digest says, as plain data (the templates only lay it out)."""

    now: datetime
    day: date
    new: int
    open: int
    urgent: int
    overdue_count: int
    retention_risks: Section
    overdue: Section
    calls_due: Section
    lapsing: Section
    unacknowledged: Section
    medians: tuple[Median, ...]
    quarantined_count: int
    quarantined: tuple[Quarantined, ...]
    unverified: tuple[tuple[str, int], ...]
    directory_changes: tuple[DirectoryChange, ...]
    volume: tuple[Day, ...]
    ping: PingSummary | None = None
    unclassified: Section = Section((), 0)
    triage: tuple[TriageRow, ...] = ()
    triage_count: int = 0
    extra: dict[str, Any] = field(default_factory=dict)
    attention: tuple[str, ...] = ()


@dataclass(frozen=True)
class Digest:
    subject: str
    text: str
    html: str
    data: DigestData


# ---------------------------------------------------------------- reading the database


def _open() -> list[ColumnElement[bool]]:
    return [Case.closed_at.is_(None), Case.status != "closed"]


def _overdue_at(now: datetime) -> ColumnElement[bool]:
    return and_(
        *_open(),
        Case.direction == "incoming",
        Case.historical.is_(False),
        Case.status != "held",
        Case.answered_at.is_(None),
        or_(
            and_(Case.start_due_at < now, Case.started_at.is_(None)),
            Case.answer_due_at < now,
        ),
    )


def _row(case: Case, when: datetime | None = None, label: str = "") -> Row:
    return Row(
        reference=case.reference,
        direction=case.direction,
        country=case.country or "",
        request_type=case.request_type or "request",
        urgent=bool(case.urgent or case.request_type == "emergency_disclosure"),
        subject=case.subject,
        when=when,
        label=label,
    )


def _count(session: Session, *where: ColumnElement[bool]) -> int:
    return int(session.scalar(select(func.count(Case.id)).where(*where)) or 0)


def _section(session: Session, where: Sequence[ColumnElement[bool]], order: Any,
             make: Any) -> Section:
    total = _count(session, *where)
    cases = session.scalars(select(Case).where(*where).order_by(order).limit(LIST_LIMIT)).all()
    return Section(tuple(make(c) for c in cases), total)


# What the digest opens with ("Needs attention"): each source gives the lines it has, in
# this order. The conditions give the same reasons as `status`; then the mail that waits for
# an operator's decision.
AttentionSource = Callable[[Session, Settings, datetime], list[str]]


def _triage_attention(session: Session, settings: Settings, now: datetime) -> list[str]:
    waiting = int(session.scalar(select(func.count(TriageItem.id)).where(
        TriageItem.status == "open", TriageItem.historical.is_(False),
        TriageItem.received_at <= now)) or 0)
    if not waiting:
        return []
    return [f"{waiting} mail{'s' if waiting > 1 else ''} from unknown senders wait for triage "
            "(watchkeeper triage): open each as a case or dismiss it"]


def _unclassified_attention(session: Session, settings: Settings, now: datetime) -> list[str]:
    count = int(session.scalar(select(func.count(Case.id)).where(
        *_open(), Case.historical.is_(False), Case.request_type == UNCLASSIFIED)) or 0)
    if not count:
        return []
    return [f"{count} case{'s' if count > 1 else ''} of unknown type "
            "(watchkeeper cases --unclassified): set each with watchkeeper case REF type TYPE"]


def _bounced_attention(session: Session, settings: Settings, now: datetime) -> list[str]:
    """Mail the partners' systems returned in the last day: each alerted once, listed here
    again so that a bounce nobody followed up is seen."""
    rows = session.execute(
        select(OutboxMail.purpose, OutboxMail.first_recipient, Case.reference)
        .outerjoin(Case, Case.id == OutboxMail.case_id)
        .where(OutboxMail.status == "bounced", OutboxMail.failed_at > now - timedelta(days=1),
               OutboxMail.purpose.not_in(tuple(OPERATOR_PURPOSES)))
        .order_by(OutboxMail.failed_at)).all()
    if not rows:
        return []
    which = ", ".join(f"{purpose_label(p)} to {to}" + (f" [{ref}]" if ref else "")
                      for p, to, ref in rows[:LIST_LIMIT])
    more = f" and {len(rows) - LIST_LIMIT} more" if len(rows) > LIST_LIMIT else ""
    return [f"{len(rows)} mail{'s' if len(rows) > 1 else ''} returned by partners' mail "
            f"systems (bounced) in the last 24 h: {which}{more}. The partner never got it: "
            "call them and check the directory address"]


ATTENTION: tuple[AttentionSource, ...] = (
    conditions.needing_attention, _triage_attention, _unclassified_attention,
    _bounced_attention,
)


def needs_attention(session: Session, settings: Settings, now: datetime) -> tuple[str, ...]:
    """Every line of "Needs attention", source after source."""
    return tuple(line for source in ATTENTION for line in source(session, settings, now))


def collect(session: Session, settings: Settings, now: datetime) -> DigestData:
    """Read everything the digest reports at instant `now`."""
    zone = settings.desk.zone
    today = now.astimezone(zone).date()

    new = _count(session, Case.opened_at > now - timedelta(days=1), Case.historical.is_(False))
    open_ = _count(session, *_open())
    urgent = _count(session, *_open(), or_(Case.urgent.is_(True),
                                           Case.request_type == "emergency_disclosure"))
    overdue = _section(
        session, [_overdue_at(now)],
        when_then((Case.started_at.is_(None), Case.start_due_at), else_=Case.answer_due_at),
        lambda c: _overdue_row(c, now),
    )
    risks = _section(
        session, [*_open(), Case.retention_risk_at.is_not(None)], Case.retention_risk_at,
        lambda c: _row(c, c.retention_risk_at, _until(c.retention_risk_at, now, "deleted")),
    )
    lapsing = _section(
        session,
        [*_open(), Case.preservation_expires_at.is_not(None),
         Case.preservation_expires_at > now,
         Case.preservation_expires_at <= now + timedelta(days=LAPSE_DAYS)],
        Case.preservation_expires_at,
        lambda c: _row(c, c.preservation_expires_at, _until(c.preservation_expires_at, now)),
    )
    unacked = _section(
        session,
        [*_open(), Case.direction == "outgoing", Case.historical.is_(False),
         Case.partner_acked_at.is_(None), Case.answered_at.is_(None)],
        Case.opened_at,
        lambda c: _row(c, c.opened_at, f"waiting {duration_text(now - c.opened_at)}"),
    )
    calls = reminders.calls_due(session, settings, now)
    calls_section = Section(
        tuple(_row(d.case, d.since, d.reason) for d in calls[:LIST_LIMIT]), len(calls)
    )
    quarantined_count = int(session.scalar(
        select(func.count(Message.id)).where(
            Message.quarantined.is_(True), Message.released_at.is_(None))
    ) or 0)
    quarantined = tuple(
        Quarantined(m.fetched_at, m.from_addr or "-", m.subject or "", m.error or "")
        for m in session.scalars(
            select(Message).where(Message.quarantined.is_(True), Message.released_at.is_(None))
            .order_by(Message.fetched_at.desc()).limit(10)
        ).all()
    )
    unverified = tuple(
        (str(addr), int(n)) for addr, n in session.execute(
            select(Case.counterpart_address, func.count(Case.id))
            .where(*_open(), Case.direction == "incoming", Case.sender_verified.is_(False),
                   Case.historical.is_(False), Case.counterpart_address.is_not(None))
            .group_by(Case.counterpart_address)
            .order_by(func.count(Case.id).desc(), Case.counterpart_address)
            .limit(20)
        ).all()
    )
    unclassified = _section(
        session,
        [*_open(), Case.direction == "incoming", Case.historical.is_(False),
         Case.request_type == UNCLASSIFIED],
        Case.opened_at,
        lambda c: _row(c, c.opened_at, f"waiting {duration_text(now - c.opened_at)}"),
    )
    waiting = [TriageItem.status == "open", TriageItem.historical.is_(False),
               TriageItem.received_at <= now]
    triage_count = int(session.scalar(select(func.count(TriageItem.id)).where(*waiting)) or 0)
    triage = tuple(
        TriageRow(m.id, item.received_at, m.from_addr or "-", m.subject or "",
                  TRIAGE_REASONS.get(item.reason, item.reason.replace("_", " ")),
                  now - item.received_at)
        for item, m in session.execute(
            select(TriageItem, Message).join(Message, Message.id == TriageItem.message_id)
            .where(*waiting).order_by(TriageItem.received_at).limit(LIST_LIMIT)
        )
    )
    changes = tuple(
        DirectoryChange(e.at, e.kind, e.actor, _summary(e.data))
        for e in session.scalars(
            select(Event).where(Event.kind.like("directory\\_%", escape="\\"),
                                Event.at > now - timedelta(days=1), Event.at <= now)
            .order_by(Event.at).limit(LIST_LIMIT)
        ).all()
    )
    return DigestData(
        now=now, day=today, new=new, open=open_, urgent=urgent,
        overdue_count=overdue.total, retention_risks=risks, overdue=overdue,
        calls_due=calls_section, lapsing=lapsing, unacknowledged=unacked,
        medians=_medians(session, now), quarantined_count=quarantined_count,
        quarantined=quarantined, unverified=unverified, directory_changes=changes,
        volume=_volume(session, settings, now),
        ping=_ping(session, now),
        unclassified=unclassified, triage=triage, triage_count=triage_count,
        attention=needs_attention(session, settings, now),
    )


def _ping(session: Session, now: datetime) -> PingSummary | None:
    latest = session.scalars(
        select(PingRound).where(PingRound.started_at <= now)
        .order_by(PingRound.started_at.desc()).limit(1)
    ).first()
    if latest is None:
        return None
    targets = session.scalars(
        select(PingTarget).where(PingTarget.round_id == latest.id)
        .order_by(PingTarget.country, PingTarget.address)
    ).all()
    silent = tuple((t.country, t.address) for t in targets
                   if t.replied_at is None or t.replied_at > now)
    return PingSummary(latest.started_at, latest.deadline_at, len(targets),
                       len(targets) - len(silent), silent)


def _overdue_row(case: Case, now: datetime) -> Row:
    if case.started_at is None and case.start_due_at is not None and case.start_due_at < now:
        return _row(case, case.start_due_at, f"start, {_late(case.start_due_at, now)}")
    return _row(case, case.answer_due_at, f"answer, {_late(case.answer_due_at, now)}")


def _late(due: datetime | None, now: datetime) -> str:
    return f"{duration_text(now - due)} late" if due is not None else "late"


def _until(at: datetime | None, now: datetime, what: str = "") -> str:
    if at is None:
        return ""
    prefix = f"{what} " if what else ""
    return f"{prefix}in {duration_text(at - now)}" if at > now else f"{prefix}already"


def _summary(data: dict[str, Any]) -> str:
    """One line from an event's data; a directory change reads "changed FR primary addr:
    office_phone +33 1 -> +33 2" (the shape `directory_store` records)."""
    if "change" in data and "country" in data:
        head = " ".join(str(data.get(k) or "") for k in ("change", "country", "role", "address"))
        fields = data.get("fields") or []
        details = ", ".join(
            f"{f.get('field')}: {f.get('old') or '-'} -> {f.get('new') or '-'}"
            for f in fields if isinstance(f, dict)
        )
        return f"{head.strip()}: {details}"[:300] if details else head.strip()[:300]
    parts = []
    for key, value in data.items():
        if isinstance(value, list | tuple):
            value = ", ".join(str(v) for v in value)
        parts.append(f"{key}: {value}")
    return "; ".join(parts)[:300]


def _medians(session: Session, now: datetime) -> tuple[Median, ...]:
    """Median time from opening to acknowledgement, start and answer, over 7 and 30 days."""
    rows = session.execute(
        select(Case.opened_at, Case.acknowledged_at, Case.started_at, Case.answered_at)
        .where(Case.direction == "incoming", Case.historical.is_(False),
               Case.opened_at > now - timedelta(days=30), Case.opened_at <= now)
    ).all()
    week_start = now - timedelta(days=7)
    result = []
    for index, label in ((1, "acknowledge"), (2, "start"), (3, "answer")):
        pairs: list[tuple[datetime, datetime]] = []
        for r in rows:
            opened, done = r[0], r[index]
            if opened is not None and done is not None:
                pairs.append((opened, done))
        month = [done - opened for opened, done in pairs]
        week = [done - opened for opened, done in pairs if opened > week_start]
        result.append(Median(label, _median(week), len(week), _median(month), len(month)))
    return tuple(result)


def _median(values: list[timedelta]) -> timedelta | None:
    if not values:
        return None
    seconds = statistics.median(v.total_seconds() for v in values)
    return timedelta(seconds=round(seconds))


def _volume(session: Session, settings: Settings, now: datetime) -> tuple[Day, ...]:
    """Cases opened per day of the desk's calendar, the last 14 days including today."""
    zone = settings.desk.zone
    today = now.astimezone(zone).date()
    first = today - timedelta(days=CHART_DAYS - 1)
    since = datetime.combine(first, time(0), tzinfo=zone).astimezone(UTC)
    counts: dict[date, list[int]] = {first + timedelta(days=i): [0, 0]
                                     for i in range(CHART_DAYS)}
    for opened, direction in session.execute(
        select(Case.opened_at, Case.direction)
        .where(Case.opened_at >= since, Case.opened_at <= now, Case.historical.is_(False))
    ).all():
        slot = counts.get(opened.astimezone(zone).date())
        if slot is not None:
            slot[0 if direction == "incoming" else 1] += 1
    return tuple(Day(d, i, o) for d, (i, o) in sorted(counts.items()))


# ---------------------------------------------------------------- rendering


def duration_text(value: timedelta | None) -> str:
    """A duration for people: "45 min", "3 h 05", "2 d 4 h"; "-" when unknown."""
    if value is None:
        return "-"
    minutes = int(value.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d}"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


def build(session: Session, settings: Settings, now: datetime) -> Digest:
    """The digest at `now`: subject, plain text and HTML (every value escaped)."""
    data = collect(session, settings, now)
    zone = settings.desk.zone
    peak = max([d.incoming + d.outgoing for d in data.volume] + [1])

    def when(at: datetime | None) -> str:
        return reminders.local_text(settings, at)

    def bar(count: int) -> int:
        return round(count * CHART_HEIGHT / peak) if count else 0

    subject = (
        f"Daily digest {data.day.isoformat()}: {data.open} open, {data.overdue_count} overdue, "
        f"{data.urgent} urgent"
        + (f", {data.retention_risks.total} retention at risk"
           if data.retention_risks.total else "")
        + (f", {data.triage_count} waiting for triage" if data.triage_count else "")
        + (f", {data.unclassified.total} unclassified" if data.unclassified.total else "")
    )
    context = {
        "d": data,
        "desk": settings.desk,
        "zone": zone.key,
        "subject": subject,
        "when": when,
        "short": lambda at: at.astimezone(zone).strftime("%d %b %H:%M") if at else "-",
        "dur": duration_text,
        "bar": bar,
        "chart_height": CHART_HEIGHT,
        "peak": peak,
        "generated": when(now),
    }
    env = templates.environment(settings, strict=True)
    html = env.get_template("digest.html").render(**context)
    text = env.get_template("digest.txt").render(**context)
    return Digest(subject=subject, text=text, html=html, data=data)


# ---------------------------------------------------------------- sending


def digest_key(settings: Settings, now: datetime) -> str:
    return f"digest:{now.astimezone(settings.desk.zone).date().isoformat()}"


def plan(session: Session, settings: Settings, now: datetime, key: str) -> OutboxMail | None:
    """Plan the digest to `desk.supervisors` under `key`; None when there are none."""
    if not settings.desk.supervisors:
        return None
    started = datetime.now(UTC)
    built = build(session, settings, now)
    row = enqueue(
        session,
        Draft(key=key, purpose="digest", to=tuple(settings.desk.supervisors),
              subject=built.subject, text=built.text, html=built.html,
              auto_submitted="auto-generated"),
        official_address=settings.desk.official_address,
        from_name=settings.desk.name,
        now=now,
    )
    log.info("digest_planned", key=key, open=built.data.open, overdue=built.data.overdue_count,
             seconds=round((datetime.now(UTC) - started).total_seconds(), 3))
    return row


def send_due_digest(session: Session, settings: Settings, now: datetime) -> bool:
    """Plan today's digest once `schedule.digest_at` has passed in the desk's zone, once a
    day (key `digest:<date>`); a daemon started later in the day sends it then."""
    if not settings.desk.supervisors:
        return False
    local = now.astimezone(settings.desk.zone)
    if local.time() < settings.schedule.digest_at:
        return False
    key = digest_key(settings, now)
    if session.scalar(select(OutboxMail.id).where(OutboxMail.key == key)) is not None:
        return False
    return plan(session, settings, now, key) is not None
