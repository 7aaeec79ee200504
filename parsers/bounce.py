"""Delivery status notifications: whether a message is one, and what it reports.

Detection runs on every message, so it goes from cheap to dear: the MIME structure
(`multipart/report`, `message/delivery-status`), then header fields (X-Failed-Recipients,
the Exchange NDR mark), then the sender (MAILER-DAEMON with or without a domain,
postmaster, "Mail Delivery System", a null Return-Path) and the subject. Only a message
that one of those makes a candidate has its text searched for the wording of a notice,
delivery details (DSN fields, SMTP replies) and a returned or quoted original.

Human mail that talks about delivery is never a bounce. A mail system's own address or name
needs one more sign (subject, wording or details); a postmaster, a null Return-Path or an
Auto-Submitted answer needs a subject or details, and loses them to a greeting or a closing
formula; an ordinary sender needs a notice subject, a body that opens with the notice and
details no person types (DSN fields, "550 5.1.1"). Wording alone is never enough.

The facts come from the delivery-status part when there is one, else from the notice's text;
the original Message-ID from the returned message, its returned headers, or the headers
quoted below the notice.
"""

from __future__ import annotations

import email.utils
import re
from dataclasses import dataclass, field

from parsers import bouncewords as words
from parsers import dsn
from parsers.mime import Decoded, Headers
from parsers.quoting import BOUNCE_COPY, CLOSING
from parsers.result import BounceAction, BounceReport

_F = re.IGNORECASE | re.UNICODE
_FM = _F | re.MULTILINE
NOTICE_CHARS = 3000  # characters of a notice searched for its wording and details
OPENING_LINES = 5  # non-empty lines in which an ordinary sender's notice must open
OPENING_CHARS = 800
KEPT_SUBJECT_LINES = 2  # ... and, when the subject says nothing, the lines it must start with
SUBJECT_CHARS = 80  # the notice's wording opens a subject; the original subject follows
TEXT_CHARS = 20_000  # characters of a bounce's text read for its facts
MAX_RECIPIENTS = 20

_HEADER_LINE = re.compile(
    r"^[ \t>]*(?:from|to|subject|date|message-id|received|return-path|mime-version)[ \t]*:",
    _FM,
)
_COPY = re.compile(BOUNCE_COPY.pattern, BOUNCE_COPY.flags | re.MULTILINE)
_QUOTED_MSGID = re.compile(r"^[ \t>]*message-id[ \t]*:\s*<([^<>\s]+)>", _FM)
_QUOTED_SUBJECT = re.compile(r"^[ \t>]*subject[ \t]*:[ \t]*(\S.*?)\s*$", _FM)
_ANY_MSGID = re.compile(r"message-id[ \t]*:\s*<([^<>\s]+)>", _F)
_ADDRESS = r"[\w.+'=-]+@[\w-]+(?:\.[\w-]+)+"
_RECIPIENT_LINE = re.compile(
    rf"^[ \t]*(?:(?:to|recipient|empfänger|destinataire|destinatario|destinatário|ontvanger|"
    rf"odbiorca|宛先|受信者|收件人|收信人|收件者)[ \t]*[:：][ \t]*)?<?({_ADDRESS})>?"
    rf"(?:[ \t]*[:：].*|[ \t]+on[ \t].*|[ \t]*\(.*\)|[ \t]*)$",
    _FM,
)
_ANY_ADDRESS = re.compile(rf"(?<![\w.+'=-])({_ADDRESS})")
_RCPT_TO = re.compile(rf"rcpt to:\s*<({_ADDRESS})>", _F)
_MTA_IN_TEXT = re.compile(
    r"mail system at host ([\w.-]+\w)|qmail-send program at ([\w.-]+\w)|"
    r"generating server:\s*([\w.-]+\w)|reporting-mta:\s*(?:dns;\s*)?([\w.-]+\w)",
    _F,
)


@dataclass(frozen=True)
class _Evidence:
    """What the cheap checks found about a message's sender and subject."""

    daemon: bool  # a mail system's own address or name: never a person
    automatic: bool  # postmaster, a null Return-Path or Auto-Submitted: perhaps automatic
    report: bool  # an untyped multipart/report that is not a read receipt
    subject: bool
    fired: list[str] = field(default_factory=list)


