"""Deciding and planning the mail the desk sends in answer to one incoming message."""

from __future__ import annotations

from sqlalchemy.orm import Session

from daemon.incoming import Env, Incoming


def plan_replies(session: Session, env: Env, incoming: Incoming) -> None:
    """Plan acknowledgements, resend requests and alerts for one live message, or record
    why none is sent. Runs inside the message's transaction."""
    # Filled in by the outgoing-mail work; until then the daemon sends nothing.
    return None
