"""Deciding and planning the mail the desk sends in answer to one incoming message.

`plan_replies` runs inside the message's transaction: the acknowledgement (or the request
to resend from the official address), the suppression events, and the handling of bounces
of our own mail are written together with the message, or not at all.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime, timedelta

import structlog
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from config.settings import Settings
from daemon.inbound.work import Env, Incoming
from daemon.outbound import bounces
from daemon.outbound.hooks import Move
from daemon.outbound.outbox import (
    ACK,
    DELIVERY_FAILURE_ALERT,
    EXECUTION_STARTED,
    OPERATOR_PURPOSES,
    RESEND_REQUEST,
    Draft,
    enqueue,
    notify_operators,
    purpose_label,
)
from daemon.outbound.templates import format_local, render, render_for
from daemon.rules.suppression import MailFacts, over_rate_limit, suppression_reason
from daemon.store import audit
from daemon.store.audit import ACTOR
from models import Case, OutboxMail
from parsers.directory import ContactPoint, Directory

log = structlog.get_logger("watchkeeper.replies")

UNVERIFIED_FLAG = "unverified_sender"
NO_CASE = "no_case"
OUTGOING_CASE = "outgoing_case"
IN_THREAD = "in_thread"  # a request inside a case's thread that is not a new one

_REPLY_PREFIX = re.compile(
    r"^\s*(?:(?:re|aw|sv|vs|r|antw|odp|fw|fwd|tr|wg|rv|enc|res)\s*(?:\[\d+\])?\s*[:：]\s*)+",
    re.IGNORECASE,
)


# ---------------------------------------------------------------------------- helpers


def reply_subject(reference: str, their_subject: str | None) -> str:
    """`Re: [WK-2026-00042] <their subject>`: one "Re:" and exactly one tag of ours, first.

    Any other tag of ours in their subject (a copied subject of another case, a forged
    tag) is dropped rather than stacked beside this case's tag."""
    rest = _REPLY_PREFIX.sub("", " ".join((their_subject or "").split()))
    prefix = re.escape(reference.partition("-")[0])
    rest = re.sub(rf"\s*\[{prefix}-\d{{4}}-\d{{5}}\]\s*", " ", rest, flags=re.IGNORECASE)
    rest = _REPLY_PREFIX.sub("", rest.strip())
    return f"Re: [{reference}] {rest}".rstrip()


def _country_contact(directory: Directory, country: str | None) -> ContactPoint | None:
    if not country:
        return None
    return directory.primary(country) or next(iter(directory.for_country(country)), None)


def _official_addresses(directory: Directory, country: str | None) -> list[str]:
    if not country:
        return []
    return [e for cp in directory.for_country(country) for e in cp.emails[:1]]


def _partner_of_sender(directory: Directory, address: str) -> ContactPoint | None:
    """The contact point the sender belongs to: by exact address, else by its domain."""
    return directory.owner_of(address) or directory.owner_of_domain(address.rpartition("@")[2])


# The replies an incoming mail triggers. Pings, reminders and confirmations an operator
# asked for are planned by the desk itself and do not use up a partner's allowance.
REPLY_PURPOSES = (ACK, RESEND_REQUEST)


def recent_auto_mails(session: Session, address: str, now: datetime) -> int:
    """Automatic replies planned to `address` (first recipient) in the hour before `now`."""
    count = session.scalar(
        select(func.count(OutboxMail.id)).where(
            OutboxMail.auto.is_(True),
            OutboxMail.purpose.in_(REPLY_PURPOSES),
            OutboxMail.first_recipient == address.strip().lower(),
            OutboxMail.created_at > now - timedelta(hours=1),
        )
    )
    return int(count or 0)


def _desk_context(settings: Settings) -> dict[str, object]:
    desk = settings.desk
    return {
        "desk_name": desk.name,
        "official_address": desk.official_address,
        "office_phone": desk.office_phone,
        "after_hours_phone": desk.after_hours_phone,
        "office_hours": desk.office_hours,
    }


def _planned(session: Session, key: str) -> OutboxMail | None:
    """The mail already planned under `key` (a retried step plans nothing new)."""
    return session.scalar(select(OutboxMail).where(OutboxMail.key == key))


def _add_flag(case: Case, flag: str) -> None:
    if flag not in (case.flags or []):
        case.flags = [*(case.flags or []), flag]  # a new list, so the JSON change is seen


