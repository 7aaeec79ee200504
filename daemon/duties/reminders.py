"""Due work on cases: reminders, escalations, call prompts, preservation warnings, risks.

Each function reads the database at an instant `now` it is given and plans mail through
`daemon.outbound.outbox.enqueue`. Every reminder and prompt has a key; an audit event carrying that
key is written with it in the same transaction, so a restart neither repeats nor loses one:
what is due is decided from the database alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from config.settings import Settings
from daemon.cases import deadlines
from daemon.outbound import templates
from daemon.outbound.outbox import Draft, enqueue
from daemon.rules.intake import TRIAGE_REASONS, UNCLASSIFIED
from daemon.store import audit
from daemon.store.audit import ACTOR
from models import Case, Event, Identifier, Message, TriageItem
from parsers import partners
from parsers.directory import Directory
from parsers.partners import (
    AFTER_HOURS_NUMBER,
    CallChoice,
    display_phone,
    number_to_call,
    retention,
)
from parsers.result import REQUEST_TYPES

log = structlog.get_logger("watchkeeper.deadlines")

CALL_LOGGED = "call_logged"
RETENTION_FLAG = "retention_at_risk"
# A call prompt nobody acted on is repeated with the secondary contact point after this.
SECONDARY_AFTER = timedelta(minutes=30)
# At most this many mails of one kind per tick: a backlog (first start on an old database)
# is worked off over a few ticks in short transactions instead of one long one.
MAX_PER_TICK = 100
# The audit events that mark a reminder as planned; `data["key"]` is its idempotency key.
MARKER_KINDS = (
    "reminder_planned",
    "escalation_planned",
    "call_prompted",
    "preservation_warned",
    "classification_prompted",
)


# ---------------------------------------------------------------- templates


def render_mail(settings: Settings, name: str, **context: Any) -> tuple[str, str]:
    """Render a text template whose first line is `Subject: ...`; returns (subject, body)."""
    text = templates.environment(settings, strict=True).get_template(name).render(**context)
    first, _, body = text.partition("\n")
    if not first.startswith("Subject:"):
        raise ValueError(f"template {name} must start with a 'Subject:' line")
    return first[len("Subject:"):].strip(), body.lstrip("\n")


def local_text(settings: Settings, at: datetime | None) -> str:
    """An instant as the desk reads it: "Tue 31 Mar 2026 10:00 CEST"."""
    if at is None:
        return "-"
    return at.astimezone(settings.desk.zone).strftime("%a %d %b %Y %H:%M %Z")


def _utc_text(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


# ---------------------------------------------------------------- markers


def _markers(session: Session, case_ids: Iterable[int]) -> dict[str, datetime]:
    """The keys already planned for these cases, with the instant each was planned."""
    ids = sorted(set(case_ids))
    found: dict[str, datetime] = {}
    for chunk in range(0, len(ids), 500):
        rows = session.execute(
            select(Event.data, Event.at).where(
                Event.case_id.in_(ids[chunk:chunk + 500]), Event.kind.in_(MARKER_KINDS)
            )
        ).all()
        for data, at in rows:
            key = data.get("key") if isinstance(data, dict) else None
            if key:
                found[str(key)] = at
    return found


def _plan(
    session: Session,
    settings: Settings,
    *,
    case: Case,
    kind: str,
    key: str,
    purpose: str,
    to: Sequence[str],
    template: str,
    now: datetime,
    context: dict[str, Any],
    data: dict[str, Any] | None = None,
) -> None:
    """Plan one mail (when there is anyone to send it to) and write its marker event."""
    subject, body = render_mail(settings, template, **context)
    recipients = tuple(a for a in to if a)
    if recipients:
        enqueue(
            session,
            Draft(key=key, purpose=purpose, to=recipients, subject=subject, text=body,
                  auto_submitted="auto-generated"),
            official_address=settings.desk.official_address,
            from_name=settings.desk.name,
            now=now,
            case=case,
        )
    else:
        log.warning("reminder_unaddressed", case=case.reference, key=key,
                    reason=f"no recipient configured for {purpose}")
    audit.record(session, kind, at=now, actor=ACTOR, case=case, key=key,
                 mailed=bool(recipients), **(data or {}))


def _case_context(settings: Settings, case: Case) -> dict[str, Any]:
    return {
        "ref": case.reference,
        "direction": case.direction,
        "request_type": case.request_type or "request",
        "country": case.country or "",
        "urgent": deadlines.is_urgent(case),
        "subject": case.subject,
        "opened_local": local_text(settings, case.opened_at),
    }


def _open_filters() -> list[Any]:
    return [
        Case.historical.is_(False),
        Case.closed_at.is_(None),
        Case.status.not_in(("closed", "held")),
    ]


# ---------------------------------------------------------------- deadlines kept current


def backfill_deadlines(
    session: Session, settings: Settings, directory: Directory, now: datetime
) -> int:
    """Give deadlines to open cases that have none yet (opened by a path that did not set
    them), and preservation expiries to preservations started or acknowledged without one.
    """
    changed = 0
    missing = session.scalars(
        select(Case).where(
            *_open_filters(),
            or_(
                and_(Case.direction == "incoming", Case.start_due_at.is_(None)),
                and_(Case.direction == "outgoing", Case.partner_ack_due_at.is_(None)),
            ),
        )
    ).all()
    for case in missing:
        deadlines.apply_deadlines(case, settings, directory)
        audit.record(session, "deadlines_set", at=now, actor=ACTOR, case=case,
                     start_due_at=_iso(case.start_due_at),
                     answer_due_at=_iso(case.answer_due_at),
                     partner_ack_due_at=_iso(case.partner_ack_due_at))
        changed += 1
    unset = session.scalars(
        select(Case).where(
            *_open_filters(),
            Case.request_type.in_(deadlines.PRESERVATION_TYPES),
            Case.preservation_expires_at.is_(None),
            or_(
                and_(Case.direction == "incoming", Case.started_at.is_not(None)),
                and_(Case.direction == "outgoing", Case.partner_acked_at.is_not(None)),
            ),
        )
    ).all()
    for case in unset:
        since = case.started_at if case.direction == "incoming" else case.partner_acked_at
        assert since is not None
        case.preservation_expires_at = deadlines.preservation_expiry(
            case, settings, directory, since
        )
        audit.record(session, "preservation_dated", at=now, actor=ACTOR, case=case,
                     expires_at=_iso(case.preservation_expires_at))
        changed += 1
    return changed


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


# ---------------------------------------------------------------- reminders


@dataclass(frozen=True)
class _Step:
    what: str          # "start" or "answer"
    command: str       # the `watchkeeper case REF ...` subcommand that records it


_START = _Step("start of execution", "start")
_ANSWER = _Step("answer", "answer")


def send_due_reminders(session: Session, settings: Settings, now: datetime) -> int:
    """Remind operators of an incoming case at its start or answer deadline, and tell the
    supervisors at twice the deadline. Returns how many were planned."""
    start_late = session.scalars(
        select(Case).where(
            *_open_filters(), Case.direction == "incoming",
            Case.start_due_at <= now, Case.started_at.is_(None), Case.answered_at.is_(None),
        ).order_by(Case.start_due_at)
    ).all()
    answer_late = session.scalars(
        select(Case).where(
            *_open_filters(), Case.direction == "incoming",
            Case.answer_due_at <= now, Case.answered_at.is_(None),
        ).order_by(Case.answer_due_at)
    ).all()
    done = _markers(session, [c.id for c in (*start_late, *answer_late)])
    planned = 0
    for step, cases in ((_START, start_late), (_ANSWER, answer_late)):
        for case in cases:
            if planned >= MAX_PER_TICK:
                return planned
            planned += _remind(session, settings, case, step, now, done)
    return planned


def _remind(session: Session, settings: Settings, case: Case, step: _Step, now: datetime,
            done: dict[str, datetime]) -> int:
    due = case.start_due_at if step is _START else case.answer_due_at
    assert due is not None
    escalate_at = (deadlines.start_escalation_at(case, settings) if step is _START
                   else deadlines.answer_escalation_at(case, settings))
    escalate_at = max(escalate_at, due)
    context = {
        **_case_context(settings, case),
        "what": step.what,
        "command": step.command,
        "due_local": local_text(settings, due),
        "due_utc": _utc_text(due),
        "escalate_local": local_text(settings, escalate_at),
        "now_local": local_text(settings, now),
    }
    planned = 0
    key = f"reminder:{step.command}:{case.reference}"
    if key not in done:
        _plan(session, settings, case=case, kind="reminder_planned", key=key,
              purpose="reminder", to=settings.desk.operators, template="reminder.txt",
              now=now, context=context, data={"step": step.command, "due": _iso(due)})
        log.warning("reminder_planned", case=case.reference, step=step.command,
                    due=_iso(due))
        planned += 1
    key = f"escalation:{step.command}:{case.reference}"
    if now >= escalate_at and key not in done:
        _plan(session, settings, case=case, kind="escalation_planned", key=key,
              purpose="escalation", to=settings.desk.supervisors, template="escalation.txt",
              now=now, context=context, data={"step": step.command, "due": _iso(due)})
        log.warning("escalation_planned", case=case.reference, step=step.command,
                    due=_iso(due))
        planned += 1
    return planned


# ---------------------------------------------------------------- what nobody classified


def send_classification_prompts(session: Session, settings: Settings, now: datetime) -> int:
    """Ask the duty officers, once per case, to set the type of each open incoming case
    the desk could not classify (`unclassified`): until they do, its deadlines are those
    of a normal request. Returns how many were planned."""
    cases = session.scalars(
        select(Case).where(
            *_open_filters(), Case.direction == "incoming", Case.request_type == UNCLASSIFIED,
        ).order_by(Case.opened_at).limit(MAX_PER_TICK)
    ).all()
    done = _markers(session, [c.id for c in cases])
    planned = 0
    for case in cases:
        key = f"classify:{case.reference}"
        if key in done:
            continue
        context = {
            **_case_context(settings, case),
            "due_local": local_text(settings, case.start_due_at),
            "types": REQUEST_TYPES,
        }
        _plan(session, settings, case=case, kind="classification_prompted", key=key,
              purpose="classification_prompt", to=settings.desk.operators,
              template="classification_prompt.txt", now=now, context=context)
        log.warning("classification_prompted", case=case.reference, country=case.country)
        planned += 1
    return planned


def send_triage_prompts(session: Session, settings: Settings, now: datetime) -> int:
    """Prompt the duty officers about each mail that has waited in triage longer than
    `desk.triage_alert_minutes`, once per item (history is never prompted). Returns how
    many were planned."""
    since = now - timedelta(minutes=settings.desk.triage_alert_minutes)
    rows = session.execute(
        select(TriageItem, Message).join(Message, Message.id == TriageItem.message_id)
        .where(TriageItem.status == "open", TriageItem.historical.is_(False),
               TriageItem.prompted_at.is_(None), TriageItem.received_at <= since)
        .order_by(TriageItem.received_at).limit(MAX_PER_TICK)
    ).all()
    for item, message in rows:
        key = f"triage:{item.id}"
        waited = now - item.received_at
        subject, body = render_mail(
            settings, "triage_prompt.txt", message=message.id,
            sender=message.from_addr or "an unknown sender", subject=message.subject or "",
            received_local=local_text(settings, item.received_at),
            waiting=_minutes_text(waited),
            why=TRIAGE_REASONS.get(item.reason, item.reason.replace("_", " ")),
        )
        recipients = tuple(a for a in settings.desk.operators if a)
        if recipients:
            enqueue(session, Draft(key=key, purpose="triage_prompt", to=recipients,
                                   subject=subject, text=body, auto_submitted="auto-generated"),
                    official_address=settings.desk.official_address,
                    from_name=settings.desk.name, now=now)
        else:
            log.warning("reminder_unaddressed", key=key,
                        reason="no recipient configured for triage_prompt")
        item.prompted_at = now
        audit.record(session, "triage_prompted", at=now, actor=ACTOR, message=message, key=key,
                     mailed=bool(recipients), reason=item.reason)
        log.warning("triage_prompted", message=message.id, sender=message.from_addr,
                    waiting_minutes=int(waited.total_seconds() // 60), reason=item.reason)
    return len(rows)


def _minutes_text(value: timedelta) -> str:
    minutes = int(value.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} min"
    hours = minutes // 60
    return f"{hours} h" if hours < 48 else f"{hours // 24} days"


# ---------------------------------------------------------------- call prompts


@dataclass(frozen=True)
class CallDue:
    """A follow-up call the desk owes on a case: which step, since when, and why."""

    case: Case
    step: str            # "start" (incoming), "sent" or "ack" (outgoing)
    since: datetime      # when the step fell due
    called_since: datetime  # a call logged at or after this instant settles the step
    reason: str


def calls_due(session: Session, settings: Settings, now: datetime) -> list[CallDue]:
    """Every urgent case that needs a phone call now and has none logged for that step."""
    incoming = session.scalars(
        select(Case).where(
            *_open_filters(), Case.direction == "incoming",
            or_(Case.urgent.is_(True), Case.request_type == deadlines.EMERGENCY_TYPE),
            Case.start_due_at <= now, Case.started_at.is_(None), Case.answered_at.is_(None),
        ).order_by(Case.start_due_at)
    ).all()
    outgoing = session.scalars(
        select(Case).where(
            *_open_filters(), Case.direction == "outgoing",
            or_(Case.urgent.is_(True), Case.request_type == deadlines.EMERGENCY_TYPE),
            Case.opened_at <= now, Case.partner_acked_at.is_(None),
            Case.answered_at.is_(None),
        ).order_by(Case.opened_at)
    ).all()
    due: list[CallDue] = []
    for case in incoming:
        assert case.start_due_at is not None
        due.append(CallDue(
            case, "start", case.start_due_at, case.opened_at,
            f"urgent request not started by {local_text(settings, case.start_due_at)}",
        ))
    for case in outgoing:
        ack_due = case.partner_ack_due_at
        if ack_due is not None and ack_due <= now:
            minutes = settings.sla.partner_ack_minutes
            due.append(CallDue(
                case, "ack", ack_due, ack_due,
                f"urgent request sent {local_text(settings, case.opened_at)}, "
                f"not acknowledged within {minutes} minutes",
            ))
        else:
            due.append(CallDue(
                case, "sent", case.opened_at, case.opened_at,
                f"urgent request sent {local_text(settings, case.opened_at)}: "
                "follow it with a phone call",
            ))
    calls = _calls_logged(session, [d.case.id for d in due])
    return [d for d in due
            if not any(at >= d.called_since for at in calls.get(d.case.id, ()))]


def _calls_logged(session: Session, case_ids: Sequence[int]) -> dict[int, list[datetime]]:
    found: dict[int, list[datetime]] = {}
    ids = sorted(set(case_ids))
    for chunk in range(0, len(ids), 500):
        rows = session.execute(
            select(Event.case_id, Event.at).where(
                Event.case_id.in_(ids[chunk:chunk + 500]), Event.kind == CALL_LOGGED
            )
        ).all()
        for case_id, at in rows:
            if case_id is not None:
                found.setdefault(case_id, []).append(at)
    return found


def send_call_prompts(
    session: Session, settings: Settings, directory: Directory, now: datetime
) -> int:
    """Prompt operators to phone the partner about each urgent case owing a call: once when
    the step falls due (primary contact point), once more with the secondary contact point
    when nobody logged a call `SECONDARY_AFTER` later. Returns how many were planned."""
    due = calls_due(session, settings, now)
    done = _markers(session, [d.case.id for d in due])
    planned = 0
    for item in due:
        if planned >= MAX_PER_TICK:
            break
        first_key = f"call:{item.step}:{item.case.reference}:1"
        second_key = f"call:{item.step}:{item.case.reference}:2"
        if first_key not in done:
            _prompt(session, settings, directory, item, first_key, now, secondary=False)
            planned += 1
        elif second_key not in done and now >= done[first_key] + SECONDARY_AFTER:
            _prompt(session, settings, directory, item, second_key, now, secondary=True)
            planned += 1
    return planned


def call_line(case: Case, choice: CallChoice | None, *, secondary: bool = False) -> str:
    """The operator's one-line instruction for `case` (parsers.partners.call_line)."""
    return partners.call_line(case.country, case.reference, choice, secondary=secondary)


