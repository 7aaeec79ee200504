"""What mail going out asks of the case layer, which the outbound layer never imports.

The case layer's state machine (`daemon/cases/transitions.py`) is handed in by whoever
composes the outbound layer: the pipeline's step passes `transitions.move` to
`plan_replies`, and the service and the commands that send pass `transitions.mail_sent`
to `deliver_pending`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from models import Case, OutboxMail


class Move(Protocol):
    """Give a case another status, for a reason (`transitions.move`); refuses a move the
    state machine does not allow."""

    def __call__(self, case: Case, to: str, *, why: str) -> str | None: ...


class OnSent(Protocol):
    """What a mail of a case leaving means for the case (`transitions.mail_sent`); called
    in the transaction that records the mail as sent."""

    def __call__(self, session: Session, row: OutboxMail, case: Case, now: datetime) -> None: ...
