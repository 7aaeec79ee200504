"""Service levels as instants: when a case must be started, answered, preserved until.

Everything here is computation over a case, the settings and the directory, with no
clock (the instant is passed in); the one write beyond the case itself is an extension
moving the lapse date of the case it extends. Working days are counted in the desk's own
calendar and zone, and the result converted to UTC afterwards, so a deadline that spans
a daylight-saving change keeps its wall-clock time ("Tuesday 10:00 in Brussels").
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import object_session

from config.settings import Settings
from daemon.store import audit
from models import Case
from parsers.directory import MIN_PRESERVATION_DAYS, Directory
from parsers.partners import Retention, preservation_days

PRESERVATION_TYPES = ("preservation", "preservation_extension")
EMERGENCY_TYPE = "emergency_disclosure"

# Urgency levels; each has a start and an answer service level in `[sla]`.
EMERGENCY, URGENT, NORMAL = "emergency", "urgent", "normal"


@dataclass(frozen=True)
class Span:
    """A service level: an exact duration, or a number of the desk's working days."""

    duration: timedelta | None = None
    working_days: int | None = None

    def times(self, factor: int) -> Span:
        if self.duration is not None:
            return Span(duration=self.duration * factor)
        return Span(working_days=(self.working_days or 0) * factor)


def level(case: Case) -> str:
    """Emergency disclosures are always the tightest level; then the urgent flag decides."""
    if case.request_type == EMERGENCY_TYPE:
        return EMERGENCY
    return URGENT if case.urgent else NORMAL


def is_urgent(case: Case) -> bool:
    return level(case) != NORMAL


def start_span(settings: Settings, lvl: str) -> Span:
    sla = settings.sla
    if lvl == EMERGENCY:
        return Span(duration=timedelta(minutes=sla.start_minutes_emergency))
    if lvl == URGENT:
        return Span(duration=timedelta(minutes=sla.start_minutes_urgent))
    return Span(working_days=sla.start_working_days_normal)


def answer_span(settings: Settings, lvl: str) -> Span:
    sla = settings.sla
    if lvl == EMERGENCY:
        return Span(duration=timedelta(hours=sla.answer_hours_emergency))
    if lvl == URGENT:
        return Span(duration=timedelta(hours=sla.answer_hours_urgent))
    return Span(working_days=sla.answer_working_days_normal)


def add_working_days(
    start: datetime, days: int, zone: ZoneInfo, working_days: Iterable[int]
) -> datetime:
    """The instant `days` working days after `start`, at the same wall-clock time in `zone`.

    Counting is done on local dates (Monday = 0 in `working_days`), then the local time is
    converted back to UTC, so a daylight-saving change in between moves the UTC instant and
    keeps the local time. A start on a day off counts from midnight starting the next
    working day. Zero days is the start itself.
    """
    _require_aware(start)
    if days <= 0:
        return start.astimezone(UTC)
    workdays = frozenset(working_days)
    if not workdays:
        raise ValueError("sla.working_days is empty: no working day to count")
    local = start.astimezone(zone)
    day, clock = local.date(), local.timetz().replace(tzinfo=None)
    if day.weekday() not in workdays:
        # Received on a day off: the clock starts at midnight of the next working day, so
        # a request of Saturday with two working days is due Wednesday 00:00.
        day = _next_working_day(day, workdays)
        clock = clock.replace(hour=0, minute=0, second=0, microsecond=0)
    for _ in range(days):
        day = _next_working_day(day, workdays)
    wall = datetime.combine(day, clock, tzinfo=zone)
    # A wall-clock time that does not exist (spring-forward gap) resolves to the later side.
    return wall.astimezone(UTC)


def _next_working_day(day: date, workdays: frozenset[int]) -> date:
    day += timedelta(days=1)
    while day.weekday() not in workdays:
        day += timedelta(days=1)
    return day


def due_after(start: datetime, span: Span, settings: Settings) -> datetime:
    """`start` plus a service level, working days counted in the desk's calendar."""
    _require_aware(start)
    if span.duration is not None:
        return start.astimezone(UTC) + span.duration
    return add_working_days(
        start, span.working_days or 0, settings.desk.zone, settings.sla.working_days
    )


def start_due(case: Case, settings: Settings) -> datetime:
    return due_after(case.opened_at, start_span(settings, level(case)), settings)


def answer_due(case: Case, settings: Settings) -> datetime:
    return due_after(case.opened_at, answer_span(settings, level(case)), settings)


def start_escalation_at(case: Case, settings: Settings) -> datetime:
    """Supervisors hear of an unstarted case at twice its start deadline."""
    return due_after(case.opened_at, start_span(settings, level(case)).times(2), settings)


def answer_escalation_at(case: Case, settings: Settings) -> datetime:
    """Supervisors hear of an unanswered case at twice its answer deadline."""
    return due_after(case.opened_at, answer_span(settings, level(case)).times(2), settings)


