"""The pipeline: the ordered steps one fetched message goes through, inside its transaction.

Adding a behaviour is one small step function and one name in `STEPS`. Each step takes
the session and a frozen `Work` and returns a new `Work`; only the loop in `run` handles
the early exits (`AlreadyStored`, `StopPipeline`) and the poison-mail quarantine.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from daemon.cases import deadlines
from daemon.cases.references import allocate_reference
from daemon.duties import ping
from daemon.inbound.work import Env, Incoming
from daemon.outbound import replies
from daemon.rules.own import is_our_message_id
from daemon.rules.threads import (
    authentication_failed,
    clean_id,
    header_values,
    same_counterpart,
    thread_ids,
)
from daemon.store import audit
from daemon.store.audit import ACTOR
from models import Case, ContactEmail, Identifier, Message, OutboxMail
from parsers.message import parse_message

log = structlog.get_logger("watchkeeper.ingest")

# Parser kinds that are a partner answering, as opposed to robots answering.
HUMAN_KINDS = ("request", "reply", "other", "ping_reply")


@dataclasses.dataclass(frozen=True)
class Fetched:
    """One message as the mailbox gave it, with where it came from."""

    folder: str
    role: str  # "inbox" or "sent"
    uidvalidity: int
    uid: int
    raw: bytes
    size: int
    internal_date: datetime | None
    truncated: bool
    live: bool
    identity_fallback: bool = False  # the folder was rebuilt: also match Message-ID + sha256


@dataclasses.dataclass(frozen=True)
class Work:
    """What the steps know about one message so far."""

    env: Env
    fetched: Fetched
    message: Message | None = None
    parsed: Any = None
    ours: bool = False
    sender_verified: bool = False
    case: Case | None = None
    candidate: Case | None = None
    opened: bool = False
    rules: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()

    def fired(self, *rules: str) -> tuple[str, ...]:
        return self.rules + tuple(r for r in rules if r not in self.rules)

    def flagged(self, *flags: str) -> tuple[str, ...]:
        return self.flags + tuple(f for f in flags if f not in self.flags)

    @property
    def at(self) -> datetime:
        """When the message arrived: the server's INTERNALDATE, else now."""
        return self.fetched.internal_date or self.env.now


class AlreadyStored(Exception):
    """The message is already a row (a restart after a crash, a rebuilt folder)."""


class StopPipeline(Exception):
    """Nothing more to do for this message; the work so far is kept."""

    def __init__(self, work: Work) -> None:
        super().__init__("stop")
        self.work = work


class PoisonMail(ValueError):
    """The message cannot be recorded as it is (a limit of the data model is exceeded)."""


Step = Callable[[Session, Work], Work]


# --- the parser ----------------------------------------------------------------------------


def parse(raw: bytes, env: Env) -> Any:
    return parse_message(raw, env.directory, case_prefix=env.settings.desk.case_prefix)


