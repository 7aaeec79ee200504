"""Office hours of a contact point, as people write them (`Mon-Fri 08:30-18:00; Sat 09:00-13:00`,
`Mon-Thu 08:00-16:30, Fri 08:00-14:00`, `Lun-Ven 08h30-18h00`, `24/7`).

Grammar, case-insensitive, spaces free around separators::

    hours   := always | clause (sep clause)*
    always  := "24/7" | "H24" | "24h" | "24 h" | "24/24" | "24h/24" | "24x7"
    sep     := ";" | ","                         "," starts a clause when a day name follows it
    clause  := days [":"] ranges
    days    := day-item (("," | "and" | "et" | "&") day-item)*   Mon,Wed,Fri   Mon-Fri
    day-item:= ["du" | "from"] day [("-" | "to" | "au" | "à") day]   a range may wrap: Fri-Mon
    day     := an English or French day name, short or full, with or without a dot:
               Mon Monday Tue Tues Tuesday Wed Wednesday Thu Thur Thurs Thursday Fri Friday
               Sat Saturday Sun Sunday; lun lundi mar mardi mer mercredi jeu jeudi ven
               vendredi sam samedi dim dimanche
    ranges  := range (("," | "and" | "et") range)*       08:00-12:00, 13:00-17:00
    range   := ["de" | "from"] time ("-" | "to" | "à") time
    time    := H | HH | H:MM | HH:MM | HHhMM | HHh | HH.MM   00:00 to 24:00; the end may be 24:00

`9-17` is 09:00-17:00, `8h30-12h` is 08:30-12:00. A range whose end is earlier than its
start runs past midnight: `Fri 22:00-06:00` is open from Friday 22:00 to Saturday 06:00.
Times are wall-clock times of the contact point's own zone; the caller converts an instant
to that zone first. A clause that cannot be read raises a ValueError naming the clause and
what is wrong with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_SPELLINGS = (
    ("mon", "monday", "lun", "lundi"),
    ("tue", "tues", "tuesday", "mar", "mardi"),
    ("wed", "weds", "wednesday", "mer", "mercredi"),
    ("thu", "thur", "thurs", "thursday", "jeu", "jeudi"),
    ("fri", "friday", "ven", "vendredi"),
    ("sat", "saturday", "sam", "samedi"),
    ("sun", "sunday", "dim", "dimanche"),
)
_DAYS = {name: i for i, names in enumerate(_SPELLINGS) for name in names}
_MINUTES_PER_DAY = 24 * 60
_MINUTES_PER_WEEK = 7 * _MINUTES_PER_DAY
_ALWAYS = re.compile(
    r"24\s*/\s*7|h\s*24|24\s*h(?:\s*/\s*24)?|24\s*/\s*24|24\s*x\s*7", re.IGNORECASE
)
_TIME = re.compile(r"(\d{1,2})(?:(?::|h|\.)(\d{2})|h)?", re.IGNORECASE)
_TIME_TEXT = r"\d{1,2}(?:(?::|h|\.)\d{2}|h)?"
_RANGE = re.compile(
    rf"(?:(?:de|from)\s+)?({_TIME_TEXT})\s*(?:-|–|—|\bto\b|\bà\b)\s*({_TIME_TEXT})",
    re.IGNORECASE,
)
_CLAUSE = re.compile(
    r"(?P<days>[^\d]*?[^\W\d_][^\d]*?)\s*:?\s+(?:(?:de|from)\s+)?(?P<ranges>\d.*)",
    re.DOTALL | re.IGNORECASE,
)
# A comma starts a new clause when the text so far holds a time and a day name follows.
_CLAUSE_COMMA = re.compile(r",(?=\s*(?:du\s+|from\s+)?[^\W\d_])")
_DAY_RANGE = re.compile(r"\s*(?:–|—|\bto\b|\bau\b|\bà\b)\s*", re.IGNORECASE)
_DAY_LIST = re.compile(r"\s*(?:\band\b|\bet\b|&)\s*", re.IGNORECASE)
_RANGE_LIST = re.compile(r"\s*(?:\band\b|\bet\b)\s*", re.IGNORECASE)
_DAY_PREFIX = re.compile(r"^\s*(?:du|from)\s+", re.IGNORECASE)


@dataclass(frozen=True)
class Clause:
    """Some days of the week, each open during the same time ranges (minutes since midnight)."""

    days: tuple[int, ...]
    ranges: tuple[tuple[int, int], ...]

    def spans(self) -> tuple[tuple[int, int], ...]:
        """Open intervals in minutes since Monday 00:00; Sunday's may run past the week's end."""
        spans = []
        for day in self.days:
            for start, end in self.ranges:
                # A range past midnight ends on the next day.
                length = end - start if end > start else end + _MINUTES_PER_DAY - start
                begin = day * _MINUTES_PER_DAY + start
                spans.append((begin, begin + length))
        return tuple(spans)

    def describe(self) -> str:
        return f"{_describe_days(self.days)} {', '.join(_describe_range(r) for r in self.ranges)}"


@dataclass(frozen=True)
class OfficeHours:
    """When a contact point's office is staffed; `always` is 24/7."""

    always: bool = False
    clauses: tuple[Clause, ...] = ()

    def is_open(self, local: datetime) -> bool:
        """Whether the office is staffed at this wall-clock time of the contact point's zone.

        Only the weekday, hour and minute of `local` count; its tzinfo is not consulted.
        """
        if self.always:
            return True
        minute = local.weekday() * _MINUTES_PER_DAY + local.hour * 60 + local.minute
        return any(
            begin <= minute < finish or begin <= minute + _MINUTES_PER_WEEK < finish
            for clause in self.clauses
            for begin, finish in clause.spans()
        )

    def describe(self) -> str:
        """The canonical text of these hours, e.g. `Mon-Fri 08:30-18:00; Sat 09:00-13:00`."""
        if self.always:
            return "24/7"
        return "; ".join(clause.describe() for clause in self.clauses)