def _suppressed(session: Session, env: Env, incoming: Incoming, facts: MailFacts,
                reason: str) -> None:
    parsed = facts
    audit.record(session, "ack_suppressed", at=env.now, actor=ACTOR, case=incoming.case,
                 message=incoming.message, reason=reason, sender=parsed.from_addr,
                 message_kind=parsed.kind)
    log.info("ack_suppressed", reason=reason, sender=parsed.from_addr, kind=parsed.kind,
             message_id=parsed.message_id,
             case=incoming.case.reference if incoming.case is not None else None)


# ---------------------------------------------------------------------------- the step


def plan_replies(session: Session, env: Env, incoming: Incoming, *,
                 move: Move) -> str | None:
    """Plan acknowledgements, resend requests and alerts for one live message, or record
    why none is sent. Runs inside the message's transaction; a case is held or released
    through `move`, the case layer's state machine. Returns the reason an owed answer was
    not sent (a suppression reason such as RATE_LIMITED), else None."""
    if not incoming.live or incoming.folder_role != "inbox":
        return None
    parsed = MailFacts.of(incoming.parsed)
    if "authentication_failed" in incoming.rules:
        # The pipeline found the sender's domain failing DMARC/DKIM: not the directory's.
        parsed = dataclasses.replace(parsed, sender_verified=False)
    settings = env.settings
    if parsed.kind == "bounce" or parsed.bounced_message_id:
        bounces.handle_bounce(session, env, incoming, parsed)
    reason = suppression_reason(parsed, settings.desk.official_address)
    # An acknowledgement is owed for the mail that opened a case, whatever the parser
    # called it; mail added to a case is not acknowledged again, unless it is the request
    # coming again from the official address into a case held for it.
    owed = incoming.opened or _resent_into_held_case(incoming, parsed)
    if reason is None and not owed and not parsed.should_acknowledge:
        return None  # a human follow-up or other mail: nothing to answer, nothing to report
    if reason is None and incoming.case is None:
        reason = NO_CASE
    if reason is None and incoming.case is not None and incoming.case.direction != "incoming":
        reason = OUTGOING_CASE  # a partner's answer to our own request is not acknowledged
    if reason is None and not owed:
        reason = IN_THREAD
    if reason is None and parsed.from_addr:
        reason = over_rate_limit(recent_auto_mails(session, parsed.from_addr, env.now),
                                 settings.smtp.max_auto_replies_per_hour)
    if reason is not None:
        _suppressed(session, env, incoming, parsed, reason)
        return reason
    case = incoming.case
    assert case is not None
    if parsed.sender_verified and case.status == "held":
        # The request came again from an official address: the hold is over.
        move(case, "new", why="released")
        audit.record(session, "case_released", at=env.now, actor=ACTOR, case=case,
                     message=incoming.message, sender=parsed.from_addr)
        log.info("case_released", case=case.reference, sender=parsed.from_addr)
    if not parsed.sender_verified:
        _add_flag(case, UNVERIFIED_FLAG)
        if settings.desk.unverified_sender == "ask_resend":
            plan_resend_request(session, env, incoming, parsed, move=move)
            return None
    plan_ack(session, env, incoming, parsed)
    return None


def _resent_into_held_case(incoming: Incoming, parsed: MailFacts) -> bool:
    case = incoming.case
    return (case is not None and case.status == "held" and parsed.sender_verified
            and parsed.kind == "request")


def _recipients(env: Env, parsed: MailFacts) -> tuple[list[str], list[str]]:
    """The sender, and in copy the partner's official address when the sender used
    another address of theirs."""
    sender = parsed.from_addr or ""
    to = [sender]
    cc: list[str] = []
    if parsed.sender_verified:
        return to, cc
    partner = _partner_of_sender(env.directory, sender)
    if partner is not None and partner.emails:
        official = partner.emails[0]
        if official.lower() != sender.lower():
            cc.append(official)
    return to, cc


def _threading(parsed: MailFacts) -> tuple[str | None, list[str]]:
    mid = parsed.message_id
    refs = list(parsed.references)
    if mid and mid not in refs:
        refs.append(mid)
    return mid, refs


