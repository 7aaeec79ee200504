"""Opening a case from one stored message: its reference, facts, identifiers and flags.

The pipeline decides that a message opens a case; this module writes the case the same
way whoever asks (the pipeline for incoming and sent mail, `watchkeeper triage open` for
mail an operator turns into a case), and records `case_opened` in the audit trail and the
log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from config.settings import Settings
from daemon.cases import deadlines, transitions
from daemon.cases.references import allocate_reference
from daemon.store import audit
from daemon.store.audit import ACTOR
from models import Case, ContactEmail, Identifier, Message
from parsers.directory import Directory
from parsers.result import Identifier as ParsedIdentifier
from parsers.result import ParsedMessage

log = structlog.get_logger("watchkeeper.ingest")

HIJACK_FLAG = "tag_hijack_suspected"
UNVERIFIED_FLAG = "unverified_sender"


@dataclass(frozen=True)
class Opening:
    """What opening a case from one message needs: the message and its parse result, the
    world (settings, directory, the instant), and what the pipeline found about it."""

    message: Message
    parsed: ParsedMessage
    settings: Settings
    directory: Directory
    now: datetime
    received_at: datetime  # the server's INTERNALDATE, else now
    live: bool  # false for history imported on a first run: the case is closed at once
    sender_verified: bool
    from_sent: bool = False  # the desk's own mail in the Sent folder
    rules: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    candidate: Case | None = None  # the case a stranger's tag named (hijack suspected)
    request_type: str | None = None  # the type to open it with; default the parser's
    previous_case: Case | None = None  # the thread's case, for a new request inside it
    actor: str = ACTOR


def open_incoming(session: Session, o: Opening) -> Case:
    """A case for a partner's (or a stranger's) request that arrived in INBOX."""
    p = o.parsed
    sender = o.message.from_addr
    case = _new_case(session, o, direction="incoming", counterpart=sender)
    case.request_type = _text(o.request_type or p.request_type, 32)
    case.urgent = p.urgent
    owner = o.directory.owner_of(sender) if sender else None
    country = p.country or (owner.country if owner else None)
    case.country = country if country is not None and len(country) == 2 else None
    case.sender_verified = o.sender_verified
    case.their_reference = _text(p.their_reference, 200)
    case.previous_reference = _text(p.previous_reference, 200)
    case.provider = _text(p.provider, 300)
    case.language = _text(p.language, 8)
    if p.topic:
        case.details = {**case.details, "topic": p.topic}
    if o.previous_case is not None:
        case.previous_case_id = o.previous_case.id
    elif case.previous_reference:
        prev = session.scalar(select(Case).where(
            or_(Case.their_reference == case.previous_reference,
                Case.reference == case.previous_reference),
        ).order_by(Case.id).limit(1))
        if prev is not None:
            case.previous_case_id = prev.id
    session.add(case)
    session.flush()
    add_identifiers(session, case, o.message, p.identifiers)
    return _opened(session, o, case)


def open_outgoing(session: Session, o: Opening, counterpart: str) -> Case:
    """A case for a request the desk sent from the official mailbox to a directory address."""
    p = o.parsed
    case = _new_case(session, o, direction="outgoing", counterpart=counterpart)
    case.request_type = _text(p.request_type, 32)
    case.urgent = p.urgent
    owner = o.directory.owner_of(counterpart)
    case.country = owner.country if owner else None
    case.sender_verified = True
    case.provider = _text(p.provider, 300)
    case.language = _text(p.language, 8)
    session.add(case)
    session.flush()
    add_identifiers(session, case, o.message, p.identifiers)
    return _opened(session, o, case)


def directory_recipient(parsed: ParsedMessage, directory: Directory) -> str | None:
    """The first To or Cc address that belongs to a directory contact point."""
    for addr in (*parsed.to_addrs, *parsed.cc_addrs):
        if addr and directory.owner_of(addr) is not None:
            return addr.lower()
    return None


def _new_case(session: Session, o: Opening, *, direction: str, counterpart: str | None) -> Case:
    opened_at = o.now if o.live else o.received_at
    prefix = o.settings.desk.case_prefix
    case = Case(
        reference=allocate_reference(session, prefix, opened_at.year),
        direction=direction, historical=not o.live,
        counterpart_address=counterpart[:320] if counterpart else None,
        contact_point_id=_contact_point_id(session, counterpart),
        subject=o.message.subject or "", root_message_id=o.message.message_id,
        flags=[], rules=[], details={}, opened_at=opened_at,
    )
    transitions.move(case, transitions.NEW, why="opened")
    if not o.live:
        transitions.move(case, transitions.CLOSED, why="imported as history")
        case.closed_at, case.close_reason = opened_at, "imported as history"
    return case


def _opened(session: Session, o: Opening, case: Case) -> Case:
    message = o.message
    flags = [f for f in o.flags if f != HIJACK_FLAG or o.candidate is not None]
    if o.from_sent:
        flags = [f for f in flags if f != UNVERIFIED_FLAG]
    add_flags(case, tuple(flags))
    case.rules = list(o.rules)
    if o.candidate is not None:
        case.details = {**case.details, "candidate_case": o.candidate.reference}
    if not case.historical:
        deadlines.apply_deadlines(case, o.settings, o.directory)
    message.case_id = case.id
    linked = {"linked_to": o.previous_case.reference} if o.previous_case is not None else {}
    audit.record(session, "case_opened", at=o.now, actor=o.actor, case=case, message=message,
                 reference=case.reference, direction=case.direction,
                 request_type=case.request_type, historical=case.historical,
                 flags=list(case.flags), rules=list(case.rules), **linked)
    log.info("case_opened", case=case.reference, direction=case.direction,
             request_type=case.request_type, country=case.country, urgent=case.urgent,
             historical=case.historical, flags=list(case.flags), sender=message.from_addr,
             message_id=message.message_id, **linked)
    return case


def _contact_point_id(session: Session, address: str | None) -> int | None:
    if not address:
        return None
    found: int | None = session.scalar(
        select(ContactEmail.contact_point_id).where(ContactEmail.address == address.lower())
    )
    return found


def add_identifiers(session: Session, case: Case, message: Message,
                    identifiers: tuple[ParsedIdentifier, ...]) -> None:
    """The parser's identifiers as rows of the case, each (type, value) once; an instant
    without a time zone is dropped rather than guessed."""
    seen: set[tuple[str, str]] = set()
    for item in identifiers:
        if not item.type or not item.value:
            continue
        key = (item.type[:16], item.value[:1000])
        if key in seen:
            continue
        seen.add(key)
        when = item.timestamp
        if when is not None and when.tzinfo is None:
            when = None
        session.add(Identifier(case_id=case.id, message_id=message.id, type=key[0],
                               value=key[1], timestamp=when))


def add_flags(case: Case, flags: tuple[str, ...]) -> None:
    """Add flags the case does not have yet, in order."""
    current = list(case.flags or [])
    new = [f for f in flags if f not in current]
    if new:
        case.flags = current + new  # a new list, so the JSON column sees the change


def _text(value: str | None, limit: int) -> str | None:
    if value is None or value == "":
        return None
    return value[:limit]
