"""The audit trail: every change to a case is an event row, written in the same transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from models import Case, Event, Message

# The actor of everything the daemon does by itself, in the audit trail and the directory's
# history (an operator's command records the operator's name instead).
ACTOR = "watchkeeper"


def record(
    session: Session,
    kind: str,
    *,
    at: datetime,
    actor: str,
    case: Case | None = None,
    message: Message | None = None,
    **data: Any,
) -> Event:
    """Append one event; `actor` is an operator's name, or `ACTOR` for the daemon."""
    if case is not None and case.id is None:
        session.flush()
    if message is not None and message.id is None:
        session.flush()
    event = Event(
        at=at,
        kind=kind,
        actor=actor,
        case_id=case.id if case is not None else None,
        message_id=message.id if message is not None else None,
        data=data,
    )
    session.add(event)
    return event
