"""Rules that decide whether the desk may answer a message automatically (RFC 3834).

Each rule is a side-effect-free function that returns the reason it fires, or None.
`SUPPRESSION_RULES` is the routing table: the rules in the order they are asked; the
first that fires names the reason recorded on the `ack_suppressed` event and log line.
The rate limit needs a count from the database, so the caller counts and asks
`over_rate_limit` last.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from daemon.rules.own import is_our_message_id
from parsers.result import ParsedMessage

# Reasons, as they appear in `ack_suppressed reason=...`.
AUTO_REPLY = "auto_reply"
BOUNCE = "bounce"
LIST_MAIL = "list_mail"
OWN_MAIL = "own_mail"
ROBOT_SENDER = "robot_sender"
FEEDBACK_REPORT = "feedback_report"
NO_SENDER = "no_sender"
RATE_LIMITED = "rate_limited"

# Local parts that belong to machines, never to a person who reads an answer.
_ROBOT_LOCAL = re.compile(
    r"^(?:mailer-daemon|postmaster|no[-_.]?reply|do[-_.]?not[-_.]?reply|bounces?"
    r"|mail[-_.]?delivery[-_.]?(?:system|subsystem)?|daemon|listserv|majordomo"
    r"|owner-.+|.+-(?:owner|request|bounces?))(?:[+].*)?$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class MailFacts:
    """What the outgoing-mail rules read of a parsed message.

    Built with `MailFacts.of(parsed)` from a `parsers.result.ParsedMessage`: the parser's
    classification and its header facts (`parsed.headers`) side by side, so that RFC 3834
    protection does not rest on the classifier alone. Tests of the rules build one directly.
    """

    kind: str = "other"
    from_addr: str | None = None
    message_id: str | None = None
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    subject: str = ""
    auto_signals: tuple[str, ...] = ()
    header_auto_signals: tuple[str, ...] = ()
    is_list: bool = False
    x_loop: str | None = None
    should_acknowledge: bool = False
    sender_verified: bool = False
    country: str | None = None
    request_type: str | None = None
    urgent: bool = False
    their_reference: str | None = None
    identifier_count: int = 0
    provider: str | None = None
    bounced_message_id: str | None = None
    bounce_status: str | None = None
    null_return_path: bool = False
    feedback_report: bool = False

    @classmethod
    def of(cls, parsed: ParsedMessage) -> MailFacts:
        """The facts of a parse result: what the parser decided, and the loop-relevant
        header fields it read (Auto-Submitted and its kin, list fields, X-Loop, a null
        Return-Path, an abuse report), whatever it decided."""
        head = parsed.headers
        return cls(
            kind=parsed.kind,
            from_addr=(parsed.from_addr or "").strip().lower() or None,
            message_id=parsed.message_id,
            in_reply_to=parsed.in_reply_to,
            references=parsed.references,
            subject=parsed.subject,
            auto_signals=parsed.auto_signals,
            header_auto_signals=head.auto_signals,
            is_list=parsed.is_list or head.is_list,
            x_loop=" ".join(head.x_loop) or None,
            should_acknowledge=parsed.should_acknowledge,
            sender_verified=parsed.sender_verified,
            country=parsed.country,
            request_type=parsed.request_type,
            urgent=parsed.urgent,
            their_reference=parsed.their_reference,
            identifier_count=len(parsed.identifiers),
            provider=parsed.provider,
            bounced_message_id=parsed.bounced_message_id,
            bounce_status=parsed.bounce_status or None,
            null_return_path=head.null_return_path,
            feedback_report=head.feedback_report,
        )


def is_bounce(facts: MailFacts, official_address: str) -> str | None:
    """A delivery status notification: answering it is backscatter."""
    return BOUNCE if facts.kind == "bounce" else None


def is_feedback_report(facts: MailFacts, official_address: str) -> str | None:
    """An abuse or spam complaint in the Abuse Reporting Format (RFC 5965,
    `multipart/report; report-type=feedback-report`): a machine's report, not a person."""
    return FEEDBACK_REPORT if facts.feedback_report else None


def is_auto_reply(facts: MailFacts, official_address: str) -> str | None:
    """An out-of-office, a read receipt, another desk's automatic acknowledgement: as the
    parser classified it, or as its RFC 3834 header fields say. (The parser's own
    `auto_signals` on a message it still calls a request were weighed and overruled.)"""
    if facts.kind == "auto_reply" or facts.header_auto_signals:
        return AUTO_REPLY
    return None


def is_list_mail(facts: MailFacts, official_address: str) -> str | None:
    """Mail distributed by a list (List-Id, Precedence: bulk/list)."""
    return LIST_MAIL if facts.is_list else None


def is_own_mail(facts: MailFacts, official_address: str) -> str | None:
    """Mail that carries our X-Loop, our own Message-ID, or comes from our own address."""
    ours = official_address.strip().lower()
    loop = (facts.x_loop or "").lower()
    if ours and ours in loop:
        return OWN_MAIL
    if is_our_message_id(facts.message_id, official_address):
        return OWN_MAIL
    if ours and (facts.from_addr or "").strip().lower() == ours:
        return OWN_MAIL
    return None


def sender_is_robot(facts: MailFacts, official_address: str) -> str | None:
    """noreply, MAILER-DAEMON, postmaster and list machinery addresses; or no sender."""
    address = (facts.from_addr or "").strip()
    if not address or "@" not in address:
        return NO_SENDER
    if facts.null_return_path:
        return ROBOT_SENDER  # the null reverse-path of a notification (RFC 3834 section 2)
    local = address.rpartition("@")[0]
    return ROBOT_SENDER if _ROBOT_LOCAL.match(local) else None


def over_rate_limit(recent_auto_mails: int, limit: int) -> str | None:
    """The address already had `limit` automatic mails from us in the last hour."""
    return RATE_LIMITED if recent_auto_mails >= limit else None


Rule = Callable[[MailFacts, str], str | None]

SUPPRESSION_RULES: tuple[tuple[str, Rule], ...] = (
    ("is_own_mail", is_own_mail),
    ("is_bounce", is_bounce),
    ("is_feedback_report", is_feedback_report),
    ("is_auto_reply", is_auto_reply),
    ("is_list_mail", is_list_mail),
    ("sender_is_robot", sender_is_robot),
)


def suppression_reason(facts: MailFacts, official_address: str) -> str | None:
    """The first rule of the table that forbids an automatic answer, or None."""
    for _name, rule in SUPPRESSION_RULES:
        reason = rule(facts, official_address)
        if reason is not None:
            return reason
    return None