@lru_cache(maxsize=1024)
def parse_office_hours(text: str) -> OfficeHours:
    """Parse office hours; a ValueError names what is wrong in the text."""
    source = " ".join(text.split())
    if not source:
        raise ValueError("office hours are empty (write '24/7' for an office always staffed)")
    if _ALWAYS.fullmatch(source):
        return OfficeHours(always=True)
    clauses = []
    for part in _clauses(source):
        if not part:
            raise ValueError(f"empty clause in office hours {source!r} (stray ';' or ',')")
        clauses.append(_parse_clause(part))
    return OfficeHours(clauses=tuple(clauses))


def _clauses(source: str) -> list[str]:
    """The clauses of `source`: split at every ";", and at a "," that follows a time and
    precedes a day name ("Mon-Thu 08:00-16:30, Fri 08:00-14:00")."""
    parts: list[str] = []
    for chunk in source.split(";"):
        start = 0
        for comma in _CLAUSE_COMMA.finditer(chunk):
            if any(c.isdigit() for c in chunk[start:comma.start()]):
                parts.append(chunk[start:comma.start()].strip())
                start = comma.end()
        parts.append(chunk[start:].strip())
    return parts


def _parse_clause(part: str) -> Clause:
    match = _CLAUSE.fullmatch(part)
    if match is None:
        raise ValueError(
            f"office hours clause {part!r} is not 'DAYS HH:MM-HH:MM' (e.g. 'Mon-Fri 08:30-18:00')"
        )
    return Clause(_parse_days(match["days"], part), _parse_ranges(match["ranges"], part))


def _parse_days(text: str, part: str) -> tuple[int, ...]:
    days: list[int] = []
    text = _DAY_LIST.sub(",", text.strip().rstrip(":").strip())
    for item in text.split(","):
        spelled = _DAY_RANGE.sub("-", _DAY_PREFIX.sub("", item.strip()))
        names = [n.strip().rstrip(".") for n in spelled.split("-")]
        if len(names) > 2 or not all(names):
            raise ValueError(
                f"office hours clause {part!r}: day range {item.strip()!r} is malformed"
            )
        first, last = (_day(n, part) for n in (names[0], names[-1]))
        span = (last - first) % 7
        days.extend((first + i) % 7 for i in range(span + 1))
    return tuple(sorted(set(days)))


def _day(name: str, part: str) -> int:
    try:
        return _DAYS[name.lower()]
    except KeyError:
        raise ValueError(
            f"office hours clause {part!r}: unknown day {name!r} (use Mon Tue Wed Thu Fri Sat "
            "Sun, or lun mar mer jeu ven sam dim)"
        ) from None


def _parse_ranges(text: str, part: str) -> tuple[tuple[int, int], ...]:
    ranges = []
    for item in _RANGE_LIST.sub(",", text).split(","):
        if not item.strip():
            raise ValueError(f"office hours clause {part!r}: empty time range (stray ',')")
        match = _RANGE.fullmatch(item.strip())
        if match is None:
            raise ValueError(f"office hours clause {part!r}: {item.strip()!r} is not HH:MM-HH:MM")
        start = _minutes(match[1], part, allow_24=False)
        end = _minutes(match[2], part, allow_24=True)
        if start == end:
            raise ValueError(
                f"office hours clause {part!r}: range {item.strip()!r} is empty"
                " (write 00:00-24:00 for a whole day)"
            )
        ranges.append((start, end))
    return tuple(ranges)


def _minutes(text: str, part: str, *, allow_24: bool) -> int:
    match = _TIME.fullmatch(text)
    assert match is not None  # _RANGE only lets the forms of _TIME through
    hour, minute = int(match[1]), int(match[2] or 0)
    if allow_24 and (hour, minute) == (24, 0):
        return _MINUTES_PER_DAY
    if hour > 23 or minute > 59:
        raise ValueError(f"office hours clause {part!r}: {text!r} is not a time of day")
    return hour * 60 + minute


def _describe_days(days: tuple[int, ...]) -> str:
    runs: list[list[int]] = []
    for day in days:
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    if len(runs) > 1 and runs[0][0] == 0 and runs[-1][-1] == 6:
        # A run through the weekend reads as written: Fri-Mon, not Mon,Fri-Sun.
        runs[-1].extend(runs.pop(0))
    return ",".join(
        DAY_NAMES[run[0]] if len(run) == 1 else f"{DAY_NAMES[run[0]]}-{DAY_NAMES[run[-1]]}"
        for run in runs
    )


def _describe_range(r: tuple[int, int]) -> str:
    return f"{_clock(r[0])}-{_clock(r[1])}"


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