def _from_parts(h: Headers) -> tuple[str, str]:
    """(display name, local part) of From, also for an address without a domain."""
    if h.from_addr:
        return h.from_name or "", h.from_addr.partition("@")[0]
    raw = h.get("from") or ""  # "MAILER-DAEMON", with no domain, is no address to mime
    pairs = email.utils.getaddresses([raw])
    name, addr = pairs[0] if pairs else ("", "")
    if not addr and raw.strip() in ("<>", ""):
        return name, ""
    return name, addr.strip().strip("<>").partition("@")[0]


def _is_read_receipt(d: Decoded) -> bool:
    return any(
        a.info.content_type in ("message/disposition-notification",
                                "message/global-disposition-notification")
        for a in d.attachments
    )


def _evidence(d: Decoded) -> _Evidence:
    h = d.headers
    fired: list[str] = []
    name, local = _from_parts(h)
    raw_from = (h.get("from") or "").strip()
    daemon = bool(words.DAEMON_LOCAL.match(local) or words.DAEMON_NAME.match(name)
                  or raw_from in ("<>",) or words.DAEMON_NAME.match(raw_from))
    if daemon:
        fired.append("sender:mailer-daemon")
    automatic = False
    if not daemon and words.POSTMASTER_LOCAL.match(local):
        automatic = True
        fired.append("sender:postmaster")
    for rp in h.get_all("return-path"):
        value = rp.strip().strip("<>").strip().lower()
        if value in ("", "mailer-daemon"):
            automatic = True
            fired.append("header:null-return-path")
            break
    auto_submitted = (h.get("auto-submitted") or "").strip().lower()
    if auto_submitted and auto_submitted != "no":
        automatic = True
        fired.append("header:auto-submitted")
    report = (d.content_type == "multipart/report" and d.report_type is None
              and not _is_read_receipt(d))
    if report:
        fired.append("mime:multipart-report")
    if daemon:
        subject = bool(words.SUBJECT_ANYWHERE.search(h.subject))
    else:
        subject = bool(words.SUBJECT_OPENS.match(h.subject))
    if subject:
        fired.append("subject:delivery-notice")
    return _Evidence(daemon, automatic and not daemon, report, subject, fired)


def notice_text(text: str) -> tuple[str, str]:
    """(the notice, the copy of the original below it) of a bounce's text."""
    text = text[:TEXT_CHARS]
    m = _COPY.search(text)
    if m is None:
        return text, ""
    return text[: m.start()], text[m.start():]


def _opening(text: str, count: int = OPENING_LINES) -> str:
    """The first `count` non-empty lines of a text: where a mail system starts its notice."""
    lines = [ln for ln in text[:OPENING_CHARS * 2].split("\n") if ln.strip()]
    return "\n".join(lines[:count])[:OPENING_CHARS]


def _details(notice: str) -> bool:
    return dsn.fields_in(notice) or bool(words.DETAILS.search(notice))


def _hard_details(notice: str) -> bool:
    return dsn.fields_in(notice) or bool(words.SMTP_CODE.search(notice))


def _written_by_a_person(notice: str) -> bool:
    """A greeting opens the notice or a closing formula ends a paragraph: a person wrote it."""
    first = _opening(notice, 1)
    if words.SALUTATION.match(first):
        return True
    return any(CLOSING.match(line) and line.strip("- \t")
               for line in notice[:NOTICE_CHARS].split("\n"))


def _quoted_original(copy: str) -> bool:
    return bool(copy) and bool(_HEADER_LINE.search(copy[:3000]))


