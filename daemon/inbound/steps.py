"""The steps of the pipeline: each takes the session and a frozen `Work`, returns a new one.

A step's name in `pipeline.STEPS` is its function's name here. Steps read the typed parse
result (`parsers.result.ParsedMessage`); rules in `daemon.rules` decide, steps act.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from datetime import datetime
from typing import NoReturn

import structlog
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from daemon.cases import deadlines, opening, transitions
from daemon.duties import alerts, ping, upkeep
from daemon.inbound.work import AlreadyStored, Env, Incoming, PoisonMail, StopPipeline, Work
from daemon.outbound import replies
from daemon.outbound.templates import format_local
from daemon.rules import intake
from daemon.rules.own import is_our_message_id
from daemon.rules.suppression import OWN_MAIL, RATE_LIMITED, MailFacts
from daemon.rules.threads import (
    MLA_NOTICE,
    PRESERVATION_TYPES,
    authentication_failed,
    new_request_in_thread,
    own_ids,
    same_counterpart,
    thread_ids,
)
from daemon.store import audit
from daemon.store.audit import ACTOR
from models import Case, Message, OutboxMail, TriageItem
from parsers.headers import read_headers
from parsers.message import parse_message
from parsers.result import AttachmentInfo, ParsedMessage

log = structlog.get_logger("watchkeeper.ingest")

# Parser kinds that are a partner answering, as opposed to robots answering.
HUMAN_KINDS = ("request", "reply", "other", "ping_reply")


def _stop(w: Work) -> NoReturn:
    """End the pipeline for this message, keeping the work so far."""
    raise StopPipeline(w)


def _parsed(w: Work) -> ParsedMessage:
    assert w.parsed is not None, "the parse step runs first"
    return w.parsed


# --- storing and parsing ---------------------------------------------------------------------


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
    """The Message-ID before the message is parsed, from the parser's header reader: a
    rebuilt folder is matched by it, and the row is indexed by it from the start."""
    mid = read_headers(raw).message_id
    return mid if mid is not None and len(mid) <= 998 else None


def parse(session: Session, w: Work) -> Work:
    """Parse the bytes (never raises) and copy the facts the database indexes."""
    assert w.message is not None
    desk = w.env.settings.desk
    parsed = parse_message(w.fetched.raw, w.env.directory, case_prefix=desk.case_prefix,
                           own_domain=desk.official_address.rpartition("@")[2] or None)
    m = w.message
    mid = parsed.message_id
    if mid is not None and len(mid) > 998:
        raise PoisonMail(f"Message-ID is {len(mid)} characters long (at most 998)")
    m.message_id = mid
    m.in_reply_to = parsed.in_reply_to
    m.references = " ".join(parsed.references) or None
    m.from_addr = parsed.from_addr[:320] if parsed.from_addr else None
    m.subject = parsed.subject
    sent = parsed.date
    m.sent_date = sent if sent is not None and sent.tzinfo is not None else None
    m.kind = (parsed.kind or "other")[:16]
    m.parsed = stored_form(parsed)
    rules = w.fired(f"kind_{m.kind}")
    if parsed.error:
        rules = (*rules, "parse_error")
    return dataclasses.replace(w, parsed=parsed, rules=rules)


def stored_form(p: ParsedMessage) -> dict[str, object]:
    """The parse result as the JSON the message row keeps, for the audit trail."""
    def when(at: datetime | None) -> str | None:
        return at.isoformat() if at is not None else None

    def attachment(a: AttachmentInfo) -> dict[str, object]:
        return {"filename": a.filename, "content_type": a.content_type, "size": a.size,
                "text_extracted": a.text_extracted}

    return {
        "kind": p.kind, "request_type": p.request_type, "urgent": p.urgent,
        "country": p.country, "sender_verified": p.sender_verified, "case_ref": p.case_ref,
        "their_reference": p.their_reference, "previous_reference": p.previous_reference,
        "identifiers": [{"type": i.type, "value": i.value, "timestamp": when(i.timestamp)}
                        for i in p.identifiers],
        "provider": p.provider, "language": p.language,
        "should_acknowledge": p.should_acknowledge,
        "message_id": p.message_id, "in_reply_to": p.in_reply_to,
        "references": list(p.references), "subject": p.subject, "from_addr": p.from_addr,
        "from_name": p.from_name, "to_addrs": list(p.to_addrs), "cc_addrs": list(p.cc_addrs),
        "reply_to": p.reply_to, "date": when(p.date),
        "auto_signals": list(p.auto_signals), "is_list": p.is_list,
        "x_loop": list(p.headers.x_loop),
        "bounced_message_id": p.bounced_message_id, "bounce_status": p.bounce_status,
        "ping_token": p.ping_token, "forwarded_by": p.forwarded_by,
        "reads_as_request": p.reads_as_request, "topic": p.topic,
        "own_text": p.own_text,
        "template": {"items_": [[k, v] for k, v in p.template.items_]},
        "attachments": [attachment(a) for a in p.attachments],
        "error": p.error, "warnings": list(p.warnings),
    }


# --- who sent it -----------------------------------------------------------------------------


def recognise_own(session: Session, w: Work) -> Work:
    """Mail we sent ourselves is known by its Message-ID: every outbox mail gets one of ours
    (`outbox.new_message_id`), and the outbox holds it. A Message-ID of our shape that the
    outbox does not hold was written by someone else: anyone can put one on a mail, and
    our own mail skips the counterpart check of a case tag, so such a mail is not ours — it
    is flagged and goes on as any stranger's mail (invariant 4: no hijacking)."""
    assert w.message is not None
    mid = w.message.message_id
    if not is_our_message_id(mid, w.env.settings.desk.official_address):
        return w
    if session.scalar(select(OutboxMail.id).where(OutboxMail.message_id == mid)) is None:
        log.warning("own_message_id_forged", message_id=mid, sender=_parsed(w).from_addr,
                    reason="a Message-ID of our shape that the desk never sent")
        return dataclasses.replace(w, rules=w.fired("own_message_id_forged"),
                                   flags=w.flagged("spoofing_suspected"))
    w.message.ours = True
    return dataclasses.replace(w, ours=True, rules=w.fired("own_message"))


