"""Dates, times and time zones as people write them, normalised to aware datetimes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from parsers import scan

_FLAGS = re.IGNORECASE | re.UNICODE

# Month names (and their genitive or abbreviated forms) in the network's languages.
MONTHS: dict[int, tuple[str, ...]] = {
    1: ("january", "jan", "janvier", "janv", "januar", "jänner", "enero", "ene", "janeiro",
        "gennaio", "gen", "ianuarie", "ian", "stycznia", "styczeń", "styczen", "ocak", "januari",
        "tammikuuta", "tammikuu", "januára", "január", "ledna", "leden", "sausio", "ιανουαρίου"),
    2: ("february", "feb", "février", "fevrier", "févr", "februar", "feber", "febrero", "fevereiro",
        "febbraio", "februarie", "lutego", "luty", "şubat", "subat", "februari", "helmikuuta",
        "helmikuu", "februára", "február", "února", "únor", "vasario", "φεβρουαρίου"),
    3: ("march", "mar", "mars", "märz", "marz", "mär", "marzo", "março", "marco", "martie",
        "marca", "marzec", "mart", "maart", "maaliskuuta", "maaliskuu", "marca", "március",
        "března", "březen", "kovo", "μαρτίου"),
    4: ("april", "apr", "avril", "abril", "aprile", "aprilie", "kwietnia", "kwiecień", "nisan",
        "huhtikuuta", "huhtikuu", "apríla", "április", "dubna", "duben", "balandžio", "απριλίου"),
    5: ("may", "mai", "mayo", "maio", "maggio", "maja", "maj", "mayıs", "mayis", "mei",
        "toukokuuta", "toukokuu", "mája", "május", "května", "květen", "gegužės", "μαΐου", "μαίου"),
    6: ("june", "jun", "juin", "juni", "junio", "junho", "giugno", "iunie", "czerwca", "czerwiec",
        "haziran", "kesäkuuta", "kesäkuu", "júna", "június", "června", "červen", "birželio",
        "ιουνίου"),
    7: ("july", "jul", "juillet", "juli", "julio", "julho", "luglio", "iulie", "lipca", "lipiec",
        "temmuz", "heinäkuuta", "heinäkuu", "júla", "július", "července", "červenec", "liepos",
        "ιουλίου"),
    8: ("august", "aug", "août", "aout", "agosto", "ago", "sierpnia", "sierpień", "ağustos",
        "agustos", "augustus", "elokuuta", "elokuu", "augusta", "augusztus", "srpna", "srpen",
        "rugpjūčio", "αυγούστου"),
    9: ("september", "sep", "sept", "septembre", "septiembre", "setembro", "settembre", "set",
        "septembrie", "września", "wrzesień", "eylül", "eylul", "syyskuuta", "syyskuu",
        "septembra", "szeptember", "září", "rugsėjo", "σεπτεμβρίου"),
    10: ("october", "oct", "octobre", "oktober", "okt", "octubre", "outubro", "out", "ottobre",
         "ott", "octombrie", "października", "październik", "ekim", "lokakuuta", "lokakuu",
         "októbra", "október", "října", "říjen", "spalio", "οκτωβρίου"),
    11: ("november", "nov", "novembre", "noviembre", "novembro", "noiembrie", "listopada",
         "listopad", "kasım", "kasim", "marraskuuta", "marraskuu", "novembra", "listopadu",
         "lapkričio", "νοεμβρίου"),
    12: ("december", "dec", "décembre", "decembre", "dezember", "dez", "diciembre", "dic",
         "dezembro", "dicembre", "decembrie", "grudnia", "grudzień", "aralık", "aralik",
         "joulukuuta", "joulukuu", "decembra", "december", "prosince", "prosinec", "gruodžio",
         "δεκεμβρίου"),
}
_MONTH_OF = {name: n for n, names in MONTHS.items() for name in names}
_MONTH_ALT = "|".join(sorted((re.escape(m) for m in _MONTH_OF), key=len, reverse=True))

# Abbreviations people write after a time, with the offset each denotes (hours).
ZONE_ABBREVIATIONS: dict[str, float] = {
    "UTC": 0, "GMT": 0, "Z": 0, "UT": 0, "WET": 0, "WEZ": 0, "WEST": 1, "WESZ": 1, "BST": 1,
    "IST": 1, "CET": 1, "MEZ": 1, "HNEC": 1, "SEČ": 1, "SEC": 1, "CEST": 2, "MESZ": 2,
    "HAEC": 2, "SELČ": 2, "EET": 2, "OEZ": 2, "EEST": 3, "OESZ": 3, "MSK": 3, "TRT": 3,
    "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
    "AKST": -9, "AKDT": -8, "HST": -10, "AST": -4, "ADT": -3, "NST": -3.5, "NDT": -2.5,
    "HNE": -5, "HAE": -4, "HNC": -6, "HAC": -5, "HNR": -7, "HAR": -6, "HNP": -8, "HAP": -7,
    "HNA": -4, "HAA": -3, "BRT": -3, "ART": -3, "CLT": -4, "CLST": -3, "UYT": -3, "PET": -5,
    "COT": -5, "JST": 9, "KST": 9, "PHT": 8, "PHST": 8, "SGT": 8, "HKT": 8, "AWST": 8,
    "ACST": 9.5, "AEST": 10, "AEDT": 11, "NZST": 12, "NZDT": 13, "WAT": 1, "CAT": 2, "EAT": 3,
    "SAST": 2, "GST": 4, "PKT": 5, "ICT": 7, "WIB": 7, "AMT": 4, "GET": 4, "AZT": 4,
}
_ABBR_ALT = "|".join(sorted((re.escape(a) for a in ZONE_ABBREVIATIONS if a != "Z"), key=len,
                            reverse=True))
_MINUS = "-−–"

_OFFSET = rf"(?P<sign>[+{_MINUS}])\s?(?P<oh>\d{{1,2}})(?:[:.h]?(?P<om>\d{{2}}))?"
ZONE_RE = re.compile(
    rf"(?<![\w/])(?:(?P<base>UTC|GMT|UT)\s*(?:{_OFFSET})?"
    rf"|(?P<bare>[+{_MINUS}]\d{{2}}:?\d{{2}})(?!\d)"
    rf"|(?P<abbr>{_ABBR_ALT})(?![\w+])"
    rf"|(?P<iana>[A-Z][A-Za-z]+/[A-Z][A-Za-z_]+(?:/[A-Z][A-Za-z_]+)?))",
    re.UNICODE,
)
_CITY_RE = re.compile(r"\b([A-Z][a-zà-ÿ]+(?:[ _][A-Z][a-zà-ÿ]+)?)\b")

_DATE_PATTERNS = (
    ("iso", re.compile(r"(?<![\d.])(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?![\d])")),
    ("iso", re.compile(r"(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日")),
    ("ymd", re.compile(r"(?<![\d.])(?P<y>\d{4})[/.](?P<m>\d{1,2})[/.](?P<d>\d{1,2})(?![\d])")),
    ("dmy", re.compile(r"(?<![\d.:/])(?P<a>\d{1,2})\s?[./-]\s?(?P<b>\d{1,2})\s?[./-]\s?"
                       r"(?P<y>\d{4}|\d{2})(?![\d.]\d)(?!\d)")),
    ("dmonthy", re.compile(rf"(?<![\w])(?P<d>\d{{1,2}})(?:st|nd|rd|th|er|º|°|\.)?\s+"
                           rf"(?:de\s+|of\s+)?"
                           rf"(?P<mon>{_MONTH_ALT})\.?,?\s+(?:de\s+|del\s+)?(?P<y>\d{{4}})(?!\d)",
                           _FLAGS)),
    ("monthdy", re.compile(rf"(?<![\w])(?P<mon>{_MONTH_ALT})\.?\s+(?P<d>\d{{1,2}})"
                           rf"(?:st|nd|rd|th)?,?"
                           rf"\s+(?P<y>\d{{4}})(?!\d)", _FLAGS)),
)
_TIME_RE = re.compile(
    r"(?<![\w:.])(?P<h>[01]?\d|2[0-3])\s?(?::|h|H)\s?(?P<mi>[0-5]\d)(?:\s?[:.]\s?(?P<s>[0-5]\d))?"
    r"(?:\s?(?P<ampm>[ap]\.?\s?m\.?)(?!\w))?(?![\w:]*:[\da-fA-F])(?!\d)"
    r"|(?<![\w:.])(?P<h2>[01]?\d|2[0-3])\.(?P<mi2>[0-5]\d)(?=\s*(?:Uhr|h\b|ore\b|val\.|godz))"
    # Nordic "klo 10.15" / "kl. 14.32": the dot form after the word for "o'clock".
    r"|(?:(?<=\bklo )|(?<=\bkl\. )|(?<=\bkl )|(?<=\bkello ))"
    r"(?P<h3>[01]?\d|2[0-3])\.(?P<mi3>[0-5]\d)(?![\d.]\d)",
    _FLAGS,
)
_NEAR = 40  # characters between a date and its time, at most
_ISO_DT = re.compile(
    r"(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})[T ](?P<h>\d{2}):(?P<mi>\d{2})(?::(?P<s>\d{2}))?"
    r"(?:\.\d+)?\s?(?P<z>Z|[+-]\d{2}:?\d{2})?(?![\w:])"
)


@dataclass(frozen=True)
class Found:
    """A date (with or without a time of day) found in a text, at [start, end)."""

    start: int
    end: int
    day: date
    clock: time | None = None
    zone: tzinfo | None = None

    def instant(self, default: tzinfo | None) -> datetime | None:
        """The aware instant, using `default` when the text gave no zone; None without a time."""
        if self.clock is None:
            return None
        zone = self.zone or default
        if zone is None:
            return None
        return datetime.combine(self.day, self.clock).replace(tzinfo=zone)


@lru_cache(maxsize=1)
def _cities() -> dict[str, str]:
    out: dict[str, str] = {}
    try:
        names = available_timezones()
    except Exception:
        return out
    for name in sorted(names):
        if "/" in name and not name.startswith(("Etc/", "SystemV/", "US/")):
            out.setdefault(name.rsplit("/", 1)[1].replace("_", " ").lower(), name)
    return out


def zone_from_text(text: str) -> tzinfo | None:
    """The first time zone a short text states: UTC±h, an offset, an abbreviation, an IANA
    name, or a city that names an IANA zone ("heure de Paris")."""
    m = ZONE_RE.search(text)
    if m:
        z = _zone_of(m)
        if z is not None:
            return z
    for cm in _CITY_RE.finditer(text):
        name = _cities().get(cm.group(1).lower())
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return None


def _fixed(hours: float) -> tzinfo:
    return timezone(timedelta(minutes=round(hours * 60)))


def _zone_of(m: re.Match[str]) -> tzinfo | None:
    if m.group("base"):
        if m.group("sign"):
            sign = -1 if m.group("sign") in _MINUS else 1
            oh, om = int(m.group("oh")), int(m.group("om") or 0)
            if oh > 14 or om > 59:
                return None
            return _fixed(sign * (oh + om / 60))
        return UTC
    if m.group("bare"):
        raw = m.group("bare").replace("−", "-").replace("–", "-").replace(":", "")
        sign = -1 if raw[0] == "-" else 1
        oh, om = int(raw[1:3]), int(raw[3:5])
        if oh > 14 or om > 59:
            return None
        return _fixed(sign * (oh + om / 60))
    if m.group("abbr"):
        return _fixed(ZONE_ABBREVIATIONS[m.group("abbr").upper()])
    if m.group("iana"):
        try:
            return ZoneInfo(m.group("iana"))
        except (ZoneInfoNotFoundError, ValueError):
            return None
    return None


def _year(y: str) -> int:
    n = int(y)
    return n + 2000 if n < 100 else n


def _in(rx: re.Pattern[str], text: str, spans: list[tuple[int, int]]) -> Iterator[re.Match[str]]:
    for lo, hi in spans:
        yield from rx.finditer(text, lo, hi)


def _dates(text: str, month_first: bool,
           spans: list[tuple[int, int]]) -> list[tuple[int, int, date]]:
    found: list[tuple[int, int, date]] = []
    occupied = bytearray(len(text) + 1)
    for kind, rx in _DATE_PATTERNS:
        for m in _in(rx, text, spans):
            if occupied.find(1, m.start(), m.end()) != -1:
                continue
            try:
                if kind in ("iso", "ymd"):
                    d = date(int(m.group("y")), int(m.group("m")), int(m.group("d")))
                elif kind == "dmy":
                    a, b = int(m.group("a")), int(m.group("b"))
                    day, month = (b, a) if month_first else (a, b)
                    d = date(_year(m.group("y")), month, day)
                else:
                    month = _MONTH_OF[m.group("mon").lower()]
                    d = date(int(m.group("y")), month, int(m.group("d")))
            except (ValueError, KeyError):
                continue
            found.append((m.start(), m.end(), d))
            occupied[m.start():m.end()] = b"\x01" * (m.end() - m.start())
    return sorted(found)


def _times(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int, time]]:
    out = []
    for m in _in(_TIME_RE, text, spans):
        try:
            if m.group("h") is not None:
                h, mi = int(m.group("h")), int(m.group("mi"))
                s = int(m.group("s") or 0)
                ampm = (m.group("ampm") or "").lower().replace(".", "").replace(" ", "")
                if ampm == "pm" and h < 12:
                    h += 12
                elif ampm == "am" and h == 12:
                    h = 0
            elif m.group("h2") is not None:
                h, mi, s = int(m.group("h2")), int(m.group("mi2")), 0
            else:
                h, mi, s = int(m.group("h3")), int(m.group("mi3")), 0
            out.append((m.start(), m.end(), time(h, mi, s)))
        except ValueError:
            continue
    return out


def _zone_after(text: str, pos: int) -> tzinfo | None:
    window = text[pos : pos + 48].split("\n", 1)[0]
    cut = re.search(r"\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{1,2}:\d{2}|;", window)
    if cut:
        window = window[: cut.start()]
    z = re.match(r"\s*(Z)(?![\w])", window)
    if z:
        return UTC
    return zone_from_text(window)


def find_dates(text: str, *, month_first: bool = False) -> list[Found]:
    """Every date in `text`, each paired with the time of day written next to it, if any.

    Dates and times are looked for only near digits (every one has some), which keeps long
    prose cheap."""
    out: list[Found] = []
    used: set[int] = set()
    iso_spans = []
    spans = scan.regions(text, scan.DIGIT)
    for m in _in(_ISO_DT, text, spans):
        try:
            d = date(int(m.group("y")), int(m.group("m")), int(m.group("d")))
            t = time(int(m.group("h")), int(m.group("mi")), int(m.group("s") or 0))
        except ValueError:
            continue
        z = m.group("z")
        zone = _zone_of_text(z) if z else _zone_after(text, m.end())
        out.append(Found(m.start(), m.end(), d, t, zone))
        iso_spans.append((m.start(), m.end()))
    in_iso = bytearray(len(text) + 1)
    for s, e in iso_spans:
        in_iso[s:e] = b"\x01" * (e - s)
    dates = [x for x in _dates(text, month_first, spans) if not in_iso[x[0]]]
    times = [x for x in _times(text, spans) if not in_iso[x[0]]]
    for ds, de, d in dates:
        best = None
        for k, (ts, te, t) in enumerate(times):
            if ts > de + _NEAR:
                break  # times are in text order: the rest are too far
            if k in used or te < ds - _NEAR:
                continue
            if ts >= de:
                gap = text[de:ts]
            elif te <= ds:
                gap = text[te:ds]
            else:
                continue
            if len(gap) <= 30 and not re.search(r"\d|\n\s*\n|;|[.!?]\s+[A-ZÀ-Ý]", gap):
                if best is None or ts >= de:
                    best = (k, ts, te, t)
                if ts >= de:
                    break
        if best is None:
            out.append(Found(ds, de, d))
            continue
        k, ts, te, t = best
        used.add(k)
        zone = _zone_after(text, max(te, de))
        if zone is None and te <= ds:
            zone = _zone_after(text, te)
        out.append(Found(min(ds, ts), max(de, te), d, t, zone))
    out.extend(_range_ends(text, times, used, out))
    return sorted(out, key=lambda f: f.start)


def _range_ends(text: str, times: list[tuple[int, int, time]], used: set[int],
                paired: list[Found]) -> list[Found]:
    """Times without a date of their own next to a dated time on the same line ("between
    10:00 and 11:30 UTC on 1 November"): the other end of a range, on that day."""
    extra = []
    for k, (ts, te, t) in enumerate(times):
        if k in used:
            continue
        for f in paired:
            if f.clock is None:
                continue
            lo, hi = min(ts, f.start), max(te, f.end)
            between = text[lo:hi]
            if hi - lo <= 2 * _NEAR and not re.search(r"\n|;|[.!?]\s", between):
                zone = _zone_after(text, te) or f.zone
                extra.append(Found(ts, te, f.day, t, zone))
                break
    return extra


def _zone_of_text(z: str) -> tzinfo | None:
    if z.upper() == "Z":
        return UTC
    m = ZONE_RE.match(z)
    return _zone_of(m) if m else None


def localise(found: Found, default: tzinfo | None) -> datetime | None:
    """The instant of a found date-time; a ZoneInfo default resolves its offset at that date."""
    return found.instant(default)
