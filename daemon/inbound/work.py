"""What the pipeline is given and what its steps pass along: the fetched bytes (`Fetched`),
the world a step sees (`Env`), what the steps know so far (`Work`) and its early exits,
the stored message as answered (`Incoming`)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime

from config.settings import Settings
from daemon.rules.intake import STRANGER, Intake
from models import Case, Message
from parsers.directory import Directory
from parsers.result import ParsedMessage


@dataclass(frozen=True)
class Fetched:
    """One message as the mailbox gave it, with where it came from."""

    folder: str
    role: str  # "inbox" or "sent"
    uidvalidity: int
    uid: int
    raw: bytes
    size: int
    internal_date: datetime | None
    truncated: bool
    live: bool
    identity_fallback: bool = False  # the folder was rebuilt: also match Message-ID + sha256


@dataclass(frozen=True)
class Env:
    """The world as a step sees it: settings, the directory, and the current instant."""

    settings: Settings
    directory: Directory
    now: datetime


@dataclass(frozen=True)
class Incoming:
    """One stored message after parsing and threading.

    `case` is the case it joined or opened (None for mail that belongs to no case);
    `opened` is true when this message opened it; `live` is false for history imported on
    a first run, which must never cause mail to be sent; `folder_role` is "inbox" or "sent";
    `rules` are the names of the rules that fired, for the audit trail.
    """

    message: Message
    parsed: ParsedMessage
    case: Case | None
    opened: bool
    live: bool
    folder_role: str
    rules: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class Work:
    """What the steps know about one message so far."""

    env: Env
    fetched: Fetched
    message: Message | None = None
    parsed: ParsedMessage | None = None  # set by the `parse` step, the first one
    ours: bool = False
    robot: str | None = None  # why the mail is a robot's (daemon.rules.intake), or None
    sender_verified: bool = False
    relation: str = STRANGER  # how the sender stands to the directory
    case: Case | None = None
    candidate: Case | None = None
    opened: bool = False
    intake: Intake | None = None  # what became of inbox mail that joined no case
    rules: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()

    def fired(self, *rules: str) -> tuple[str, ...]:
        return self.rules + tuple(r for r in rules if r not in self.rules)

    def flagged(self, *flags: str) -> tuple[str, ...]:
        return self.flags + tuple(f for f in flags if f not in self.flags)

    @property
    def at(self) -> datetime:
        """When the message arrived: the server's INTERNALDATE, else now."""
        return self.fetched.internal_date or self.env.now


class AlreadyStored(Exception):
    """The message is already a row (a restart after a crash, a rebuilt folder)."""


class StopPipeline(Exception):
    """Nothing more to do for this message; the work so far is kept."""

    def __init__(self, work: Work) -> None:
        super().__init__("stop")
        self.work = work


class PoisonMail(ValueError):
    """The message cannot be recorded as it is (a limit of the data model is exceeded); the
    loop quarantines it like any other failure of a step."""