def recognise_robot(session: Session, w: Work) -> Work:
    """Auto-replies, bounces, list mail, feedback reports and ping replies are robots' mail,
    known by what the parser found and by their RFC 3834 header fields: they never open a
    case or a triage item, and a case tag they quote raises no suspicion."""
    if w.fetched.role != "inbox" or w.ours:
        return w
    facts = MailFacts.of(_parsed(w))
    robot = intake.robot_reason(facts, w.env.settings.desk.official_address)
    if robot is None:
        return w
    if robot == OWN_MAIL and "own_message_id_forged" in w.rules:
        # Our Message-ID's shape on mail the desk never sent: someone else wrote it. Never
        # answered (the same rule forbids it), but tracked like any stranger's mail, so
        # that the attempt is seen rather than filed away as our own.
        return w
    return dataclasses.replace(w, robot=robot, rules=w.fired(f"robot_{robot}"))


def classify(session: Session, w: Work) -> Work:
    """Decide whether the sender is trusted: in the directory and not failing DMARC/DKIM;
    and how the sender stands to the directory (partner, partner's domain, stranger)."""
    parsed = _parsed(w)
    sender = parsed.from_addr
    verified = parsed.sender_verified
    rules, flags = w.rules, w.flags
    if w.fetched.truncated:
        rules, flags = w.fired("oversized"), w.flagged("oversized_message")
    if w.fetched.role == "sent" or w.ours:
        return dataclasses.replace(w, sender_verified=True, rules=rules, flags=flags)
    relation = intake.sender_relation(w.env.directory, sender)
    in_directory = bool(sender) and w.env.directory.owner_of(sender or "") is not None
    if in_directory:
        rules = (*rules, "sender_in_directory")
        results = parsed.headers.authentication_results
        if results and authentication_failed(
            results, sender, w.env.settings.desk.trusted_authserv_id
        ):
            verified = False
            rules = (*rules, "authentication_failed")
            flags = (*flags, "spoofing_suspected")
    if not verified:
        flags = flags + tuple(f for f in ("unverified_sender",) if f not in flags)
    return dataclasses.replace(w, sender_verified=verified, relation=relation, rules=rules,
                               flags=flags)


