"""Message-IDs: the one cleaner every reader of msg-ids uses, and the scan for the ids of
one domain anywhere in a message.

Pure: text or bytes in, plain values out; never raises.

A msg-id is kept without its angle brackets (`a1b2@mail.example`), the form the database
indexes and the threading compares. `Message-ID`, `In-Reply-To`, `References`, the
Message-ID of a bounced message: every one goes through `clean` or `all_in` here.
"""

from __future__ import annotations

import re

_MSGID = re.compile(r"<([^<>\s]+)>")


def all_in(value: str | None) -> tuple[str, ...]:
    """Every msg-id in a field value (`<a@x> <b@y>`), in order, without angle brackets. A
    value without brackets that is one word (`a@x`, or `<a@x` missing its closing bracket)
    counts as one msg-id; anything else gives none."""
    if not value:
        return ()
    found = _MSGID.findall(value)
    if found:
        return tuple(found)
    bare = value.strip().strip("<>").strip()
    if bare and not any(c.isspace() for c in bare):
        return (bare,)
    return ()


def clean(value: str | None) -> str | None:
    """The first msg-id of a field value without angle brackets, or None."""
    found = all_in(value)
    return found[0] if found else None


def quoted(raw: bytes | None, domain: str) -> tuple[str, ...]:
    """Every msg-id at `domain` written anywhere in a raw message (its header, its text, a
    returned message or header block), in lower case, each once, in order. A bounce
    returns the mail it is about; an automatic reply often quotes its headers."""
    name = domain.strip().lower()
    if not raw or not name:
        return ()
    pattern = rb"<([^<>\s@]+@" + re.escape(name.encode("ascii", "ignore")) + rb")>"
    found = re.findall(pattern, raw.lower())
    return tuple(dict.fromkeys(q.decode("ascii", "replace") for q in found))