def _prompt(session: Session, settings: Settings, directory: Directory, item: CallDue,
            key: str, now: datetime, *, secondary: bool) -> None:
    case = item.case
    country = case.country or ""
    choice = number_to_call(directory, country, now, skip_primary=secondary) if country else None
    note = ""
    if secondary:
        if choice is None and country:
            choice = number_to_call(directory, country, now)
            note = ("Nobody logged a call since the first prompt, and the directory has no "
                    "secondary contact point: call the primary again.")
        else:
            note = ("Nobody logged a call since the first prompt: the primary contact point "
                    "may not answer, so this is the secondary one.")
    line = call_line(case, choice, secondary=secondary)
    cp = choice.contact_point if choice else None
    context = {
        **_case_context(settings, case),
        "line": line,
        "reason": item.reason,
        "contact": cp.authority if cp else "",
        "role": cp.role if cp else "",
        "phone": display_phone(choice.phone) if choice else "",
        "number_kind": choice.reason if choice else "",
        "partner_local": f"{choice.local_time:%a %H:%M}" if choice else "",
        "partner_zone": cp.timezone if cp else "",
        "inside": "inside" if choice and choice.in_office_hours else "outside",
        "office_hours": choice.office_hours if choice else "",
        "secondary_note": note,
    }
    _plan(session, settings, case=case, kind="call_prompted", key=key, purpose="call_prompt",
          to=settings.desk.operators, template="call_prompt.txt", now=now, context=context,
          data={"step": item.step, "attempt": 2 if secondary else 1,
                "phone": choice.phone if choice else None,
                "number": choice.reason if choice else None,
                "role": cp.role if cp else None})
    log.warning("call_prompted", case=case.reference, country=country or None,
                step=item.step, attempt=2 if secondary else 1,
                after_hours=bool(choice and choice.reason == AFTER_HOURS_NUMBER),
                prompt=line)


