"""Delivery reports about our own mail: a bounce marks the mail `bounced` and tells the
operators once, with the number to call the partner now; a delay is recorded and tells
nobody.

`handle_bounce` runs inside the notice's transaction, called by `replies.plan_replies`.
The notice joins the case of the mail it returns. A bounce is never answered (the
suppression rules see to it); an alert about an alert is never sent (no loop).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from config.settings import Settings
from daemon.duties.alerts import Alert, send
from daemon.inbound.work import Env, Incoming
from daemon.outbound.outbox import OPERATOR_PURPOSES, purpose_label
from daemon.outbound.templates import format_local
from daemon.rules.suppression import MailFacts
from daemon.rules.threads import own_ids
from daemon.store import audit
from daemon.store.audit import ACTOR
from models import Case, OutboxMail
from parsers.directory import ContactPoint, Directory
from parsers.partners import call_line, number_to_call
from parsers.result import BounceReport

log = structlog.get_logger("watchkeeper.bounces")

BOUNCED = "bounced"
MAIL_BOUNCED = "mail_bounced"  # the kind of the alert, and of the event
MAIL_DELAYED = "mail_delayed"


def handle_bounce(session: Session, env: Env, incoming: Incoming,
                  facts: MailFacts | None = None) -> OutboxMail | None:
    """A delivery status notification about mail we sent: find that mail, thread the
    notice to its case, and act on what the notice says. Returns the mail, or None when
    the notice is about no mail of ours."""
    parsed = facts or MailFacts.of(incoming.parsed)
    message = incoming.message
    row = _returned_mail(session, parsed, incoming.parsed.quoted_ids,
                         env.settings.desk.official_address)
    if row is None:
        log.info("bounce_unmatched", bounced_message_id=parsed.bounced_message_id)
        return None
    case = session.get(Case, row.case_id) if row.case_id is not None else None
    if case is not None and message.case_id is None:
        message.case_id = case.id
    report = _report(incoming, parsed)
    if report.action == "delayed":
        _delayed(session, env, incoming, row, case, report)
    elif report.is_failure:
        _bounced(session, env, incoming, row, case, report, parsed)
    else:  # relayed, delivered, expanded: nothing went wrong
        row.delivery_report = _report_data(report, env.now)
        audit.record(session, "delivery_reported", at=env.now, actor=ACTOR, case=case,
                     message=message, outbox=row.key, action=report.action,
                     reporting_mta=report.reporting_mta)
        log.info("delivery_reported", outbox=row.key, action=report.action,
                 reporting_mta=report.reporting_mta)
    return row


def _report(incoming: Incoming, parsed: MailFacts) -> BounceReport:
    """The parser's typed report; a notice the parser called a bounce without one (a
    stand-in result) is a final failure, as every bounce was read before delays were."""
    report = incoming.parsed.bounce
    if report is not None:
        return report
    return BounceReport(action="failed", status=parsed.bounce_status)


def _returned_mail(session: Session, parsed: MailFacts, quoted: tuple[str, ...],
                   official_address: str) -> OutboxMail | None:
    """The outbox mail the notice returns: the first of the Message-IDs it may be about
    (what the parser found, its threading headers, then any of our own Message-IDs quoted
    in the returned message) that is ours."""
    candidates: list[str] = []
    for mid in (parsed.bounced_message_id, parsed.in_reply_to, *parsed.references,
                *own_ids(quoted, official_address)):
        if mid and mid not in candidates:
            candidates.append(mid)
    if not candidates:
        return None
    rows = {r.message_id: r for r in session.scalars(
        select(OutboxMail).where(OutboxMail.message_id.in_(candidates)))}
    return next((rows[c] for c in candidates if c in rows), None)


def _report_data(report: BounceReport, now: datetime) -> dict[str, Any]:
    return {"action": report.action, "status": report.status,
            "diagnostic": report.diagnostic, "reporting_mta": report.reporting_mta,
            "recipients": list(report.recipients), "at": now.isoformat()}


def _delayed(session: Session, env: Env, incoming: Incoming, row: OutboxMail,
             case: Case | None, report: BounceReport) -> None:
    """A delay is not a failure: the mail stays as it is (sent), the delay is written on
    it, and nobody is alerted; a final failure that may follow alerts."""
    row.delayed_at = env.now
    row.delivery_report = _report_data(report, env.now)
    audit.record(session, MAIL_DELAYED, at=env.now, actor=ACTOR, case=case,
                 message=incoming.message, outbox=row.key, purpose=row.purpose,
                 status=report.status, diagnostic=report.diagnostic,
                 reporting_mta=report.reporting_mta, recipients=list(row.recipients))
    log.info(MAIL_DELAYED, outbox=row.key, purpose=row.purpose, status=report.status,
             reporting_mta=report.reporting_mta, to=list(row.recipients),
             case=case.reference if case is not None else None)


def _bounced(session: Session, env: Env, incoming: Incoming, row: OutboxMail,
             case: Case | None, report: BounceReport, parsed: MailFacts) -> None:
    """A final failure: the mail is `bounced`, an event and a log line say so, and the
    operators are alerted once (the alert's key is the mail's: a second notice about the
    same mail alerts nobody)."""
    status = " ".join((parsed.bounce_status or report.status or "").split()) \
        or "no status given"
    if row.status != BOUNCED:
        row.status = BOUNCED
        row.failed_at = env.now
        row.last_error = f"bounced: {status}"
        row.delivery_report = _report_data(report, env.now)
        audit.record(session, MAIL_BOUNCED, at=env.now, actor=ACTOR, case=case,
                     message=incoming.message, outbox=row.key, purpose=row.purpose,
                     status=status, diagnostic=report.diagnostic,
                     reporting_mta=report.reporting_mta, recipients=list(row.recipients))
        log.warning(MAIL_BOUNCED, outbox=row.key, purpose=row.purpose, status=status,
                    to=list(row.recipients), returned_message_id=row.message_id,
                    case=case.reference if case is not None else None)
    if row.purpose in OPERATOR_PURPOSES:
        log.error("operator_alert_undeliverable", outbox=row.key, error=row.last_error,
                  to=list(row.recipients))
        return
    send(session, env.settings, env.now,
                bounce_alert(env.settings, env.directory, env.now, row, case, report, status))


def _partner(directory: Directory, row: OutboxMail, case: Case | None) -> tuple[
        str | None, ContactPoint | None]:
    """The country the mail went to and its contact point: the case's, else the owner of
    the address it went to."""
    owner = next((cp for a in row.recipients if (cp := directory.owner_of(a)) is not None),
                 None)
    country = (case.country if case is not None else None) or (owner.country if owner else None)
    if country and (owner is None or owner.country != country):
        owner = directory.primary(country) or next(iter(directory.for_country(country)), None)
    return country, owner


def bounce_alert(settings: Settings, directory: Directory, now: datetime, row: OutboxMail,
                 case: Case | None, report: BounceReport, status: str) -> Alert:
    """What the operators read: the case, the partner, what did not arrive, what the
    remote system said, and the number to call now (the call prompts' choice)."""
    country, cp = _partner(directory, row, case)
    whom = country or row.first_recipient
    ref = case.reference if case is not None else None
    headline = f"{purpose_label(row.purpose)} to {whom} bounced: {status}"
    if ref:
        headline += f" [{ref}]"
    choice = number_to_call(directory, country, now) if country else None
    call = call_line(country, ref or f"the {purpose_label(row.purpose)}", choice)
    sent = row.sent_at or row.created_at
    facts: list[tuple[str, str]] = [("Call", call)]
    if case is not None:
        what = case.request_type or "request"
        theirs = f", their reference {case.their_reference}" if case.their_reference else ""
        facts.append(("Case", f"{case.reference} ({what}{theirs})"))
    if cp is not None:
        facts.append(("Partner", f"{cp.country}: {cp.authority} ({cp.role} contact point)"))
    elif country:
        facts.append(("Partner", f"{country}: not in the directory"))
    facts += [
        ("Not arrived", purpose_label(row.purpose)),
        ("Subject", row.subject),
        ("To", ", ".join(row.recipients)),
        ("Sent", format_local(sent, settings.desk.zone)),
        ("Remote status", report.status or "none given"),
        ("Diagnostic", report.diagnostic or status),
    ]
    if report.reporting_mta:
        facts.append(("Returned by", report.reporting_mta))
    facts.append(("Message-ID", f"<{row.message_id}>"))
    logged = f" and log it (watchkeeper case {ref} called)" if ref else ""
    advice = (f"The partner's system returned our {purpose_label(row.purpose)}: they never "
              f"got it. Call them now on the number above{logged}; then check the "
              f"directory address (watchkeeper directory show {country or 'COUNTRY'}).")
    return Alert(kind=MAIL_BOUNCED, scope=row.message_id, occurrence="1",
                        headline=headline, facts=tuple(facts), advice=advice, case=case)