def signals(d: Decoded) -> tuple[str, ...]:
    """The rules that say this message is a delivery status notification (empty if not)."""
    fired: list[str] = []
    if d.report_type in ("delivery-status", "global-delivery-status"):
        fired.append("mime:delivery-status")
    elif d.delivery_status.strip():
        fired.append("mime:delivery-status-part")
    if d.headers.get("x-failed-recipients") is not None:
        fired.append("header:x-failed-recipients")
    if d.headers.get("x-ms-exchange-message-is-ndr") is not None:
        fired.append("header:exchange-ndr")
    if fired:
        return tuple(fired)

    ev = _evidence(d)
    returned = bool(d.embedded) or d.returned_headers is not None
    if not (ev.daemon or ev.automatic or ev.report or ev.subject):
        # An ordinary sender, an ordinary subject: only a body that opens with a notice and
        # carries delivery status fields is still a notice (some systems keep the subject).
        if words.REPLY_OR_FORWARD.match(d.headers.subject):
            return ()
        if not dsn.fields_in(d.text[:NOTICE_CHARS]):
            return ()
        if not words.NOTICE.search(_opening(d.text, KEPT_SUBJECT_LINES)):
            return ()
        if _written_by_a_person(notice_text(d.text)[0]):
            return ()
        return ("body:delivery-status-fields",)

    notice, copy = notice_text(d.text)
    head = notice[:NOTICE_CHARS]
    wording = bool(words.NOTICE.search(head))
    machine = wording and bool(words.MACHINE.search(head))
    details = _details(head)
    original = returned or _quoted_original(copy)
    if ev.daemon:
        found = ev.subject or wording or details
    elif ev.report:
        found = ev.subject or wording or details or original
    elif ev.automatic:  # a postmaster or an automatic answer may still be a person's
        found = (ev.subject or details or (machine and original)) and not _written_by_a_person(
            notice)
    else:  # an ordinary sender with a bounce subject: the notice and its details, verbatim
        opening = _opening(notice)
        found = (bool(words.NOTICE.search(opening) or _details(opening)) and _hard_details(head)
                 and not _written_by_a_person(notice))
    if not found:
        return ()
    more = [name for name, on in (("body:notice-wording", wording), ("body:delivery-details",
            details), ("mime:returned-message" if returned else "body:quoted-original",
            original)) if on]
    return tuple(ev.fired + more)


# ------------------------------------------------------------------ facts of a bounce


def _wording_action(subject: str, notice: str) -> BounceAction | None:
    """"delayed" or "failed" as the subject, else the notice, says; None if neither does."""
    for text in (subject, notice[:NOTICE_CHARS]):
        if words.DELAYED.search(text):
            return "delayed"
        if words.FAILED.search(text):
            return "failed"
    return None


def _diagnostic_line(notice: str) -> str | None:
    """The line of a notice that carries the remote server's answer or the reason."""
    candidates = [ln.strip() for ln in notice.split("\n")
                  if ln.strip() and not dsn.FIELD.match(ln)]
    for pattern in (dsn.ENHANCED, words.DETAILS):
        for line in candidates:
            if pattern.search(line):
                return line[:300]
    return None


def _text_recipients(notice: str, h: Headers) -> list[str]:
    """Recipients a notice names: addresses on lines of their own or in "RCPT TO:", else
    any address it mentions that is neither ours nor a mail system's."""
    ours = {a.lower() for a in (h.from_addr, *h.to_addrs, *h.cc_addrs) if a}
    found: list[str] = []
    for matches in ((*_RECIPIENT_LINE.finditer(notice), *_RCPT_TO.finditer(notice)),
                    tuple(_ANY_ADDRESS.finditer(notice))):
        for m in matches:
            addr = m.group(1).lower().rstrip(".")
            local = addr.partition("@")[0]
            system = words.DAEMON_LOCAL.match(local) or words.POSTMASTER_LOCAL.match(local)
            if addr in ours or system:
                continue
            if addr not in found:
                found.append(addr)
        if found:
            break
    return found


def _original_message_id(d: Decoded, copy: str, text: str) -> str | None:
    for sub in d.embedded:
        if sub.headers.message_id:
            return sub.headers.message_id
    if d.returned_headers is not None and d.returned_headers.message_id:
        return d.returned_headers.message_id
    for region, pattern in ((copy, _QUOTED_MSGID), (copy, _ANY_MSGID), (text, _QUOTED_MSGID)):
        m = pattern.search(region)
        if m:
            return m.group(1)
    return None


