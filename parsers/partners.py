"""Questions asked of the directory; each answer depends on an instant passed in, never a clock."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr

import phonenumbers

from parsers.directory import ContactPoint, Directory

OFFICE_NUMBER = "office number"
AFTER_HOURS_NUMBER = "after-hours number"


@dataclass(frozen=True)
class CallChoice:
    """The number to call a country on now, and why.

    `reason` says which number `phone` is (`OFFICE_NUMBER` or `AFTER_HOURS_NUMBER`);
    `fallback` is true when the number for this time is missing and the other one is given.
    """

    contact_point: ContactPoint
    phone: str
    reason: str
    local_time: datetime
    in_office_hours: bool
    office_hours: str
    fallback: bool = False


@dataclass(frozen=True)
class Retention:
    """A retention period as the directory gives it, and its duration when it is one.

    Exactly one of these holds: `months` is set (months and years), `days` is set (days and
    weeks), `none` is true (no retention), or nothing is parsed and only `text` is known.
    """

    text: str
    months: int | None = None
    days: int | None = None
    none: bool = False
    note: str | None = None

    @property
    def parsed(self) -> bool:
        return self.none or self.months is not None or self.days is not None

    @property
    def duration(self) -> timedelta | None:
        """The period as a timedelta when exact (days, weeks, none); None for months or text."""
        if self.none:
            return timedelta(0)
        return timedelta(days=self.days) if self.days is not None else None


_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}
_DURATION = re.compile(
    r"(?P<n>\d+|[a-z]+)\s*(?P<unit>day|week|month|year)s?"
    r"(?:\s*\((?P<note>[^()]*)\))?\.?",
    re.IGNORECASE,
)
_NONE = re.compile(
    r"none|nil|no|n/a|no (?:general |data )?retention(?: obligation)?|not retained"
    r"|0\s*(?:days?|weeks?|months?|years?)?",
    re.IGNORECASE,
)


def parse_retention(text: str) -> Retention:
    """Read "12 months", "90 days", "1 year", "6 months (note)", "none"; other text stays text."""
    clean = " ".join(text.split())
    if _NONE.fullmatch(clean.rstrip(".")):
        return Retention(clean, none=True)
    match = _DURATION.fullmatch(clean)
    if match is None:
        return Retention(clean)
    word = match["n"].lower()
    n = int(word) if word.isdigit() else _WORDS.get(word)
    if n is None:
        return Retention(clean)
    note = match["note"].strip() if match["note"] else None
    if n == 0:
        return Retention(clean, none=True, note=note)
    unit = match["unit"].lower()
    if unit in ("month", "year"):
        return Retention(clean, months=n * (12 if unit == "year" else 1), note=note)
    return Retention(clean, days=n * (7 if unit == "week" else 1), note=note)


def owner(directory: Directory, address: str) -> ContactPoint | None:
    """The contact point owning exactly this address (`Name <addr>` allowed), case-insensitively."""
    return directory.owner_of(parseaddr(address)[1] or address)


def local_time(cp: ContactPoint, at: datetime) -> datetime:
    """The contact point's wall-clock time at instant `at`, as an aware datetime in its zone."""
    return _aware(at).astimezone(cp.zone)


def is_office_hours(cp: ContactPoint, at: datetime) -> bool:
    """Whether instant `at` falls inside the contact point's office hours, in its own zone."""
    return cp.hours.is_open(local_time(cp, at))


def number_to_call(
    directory: Directory, country: str, at: datetime, *, skip_primary: bool = False
) -> CallChoice | None:
    """The number to call a country on at `at`: in office hours the office number, else the
    after-hours number (each standing in for the other when missing); the primary first, a
    secondary when the primary has no number or `skip_primary` (it did not answer).
    None when no contact point left has a number."""
    for cp in directory.for_country(country):
        if skip_primary and cp.role == "primary":
            continue
        choice = _choose(cp, at)
        if choice is not None:
            return choice
    return None


def _choose(cp: ContactPoint, at: datetime) -> CallChoice | None:
    local = local_time(cp, at)
    inside = cp.hours.is_open(local)
    numbers = [(cp.office_phone, OFFICE_NUMBER), (cp.after_hours_phone, AFTER_HOURS_NUMBER)]
    if not inside:
        numbers.reverse()
    for position, (phone, reason) in enumerate(numbers):
        if phone:
            return CallChoice(
                contact_point=cp,
                phone=phone,
                reason=reason,
                local_time=local,
                in_office_hours=inside,
                office_hours=cp.hours.describe(),
                fallback=position > 0,
            )
    return None


def display_phone(e164: str) -> str:
    """+33600000011 as "+33 6 00 00 00 11"; left as it is when it does not parse."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def call_line(country: str | None, reference: str, choice: CallChoice | None, *,
              secondary: bool = False) -> str:
    """The operator's one-line instruction, e.g. "CALL FR about WK-2026-00042 now: +33 6 00
    00 00 11 (after-hours number; 23:14 in Paris, outside office hours Mon-Fri 09:00-18:00)".
    The call prompts and the bounce alerts say it the same way."""
    country = country or "the partner"
    if choice is None:
        return f"CALL {country} about {reference} now: no phone number in the directory"
    local = choice.local_time
    city = choice.contact_point.timezone.rpartition("/")[2].replace("_", " ")
    inside = "inside" if choice.in_office_hours else "outside"
    which = "secondary contact point, " if secondary and choice.contact_point.role != "primary" \
        else ""
    fallback = " (the other number is missing)" if choice.fallback else ""
    return (
        f"CALL {country} about {reference} now: {display_phone(choice.phone)} "
        f"({which}{choice.reason}{fallback}; {local:%H:%M} in {city}, "
        f"{inside} office hours {choice.office_hours})"
    )


def languages(directory: Directory, country: str) -> tuple[str, ...]:
    """The languages a country's contact points work in, the primary's first, each once."""
    seen: list[str] = []
    for cp in directory.for_country(country):
        seen += [lang for lang in cp.languages if lang not in seen]
    return tuple(seen)


def retention(directory: Directory, country: str, category: str) -> Retention | None:
    """A country's retention period for a data category (`subscriber`, `traffic`, ...).

    The primary's entry wins; a secondary's is used when the primary gives none.
    """
    for cp in directory.for_country(country):
        text = cp.retention_map.get(category.strip().lower())
        if text is not None:
            return parse_retention(text)
    return None


def preservation_days(cp: ContactPoint | None, default: int) -> int:
    """How long the contact point's party preserves data on request, else the desk's default."""
    if cp is None or cp.preservation_days is None:
        return default
    return cp.preservation_days


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"instant {at.isoformat()} has no time zone; pass an aware datetime")
    return at
