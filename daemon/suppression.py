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
from typing import Any

from daemon.outbox import is_our_message_id

# Reasons, as they appear in `ack_suppressed reason=...`.
AUTO_REPLY = "auto_reply"
BOUNCE = "bounce"
LIST_MAIL = "list_mail"
OWN_MAIL = "own_mail"
ROBOT_SENDER = "robot_sender"
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

    Built with `MailFacts.of(parsed)` from a `parsers.result.ParsedMessage` (or the
    pipeline's headers-only stand-in); a field the parser does not give takes its default,
    so that a parser without, say, `is_list` never breaks the pipeline.
    """

    kind: str = "other"
    from_addr: str | None = None
    message_id: str | None = None
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    subject: str = ""
    auto_signals: tuple[str, ...] = ()
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

    @classmethod
    def of(cls, parsed: object) -> MailFacts:
        def get(name: str, default: Any = None) -> Any:
            value = getattr(parsed, name, default)
            return default if value is None else value

        kind = str(get("kind", "other"))
        x_loop = get("x_loop")
        if isinstance(x_loop, list | tuple):
            x_loop = " ".join(str(v) for v in x_loop)
        status = get("bounce_status")
        return cls(
            kind=kind,
            from_addr=(str(get("from_addr", "")).strip().lower() or None),
            message_id=_clean_id(get("message_id")),
            in_reply_to=_clean_id(get("in_reply_to")),
            references=tuple(r for r in (_clean_id(x) for x in get("references", ())) if r),
            subject=str(get("subject", "")),
            auto_signals=tuple(str(x) for x in get("auto_signals", ())),
            is_list=bool(get("is_list", False)),
            x_loop=str(x_loop) if x_loop else None,
            should_acknowledge=bool(get("should_acknowledge", kind == "request")),
            sender_verified=bool(get("sender_verified", False)),
            country=get("country"),
            request_type=get("request_type"),
            urgent=bool(get("urgent", False)),
            their_reference=get("their_reference"),
            identifier_count=len(tuple(get("identifiers", ()))),
            provider=get("provider"),
            bounced_message_id=_clean_id(get("bounced_message_id")),
            bounce_status=str(status) if status else None,
        )


def _clean_id(value: object) -> str | None:
    text = str(value or "").strip().strip("<>").strip()
    return text or None


def is_bounce(facts: MailFacts, official_address: str) -> str | None:
    """A delivery status notification: answering it is backscatter."""
    return BOUNCE if facts.kind == "bounce" else None


def is_auto_reply(facts: MailFacts, official_address: str) -> str | None:
    """An out-of-office, a read receipt, another desk's automatic acknowledgement."""
    if facts.kind == "auto_reply" or facts.auto_signals:
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
    local = address.rpartition("@")[0]
    return ROBOT_SENDER if _ROBOT_LOCAL.match(local) else None


def over_rate_limit(recent_auto_mails: int, limit: int) -> str | None:
    """The address already had `limit` automatic mails from us in the last hour."""
    return RATE_LIMITED if recent_auto_mails >= limit else None


Rule = Callable[[MailFacts, str], str | None]

SUPPRESSION_RULES: tuple[tuple[str, Rule], ...] = (
    ("is_own_mail", is_own_mail),
    ("is_bounce", is_bounce),
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