def mail_commands(session: Session, w: Work) -> Work:
    """An operator's `#start`, `#close`... lines about a case (daemon/inbound/mail_commands.py) are
    applied and confirmed to the operator; such mail is never threaded as partner mail.
    Command mail that does not prove its origin goes on as ordinary mail."""
    assert w.message is not None
    if w.fetched.role != "inbox" or w.ours or not w.fetched.live:
        return w
    from daemon.inbound.mail_commands import APPLIED, REFUSED, apply_mail_commands

    outcome = apply_mail_commands(session, w.env, Incoming(
        message=w.message, parsed=_parsed(w), case=None, opened=False, live=True,
        folder_role=w.fetched.role, rules=w.rules,
    ))
    if outcome == APPLIED:
        _stop(dataclasses.replace(w, rules=w.fired("mail_commands")))
    if outcome == REFUSED:
        return dataclasses.replace(w, rules=w.fired("mail_commands_refused"))
    return w


# --- which case ------------------------------------------------------------------------------


def thread(session: Session, w: Work) -> Work:
    """Join a case through references to known mail, or through a tag from its counterpart."""
    assert w.message is not None
    parsed = _parsed(w)
    ids = thread_ids(parsed.in_reply_to, parsed.references)
    case = _case_by_references(session, ids, w.message.id) if ids else None
    if case is not None:
        return dataclasses.replace(w, case=case, rules=w.fired("thread_by_reference"))
    tag = parsed.case_ref
    if not tag:
        announced = _announced_case(session, w) if parsed.topic == MLA_NOTICE else None
        if announced is not None:
            return dataclasses.replace(w, case=announced,
                                       rules=w.fired("thread_by_their_reference"))
        return w
    tagged = session.scalar(select(Case).where(Case.reference == tag[:20]))
    if tagged is None:
        return dataclasses.replace(w, rules=w.fired("unknown_case_tag"))
    if w.fetched.role == "sent" or w.ours or same_counterpart(
        w.env.directory, parsed.from_addr, tagged.counterpart_address
    ):
        return dataclasses.replace(w, case=tagged, rules=w.fired("thread_by_tag"))
    if w.robot is not None:
        # An out-of-office quoting the subject, a non-delivery report from a postmaster:
        # joined through a Message-ID of ours it returns or quotes, or left alone.
        quoted = own_ids(parsed.quoted_ids, w.env.settings.desk.official_address)
        case = _case_by_references(session, quoted, w.message.id) if quoted else None
        if case is not None:
            return dataclasses.replace(w, case=case, rules=w.fired("thread_by_quoted_id"))
        return dataclasses.replace(w, rules=w.fired("tag_from_robot"))
    return dataclasses.replace(
        w, candidate=tagged, rules=w.fired("tag_from_stranger"),
        flags=w.flagged("tag_hijack_suspected"),
    )


