"""What the pipeline hands to the steps that react to a stored message."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from config.settings import Settings
from parsers.directory import Directory

if TYPE_CHECKING:
    from parsers.result import ParsedMessage

from models import Case, Message


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
