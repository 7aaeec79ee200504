"""Facts of a delivery status notification: which of our messages bounced, and why."""

from __future__ import annotations

import re

from parsers.mime import Decoded


def bounce_facts(d: Decoded) -> tuple[str | None, str | None]:
    """(Message-ID of our bounced message, status code and diagnostic) of a bounce."""
    bounced = None
    for sub in d.embedded:
        if sub.headers.message_id:
            bounced = sub.headers.message_id
            break
    if bounced is None and d.returned_headers is not None:
        bounced = d.returned_headers.message_id
    if bounced is None:
        m = re.search(r"^\s*Message-ID:\s*<([^<>\s]+)>", d.text, re.IGNORECASE | re.MULTILINE)
        bounced = m.group(1) if m else None
    status = None
    m = re.search(r"^\s*Status:\s*([245]\.\d{1,3}\.\d{1,3})", d.delivery_status, re.MULTILINE)
    if m:
        status = m.group(1)
        diag = re.search(r"^\s*Diagnostic-Code:\s*(.+)$", d.delivery_status, re.MULTILINE)
        if diag:
            status += " " + diag.group(1).strip()
    else:
        m = re.search(r"\b([45]\.\d{1,3}\.\d{1,3})\b", d.text)
        status = m.group(1) if m else None
    return bounced, status