def plan_ack(session: Session, env: Env, incoming: Incoming,
             facts: MailFacts | None = None) -> OutboxMail:
    """The acknowledgement of a new request, in the partner's language."""
    parsed = facts or MailFacts.of(incoming.parsed)
    case, message = incoming.case, incoming.message
    assert case is not None
    key = f"{case.reference}:{ACK}:{message.id}"
    if (done := _planned(session, key)) is not None:
        return done
    settings = env.settings
    country = case.country or parsed.country
    cp = _country_contact(env.directory, country)
    received = message.internal_date or message.fetched_at or env.now
    start_due = case.start_due_at
    zone_for_partner = cp.zone if cp is not None else settings.desk.zone
    identifiers = parsed.identifier_count
    to, cc = _recipients(env, parsed)
    rendered = render_for(
        settings, env.directory, country, "ack",
        ref=case.reference,
        their_subject=parsed.subject or message.subject or "",
        received_partner=format_local(received, cp.zone) if cp is not None else None,
        received_desk=format_local(received, settings.desk.zone),
        request_type=parsed.request_type or case.request_type,
        urgent=bool(parsed.urgent or case.urgent),
        their_reference=parsed.their_reference or case.their_reference,
        identifier_count=identifiers,
        provider=parsed.provider or case.provider,
        start_due=format_local(start_due, zone_for_partner) if start_due else None,
        unverified=not parsed.sender_verified,
        official_addresses=_official_addresses(env.directory, country),
        copied_to=cc,
        **_desk_context(settings),
    )
    in_reply_to, references = _threading(parsed)
    draft = Draft(
        key=key,
        purpose=ACK,
        to=to,
        cc=cc,
        subject=rendered.subject or reply_subject(case.reference, parsed.subject),
        text=rendered.text,
        in_reply_to=in_reply_to,
        references=references,
        auto=True,
        auto_submitted="auto-replied",
    )
    row = enqueue(session, draft, official_address=settings.desk.official_address,
                  from_name=settings.desk.name, now=env.now, case=case)
    audit.record(session, "ack_queued", at=env.now, actor=ACTOR, case=case, message=message,
                 outbox=row.key, message_id=row.message_id, to=list(row.recipients),
                 language=rendered.language)
    return row


def plan_resend_request(session: Session, env: Env, incoming: Incoming,
                        facts: MailFacts | None = None, *, move: Move) -> OutboxMail:
    """Policy `ask_resend`: ask an unverified sender to resend from their country's
    official address, and hold the case until they do."""
    parsed = facts or MailFacts.of(incoming.parsed)
    case, message = incoming.case, incoming.message
    assert case is not None
    key = f"{case.reference}:{RESEND_REQUEST}:{message.id}"
    if (done := _planned(session, key)) is not None:
        return done
    settings = env.settings
    country = case.country or parsed.country
    received = message.internal_date or message.fetched_at or env.now
    rendered = render_for(
        settings, env.directory, country, RESEND_REQUEST,
        ref=case.reference,
        their_subject=parsed.subject or message.subject or "",
        sender=parsed.from_addr,
        partner_country=country,
        received_desk=format_local(received, settings.desk.zone),
        official_addresses=_official_addresses(env.directory, country),
        **_desk_context(settings),
    )
    to, cc = _recipients(env, parsed)
    in_reply_to, references = _threading(parsed)
    draft = Draft(
        key=key,
        purpose=RESEND_REQUEST,
        to=to,
        cc=cc,
        subject=rendered.subject or reply_subject(case.reference, parsed.subject),
        text=rendered.text,
        in_reply_to=in_reply_to,
        references=references,
        auto=True,
        auto_submitted="auto-replied",
    )
    row = enqueue(session, draft, official_address=settings.desk.official_address,
                  from_name=settings.desk.name, now=env.now, case=case)
    previous = case.status
    if case.status in ("new", "acknowledged"):
        move(case, "held", why="resend requested")
    audit.record(session, "resend_requested", at=env.now, actor=ACTOR, case=case,
                 message=message, outbox=row.key, message_id=row.message_id,
                 to=list(row.recipients), official=_official_addresses(env.directory, country))
    if previous != case.status:
        audit.record(session, "case_held", at=env.now, actor=ACTOR, case=case, message=message,
                     reason=UNVERIFIED_FLAG)
        log.info("case_held", case=case.reference, reason=UNVERIFIED_FLAG,
                 sender=parsed.from_addr)
    return row


# ---------------------------------------------------------------------------- failures