def _announced_case(session: Session, w: Work) -> Case | None:
    """The open preservation case an MLA notice outside any thread is about: one of the same
    partner's (its address or another of its directory entry) whose reference, as the
    partner gave it, the notice names in its subject or its own text."""
    parsed = _parsed(w)
    if w.fetched.role != "inbox" or w.ours or not parsed.from_addr:
        return None
    said = f"{parsed.subject}\n{parsed.own_text}".casefold()
    for case in session.scalars(
        select(Case).where(Case.their_reference.is_not(None), Case.direction == "incoming",
                           Case.status != "closed", Case.request_type.in_(PRESERVATION_TYPES))
        .order_by(Case.id)  # the request that started it, before its extensions
    ):
        ref = (case.their_reference or "").casefold()
        if (len(ref) >= 4 and re.search(rf"(?<![\w/-]){re.escape(ref)}(?![\w/-])", said)
                and same_counterpart(w.env.directory, parsed.from_addr,
                                     case.counterpart_address)):
            return case
    return None


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
    """Record what a threaded message changes in its case (a new request inside the thread
    opens a linked case instead); open an outgoing case for the desk's mail to a partner;
    and for inbox mail that joined no case, open a case when the intake rules say so."""
    assert w.message is not None
    message = w.message
    if w.candidate is not None:
        message.candidate_case_id = w.candidate.id
        opening.add_flags(w.candidate, ("tag_hijack_suspected",))
        audit.record(session, "tag_hijack_suspected", at=w.env.now, actor=ACTOR,
                     case=w.candidate, message=message, sender=message.from_addr)
        log.warning("tag_hijack_suspected", candidate=w.candidate.reference,
                    sender=message.from_addr)
        # A refused command mail has had its own alert (mail_commands): one forged mail,
        # one alert to the operators.
        if w.fetched.live and "mail_commands_refused" not in w.rules:
            alerts.send(session, w.env.settings, w.env.now,
                        _hijack_alert(w.env, w.candidate, message))
    parsed = _parsed(w)
    if w.case is not None:
        if (w.fetched.role == "inbox" and not w.ours and w.case.direction == "incoming"
                and new_request_in_thread(parsed.kind, parsed.request_type,
                                          w.case.request_type, parsed.topic)):
            thread_case = w.case
            w = dataclasses.replace(w, rules=w.fired("new_request_in_thread"))
            case = opening.open_incoming(session, _opening(w, previous_case=thread_case))
            return dataclasses.replace(w, case=case, opened=True)
        return _update_case(session, w)
    if w.ours:
        return w
    if w.fetched.role == "inbox":
        decision = intake.decide(
            kind=parsed.kind, reads_as_request=parsed.reads_as_request,
            request_type=parsed.request_type, relation=w.relation, robot=w.robot,
            has_sender=bool(parsed.from_addr), tag_from_stranger=w.candidate is not None,
            unreadable=parsed.error is not None,
        )
        w = dataclasses.replace(w, intake=decision, rules=w.fired(f"intake_{decision.reason}"))
        if decision.action == intake.CASE:
            case = opening.open_incoming(
                session, _opening(w, request_type=decision.request_type))
            return dataclasses.replace(w, case=case, opened=True)
        return w
    counterpart = opening.directory_recipient(parsed, w.env.directory)
    if counterpart is not None:
        case = opening.open_outgoing(session, _opening(w), counterpart)
        return dataclasses.replace(w, case=case, opened=True)
    return w


def _opening(w: Work, *, request_type: str | None = None,
             previous_case: Case | None = None) -> opening.Opening:
    assert w.message is not None
    return opening.Opening(
        message=w.message, parsed=_parsed(w), settings=w.env.settings,
        directory=w.env.directory, now=w.env.now, received_at=w.at, live=w.fetched.live,
        sender_verified=w.sender_verified, from_sent=w.fetched.role == "sent",
        rules=w.rules, flags=w.flags, candidate=w.candidate, request_type=request_type,
        previous_case=previous_case,
    )


def _update_case(session: Session, w: Work) -> Work:
    assert w.message is not None and w.case is not None
    case, message = w.case, w.message
    message.case_id = case.id
    changed: dict[str, str] = {}
    kind = _parsed(w).kind
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
        opening.add_flags(case, flags)
    if (_parsed(w).topic == MLA_NOTICE and w.fetched.role == "inbox" and not w.ours
            and "mla_announced_at" not in (case.details or {})):
        # The partner says the MLA request follows: the preservation it is about holds until
        # the request is decided (Convention art. 29(7)); the case shows when it was said.
        case.details = {**(case.details or {}), "mla_announced_at": w.at.isoformat()}
        changed["mla_announced_at"] = w.at.isoformat()
        audit.record(session, "mla_announced", at=w.env.now, actor=ACTOR, case=case,
                     message=message, their_reference=_parsed(w).their_reference)
    audit.record(session, "message_threaded", at=w.env.now, actor=ACTOR, case=case,
                 message=message, folder=w.fetched.folder, message_kind=kind,
                 rules=list(w.rules), **changed)
    rule = next((r for r in ("thread_by_reference", "thread_by_tag", "thread_by_their_reference",
                             "thread_by_quoted_id") if r in w.rules), "thread_by_tag")
    log.info("message_threaded", case=case.reference, kind=kind, rule=rule, **changed)
    return w