def _own_subject(subject: str, d: Decoded, copy: str) -> str:
    """The notice's part of a bounce subject: without the returned message's subject."""
    inner = next((sub.headers.subject for sub in d.embedded if sub.headers.subject), None)
    if inner is None and d.returned_headers is not None:
        inner = d.returned_headers.subject or None
    if inner is None:
        m = _QUOTED_SUBJECT.search(copy[:3000])
        inner = m.group(1) if m else None
    inner = (inner or "").strip()
    if inner and inner in subject:
        subject = subject[: subject.index(inner)]
    return subject[:SUBJECT_CHARS]


@dataclass(frozen=True)
class Facts:
    """A bounce's typed report, and the one-line status the daemon has always read."""

    report: BounceReport
    status_line: str | None


def _action(d: Decoded, records: list[dsn.Record], notice: str,
            copy: str) -> tuple[BounceAction, list[dsn.Record]]:
    """The report's action and the recipients' records it applies to."""
    explicit = [(a, r) for r in records if (a := dsn.explicit_action(r))]
    for wanted in dsn.ACTIONS:  # "failed" first: one undelivered recipient makes a failure
        chosen = [r for a, r in explicit if a == wanted]
        if chosen:
            return wanted, chosen
    action = _wording_action(_own_subject(d.headers.subject, d, copy), notice)
    if action is None:
        action = next((a for r in records if (a := dsn.status_action(r))), None)
    if action is None:
        action = "failed"  # a notice that says nothing more: the desk must hear of it
    chosen = [r for r in records if dsn.status_action(r) in (action, None)]
    return action, chosen or records[:1]


def _recipients(chosen: list[dsn.Record], h: Headers, notice: str) -> list[str]:
    found: list[str] = []
    for r in chosen:
        addr = dsn.after_type(r.get("final-recipient") or r.get("original-recipient") or "")
        addr = addr.strip("<> ").lower()
        if "@" in addr and addr not in found:
            found.append(addr)
    if not found:
        for value in h.get_all("x-failed-recipients"):
            found.extend(a.lower() for _, a in email.utils.getaddresses([value]) if "@" in a)
    return found or _text_recipients(notice, h)


def _reporting_mta(per_message: dsn.Record, h: Headers, notice: str) -> str | None:
    mta = dsn.after_type(per_message.get("reporting-mta", "")) or None
    if mta is None:
        m = _MTA_IN_TEXT.search(notice[:NOTICE_CHARS])
        mta = next((g for g in m.groups() if g), None) if m else None
    if mta is None and h.from_addr and "@" in h.from_addr:
        mta = h.from_addr.rpartition("@")[2]
    return mta.lower().rstrip(".") if mta else None


def facts(d: Decoded) -> Facts:
    """What a delivery status notification says: action, status, recipients, original.

    The action is the DSN's Action ("failed" when any recipient failed); without one, the
    wording of the subject, then of the notice (a delay notice often also says "could not
    be delivered", so delay wording is looked for first); then the class of the status
    code (4.x.x is a delay); and "failed" when nothing says more.
    """
    notice, copy = notice_text(d.text)
    near = notice[: NOTICE_CHARS * 2]
    per_message, records = dsn.records(d.delivery_status)
    if not records:
        per_message, records = dsn.records(near)
    action, chosen = _action(d, records, notice, copy)

    status = diagnostic = raw_diagnostic = None
    for r in chosen:
        status = status or dsn.status_code(r.get("status", ""))
        if raw_diagnostic is None and r.get("diagnostic-code"):
            raw_diagnostic = r["diagnostic-code"]
            diagnostic = dsn.after_type(raw_diagnostic) or None
    from_dsn = status is not None
    status = status or dsn.status_code(diagnostic or "") or dsn.status_code(near)
    diagnostic = diagnostic or _diagnostic_line(near)

    report = BounceReport(
        action=action,
        status=status,
        diagnostic=diagnostic,
        recipients=tuple(_recipients(chosen, d.headers, near)[:MAX_RECIPIENTS]),
        original_message_id=_original_message_id(d, copy, d.text[:TEXT_CHARS]),
        reporting_mta=_reporting_mta(per_message, d.headers, notice),
    )
    # As the daemon has always read it: the DSN's Status with its Diagnostic-Code as written.
    line = f"{status} {raw_diagnostic}" if from_dsn and raw_diagnostic else status or diagnostic
    return Facts(report, line)
