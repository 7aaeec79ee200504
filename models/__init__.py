"""SQLAlchemy 2 typed models, one module per aggregate."""

from models.base import Base
from models.case import Case, CaseSequence, Identifier
from models.condition import Condition
from models.directory import ContactEmail, ContactPointRow
from models.event import Event
from models.mailbox import DaemonInstance, MailboxCheckpoint
from models.message import Message
from models.outbox import OutboxMail
from models.ping import PingRound, PingTarget
from models.triage import TriageItem

__all__ = [
    "Base",
    "Case",
    "CaseSequence",
    "Condition",
    "ContactEmail",
    "ContactPointRow",
    "DaemonInstance",
    "Event",
    "Identifier",
    "MailboxCheckpoint",
    "Message",
    "OutboxMail",
    "PingRound",
    "PingTarget",
    "TriageItem",
]