# ---------------------------------------------------------------- preservation


def send_preservation_warnings(session: Session, settings: Settings, now: datetime) -> int:
    """Warn operators `sla.preservation_warn_days` days (14 and 3) before preserved data
    lapses, unless the MLA request arrived (a stored-data case linked to it) or the case is
    closed. A moved date (extension) gives fresh warnings. Returns how many were planned."""
    warn_days = sorted(set(settings.sla.preservation_warn_days))
    if not warn_days:
        return 0
    horizon = now + timedelta(days=warn_days[-1], hours=1)  # a DST hour either way
    cases = session.scalars(
        select(Case).where(
            *_open_filters(),
            Case.preservation_expires_at.is_not(None),
            Case.preservation_expires_at > now,
            Case.preservation_expires_at <= horizon,
        ).order_by(Case.preservation_expires_at)
    ).all()
    if not cases:
        return 0
    ids = [c.id for c in cases]
    followed = set(session.scalars(
        select(Case.previous_case_id).where(
            Case.previous_case_id.in_(ids), Case.request_type == "stored_data"
        )
    ).all())
    done = _markers(session, ids)
    planned = 0
    for case in cases:
        if planned >= MAX_PER_TICK:
            break
        expires = case.preservation_expires_at
        assert expires is not None
        if case.id in followed:
            continue
        # Only the tightest threshold passed is sent: a warning overtaken by a later one
        # while the daemon was down is not worth a second mail.
        zone = settings.desk.zone
        passed = [d for d in warn_days if now >= deadlines.add_calendar_days(expires, -d, zone)]
        if not passed:
            continue
        days = passed[0]
        key = f"preservation:{case.reference}:{expires:%Y%m%dT%H%M}:{days}"
        if key in done:
            continue
        # Calendar days in the desk's zone, as the reader counts them.
        left = max(0, (expires.astimezone(zone).date() - now.astimezone(zone).date()).days)
        context = {
            **_case_context(settings, case),
            "days": days,
            "days_left": left,
            "expires_local": local_text(settings, expires),
            "expires_utc": _utc_text(expires),
        }
        _plan(session, settings, case=case, kind="preservation_warned", key=key,
              purpose="preservation_warning", to=settings.desk.operators,
              template="preservation_warning.txt", now=now, context=context,
              data={"days": days, "expires_at": _iso(expires)})
        log.warning("preservation_warned", case=case.reference, days=days,
                    expires_at=_iso(expires))
        planned += 1
    return planned


