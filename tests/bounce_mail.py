"""Delivery notices about a mail the desk really sent, in the forms mail systems write them.

Each form is one of the notice files under tests/data/bounces (written by make_bounces.py),
turned into a notice about the given mail: the copy of our acknowledgement the file
returns is replaced by the mail itself (its real Message-ID, headers and body) where the
file carries it whole and readable, otherwise its Message-ID is; the address the file says
failed becomes the mail's recipient, and the notice gets a Message-ID of its own.
"""

from __future__ import annotations

import email.utils
import re
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "bounces"

# Final failures, one file per form the desk must recognise.
FAILURES: dict[str, str] = {
    "multipart/report DSN": "en-postfix-report-rfc822.eml",
    "multipart/report without report-type": "en-report-without-report-type.eml",
    "null sender": "en-exim-null-return-path.eml",
    "MAILER-DAEMON without domain": "en-qmail-daemon-no-domain.eml",
    "plain text, original quoted": "en-failure-delivery-plain.eml",
    "Exchange NDR": "en-exchange-classic-postmaster.eml",
    "Japanese NDR": "ja-mailer-daemon-iso2022jp.eml",
    "Chinese NDR": "zh-gbk-toudi-shibai.eml",
    "ordinary address, DSN in the body": "en-ordinary-sender-status-in-body.eml",
}
# Delay notices as Postfix, Exchange and Sendmail send them.
DELAYS: dict[str, str] = {
    "Postfix": "delay-postfix-still-retried.eml",
    "Exchange": "delay-exchange-report.eml",
    "Sendmail": "delay-sendmail-warning-report.eml",
}

_OUR_ID = re.compile(rb"wk\.[0-9a-f]{32}@ncc\.gov\.example")
# The returned acknowledgement as make_bounces.ours() writes it, from its first header
# field to the end of its body.
_COPY = re.compile(rb"Return-Path: <poc247@ncc\.gov\.example>\r\n.*?-- 24/7 PoC\r\n", re.S)
_COPY_TO = re.compile(rb"\r\nTo: ([^\r\n<>@\s]+@[^\r\n<>\s]+)\r\nSubject: \[WK-")
_NOTICE_ID = re.compile(rb"^Message-ID: <[^>\r\n]+>", re.M | re.I)


def _crlf(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def message_id_of(mail: bytes) -> str:
    """The Message-ID of a mail, without angle brackets."""
    found = re.search(rb"^Message-ID:\s*<([^>\r\n]+)>", mail, re.M | re.I)
    assert found is not None, "the mail has no Message-ID"
    return found.group(1).decode("ascii")


def notice(template: str, returned: bytes, recipient: str) -> bytes:
    """The notice of `template` (a file name under tests/data/bounces) about the mail
    `returned` (its raw bytes, as the SMTP server took them) sent to `recipient`."""
    raw = (DATA / template).read_bytes()
    ours = _OUR_ID.search(raw)
    assert ours is not None, f"{template} carries none of our Message-IDs in clear"
    failed = _COPY_TO.search(raw)
    copy = _COPY.search(raw)
    mail = _crlf(returned).rstrip(b"\r\n") + b"\r\n"
    if copy is not None and copy.group(0).count(ours.group(0)) == 1:
        raw = raw[:copy.start()] + mail + raw[copy.end():]
    raw = raw.replace(ours.group(0), message_id_of(returned).encode("ascii"))
    if failed is not None:
        raw = raw.replace(failed.group(1), recipient.encode("ascii"))
    own = email.utils.make_msgid("notice", "mx.notice.example").encode("ascii")
    raw = _NOTICE_ID.sub(b"Message-ID: " + own, raw, count=1)
    assert message_id_of(returned).encode("ascii") in raw
    return raw
