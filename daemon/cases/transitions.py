"""Case transitions an operator asks for, each one event in the caller's transaction.

Every function checks first and changes second: a transition that does not apply raises
`CaseError` (one line for the operator) before anything is written, and the caller's
transaction is rolled back anyway. The same functions serve the `case` command and
command-by-mail, so both leave the same audit trail.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from config.settings import Settings
from daemon.cases import deadlines
from daemon.outbound import replies
from daemon.store import audit
from models import Case, Event
from parsers.result import REQUEST_TYPES

log = structlog.get_logger("watchkeeper.cases")

OPEN_STATUSES = ("new", "held", "acknowledged")
CALL_LOGGED = "call_logged"


class CaseError(Exception):
    """A case operation that cannot be done; the message is one line for the operator."""


def find_case(session: Session, reference: str, *, lock: bool = True) -> Case:
    """The case with this reference (any letter case); raises `CaseError` when unknown."""
    ref = reference.strip().strip("[]").upper()
    query = select(Case).where(func.upper(Case.reference) == ref)
    if lock and session.get_bind().dialect.name == "postgresql":
        # Two operators on the same case at once: the second waits and sees the first's change.
        query = query.with_for_update()
    case = session.scalars(query).first()
    if case is None:
        raise CaseError(f"no case {reference.strip()!r}")
    return case


def _refuse_closed(case: Case, action: str) -> None:
    if case.status == "closed":
        raise CaseError(f"{case.reference} is closed: reopen it before you {action} it")


def _done(session: Session, case: Case, kind: str, *, actor: str, now: datetime,
          **data: Any) -> Event:
    event = audit.record(session, kind, at=now, actor=actor, case=case, **data)
    log.info(kind, case=case.reference, actor=actor, status=case.status,
             **{k: v for k, v in data.items() if k not in ("text", "note")})
    return event


def start(session: Session, case: Case, *, actor: str, now: datetime, settings: Settings,
          directory: Any = None) -> Event:
    """Execution started: status `started`, `started_at`; the preservation period runs from
    now, and the partner is told (when the outgoing-mail and deadlines code provide it)."""
    _refuse_closed(case, "start")
    if case.status == "started":
        raise CaseError(f"{case.reference} is already started (since "
                        f"{_iso(case.started_at)})")
    if case.status == "answered":
        raise CaseError(f"{case.reference} is already answered: nothing left to start")
    previous = case.status
    case.status = "started"
    case.started_at = now
    if directory is None:
        from daemon.store.directory import load_directory

        directory = load_directory(session)
    deadlines.on_started(case, settings, directory, now)
    event = _done(session, case, "case_started", actor=actor, now=now, previous=previous)
    replies.plan_execution_started(session, settings=settings, directory=directory, case=case,
                                   now=now, actor=actor)
    return event


def answer(session: Session, case: Case, *, actor: str, now: datetime) -> Event:
    """The request is answered (data or reply sent): status `answered`, `answered_at`."""
    _refuse_closed(case, "answer")
    if case.status == "answered":
        raise CaseError(f"{case.reference} is already answered (on {_iso(case.answered_at)})")
    previous = case.status
    case.status = "answered"
    case.answered_at = now
    if case.first_response_at is None:
        case.first_response_at = now
    return _done(session, case, "case_answered", actor=actor, now=now, previous=previous)


def close(session: Session, case: Case, *, actor: str, now: datetime,
          reason: str | None = None) -> Event:
    """Close the case; no more reminders, prompts or warnings for it."""
    if case.status == "closed":
        raise CaseError(f"{case.reference} is already closed (on {_iso(case.closed_at)})")
    previous = case.status
    case.status = "closed"
    case.closed_at = now
    case.close_reason = (reason or "").strip() or None
    return _done(session, case, "case_closed", actor=actor, now=now, previous=previous,
                 reason=case.close_reason)


def reopen(session: Session, case: Case, *, actor: str, now: datetime) -> Event:
    """Reopen a closed case at the stage it had reached before it was closed."""
    if case.status != "closed":
        raise CaseError(f"{case.reference} is not closed (status {case.status}): "
                        "nothing to reopen")
    if case.answered_at is not None:
        status = "answered"
    elif case.started_at is not None:
        status = "started"
    elif case.acknowledged_at is not None:
        status = "acknowledged"
    else:
        status = "new"
    case.status = status
    case.closed_at = None
    return _done(session, case, "case_reopened", actor=actor, now=now,
                 closed_reason=case.close_reason)


def note(session: Session, case: Case, text: str, *, actor: str, now: datetime) -> Event:
    """Add a free-text note to the case's timeline."""
    _refuse_closed(case, "annotate")
    clean = text.strip()
    if not clean:
        raise CaseError("the note is empty: give its text")
    return _done(session, case, "note_added", actor=actor, now=now, text=clean)


