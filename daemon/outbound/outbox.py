"""Planning outgoing mail: one outbox row per mail, written in the caller's transaction."""

from __future__ import annotations

import email.policy
import email.utils
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage

import structlog
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from config.settings import Settings
from daemon.rules.own import new_message_id
from models import Case, OutboxMail

log = structlog.get_logger("watchkeeper.outbox")

LOOP_HEADER = "X-Loop"

# Purposes of the mail the desk sends; the outbox key is "<case or subject>:<purpose>:<step>".
ACK = "ack"
RESEND_REQUEST = "resend_request"
EXECUTION_STARTED = "execution_started"
OPERATOR_ALERT = "operator_alert"
DELIVERY_FAILURE_ALERT = "delivery_failure_alert"

# Mail addressed to the desk's own staff: a failure of one of these is logged but never
# alerted about by mail, or an unreachable operator address would feed a loop of alerts.
OPERATOR_PURPOSES = frozenset({OPERATOR_ALERT, DELIVERY_FAILURE_ALERT})

PURPOSE_LABELS = {
    ACK: "acknowledgement",
    RESEND_REQUEST: "request to resend",
    EXECUTION_STARTED: "execution-started confirmation",
    OPERATOR_ALERT: "operator alert",
    DELIVERY_FAILURE_ALERT: "delivery-failure alert",
}


def purpose_label(purpose: str) -> str:
    return PURPOSE_LABELS.get(purpose, purpose.replace("_", " "))


@dataclass(frozen=True)
class Draft:
    """A mail to send: what the caller decides. Headers that keep threads and stop loops
    are added by `enqueue`."""

    key: str
    purpose: str
    to: Sequence[str]
    subject: str
    text: str
    html: str | None = None
    cc: Sequence[str] = ()
    in_reply_to: str | None = None
    references: Sequence[str] = ()
    auto: bool = True
    auto_submitted: str = "auto-replied"


# Header fields we set from source text are written as they are (`set_raw`), never refolded
# by the email package: a long msg-id refolded becomes RFC 2047 encoded words, which no mail
# client reads as a msg-id, and the partner's client does not thread our answer.
_POLICY = email.policy.SMTP.clone(refold_source="none")
# A msg-id is printable US-ASCII without blanks or angle brackets (RFC 5322 section 3.6.4);
# anything else (a CR/LF injected by a forged header, say) is not written at all.
_MSG_ID = re.compile(r"[!-;=?-~]{1,900}")
_LINE = 78


def msg_ids(values: Sequence[str | None]) -> list[str]:
    """The usable msg-ids among `values`, without angle brackets, each once, in order."""
    out: list[str] = []
    for value in values:
        mid = (value or "").strip().removeprefix("<").removesuffix(">")
        if _MSG_ID.fullmatch(mid) and mid not in out:
            out.append(mid)
    return out


def fold_ids(name: str, ids: Sequence[str]) -> str:
    """`<a> <b> ...` folded only between ids, so that no id is ever split or encoded."""
    lines: list[str] = []
    current = ""
    width = len(name) + 2
    for mid in ids:
        token = f"<{mid}>"
        if current and width + len(current) + 1 + len(token) > _LINE:
            lines.append(current)
            current, width = token, 1
        else:
            current = f"{current} {token}" if current else token
    lines.append(current)
    return "\n ".join(lines)


def render(draft: Draft, *, message_id: str, mail_from: str, from_name: str,
           at: datetime) -> bytes:
    msg = EmailMessage(policy=_POLICY)
    msg["From"] = email.utils.formataddr((from_name, mail_from))
    msg["To"] = ", ".join(draft.to)
    if draft.cc:
        msg["Cc"] = ", ".join(draft.cc)
    msg["Subject"] = draft.subject
    msg["Date"] = email.utils.format_datetime(at)
    msg.set_raw("Message-ID", f"<{message_id}>")
    answered = msg_ids([draft.in_reply_to])
    if answered:
        msg.set_raw("In-Reply-To", f"<{answered[0]}>")
    refs = msg_ids([*draft.references, *answered])
    if refs:
        msg.set_raw("References", fold_ids("References", refs))
    # RFC 3834: mark every automatic mail, and ask other robots not to answer it.
    msg["Auto-Submitted"] = draft.auto_submitted if draft.auto else "no"
    msg["X-Auto-Response-Suppress"] = "All"
    msg[LOOP_HEADER] = mail_from
    msg.set_content(draft.text)
    if draft.html is not None:
        msg.add_alternative(draft.html, subtype="html")
    return msg.as_bytes()


def enqueue(
    session: Session,
    draft: Draft,
    *,
    official_address: str,
    from_name: str,
    now: datetime,
    case: Case | None = None,
) -> OutboxMail:
    """Plan one mail. Idempotent on `draft.key`: planning the same thing twice returns the
    row planned first, so a retried transaction or a restarted job never sends twice."""
    existing = session.scalar(select(OutboxMail).where(OutboxMail.key == draft.key))
    if existing is not None:
        return existing
    recipients = [a for a in (*draft.to, *draft.cc) if a]
    if not recipients:
        raise ValueError(f"outbox mail {draft.key!r} has no recipient")
    message_id = new_message_id(official_address)
    row = OutboxMail(
        key=draft.key,
        purpose=draft.purpose,
        case_id=case.id if case is not None else None,
        message_id=message_id,
        in_reply_to=draft.in_reply_to,
        mail_from=official_address,
        recipients=recipients,
        first_recipient=recipients[0].lower(),
        subject=draft.subject,
        raw=render(draft, message_id=message_id, mail_from=official_address,
                   from_name=from_name, at=now),
        auto=draft.auto,
        status="pending",
        attempts=0,
        created_at=now,
        next_attempt_at=now,
    )
    if case is not None and case.id is None:
        session.flush()
        row.case_id = case.id
    # A second mail of the same purpose in one case (a second acknowledgement, say) says
    # which one it is, so that the log shows it is not a duplicate.
    nth = 1 + int(session.scalar(select(func.count(OutboxMail.id)).where(
        OutboxMail.case_id == row.case_id, OutboxMail.purpose == draft.purpose)) or 0) \
        if row.case_id is not None else 1
    session.add(row)
    session.flush()
    log.info(f"{draft.purpose}_queued", key=draft.key, to=recipients,
             case=case.reference if case is not None else None,
             **({"nth": nth} if nth > 1 else {}))
    return row


def notify_operators(
    session: Session,
    settings: Settings,
    now: datetime,
    *,
    key: str,
    subject: str,
    text: str,
    case: Case | None = None,
    purpose: str = OPERATOR_ALERT,
    to: Sequence[str] | None = None,
) -> OutboxMail | None:
    """Plan an alert to the duty officers (`desk.operators`, or `to`), idempotent on `key`.

    Reminders, call prompts, quarantine and delivery-failure alerts all come through here.
    Without any recipient configured the alert is only logged, never silently dropped.
    """
    recipients = tuple(to) if to is not None else settings.desk.operators
    if not recipients:
        log.warning("operator_alert_unaddressed", key=key, subject=subject,
                    case=case.reference if case is not None else None,
                    reason="desk.operators is empty")
        return None
    draft = Draft(key=key, purpose=purpose, to=recipients, subject=subject, text=text,
                  auto=True, auto_submitted="auto-generated")
    return enqueue(session, draft, official_address=settings.desk.official_address,
                   from_name=settings.desk.name, now=now, case=case)