def alert_delivery_failure(
    session: Session,
    settings: Settings,
    now: datetime,
    row: OutboxMail,
    error: str,
    *,
    case: Case | None = None,
    bounced: bool = False,
) -> OutboxMail | None:
    """Tell the operators that a mail was not delivered ("acknowledgement to FR bounced:
    550 mailbox unknown"). Never about an alert: that would loop."""
    if row.purpose in OPERATOR_PURPOSES:
        log.error("operator_alert_undeliverable", key=row.key, error=error,
                  to=list(row.recipients))
        return None
    if case is None and row.case_id is not None:
        case = session.get(Case, row.case_id)
    whom = (case.country if case is not None and case.country else None) or row.first_recipient
    short = error.removeprefix("bounced: ")
    headline = (f"{purpose_label(row.purpose)} to {whom} "
                f"{'bounced' if bounced else 'failed'}: {short}")
    if case is not None:
        headline += f" [{case.reference}]"
    rendered = render(
        settings, DELIVERY_FAILURE_ALERT, (),
        headline=headline, purpose_label=purpose_label(row.purpose), key=row.key,
        ref=case.reference if case is not None else None, recipients=list(row.recipients),
        mail_subject=row.subject, message_id=row.message_id,
        created=format_local(row.created_at, settings.desk.zone), attempts=row.attempts,
        error=error, bounced=bounced,
    )
    return notify_operators(
        session, settings, now,
        key=f"{'bounce' if bounced else 'delivery_failure'}:{row.id}",
        subject=rendered.subject or f"[watchkeeper] {headline}",
        text=rendered.text, case=case, purpose=DELIVERY_FAILURE_ALERT,
    )


# ---------------------------------------------------------------------------- execution


def plan_execution_started(
    session: Session,
    settings: Settings,
    directory: Directory,
    case: Case,
    now: datetime,
    actor: str,
) -> OutboxMail | None:
    """Confirm to the partner, in the case's thread, that execution started.

    Called by `watchkeeper case REF start` in its transaction, after `started_at` is set.
    Idempotent: the key `<case>:execution_started:1` is planned once. Returns None when the
    case has no partner address to write to (logged and recorded).
    """
    if case.direction != "incoming" or not case.counterpart_address:
        audit.record(session, "confirmation_not_sent", at=now, actor=actor, case=case,
                     reason="no partner address" if case.direction == "incoming"
                     else "outgoing case")
        log.warning("confirmation_not_sent", case=case.reference,
                    reason="no partner address")
        return None
    key = f"{case.reference}:{EXECUTION_STARTED}:1"
    if (done := _planned(session, key)) is not None:
        return done
    started = case.started_at or now
    cp = _country_contact(directory, case.country)
    zone = cp.zone if cp is not None else settings.desk.zone
    rendered = render_for(
        settings, directory, case.country, EXECUTION_STARTED,
        ref=case.reference,
        their_reference=case.their_reference,
        started_partner=format_local(started, cp.zone) if cp is not None else None,
        started_desk=format_local(started, settings.desk.zone),
        preservation_until=(format_local(case.preservation_expires_at, zone)
                            if case.preservation_expires_at else None),
        **_desk_context(settings),
    )
    root = (case.root_message_id or "").strip("<> ") or None
    references: list[str] = [root] if root else []
    ack = session.scalar(
        select(OutboxMail).where(OutboxMail.case_id == case.id, OutboxMail.purpose == ACK)
        .order_by(OutboxMail.id).limit(1)
    ) if case.id is not None else None
    if ack is not None:
        references.append(ack.message_id)
    cc = [a for a in _official_addresses(directory, case.country)[:1]
          if a.lower() != case.counterpart_address.lower()]
    draft = Draft(
        key=key,
        purpose=EXECUTION_STARTED,
        to=[case.counterpart_address],
        cc=cc,
        subject=rendered.subject or reply_subject(case.reference, case.subject),
        text=rendered.text,
        in_reply_to=ack.message_id if ack is not None else root,
        references=references,
        auto=True,
        auto_submitted="auto-generated",
    )
    row = enqueue(session, draft, official_address=settings.desk.official_address,
                  from_name=settings.desk.name, now=now, case=case)
    audit.record(session, "confirmation_queued", at=now, actor=actor, case=case,
                 outbox=row.key, message_id=row.message_id, to=list(row.recipients))
    return row

