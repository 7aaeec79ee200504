"""Triage items an operator closes: open a case for one, or dismiss it with a reason.

Each function checks first and changes second: an operation that does not apply raises
`TriageError` (one line for the operator) before anything is written. Both are events with
the operator's name in the caller's transaction.
"""

from __future__ import annotations

from datetime import datetime

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from config.settings import Settings
from daemon.cases import opening
from daemon.rules.intake import UNCLASSIFIED
from daemon.rules.threads import thread_ids
from daemon.store import audit
from models import Case, Message, TriageItem
from parsers.directory import Directory
from parsers.message import parse_message
from parsers.result import REQUEST_TYPES

log = structlog.get_logger("watchkeeper.triage")


class TriageError(Exception):
    """A triage operation that cannot be done; the message is one line for the operator."""


def check_type(request_type: str | None) -> str | None:
    """The request type an operator gave, checked; None when none was given."""
    if request_type is None:
        return None
    clean = request_type.strip().lower()
    if clean not in REQUEST_TYPES:
        raise TriageError(f"unknown request type {request_type!r}: expected one of "
                          f"{', '.join(REQUEST_TYPES)}")
    return clean


def find_item(session: Session, message: str) -> tuple[Message, TriageItem]:
    """The message (by the number `watchkeeper triage` shows) and its open triage item."""
    text = message.strip().lstrip("#")
    row = session.get(Message, int(text)) if text.isdigit() else None
    if row is None:
        raise TriageError(f"no message {message.strip()!r} (give the number shown by "
                          "watchkeeper triage)")
    query = select(TriageItem).where(TriageItem.message_id == row.id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()  # two operators at once: the second sees the first
    item = session.scalar(query)
    if item is None:
        if row.case_id is not None:
            case = session.get(Case, row.case_id)
            raise TriageError(f"message {row.id} is already in case "
                              f"{case.reference if case else row.case_id}")
        raise TriageError(f"message {row.id} is not waiting for triage")
    if item.status != "open":
        if item.resolution == "case":
            case = session.get(Case, item.case_id) if item.case_id is not None else None
            where = case.reference if case is not None else "a case"
            raise TriageError(f"message {row.id} is already a case: {where} (opened by "
                              f"{item.closed_by} on {_when(item.closed_at)})")
        if item.resolution == "dismissed":
            raise TriageError(f"message {row.id} was already dismissed by {item.closed_by} "
                              f"on {_when(item.closed_at)}: {item.close_reason}")
        raise TriageError(f"message {row.id} was imported as history and is closed")
    return row, item


def open_case(session: Session, message: str, *, request_type: str | None, actor: str,
              now: datetime, settings: Settings, directory: Directory) -> Case:
    """Turn a triage item into an incoming case (typed as given, else as the parser reads
    it, else `unclassified`); the rest of its thread waiting in triage joins the case, and
    later mail of the thread follows it by reference. No mail is sent: the operator
    answers the sender from the mailbox, and that answer joins the case."""
    wanted = check_type(request_type)
    row, item = find_item(session, message)
    parsed = parse_message(row.raw or b"", directory, case_prefix=settings.desk.case_prefix)
    verified = parsed.sender_verified
    case = opening.open_incoming(session, opening.Opening(
        message=row, parsed=parsed, settings=settings, directory=directory, now=now,
        received_at=item.received_at, live=True, sender_verified=verified,
        rules=("triage_opened",), flags=() if verified else (opening.UNVERIFIED_FLAG,),
        request_type=wanted or parsed.request_type or UNCLASSIFIED, actor=actor,
    ))
    _close(item, "case", actor, now, case=case)
    audit.record(session, "triage_opened", at=now, actor=actor, case=case, message=row,
                 reason=item.reason, request_type=case.request_type)
    log.info("triage_opened", message=row.id, case=case.reference, actor=actor,
             request_type=case.request_type)
    for other, other_item in _rest_of_thread(session, row):
        other.case_id = case.id
        _close(other_item, "case", actor, now, case=case)
        audit.record(session, "message_threaded", at=now, actor=actor, case=case,
                     message=other, rules=["triage_thread"], message_kind=other.kind)
        log.info("message_threaded", case=case.reference, message=other.id,
                 rule="triage_thread")
    return case


def dismiss(session: Session, message: str, *, reason: str, actor: str,
            now: datetime) -> TriageItem:
    """Close a triage item without a case (spam, a vendor, already handled by phone...)."""
    text = " ".join(reason.split())
    if not text:
        raise TriageError("give the reason: --reason TEXT")
    row, item = find_item(session, message)
    _close(item, "dismissed", actor, now, reason=text)
    audit.record(session, "triage_dismissed", at=now, actor=actor, message=row,
                 reason=text, triage_reason=item.reason)
    log.info("triage_dismissed", message=row.id, actor=actor)
    return item


def _close(item: TriageItem, resolution: str, actor: str, now: datetime, *,
           case: Case | None = None, reason: str | None = None) -> None:
    item.status = "closed"
    item.resolution = resolution
    item.closed_by = actor
    item.closed_at = now
    item.close_reason = reason
    if case is not None:
        item.case_id = case.id


def _rest_of_thread(session: Session, first: Message) -> list[tuple[Message, TriageItem]]:
    """Other open triage items linked to `first` by In-Reply-To or References, either way
    and through each other."""
    waiting = list(session.execute(
        select(Message, TriageItem).join(TriageItem, TriageItem.message_id == Message.id)
        .where(TriageItem.status == "open", Message.id != first.id).order_by(Message.id)
    ))
    known = {i for i in (first.message_id, *_refs(first)) if i}
    found: list[tuple[Message, TriageItem]] = []
    grew = True
    while grew:
        grew = False
        for m, item in waiting:
            if any(f[0] is m for f in found):
                continue
            ids = {i for i in (m.message_id, *_refs(m)) if i}
            if ids & known:
                found.append((m, item))
                known |= ids
                grew = True
    return found


def _refs(m: Message) -> tuple[str, ...]:
    return thread_ids(m.in_reply_to, (m.references or "").split())


def _when(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC") if at is not None else "an unknown date"