def _plain(value: Any) -> Any:
    """The parse result as JSON-ready data."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return {"bytes": len(value)}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _get(parsed: Any, name: str, default: Any = None) -> Any:
    return getattr(parsed, name, default)


# --- the steps ------------------------------------------------------------------------------


def store(session: Session, w: Work) -> Work:
    """Keep the raw bytes first; a message already stored ends the pipeline."""
    f = w.fetched
    found = session.scalar(select(Message.id).where(
        Message.folder == f.folder, Message.uidvalidity == f.uidvalidity, Message.uid == f.uid,
    ))
    if found is not None:
        raise AlreadyStored(f"{f.folder} uid {f.uid} is message {found}")
    digest = hashlib.sha256(f.raw).hexdigest()
    if f.identity_fallback:
        mid = _header_message_id(f.raw)
        same = select(Message).where(
            Message.folder == f.folder, Message.sha256 == digest,
            Message.uidvalidity != f.uidvalidity,
        ).order_by(Message.id).limit(1)
        if mid is not None:
            same = same.where(or_(Message.message_id == mid, Message.message_id.is_(None)))
        old = session.scalar(same)
        if old is not None:
            # The folder was rebuilt: the row takes the message's new key.
            old.uidvalidity, old.uid = f.uidvalidity, f.uid
            raise AlreadyStored(f"{f.folder} uid {f.uid} is message {old.id} (rebuilt folder)")
    message = Message(
        folder=f.folder, uidvalidity=f.uidvalidity, uid=f.uid,
        direction="out" if f.role == "sent" else "in",
        sha256=digest, size=f.size, raw=f.raw, truncated=f.truncated,
        message_id=_header_message_id(f.raw),
        internal_date=f.internal_date, fetched_at=w.env.now, live=f.live, parsed={},
    )
    session.add(message)
    if f.truncated:
        log.warning("message_oversized", size=f.size,
                    limit=w.env.settings.imap.max_message_bytes)
    return dataclasses.replace(w, message=message)


def _header_message_id(raw: bytes) -> str | None:
    values = header_values(raw, "Message-ID")
    mid = clean_id(values[0]) if values else None
    return mid if mid is not None and len(mid) <= 998 else None


def parse_step(session: Session, w: Work) -> Work:
    """Parse the bytes (never raises) and copy the facts the database indexes."""
    assert w.message is not None
    parsed = parse(w.fetched.raw, w.env)
    m = w.message
    mid = _get(parsed, "message_id")
    if mid is not None and len(mid) > 998:
        raise PoisonMail(f"Message-ID is {len(mid)} characters long (at most 998)")
    m.message_id = mid
    m.in_reply_to = clean_id(_get(parsed, "in_reply_to"))
    refs = [r for r in (clean_id(x) for x in _get(parsed, "references", ()) or ()) if r]
    m.references = " ".join(refs) or None
    from_addr = _get(parsed, "from_addr")
    m.from_addr = from_addr[:320] if from_addr else None
    m.subject = _get(parsed, "subject")
    sent = _get(parsed, "date")
    m.sent_date = sent if isinstance(sent, datetime) and sent.tzinfo is not None else None
    m.kind = (_get(parsed, "kind") or "other")[:16]
    m.parsed = _plain(parsed)
    rules = w.fired(f"kind_{m.kind}")
    if _get(parsed, "error"):
        rules = (*rules, "parse_error")
    return dataclasses.replace(w, parsed=parsed, rules=rules)


def recognise_own(session: Session, w: Work) -> Work:
    """Mail we sent ourselves is known by its Message-ID: every outbox mail gets one of ours
    (`outbox.new_message_id`), so no database look-up is needed."""
    assert w.message is not None
    ours = is_our_message_id(w.message.message_id, w.env.settings.desk.official_address)
    w.message.ours = ours
    return dataclasses.replace(w, ours=ours, rules=w.fired("own_message") if ours else w.rules)


def classify(session: Session, w: Work) -> Work:
    """Decide whether the sender is trusted: in the directory and not failing DMARC/DKIM."""
    parsed = w.parsed
    sender = _get(parsed, "from_addr")
    verified = bool(_get(parsed, "sender_verified"))
    rules, flags = w.rules, w.flags
    if w.fetched.truncated:
        rules, flags = w.fired("oversized"), w.flagged("oversized_message")
    if w.fetched.role == "sent" or w.ours:
        return dataclasses.replace(w, sender_verified=True, rules=rules, flags=flags)
    in_directory = bool(sender) and w.env.directory.owner_of(sender) is not None
    if in_directory:
        rules = (*rules, "sender_in_directory")
        results = header_values(w.fetched.raw, "Authentication-Results")
        if results and authentication_failed(
            results, sender, w.env.settings.desk.trusted_authserv_id
        ):
            verified = False
            rules = (*rules, "authentication_failed")
            flags = (*flags, "spoofing_suspected")
    if not verified:
        flags = flags + tuple(f for f in ("unverified_sender",) if f not in flags)
    return dataclasses.replace(w, sender_verified=verified, rules=rules, flags=flags)


def thread(session: Session, w: Work) -> Work:
    """Join a case through references to known mail, or through a tag from its counterpart."""
    assert w.message is not None
    parsed = w.parsed
    ids = thread_ids(_get(parsed, "in_reply_to"), _get(parsed, "references", ()) or ())
    case = _case_by_references(session, ids, w.message.id) if ids else None
    if case is not None:
        return dataclasses.replace(w, case=case, rules=w.fired("thread_by_reference"))
    tag = _get(parsed, "case_ref")
    if not tag:
        return w
    tagged = session.scalar(select(Case).where(Case.reference == str(tag)[:20]))
    if tagged is None:
        return dataclasses.replace(w, rules=w.fired("unknown_case_tag"))
    sender = _get(parsed, "from_addr")
    if w.fetched.role == "sent" or w.ours or same_counterpart(
        w.env.directory, sender, tagged.counterpart_address
    ):
        return dataclasses.replace(w, case=tagged, rules=w.fired("thread_by_tag"))
    return dataclasses.replace(
        w, candidate=tagged, rules=w.fired("tag_from_stranger"),
        flags=w.flagged("tag_hijack_suspected"),
    )


def _case_by_references(session: Session, ids: tuple[str, ...], own_id: int | None) -> Case | None:
    found = session.execute(
        select(Message.message_id, Message.case_id).where(
            Message.message_id.in_(ids), Message.case_id.is_not(None), Message.id != own_id,
        )
    ).all()
    outbox = session.execute(
        select(OutboxMail.message_id, OutboxMail.case_id).where(
            OutboxMail.message_id.in_(ids), OutboxMail.case_id.is_not(None),
        )
    ).all()
    roots = session.execute(
        select(Case.root_message_id, Case.id).where(Case.root_message_id.in_(ids))
    ).all()
    by_id: dict[str, int] = {}
    for mid, case_id in (*roots, *found, *outbox):
        if mid is not None and case_id is not None:
            by_id[mid] = case_id
    for mid in ids:  # nearest reference first
        if mid in by_id:
            return session.get(Case, by_id[mid])
    return None


def open_or_update_case(session: Session, w: Work) -> Work:
    """Open an incoming or outgoing case, or record what this message changes in its case."""
    assert w.message is not None
    message = w.message
    if w.candidate is not None:
        message.candidate_case_id = w.candidate.id
        _add_flags(w.candidate, ("tag_hijack_suspected",))
        audit.record(session, "tag_hijack_suspected", at=w.env.now, actor=ACTOR,
                     case=w.candidate, message=message, sender=message.from_addr)
        log.warning("tag_hijack_suspected", candidate=w.candidate.reference,
                    sender=message.from_addr)
    if w.case is not None:
        return _update_case(session, w)
    if w.ours:
        return w
    if w.fetched.role == "inbox" and _get(w.parsed, "kind") == "request":
        return _open_incoming(session, w)
    if w.fetched.role == "sent":
        counterpart = _directory_recipient(w)
        if counterpart is not None:
            return _open_outgoing(session, w, counterpart)
    return w


def _update_case(session: Session, w: Work) -> Work:
    assert w.message is not None and w.case is not None
    case, message = w.case, w.message
    message.case_id = case.id
    changed: dict[str, Any] = {}
    kind = _get(w.parsed, "kind")
    if w.ours:
        pass
    elif w.fetched.role == "sent":
        if case.direction == "incoming" and case.first_response_at is None:
            case.first_response_at = w.at
            changed["first_response_at"] = w.at.isoformat()
    elif case.direction == "outgoing" and kind in HUMAN_KINDS and case.partner_acked_at is None \
            and same_counterpart(w.env.directory, message.from_addr, case.counterpart_address):
        deadlines.on_partner_acknowledged(case, w.env.settings, w.env.directory, w.at)
        changed["partner_acked_at"] = w.at.isoformat()
    flags = tuple(f for f in w.flags if f in ("spoofing_suspected", "oversized_message"))
    if flags:
        _add_flags(case, flags)
    audit.record(session, "message_threaded", at=w.env.now, actor=ACTOR, case=case,
                 message=message, folder=w.fetched.folder, message_kind=kind,
                 rules=list(w.rules), **changed)
    log.info("message_threaded", case=case.reference, kind=kind,
             rule="thread_by_reference" if "thread_by_reference" in w.rules else "thread_by_tag",
             **changed)
    return w


def _open_incoming(session: Session, w: Work) -> Work:
    assert w.message is not None
    p = w.parsed
    sender = w.message.from_addr
    case = _new_case(session, w, direction="incoming", counterpart=sender)
    case.request_type = _text(_get(p, "request_type"), 32)
    case.urgent = bool(_get(p, "urgent"))
    owner = w.env.directory.owner_of(sender) if sender else None
    country = _get(p, "country") or (owner.country if owner else None)
    case.country = country if isinstance(country, str) and len(country) == 2 else None
    case.sender_verified = w.sender_verified
    case.their_reference = _text(_get(p, "their_reference"), 200)
    case.previous_reference = _text(_get(p, "previous_reference"), 200)
    case.provider = _text(_get(p, "provider"), 300)
    case.language = _text(_get(p, "language"), 8)
    if case.previous_reference:
        prev = session.scalar(select(Case).where(
            or_(Case.their_reference == case.previous_reference,
                Case.reference == case.previous_reference),
        ).order_by(Case.id).limit(1))
        if prev is not None:
            case.previous_case_id = prev.id
    session.add(case)
    session.flush()
    _add_identifiers(session, case, w)
    return _opened(session, w, case)


def _open_outgoing(session: Session, w: Work, counterpart: str) -> Work:
    p = w.parsed
    case = _new_case(session, w, direction="outgoing", counterpart=counterpart)
    case.request_type = _text(_get(p, "request_type"), 32)
    case.urgent = bool(_get(p, "urgent"))
    owner = w.env.directory.owner_of(counterpart)
    case.country = owner.country if owner else None
    case.sender_verified = True
    case.provider = _text(_get(p, "provider"), 300)
    case.language = _text(_get(p, "language"), 8)
    session.add(case)
    session.flush()
    _add_identifiers(session, case, w)
    return _opened(session, w, case)


def _new_case(session: Session, w: Work, *, direction: str, counterpart: str | None) -> Case:
    assert w.message is not None
    live = w.fetched.live
    opened_at = w.env.now if live else w.at
    prefix = w.env.settings.desk.case_prefix
    case = Case(
        reference=allocate_reference(session, prefix, opened_at.year),
        direction=direction, status="new", historical=not live,
        counterpart_address=counterpart[:320] if counterpart else None,
        contact_point_id=_contact_point_id(session, counterpart),
        subject=w.message.subject or "", root_message_id=w.message.message_id,
        flags=[], rules=[], details={}, opened_at=opened_at,
    )
    if not live:
        case.status, case.closed_at, case.close_reason = "closed", opened_at, "imported as history"
    return case


def _opened(session: Session, w: Work, case: Case) -> Work:
    assert w.message is not None
    message = w.message
    flags = [f for f in w.flags if f != "tag_hijack_suspected" or w.candidate is not None]
    if w.fetched.role == "sent":
        flags = [f for f in flags if f != "unverified_sender"]
    _add_flags(case, tuple(flags))
    case.rules = list(w.rules)
    if w.candidate is not None:
        case.details = {**case.details, "candidate_case": w.candidate.reference}
    if not case.historical:
        deadlines.apply_deadlines(case, w.env.settings, w.env.directory)
    message.case_id = case.id
    audit.record(session, "case_opened", at=w.env.now, actor=ACTOR, case=case, message=message,
                 reference=case.reference, direction=case.direction,
                 request_type=case.request_type, historical=case.historical,
                 flags=list(case.flags), rules=list(case.rules))
    log.info("case_opened", case=case.reference, direction=case.direction,
             request_type=case.request_type, country=case.country, urgent=case.urgent,
             historical=case.historical, flags=list(case.flags))
    return dataclasses.replace(w, case=case, opened=True)


def _directory_recipient(w: Work) -> str | None:
    for addr in (*(_get(w.parsed, "to_addrs", ()) or ()), *(_get(w.parsed, "cc_addrs", ()) or ())):
        if addr and w.env.directory.owner_of(addr) is not None:
            return str(addr).lower()
    return None


def _contact_point_id(session: Session, address: str | None) -> int | None:
    if not address:
        return None
    found: int | None = session.scalar(
        select(ContactEmail.contact_point_id).where(ContactEmail.address == address.lower())
    )
    return found


def _add_identifiers(session: Session, case: Case, w: Work) -> None:
    assert w.message is not None
    seen: set[tuple[str, str]] = set()
    for item in _get(w.parsed, "identifiers", ()) or ():
        if isinstance(item, dict):
            kind, value, when = item.get("type"), item.get("value"), item.get("timestamp")
        elif isinstance(item, tuple | list):
            kind, value, when = (*tuple(item), None, None, None)[:3]
        else:
            kind, value, when = (getattr(item, "type", None), getattr(item, "value", None),
                                 getattr(item, "timestamp", None))
        if not kind or not value:
            continue
        key = (str(kind)[:16], str(value)[:1000])
        if key in seen:
            continue
        seen.add(key)
        if isinstance(when, str):
            try:
                when = datetime.fromisoformat(when)
            except ValueError:
                when = None
        if not isinstance(when, datetime) or when.tzinfo is None:
            when = None
        session.add(Identifier(case_id=case.id, message_id=w.message.id, type=key[0],
                               value=key[1], timestamp=when))


def _add_flags(case: Case, flags: tuple[str, ...]) -> None:
    current = list(case.flags or [])
    new = [f for f in flags if f not in current]
    if new:
        case.flags = current + new  # a new list, so the JSON column sees the change


def _text(value: Any, limit: int) -> str | None:
    if value is None or value == "":
        return None
    return str(value)[:limit]


def only_live(session: Session, w: Work) -> Work:
    """History imported on a first run is recorded, never answered."""
    if not w.fetched.live:
        raise StopPipeline(w)
    return w


def ping_reply(session: Session, w: Work) -> Work:
    """An answer to the directory's ping test is matched to its round."""
    assert w.message is not None
    token = _get(w.parsed, "ping_token")
    if (token and not w.ours and w.fetched.role == "inbox"
            and ping.record_ping_reply(session, w.message, str(token), w.env.now)):
        return dataclasses.replace(w, rules=w.fired("ping_reply_matched"))
    return w


