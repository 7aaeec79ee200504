"""The state machine of a case, and the transitions an operator asks for.

Every status a case can have, and the statuses it may go to from each, are data
(`TRANSITIONS`); `move` is the one place in the daemon that assigns `Case.status`, and it
refuses a move the table does not allow with `TransitionRefused`, one line for the
operator. Opening (`cases/opening.py`), the hold and release of a request from an
unverified sender (`outbound/replies.py`, given `move`) and the acknowledgement leaving
(`outbound/delivery.py`, given `mail_sent`) go through it as the operator's transitions
do. The outbound layer never imports this module: whoever composes it passes these in.

The operator's functions check first and change second: a transition that does not apply
raises a `CaseError` before anything is written, and the caller's transaction is rolled
back anyway. The same functions serve the `case` command and command-by-mail, so both
leave the same audit trail.
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
from daemon.outbound.outbox import ACK
from daemon.store import audit
from models import Case, Event, OutboxMail
from parsers.result import REQUEST_TYPES

log = structlog.get_logger("watchkeeper.cases")

# The statuses of a case.
NEW = "new"  # opened, nothing sent yet
HELD = "held"  # waiting for the request again from the partner's official address
ACKNOWLEDGED = "acknowledged"  # our acknowledgement left
STARTED = "started"  # execution started (an operator said so)
ANSWERED = "answered"  # the data or the reply was sent (an operator said so)
CLOSED = "closed"
STATUSES = (NEW, HELD, ACKNOWLEDGED, STARTED, ANSWERED, CLOSED)

# Where a case may go from each status; None is a case being opened. A closed case is
# reopened at the stage it had reached (never `held`: the hold ended with the case).
TRANSITIONS: dict[str | None, frozenset[str]] = {
    None: frozenset({NEW}),
    NEW: frozenset({HELD, ACKNOWLEDGED, STARTED, ANSWERED, CLOSED}),
    HELD: frozenset({NEW, STARTED, ANSWERED, CLOSED}),
    ACKNOWLEDGED: frozenset({HELD, STARTED, ANSWERED, CLOSED}),
    STARTED: frozenset({ANSWERED, CLOSED}),
    ANSWERED: frozenset({CLOSED}),
    CLOSED: frozenset({NEW, ACKNOWLEDGED, STARTED, ANSWERED}),
}
# Statuses a case leaves only for one reason: a closed case only by being reopened.
LEFT_ONLY_BY: dict[str, str] = {CLOSED: "reopen"}

OPEN_STATUSES = (NEW, HELD, ACKNOWLEDGED)
CALL_LOGGED = "call_logged"
# Operator transitions that a closed case refuses until it is reopened.
_NEEDS_OPEN = ("start", "answer")
# For "already <status> (<word> <when>)".
_SINCE = {STARTED: ("since", "started_at"), ANSWERED: ("on", "answered_at"),
          CLOSED: ("on", "closed_at")}


class CaseError(Exception):
    """A case operation that cannot be done; the message is one line for the operator."""


class TransitionRefused(CaseError):
    """A move the state machine does not allow (`TRANSITIONS`); nothing was changed."""

    def __init__(self, case: Case, to: str, why: str, message: str) -> None:
        super().__init__(message)
        self.reference, self.from_status, self.to, self.why = case.reference, case.status, to, why


def may_move(status: str | None, to: str, why: str) -> bool:
    """Whether the state machine lets a case of `status` go to `to` for `why`."""
    if status is not None and LEFT_ONLY_BY.get(status, why) != why:
        return False
    return to in TRANSITIONS.get(status, frozenset())


def move(case: Case, to: str, *, why: str) -> str | None:
    """Give the case the status `to`, for the reason `why` (the operator's action, or
    what the desk did); returns the status it had. Refused with `TransitionRefused`
    when the table does not allow it, before anything changes."""
    previous = case.status
    if not may_move(previous, to, why):
        raise TransitionRefused(case, to, why, _refusal(case, to, why))
    case.status = to
    return previous


def _refusal(case: Case, to: str, why: str) -> str:
    ref, status = case.reference, case.status
    if why == "reopen":
        return f"{ref} is not closed (status {status}): nothing to reopen"
    if status == to and to in _SINCE:
        word, attribute = _SINCE[to]
        return f"{ref} is already {to} ({word} {_iso(getattr(case, attribute))})"
    if status == CLOSED and why in _NEEDS_OPEN:
        return f"{ref} is closed: reopen it before you {why} it"
    if status == ANSWERED and to == STARTED:
        return f"{ref} is already answered: nothing left to start"
    return f"{ref or 'a new case'} cannot go from {status or 'unopened'} to {to} ({why})"


def mail_sent(session: Session, row: OutboxMail, case: Case, now: datetime) -> None:
    """What a mail of the case leaving means for it (delivery's `on_sent`): our
    acknowledgement makes a new case acknowledged."""
    if row.purpose == ACK and case.acknowledged_at is None:
        case.acknowledged_at = now
        if case.status == NEW:
            move(case, ACKNOWLEDGED, why="acknowledgement sent")


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
    if case.status == CLOSED:
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
    previous = move(case, STARTED, why="start")
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
    previous = move(case, ANSWERED, why="answer")
    case.answered_at = now
    if case.first_response_at is None:
        case.first_response_at = now
    return _done(session, case, "case_answered", actor=actor, now=now, previous=previous)


def close(session: Session, case: Case, *, actor: str, now: datetime,
          reason: str | None = None) -> Event:
    """Close the case; no more reminders, prompts or warnings for it."""
    previous = move(case, CLOSED, why="close")
    case.closed_at = now
    case.close_reason = (reason or "").strip() or None
    return _done(session, case, "case_closed", actor=actor, now=now, previous=previous,
                 reason=case.close_reason)


def reopen(session: Session, case: Case, *, actor: str, now: datetime) -> Event:
    """Reopen a closed case at the stage it had reached before it was closed."""
    if case.answered_at is not None:
        status = ANSWERED
    elif case.started_at is not None:
        status = STARTED
    elif case.acknowledged_at is not None:
        status = ACKNOWLEDGED
    else:
        status = NEW
    move(case, status if case.status == CLOSED else case.status, why="reopen")
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
    if case.status == CLOSED:
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
