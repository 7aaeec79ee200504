"""Our own mail, known by the shape of the Message-IDs the desk gives every mail it sends."""

from __future__ import annotations

import uuid


def new_message_id(official_address: str) -> str:
    """A Message-ID in our own domain (without angle brackets)."""
    domain = official_address.rpartition("@")[2] or "watchkeeper.invalid"
    return f"wk.{uuid.uuid4().hex}@{domain}"


def is_our_message_id(message_id: str | None, official_address: str) -> bool:
    if not message_id:
        return False
    domain = official_address.rpartition("@")[2].lower()
    mid = message_id.strip("<> ").lower()
    return mid.startswith("wk.") and mid.endswith("@" + domain)