def plan_outgoing(session: Session, w: Work) -> Work:
    """Acknowledgements, resend requests and alerts: decided by the replies module."""
    assert w.message is not None
    replies.plan_replies(session, w.env, Incoming(
        message=w.message, parsed=w.parsed, case=w.case, opened=w.opened, live=w.fetched.live,
        folder_role=w.fetched.role, rules=w.rules,
    ))
    return w


def mail_commands(session: Session, w: Work) -> Work:
    """An operator's `#start`, `#close`... lines about a case (daemon/inbound/mail_commands.py) are
    applied and confirmed to the operator; such mail is never threaded as partner mail."""
    assert w.message is not None
    if w.fetched.role != "inbox" or w.ours or not w.fetched.live:
        return w
    from daemon.inbound.mail_commands import apply_mail_commands

    if apply_mail_commands(session, w.env, Incoming(
        message=w.message, parsed=w.parsed, case=None, opened=False, live=True,
        folder_role=w.fetched.role, rules=w.rules,
    )):
        raise StopPipeline(dataclasses.replace(w, rules=w.fired("mail_commands")))
    return w


STEPS: tuple[tuple[str, Step], ...] = (
    ("parse", parse_step),
    ("recognise_own", recognise_own),
    ("classify", classify),
    ("mail_commands", mail_commands),
    ("thread", thread),
    ("open_or_update_case", open_or_update_case),
    ("only_live", only_live),
    ("ping_reply", ping_reply),
    ("plan_replies", plan_outgoing),
)