def apply_deadlines(case: Case, settings: Settings, directory: Directory) -> None:
    """Set the deadlines of a case that has just been opened (`opened_at` must be set).

    Incoming request: `start_due_at` and `answer_due_at` from `[sla]` by level (emergency
    disclosure, urgent, normal in the desk's working days). Outgoing request:
    `partner_ack_due_at` = opened + `sla.partner_ack_minutes`. Cases imported as history
    get no deadline. Call it in the transaction that opens the case; it never overwrites
    a deadline already set, so calling it again is harmless.
    """
    if case.historical:
        return
    if case.direction == "outgoing":
        if case.partner_ack_due_at is None:
            case.partner_ack_due_at = case.opened_at.astimezone(UTC) + timedelta(
                minutes=settings.sla.partner_ack_minutes
            )
        return
    if case.start_due_at is None:
        case.start_due_at = start_due(case, settings)
    if case.answer_due_at is None:
        case.answer_due_at = answer_due(case, settings)


def preservation_period(case: Case, settings: Settings, directory: Directory) -> timedelta:
    """How long preserved data is kept: the preserving party's period from the directory,
    else `sla.preservation_days`; never below the Convention's 60 days (art. 29(7)).

    The preserving party is the partner for an outgoing request (they preserve at our
    request) and the desk's own country (`desk.country`) for an incoming one.
    """
    country = case.country if case.direction == "outgoing" else settings.desk.country
    cp = directory.primary(country) if country else None
    if cp is None and country:
        found = directory.for_country(country)
        cp = found[0] if found else None
    days = preservation_days(cp, settings.sla.preservation_days)
    return timedelta(days=max(days, MIN_PRESERVATION_DAYS))


def preservation_expiry(
    case: Case, settings: Settings, directory: Directory, at: datetime
) -> datetime:
    """`at` plus the preservation period in calendar days of the desk's zone: data preserved
    on 1 March at 10:00 lapses on 30 May at 10:00 local time, summer time or not."""
    return add_calendar_days(at, preservation_period(case, settings, directory).days,
                             settings.desk.zone)


def add_calendar_days(at: datetime, days: int, zone: ZoneInfo) -> datetime:
    """`days` calendar days later (earlier when negative) at the same wall-clock time."""
    _require_aware(at)
    # Arithmetic on an aware datetime in a ZoneInfo zone is wall-clock arithmetic.
    return (at.astimezone(zone) + timedelta(days=days)).astimezone(UTC)


def on_started(case: Case, settings: Settings, directory: Directory, now: datetime) -> None:
    """Execution of an incoming preservation (or extension) started at `now`: the data is
    kept from now on, so its expiry is set. Called by `case REF start` after `started_at`.
    """
    if case.direction == "incoming" and case.request_type in PRESERVATION_TYPES:
        case.preservation_expires_at = preservation_expiry(case, settings, directory, now)
        _extend_previous(case, case.preservation_expires_at, now)


def on_partner_acknowledged(
    case: Case, settings: Settings, directory: Directory, now: datetime
) -> None:
    """The partner acknowledged an outgoing request at `now`: record it, and for a
    preservation start the period the partner keeps the data. Called by the pipeline when
    the partner's first reply to an outgoing case arrives; harmless when repeated."""
    if case.partner_acked_at is None:
        case.partner_acked_at = now.astimezone(UTC)
    if (case.direction == "outgoing" and case.request_type in PRESERVATION_TYPES
            and case.preservation_expires_at is None):
        case.preservation_expires_at = preservation_expiry(
            case, settings, directory, case.partner_acked_at
        )
        _extend_previous(case, case.preservation_expires_at, now)


def _extend_previous(case: Case, expires: datetime, now: datetime) -> None:
    """An extension links to the case it extends and moves that case's lapse date."""
    if case.request_type != "preservation_extension" or case.previous_case_id is None:
        return
    session = object_session(case)
    previous = session.get(Case, case.previous_case_id) if session is not None else None
    if session is None or previous is None:
        return
    before = previous.preservation_expires_at
    if before is not None and before >= expires:
        return
    previous.preservation_expires_at = expires
    audit.record(session, "preservation_extended", at=now, actor=audit.ACTOR, case=previous,
                 extension=case.reference, previous_expiry=before.isoformat() if before else None,
                 expires_at=expires.isoformat())


def retention_expiry(instant: datetime, period: Retention) -> datetime | None:
    """When data from `instant` is deleted under a retention period; None when unknown."""
    _require_aware(instant)
    if period.none:
        return instant.astimezone(UTC)
    if period.days is not None:
        return instant.astimezone(UTC) + timedelta(days=period.days)
    if period.months is not None:
        return add_months(instant.astimezone(UTC), period.months)
    return None


def add_months(instant: datetime, months: int) -> datetime:
    """Calendar months later, the day clamped to the month's end (31 Jan + 1 = 28/29 Feb)."""
    year, month = divmod(instant.month - 1 + months, 12)
    year += instant.year
    day = min(instant.day, calendar.monthrange(year, month + 1)[1])
    return instant.replace(year=year, month=month + 1, day=day)


def retention_category(identifier_type: str, request_type: str | None) -> str:
    """Which retention period applies to an identifier: an IP address or URL at an instant
    is traffic data; an account, address or number is subscriber data."""
    if request_type == "traffic_disclosure" or identifier_type in ("ipv4", "ipv6", "url"):
        return "traffic"
    return "subscriber"


def _require_aware(at: datetime) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"instant {at.isoformat()} has no time zone; pass an aware datetime")
