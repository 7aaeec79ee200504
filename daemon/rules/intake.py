"""Rules that decide what the desk keeps of a mail in INBOX that joined no case.

The parser's classification decides how a message is labelled and answered, never whether
the desk tracks it. A mail that is not ours and not threaded into a case is one of:

- a robot's (auto-reply, bounce, list mail, feedback report, ping reply, our own mail):
  neither a case nor a triage item;
- a request (the parser says so), or any mail from a directory partner (its exact address,
  or an address at the domain of one): a case, typed as the parser found or `unclassified`;
- mail from an unknown address that reads like a request: a case, flagged unverified;
- anything else from an unknown address: a triage item an operator must close.

`decide` is the routing table; each outcome names the rule that decided it, for the case's
rules, the triage item's reason, the audit event and the log alike.
"""

from __future__ import annotations

from dataclasses import dataclass

from daemon.rules.suppression import (
    AUTO_REPLY,
    BOUNCE,
    FEEDBACK_REPORT,
    LIST_MAIL,
    OWN_MAIL,
    ROBOT_SENDER,
    MailFacts,
    suppression_reason,
)
from parsers.directory import Directory

UNCLASSIFIED = "unclassified"

# What becomes of the mail.
CASE, TRIAGE, IGNORE = "case", "triage", "ignore"

# How the sender stands to the directory.
PARTNER, PARTNER_DOMAIN, STRANGER = "partner", "partner_domain", "stranger"

# Why; each is also the name of the rule recorded on the case or the triage item.
REQUEST = "request"
PARTNER_MAIL = "partner_mail"
PARTNER_DOMAIN_MAIL = "partner_domain_mail"
READS_AS_REQUEST = "reads_as_request"
PING_REPLY = "ping_reply"
STRANGER_MAIL = "stranger_mail"
STRANGER_REPLY = "stranger_reply"
STRANGER_TAG = "stranger_tag"
NO_SENDER = "no_sender"
UNREADABLE = "unreadable"

# The suppression reasons that make a mail a robot's rather than a person's.
ROBOT_REASONS = frozenset({OWN_MAIL, BOUNCE, FEEDBACK_REPORT, AUTO_REPLY, LIST_MAIL,
                           ROBOT_SENDER})

# One line per triage reason, for the operator.
TRIAGE_REASONS = {
    STRANGER_MAIL: "unknown sender, does not read as a request",
    STRANGER_REPLY: "unknown sender, a reply to no thread the desk knows",
    STRANGER_TAG: "unknown sender quoting a case tag (not that case's partner)",
    NO_SENDER: "no sender address",
    UNREADABLE: "unknown sender, the parser could not read the mail",
}


@dataclass(frozen=True)
class Intake:
    """What becomes of a mail that joined no case, and the rule that decided it."""

    action: str  # CASE, TRIAGE or IGNORE
    reason: str
    request_type: str | None = None  # for a case: the type it is opened with


def sender_relation(directory: Directory, address: str | None) -> str:
    """PARTNER for an address in the directory, PARTNER_DOMAIN for another address at the
    domain of one (an officer's own address: the case stays unverified), else STRANGER."""
    if not address or "@" not in address:
        return STRANGER
    if directory.owner_of(address) is not None:
        return PARTNER
    if directory.owner_of_domain(address.rpartition("@")[2]) is not None:
        return PARTNER_DOMAIN
    return STRANGER


def robot_reason(facts: MailFacts, official_address: str) -> str | None:
    """Why the mail is a robot's (the suppression rule that fired, or a ping reply), or None
    for mail a person wrote."""
    if facts.kind == PING_REPLY:
        return PING_REPLY
    reason = suppression_reason(facts, official_address)
    return reason if reason in ROBOT_REASONS else None


def decide(
    *,
    kind: str,
    reads_as_request: bool,
    request_type: str | None,
    relation: str,
    robot: str | None,
    has_sender: bool,
    tag_from_stranger: bool = False,
    unreadable: bool = False,
) -> Intake:
    """The routing table for a mail in INBOX that is not ours and joined no case."""
    typed = request_type or UNCLASSIFIED
    if kind == REQUEST:
        # The parser is sure: whatever else the mail carries, it is tracked.
        return Intake(CASE, REQUEST, typed)
    if robot is not None:
        return Intake(IGNORE, robot)
    if relation == PARTNER:
        return Intake(CASE, PARTNER_MAIL, typed)
    if relation == PARTNER_DOMAIN:
        return Intake(CASE, PARTNER_DOMAIN_MAIL, typed)
    if reads_as_request:
        return Intake(CASE, READS_AS_REQUEST, typed)
    if not has_sender:
        return Intake(TRIAGE, NO_SENDER)
    if tag_from_stranger:
        return Intake(TRIAGE, STRANGER_TAG)
    if unreadable:
        return Intake(TRIAGE, UNREADABLE)
    if kind == "reply":
        return Intake(TRIAGE, STRANGER_REPLY)
    return Intake(TRIAGE, STRANGER_MAIL)