def run(session: Session, env: Env, fetched: Fetched) -> Work | None:
    """Store one message and run every step on it; None when it was already stored.

    The steps after `store` run under a savepoint: when one raises, their changes are
    rolled back and the message is kept raw, quarantined with a one-line error.
    """
    work = Work(env=env, fetched=fetched)
    try:
        work = store(session, work)
    except AlreadyStored as exc:
        log.info("message_skipped", reason=str(exc))
        return None
    savepoint = session.begin_nested()
    step_name = "start"
    try:
        for name, step in STEPS:
            step_name = name
            work = step(session, work)
    except StopPipeline as stop:
        work = stop.work
    except Exception as exc:  # poison mail must never stop ingest
        savepoint.rollback()
        work = _quarantine(session, work, step_name, exc)
    else:
        savepoint.commit()
    _record_stored(session, work)
    return work


def _record_stored(session: Session, w: Work) -> None:
    """The audit line for the stored message, written with the rest of its changes."""
    f = w.fetched
    audit.record(session, "message_stored", at=w.env.now, actor=ACTOR, message=w.message,
                 folder=f.folder, uid=f.uid, size=f.size, live=f.live, truncated=f.truncated,
                 case=w.case)


def _quarantine(session: Session, w: Work, step: str, exc: Exception) -> Work:
    assert w.message is not None
    text = str(exc).strip().splitlines()
    error = f"{step}: {type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")[:1000]
    message = w.message
    message.quarantined = True
    message.error = error
    audit.record(session, "message_quarantined", at=w.env.now, actor=ACTOR, message=message,
                 folder=w.fetched.folder, uid=w.fetched.uid, error=error)
    log.error("message_quarantined", error=error)
    return dataclasses.replace(w, case=None, opened=False, flags=w.flagged("quarantined"))


def backlog_cutoff(env: Env) -> datetime:
    """Mail older than this, present at the first start, is history."""
    return env.now - timedelta(hours=env.settings.imap.ack_backlog_hours)
