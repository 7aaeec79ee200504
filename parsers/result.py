"""The frozen result of parsing one message, and its JSON contract form."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from parsers.headers import HeaderFacts

KINDS = ("request", "reply", "auto_reply", "bounce", "ping_reply", "other")
REQUEST_TYPES = (
    "preservation",
    "preservation_extension",
    "traffic_disclosure",
    "stored_data",
    "emergency_disclosure",
    "information",
)
# RFC 3464 actions. Only "failed" is a failure: "delayed" is still being retried, and
# "delivered", "relayed" and "expanded" report progress.
BounceAction = Literal["failed", "delayed", "delivered", "relayed", "expanded"]
BOUNCE_ACTIONS: tuple[BounceAction, ...] = ("failed", "delayed", "delivered", "relayed", "expanded")
# What a message asks or adds, finer than `request_type` and outside the parse contract
# (`ParsedMessage.topic`; `parsers/topics.py` maps each onto the contract's request type).
#   emergency             threat to life or safety            -> emergency_disclosure
#   preservation          keep data (art. 29/30)              -> preservation
#   extension             extend an earlier preservation      -> preservation_extension
#   traffic_disclosure    disclose traffic data (art. 30)     -> traffic_disclosure
#   stored_data           subscriber or stored data (art. 31) -> stored_data
#   attribution           who used an IP address or account   -> stored_data
#   mla_notice            an MLA request follows / was sent   -> stored_data (a reply in a thread)
#   incident_assistance   help with an incident (ransomware, intrusion, DDoS, ...)
#                                                             -> information, or the data asked
#   takedown              take down or block a site, domain, account
#                                                             -> information, or the data asked
#   contact_confirmation  confirm a contact point or address  -> information
#   legal_question        a legal provision, basis, retention -> information
#   information           any other question                  -> information
#   addendum              a reply adding to an earlier request (another identifier, details)
#   correction            a reply correcting an earlier request (a time, a time zone)
TOPICS = (
    "emergency",
    "preservation",
    "extension",
    "traffic_disclosure",
    "stored_data",
    "attribution",
    "mla_notice",
    "incident_assistance",
    "takedown",
    "contact_confirmation",
    "legal_question",
    "information",
    "addendum",
    "correction",
)


@dataclass(frozen=True)
class Identifier:
    """One identifier the request is about, with the instant the text ties to it."""

    type: str
    value: str
    timestamp: datetime | None = None

    def to_contract(self) -> dict[str, object]:
        ts = self.timestamp.isoformat() if self.timestamp is not None else None
        return {"type": self.type, "value": self.value, "timestamp": ts}


@dataclass(frozen=True)
class AttachmentInfo:
    """What the message carried besides its text, and whether its text was read."""

    filename: str | None
    content_type: str
    size: int
    text_extracted: bool = False


@dataclass(frozen=True)
class TemplateFields(Mapping[str, str]):
    """The T-CY template fields found, as ordered (key, value) pairs; read like a mapping."""

    items_: tuple[tuple[str, str], ...] = ()

    def __getitem__(self, key: str) -> str:
        for k, v in self.items_:
            if k == key:
                return v
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        seen: set[str] = set()
        for k, _ in self.items_:
            if k not in seen:
                seen.add(k)
                yield k

    def __len__(self) -> int:
        return len({k for k, _ in self.items_})


@dataclass(frozen=True)
class BounceReport:
    """What a delivery status notification says about a message we sent.

    `action` is one of BOUNCE_ACTIONS; `status` the enhanced status code ("5.1.1"),
    `diagnostic` the remote server's answer or the notice's reason, `recipients` the
    addresses the action applies to, `original_message_id` the Message-ID of the returned
    message (without angle brackets), `reporting_mta` the system that wrote the report.
    """

    action: BounceAction = "failed"
    status: str | None = None
    diagnostic: str | None = None
    recipients: tuple[str, ...] = ()
    original_message_id: str | None = None
    reporting_mta: str | None = None

    @property
    def is_failure(self) -> bool:
        """True only when delivery was given up; a delay or a relay report is not a failure."""
        return self.action == "failed"


@dataclass(frozen=True)
class ParsedMessage:
    """Everything the desk needs to know about one message; built by parse_message()."""

    kind: str = "other"
    request_type: str | None = None
    urgent: bool = False
    country: str | None = None
    sender_verified: bool = False
    case_ref: str | None = None
    their_reference: str | None = None
    previous_reference: str | None = None
    identifiers: tuple[Identifier, ...] = ()
    provider: str | None = None
    language: str | None = None
    should_acknowledge: bool = False
    # beyond the contract: what is asked, and whether the mail reads like a request
    topic: str | None = None  # one of TOPICS, for a request or a reply; else None
    reads_as_request: bool = False  # a request, or own text asking about identifiers it names
    named_identifiers: int = 0  # identifiers the own text names, whatever the kind
    # header facts
    message_id: str | None = None
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    subject: str = ""
    from_addr: str | None = None
    from_name: str | None = None
    to_addrs: tuple[str, ...] = ()
    cc_addrs: tuple[str, ...] = ()
    reply_to: str | None = None
    date: datetime | None = None
    # what decided the kind
    auto_signals: tuple[str, ...] = ()
    is_list: bool = False
    bounced_message_id: str | None = None
    bounce_status: str | None = None
    bounce: BounceReport | None = None  # the typed report; set exactly when kind == "bounce"
    ping_token: str | None = None
    forwarded_by: str | None = None
    # every header fact the desk acts on: RFC 3834 and list signals, X-Loop, a null
    # Return-Path, authentication verdicts, the trace, cleaned msg-ids (parsers/headers.py)
    headers: HeaderFacts = field(default_factory=HeaderFacts)
    # msg-ids at the desk's own domain written anywhere in the message (a bounce returns our
    # mail, an automatic reply quotes it): given when parse_message is told the domain
    quoted_ids: tuple[str, ...] = ()
    # content
    own_text: str = ""
    template: TemplateFields = field(default_factory=TemplateFields)
    attachments: tuple[AttachmentInfo, ...] = ()
    error: str | None = None
    warnings: tuple[str, ...] = ()

    def to_contract(self, file: str) -> dict[str, object]:
        """The object `watchkeeper parse --json` prints for this message."""
        return {
            "file": file,
            "kind": self.kind,
            "request_type": self.request_type,
            "urgent": self.urgent,
            "country": self.country,
            "sender_verified": self.sender_verified,
            "case_ref": self.case_ref,
            "their_reference": self.their_reference,
            "previous_reference": self.previous_reference,
            "identifiers": [i.to_contract() for i in self.identifiers],
            "provider": self.provider,
            "language": self.language,
            "should_acknowledge": self.should_acknowledge,
        }