def triage(session: Session, w: Work) -> Work:
    """Human mail from an unknown address that neither reads as a request nor is a robot's
    becomes a triage item: never acknowledged, but never silent either (`watchkeeper
    triage`, the digest, a prompt to the duty officer). History is closed at once."""
    assert w.message is not None
    if w.intake is None or w.intake.action != intake.TRIAGE:
        return w
    message, live = w.message, w.fetched.live
    if message.id is None:
        session.flush()
    item = TriageItem(
        message_id=message.id, reason=w.intake.reason, status="open" if live else "closed",
        historical=not live, received_at=w.at, created_at=w.env.now,
    )
    if not live:
        item.closed_at, item.closed_by, item.resolution = w.at, ACTOR, "historical"
    session.add(item)
    audit.record(session, "message_triaged", at=w.env.now, actor=ACTOR, message=message,
                 reason=w.intake.reason, sender=message.from_addr, historical=not live,
                 rules=list(w.rules))
    log.info("message_triaged", reason=w.intake.reason, sender=message.from_addr,
             subject=(message.subject or "")[:80], historical=not live)
    return w


# --- what to answer --------------------------------------------------------------------------


def only_live(session: Session, w: Work) -> Work:
    """History imported on a first run is recorded, never answered."""
    if not w.fetched.live:
        _stop(w)
    return w


def ping_reply(session: Session, w: Work) -> Work:
    """An answer to the directory's ping test is matched to its round."""
    assert w.message is not None
    token = _parsed(w).ping_token
    if (token and not w.ours and w.fetched.role == "inbox"
            and ping.record_ping_reply(session, w.message, token, w.env.now)):
        return dataclasses.replace(w, rules=w.fired("ping_reply_matched"))
    return w


def plan_replies(session: Session, w: Work) -> Work:
    """Acknowledgements, resend requests and alerts: decided by the replies module. A mail
    it held back for the rate limit counts towards its sender's condition."""
    assert w.message is not None
    parsed = _parsed(w)
    reason = replies.plan_replies(session, w.env, Incoming(
        message=w.message, parsed=parsed, case=w.case, opened=w.opened,
        live=w.fetched.live, folder_role=w.fetched.role, rules=w.rules,
    ), move=transitions.move)
    if reason == RATE_LIMITED and (sender := MailFacts.of(parsed).from_addr):
        upkeep.held_back(session, w.env.settings, w.env.now, sender)
    return w


def _hijack_alert(env: Env, case: Case, message: Message) -> alerts.Alert:
    """One alert per case whose tag a sender outside it used."""
    sender = message.from_addr or "an unknown sender"
    facts = (
        ("Case", f"{case.reference} ({case.country or 'no country'}, "
                 f"{case.request_type or 'request'})"),
        ("Partner", case.counterpart_address or "none"),
        ("Sender", sender),
        ("Subject", message.subject or ""),
        ("Received", format_local(message.internal_date or env.now, env.settings.desk.zone)),
        ("Message-ID", f"<{message.message_id}>" if message.message_id else "none"),
    )
    return alerts.Alert(
        kind="tag_hijack_suspected", scope=case.reference, occurrence="1",
        headline=f"case tag {case.reference} used by a sender outside the case: {sender}",
        facts=facts, case=case,
        advice=("The mail did not join the case: a tag in a subject is a hint, not a key. "
                f"Read it (watchkeeper case {case.reference} show lists the case; the mail "
                "is in the mailbox). If the sender does belong to the partner, add the "
                "address to the directory; otherwise treat it as an attempt to read or "
                "change a case from outside."))