# ---------------------------------------------------------------- retention


def flag_retention_risks(
    session: Session, settings: Settings, directory: Directory, now: datetime
) -> int:
    """Flag outgoing cases whose data the partner deletes within `sla.retention_risk_days`:
    an identifier's instant plus the partner's retention period for that kind of data.
    Sets `retention_risk_at` (the earliest deletion) and the `retention_at_risk` flag."""
    horizon = now + timedelta(days=settings.sla.retention_risk_days)
    rows = session.execute(
        select(Case, Identifier.type, Identifier.value, Identifier.timestamp)
        .join(Identifier, Identifier.case_id == Case.id)
        .where(
            *_open_filters(), Case.direction == "outgoing",
            Case.retention_risk_at.is_(None), Case.country.is_not(None),
            Identifier.timestamp.is_not(None),
        )
        .order_by(Case.id)
    ).all()
    earliest: dict[int, tuple[Case, datetime, str, str, str]] = {}
    for case, id_type, value, instant in rows:
        if instant is None:
            continue
        category = deadlines.retention_category(id_type, case.request_type)
        period = retention(directory, case.country or "", category)
        if period is None:
            continue
        deleted = deadlines.retention_expiry(instant, period)
        if deleted is None or deleted > horizon:
            continue
        known = earliest.get(case.id)
        if known is None or deleted < known[1]:
            earliest[case.id] = (case, deleted, value, category, period.text)
    for case, deleted, value, category, period_text in earliest.values():
        case.retention_risk_at = deleted
        if RETENTION_FLAG not in case.flags:
            case.flags = [*case.flags, RETENTION_FLAG]
        audit.record(session, "retention_risk_flagged", at=now, actor=ACTOR, case=case,
                     identifier=value, category=category, retention=period_text,
                     deleted_at=_iso(deleted))
        log.warning("retention_risk_flagged", case=case.reference, country=case.country,
                    identifier=value, category=category, deleted_at=_iso(deleted))
    return len(earliest)
