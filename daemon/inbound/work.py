"""What the pipeline is given and what it hands to the steps that react to a message:
the fetched bytes (`Fetched`), the world a step sees (`Env`), the stored message as
answered (`Incoming`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from config.settings import Settings
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
