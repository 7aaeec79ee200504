"""Delivery status fields (RFC 3464), in a delivery-status part or written in a notice's
text: the records per recipient, their action and status code, values without their type."""

from __future__ import annotations

import re

from parsers.result import BOUNCE_ACTIONS, BounceAction

ACTIONS = BOUNCE_ACTIONS  # in the order a report is judged: one failed recipient makes a failure
FIELD = re.compile(
    r"^[ \t]*(final-recipient|original-recipient|action|status|diagnostic-code|remote-mta|"
    r"reporting-mta|will-retry-until|last-attempt-date|arrival-date|x-postfix-sender|"
    r"original-envelope-id|received-from-mta)[ \t]*:[ \t]*(.*)$",
    re.IGNORECASE | re.MULTILINE,
)
ENHANCED = re.compile(r"(?<![\w.])([245])\.(\d{1,3})\.(\d{1,3})(?![\w]|\.\d)")
_PER_MESSAGE = frozenset(("reporting-mta", "arrival-date", "x-postfix-sender",
                          "original-envelope-id", "received-from-mta"))
_RECIPIENT_FIELDS = frozenset(("final-recipient", "action", "original-recipient",
                               "diagnostic-code"))

Record = dict[str, str]


def fields_in(text: str) -> bool:
    """Delivery status fields written in the text: a status code with a recipient or action."""
    names = {m.group(1).lower() for m in FIELD.finditer(text)}
    return "status" in names and bool(names & _RECIPIENT_FIELDS)


def records(text: str) -> tuple[Record, list[Record]]:
    """(per-message fields, one record per recipient) of delivery status text.

    Blank lines separate the recipients' blocks; a field seen twice without one between
    also starts the next recipient. Indented lines continue the field above them.
    """
    per_message: Record = {}
    found: list[Record] = []
    current: Record = {}
    last: tuple[Record, str] | None = None
    for line in text.split("\n"):
        m = FIELD.match(line)
        if m is None:
            if not line.strip():
                current, last = {}, None
            elif last is not None and line[:1] in (" ", "\t"):
                target, name = last
                target[name] = f"{target[name]} {line.strip()}"
            else:
                last = None
            continue
        name, value = m.group(1).lower(), m.group(2).strip()
        if name in _PER_MESSAGE:
            if name not in per_message:
                per_message[name] = value
                last = (per_message, name)
            continue
        if name in current:
            current = {}
        if not current:
            found.append(current)
        current[name] = value
        last = (current, name)
    return per_message, found


def after_type(value: str) -> str:
    """A value without its type ("rfc822; a@b" -> "a@b", "smtp; 550 ..." -> "550 ...")."""
    kind, sep, rest = value.partition(";")
    if sep and re.fullmatch(r"[\w.-]{1,20}", kind.strip()):
        return rest.strip()
    return value.strip()


def status_code(value: str) -> str | None:
    """The first enhanced status code ("5.1.1") in a value."""
    m = ENHANCED.search(value)
    return m.group(0) if m else None


def explicit_action(record: Record) -> BounceAction | None:
    """The record's Action, when it is one RFC 3464 names."""
    written = record.get("action", "").strip().lower().split(" ")[0].strip(";,.")
    return next((a for a in ACTIONS if a == written), None)


_BY_CLASS: dict[str, BounceAction] = {"5": "failed", "4": "delayed", "2": "delivered"}


def status_action(record: Record) -> BounceAction | None:
    """The action the class of the record's status implies (4.x.x: still being tried)."""
    status = status_code(record.get("status", ""))
    return _BY_CLASS[status[0]] if status else None