def called(session: Session, case: Case, *, actor: str, now: datetime,
           note: str | None = None) -> Event:
    """A phone call to the partner took place; the follow-up call prompts stop."""
    _refuse_closed(case, "log a call on")
    text = (note or "").strip() or None
    return _done(session, case, CALL_LOGGED, actor=actor, now=now, note=text)


def link(session: Session, case: Case, other_reference: str, *, actor: str,
         now: datetime) -> Event:
    """Record that this case follows an earlier one (an extension, a follow-up request)."""
    _refuse_closed(case, "link")
    other = find_case(session, other_reference, lock=False)
    if other.id == case.id:
        raise CaseError(f"{case.reference} cannot be linked to itself")
    if case.previous_case_id == other.id:
        raise CaseError(f"{case.reference} is already linked to {other.reference}")
    # Following the earlier case's own links must never lead back here.
    seen: set[int] = {case.id}
    walk: Case | None = other
    while walk is not None and walk.previous_case_id is not None:
        if walk.previous_case_id in seen:
            raise CaseError(f"linking {case.reference} to {other.reference} would make a "
                            "loop of linked cases")
        seen.add(walk.id)
        walk = session.get(Case, walk.previous_case_id)
    replaced = None
    if case.previous_case_id is not None:
        old = session.get(Case, case.previous_case_id)
        replaced = old.reference if old is not None else None
    case.previous_case_id = other.id
    return _done(session, case, "case_linked", actor=actor, now=now,
                 previous_case=other.reference, replaced=replaced)


def set_type(session: Session, case: Case, request_type: str, *, actor: str, now: datetime,
             settings: Settings) -> Event:
    """An operator sets the request type (of an `unclassified` case, or corrects one). A
    type that changes the service level (emergency disclosure) moves the deadlines still
    to come: they are counted again from the opening."""
    clean = request_type.strip().lower()
    if clean not in REQUEST_TYPES:
        raise CaseError(f"unknown request type {request_type.strip()!r}: expected one of "
                        f"{', '.join(REQUEST_TYPES)}")
    if case.status == "closed":
        raise CaseError(f"{case.reference} is closed: reopen it before you change its type")
    if case.request_type == clean:
        raise CaseError(f"{case.reference} is already of type {clean}")
    previous = case.request_type
    before = deadlines.level(case)
    case.request_type = clean
    moved: dict[str, str | None] = {}
    if case.direction == "incoming" and not case.historical and deadlines.level(case) != before:
        if case.started_at is None and case.start_due_at is not None:
            case.start_due_at = deadlines.start_due(case, settings)
            moved["start_due_at"] = case.start_due_at.isoformat()
        if case.answered_at is None and case.answer_due_at is not None:
            case.answer_due_at = deadlines.answer_due(case, settings)
            moved["answer_due_at"] = case.answer_due_at.isoformat()
    return _done(session, case, "case_typed", actor=actor, now=now, previous=previous,
                 request_type=clean, **moved)


def _iso(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC") if at is not None else "an unknown time"


def pending_deadlines(case: Case) -> list[tuple[str, datetime]]:
    """What the desk still owes on the case and by when, soonest first.

    Start and answer deadlines count until the case is started or answered; an outgoing
    request waits for the partner's acknowledgement; preserved data lapses at its expiry.
    A closed case owes nothing.
    """
    if case.status == "closed":
        return []
    due: list[tuple[str, datetime]] = []
    if case.status in OPEN_STATUSES and case.start_due_at is not None:
        due.append(("start", case.start_due_at))
    if case.status != "answered" and case.answer_due_at is not None:
        due.append(("answer", case.answer_due_at))
    if case.partner_acked_at is None and case.partner_ack_due_at is not None:
        due.append(("partner ack", case.partner_ack_due_at))
    if case.preservation_expires_at is not None:
        due.append(("preservation expires", case.preservation_expires_at))
    return sorted(due, key=lambda item: item[1])


def is_overdue(case: Case, now: datetime) -> bool:
    """A start, answer or partner acknowledgement deadline has passed."""
    return any(at < now for what, at in pending_deadlines(case)
               if what != "preservation expires")
