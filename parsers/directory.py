"""The contact-point directory as plain data: loading, validation, export and address lookup.

Two file formats hold the same fields.

TOML: one `[[contact_points]]` table per contact point, as in the samples' `directory.toml`,
with `country`, `authority`, `role`, `emails` (list), `office_phone`, `after_hours_phone`,
`timezone`, `office_hours`, `languages` (list), `preservation_days` (optional integer) and a
`[contact_points.retention]` table of free text per data category.

CSV: UTF-8 (a byte-order mark is allowed), one header row, then one row per contact point::

    country,authority,role,emails,office_phone,timezone,office_hours,languages,retention.traffic
    FR,SDLC,primary,a@fr.example;b@fr.example,+33 149000011,Europe/Paris,24/7,fr|en,12 months

* Column names are case-insensitive and may come in any order; `country`, `authority`,
  `role`, `emails`, `timezone` and `office_hours` are required, the others optional.
* The list columns `emails` and `languages` separate their items with `;` or `|`.
* Each `retention.<category>` column gives the retention period of one data category
  (`retention.subscriber`, `retention.traffic`, `retention.content`, ...).
* An empty cell means the field is absent. Blank rows are ignored.
* The delimiter is `,`; a header row with no comma but with `;` (or a tab) switches the
  delimiter to that character, as spreadsheets set to a European locale write it.
* Entries are numbered from 1 in file order (`contact point #3` is the third data row).

Validation collects every problem, one line each naming the entry and the field, and raises
`DirectoryError(problems)`. Loading normalises: country upper-case, role lower-case, e-mail
domains lower-case (the local part as written; addresses compare case-insensitively as a
whole), phone numbers in E.164, office hours in their canonical form, languages lower-case.
"""

from __future__ import annotations

import csv
import io
import json
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from parsers.officehours import OfficeHours, parse_office_hours

ROLES = ("primary", "secondary")
MIN_PRESERVATION_DAYS = 60  # Convention art. 29(7)

# ISO 3166-1 alpha-2: every officially assigned code.
_COUNTRY_CODES = """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ
    BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM
    DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS
    GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN
    KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ
    MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM
    PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV
    SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI
    VN VU WF WS YE YT ZA ZM ZW
"""
COUNTRIES = frozenset(_COUNTRY_CODES.split())
# Codes people write that ISO 3166-1 does not assign to the country they mean.
_COUNTRY_HINTS = {"UK": "GB", "EL": "GR"}

# ISO 639-1: every two-letter language code in force.
_LANGUAGE_CODES = """
    aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu cv cy
    da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht
    hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky
    la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny
    oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss
    st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo
    za zh zu
"""
LANGUAGES = frozenset(_LANGUAGE_CODES.split())

FIELDS = (
    "country",
    "authority",
    "role",
    "emails",
    "office_phone",
    "after_hours_phone",
    "timezone",
    "office_hours",
    "languages",
    "preservation_days",
    "retention",
)
REQUIRED = ("country", "authority", "role", "emails", "timezone", "office_hours")
_CATEGORY = re.compile(r"[a-z][a-z0-9_]*")
_LIST_SEPARATOR = re.compile(r"[;|]")


@dataclass(frozen=True)
class ContactPoint:
    """One 24/7 contact point of a party to the Convention."""

    country: str
    authority: str
    role: str
    emails: tuple[str, ...]
    timezone: str
    office_hours: str = "24/7"
    office_phone: str | None = None
    after_hours_phone: str | None = None
    languages: tuple[str, ...] = ()
    retention: tuple[tuple[str, str], ...] = ()
    preservation_days: int | None = None

    @property
    def retention_map(self) -> Mapping[str, str]:
        return dict(self.retention)

    @property
    def hours(self) -> OfficeHours:
        """The office hours, parsed."""
        return parse_office_hours(self.office_hours)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class Directory:
    """Every contact point known to the desk."""

    contact_points: tuple[ContactPoint, ...] = ()
    _by_address: Mapping[str, ContactPoint] = field(
        default_factory=dict, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        index = {e.lower(): cp for cp in self.contact_points for e in cp.emails}
        object.__setattr__(self, "_by_address", index)

    def owner_of(self, address: str) -> ContactPoint | None:
        """The contact point whose emails include exactly this address (case-insensitive)."""
        return self._by_address.get(address.strip().strip("<>").lower())

    def owner_of_domain(self, domain: str) -> ContactPoint | None:
        """The contact point holding an address at exactly this domain."""
        domain = domain.strip().lower().rstrip(".")
        for address, cp in self._by_address.items():
            if address.rpartition("@")[2] == domain:
                return cp
        return None

    def for_country(self, country: str) -> tuple[ContactPoint, ...]:
        """Contact points of a country, primary first."""
        cps = [cp for cp in self.contact_points if cp.country == country.upper()]
        return tuple(sorted(cps, key=lambda cp: cp.role != "primary"))

    def primary(self, country: str) -> ContactPoint | None:
        """The primary contact point of a country."""
        cps = self.for_country(country)
        return cps[0] if cps and cps[0].role == "primary" else None

    def countries(self) -> tuple[str, ...]:
        """The countries present, in alphabetical order."""
        return tuple(sorted({cp.country for cp in self.contact_points}))


class DirectoryError(ValueError):
    """A directory file that cannot be used; `problems` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


# ---------------------------------------------------------------- loading


def load_file(name: str, data: bytes) -> Directory:
    """Parse a directory file, choosing the format from the name's extension (.toml, .csv)."""
    suffix = name.lower().rpartition(".")[2]
    if suffix == "toml":
        return load_toml(data)
    if suffix == "csv":
        return load_csv(data)
    raise DirectoryError([f"{name}: unknown directory format (expected a .toml or .csv file)"])


def load_toml(data: bytes) -> Directory:
    """Parse and validate a directory in the TOML format (`[[contact_points]]`)."""
    try:
        doc = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise DirectoryError([f"not UTF-8 text: {exc}"]) from exc
    except tomllib.TOMLDecodeError as exc:
        raise DirectoryError([f"not a valid TOML file: {exc}"]) from exc
    problems = [f"unknown top-level key {key!r}" for key in doc if key != "contact_points"]
    entries = doc.get("contact_points", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise DirectoryError([*problems, "contact_points must be [[contact_points]] tables"])
    return _build(entries, problems)


def load_csv(data: bytes) -> Directory:
    """Parse and validate a directory in the CSV format described in this module."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DirectoryError([f"not UTF-8 text: {exc}"]) from exc
    header_line = text.lstrip("\r\n").partition("\n")[0]
    delimiter = ","
    if "," not in header_line:
        delimiter = ";" if ";" in header_line else "\t" if "\t" in header_line else ","
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True))
    except csv.Error as exc:
        raise DirectoryError([f"not a valid CSV file: {exc}"]) from exc
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise DirectoryError(["no header row and no contact points"])
    columns = [name.strip().lower() for name in rows[0]]
    problems = _check_columns(columns)
    if problems:
        raise DirectoryError(problems)
    entries: list[dict[str, object] | str] = []
    for row in rows[1:]:
        if len(row) != len(columns):
            entries.append(f"the row has {len(row)} cells, the header {len(columns)}")
        else:
            entries.append(_csv_entry(dict(zip(columns, row, strict=True))))
    return _build(entries, [])


def _check_columns(columns: list[str]) -> list[str]:
    problems = []
    seen: set[str] = set()
    for name in columns:
        if name in seen:
            problems.append(f"column {name!r} appears twice in the header")
        seen.add(name)
        category = name.removeprefix("retention.")
        if name.startswith("retention.") and _CATEGORY.fullmatch(category):
            continue
        if name not in FIELDS or name == "retention":
            problems.append(f"column {name!r} is unknown")
    problems += [f"column {name!r} is missing" for name in REQUIRED if name not in seen]
    return problems


def _csv_entry(cells: Mapping[str, str]) -> dict[str, object]:
    entry: dict[str, object] = {}
    retention: dict[str, str] = {}
    for name, cell in cells.items():
        value = cell.strip()
        if not value:
            continue
        if name.startswith("retention."):
            retention[name.removeprefix("retention.")] = value
        elif name in ("emails", "languages"):
            entry[name] = [v.strip() for v in _LIST_SEPARATOR.split(value) if v.strip()]
        elif name == "preservation_days" and value.isdigit():
            entry[name] = int(value)
        else:
            entry[name] = value
    if retention:
        entry["retention"] = retention
    return entry


# ---------------------------------------------------------------- validation


@dataclass
class _Entry:
    """What validation learned of one entry, valid parts kept for the checks across entries."""

    number: int
    label: str
    problems: list[str]
    country: str | None = None
    role: str | None = None
    emails: tuple[str, ...] = ()
    contact_point: ContactPoint | None = None

    def problem(self, text: str) -> None:
        self.problems.append(f"{self.label}: {text}")


def _build(entries: list[dict[str, object]] | list[dict[str, object] | str],
           problems: list[str]) -> Directory:
    """Validate every entry, then the rules across entries; raise with all problems found."""
    if not entries and not problems:
        problems.append("no contact points")
    checked = [_check_entry(n, raw) for n, raw in enumerate(entries, start=1)]
    _check_addresses(checked)
    _check_primaries(checked)
    problems = problems + [p for entry in checked for p in entry.problems]
    if problems:
        raise DirectoryError(problems)
    return Directory(tuple(e.contact_point for e in checked if e.contact_point is not None))


def _label(number: int, raw: Mapping[str, object]) -> str:
    country = raw.get("country")
    emails = raw.get("emails")
    first = emails[0] if isinstance(emails, list) and emails else None
    parts = [
        country.strip().upper() if isinstance(country, str) and country.strip() else "?",
        *([first.strip()] if isinstance(first, str) else []),
    ]
    return f"contact point #{number} ({', '.join(parts)})"


def _check_entry(number: int, raw: Mapping[str, object] | str) -> _Entry:
    if isinstance(raw, str):
        return _Entry(number, f"contact point #{number}", [f"contact point #{number}: {raw}"])
    entry = _Entry(number, _label(number, raw), [])
    for key in raw:
        if key not in FIELDS:
            entry.problem(f"unknown field {key!r}")
    for key in REQUIRED:
        if _blank(raw.get(key)):
            entry.problem(f"{key} is missing")

    entry.country = _country(entry, raw.get("country"))
    authority = _text(entry, "authority", raw.get("authority"))
    entry.role = _role(entry, raw.get("role"))
    entry.emails = _emails(entry, raw.get("emails"))
    office_phone = _phone(entry, "office_phone", raw.get("office_phone"))
    after_hours_phone = _phone(entry, "after_hours_phone", raw.get("after_hours_phone"))
    if _blank(raw.get("office_phone")) and _blank(raw.get("after_hours_phone")):
        entry.problem("no phone number (give office_phone, after_hours_phone or both)")
    zone = _zone(entry, raw.get("timezone"))
    hours = _hours(entry, raw.get("office_hours"))
    languages = _languages(entry, raw.get("languages"))
    retention = _retention(entry, raw.get("retention"))
    preservation_days = _preservation_days(entry, raw.get("preservation_days"))

    if not entry.problems:
        entry.contact_point = ContactPoint(
            country=entry.country or "",
            authority=authority or "",
            role=entry.role or "",
            emails=entry.emails,
            timezone=zone or "",
            office_hours=hours or "",
            office_phone=office_phone,
            after_hours_phone=after_hours_phone,
            languages=languages,
            retention=retention,
            preservation_days=preservation_days,
        )
    return entry


def _blank(value: object) -> bool:
    return value is None or value == [] or (isinstance(value, str) and not value.strip())


def _text(entry: _Entry, key: str, value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        entry.problem(f"{key} must be text, not {_kind(value)}")
        return None
    return value.strip() or None


def _country(entry: _Entry, value: object) -> str | None:
    text = _text(entry, "country", value)
    if text is None:
        return None
    code = text.upper()
    if code not in COUNTRIES:
        hint = f" (did you mean {_COUNTRY_HINTS[code]!r}?)" if code in _COUNTRY_HINTS else ""
        entry.problem(f"country {text!r} is not an ISO 3166-1 alpha-2 country code{hint}")
        return None
    return code


def _role(entry: _Entry, value: object) -> str | None:
    text = _text(entry, "role", value)
    if text is None:
        return None
    if text.lower() not in ROLES:
        entry.problem(f"role {text!r} must be 'primary' or 'secondary'")
        return None
    return text.lower()


def _emails(entry: _Entry, value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        entry.problem(f"emails must be a list of addresses, not {_kind(value)}")
        return ()
    addresses: list[str] = []
    for item in value:
        if not isinstance(item, str):
            entry.problem(f"emails must hold text, not {_kind(item)}")
            continue
        address = normalise_address(item)
        if address is None:
            entry.problem(f"emails {item!r} is not a valid address: {_address_error(item)}")
        elif address.lower() in (a.lower() for a in addresses):
            entry.problem(f"emails {item!r} is listed twice")
        else:
            addresses.append(address)
    return tuple(addresses)


def normalise_address(text: str) -> str | None:
    """An address with its domain lower-cased and its local part as written; None if invalid."""
    try:
        result = validate_email(text.strip(), check_deliverability=False)
    except EmailNotValidError:
        return None
    return f"{result.local_part}@{result.domain.lower()}"


def _address_error(text: str) -> str:
    try:
        validate_email(text.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        return str(exc)
    return "unknown reason"


def _phone(entry: _Entry, key: str, value: object) -> str | None:
    text = _text(entry, key, value)
    if text is None:
        return None
    if not text.startswith("+"):
        entry.problem(f"{key} {text!r} is not in international format (+ and country code)")
        return None
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        number = None
    possible = phonenumbers.ValidationResult.IS_POSSIBLE
    if number is None or phonenumbers.is_possible_number_with_reason(number) != possible:
        entry.problem(f"{key} {text!r} is not a valid phone number")
        return None
    if number.extension:
        entry.problem(f"{key} {text!r} has an extension, which an E.164 number cannot hold")
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _zone(entry: _Entry, value: object) -> str | None:
    text = _text(entry, "timezone", value)
    if text is None:
        return None
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        match = _zone_names().get(text.lower())
        hint = f" (did you mean {match!r}?)" if match else ""
        entry.problem(f"timezone {text!r} is not an IANA time zone{hint}")
        return None
    return text


@lru_cache(maxsize=1)
def _zone_names() -> Mapping[str, str]:
    return {name.lower(): name for name in available_timezones()}


def _hours(entry: _Entry, value: object) -> str | None:
    text = _text(entry, "office_hours", value)
    if text is None:
        return None
    try:
        return parse_office_hours(text).describe()
    except ValueError as exc:
        entry.problem(f"office_hours: {exc}")
        return None


def _languages(entry: _Entry, value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        entry.problem(f"languages must be a list of ISO 639-1 codes, not {_kind(value)}")
        return ()
    codes: list[str] = []
    for item in value:
        if not isinstance(item, str):
            entry.problem(f"languages must hold text, not {_kind(item)}")
        elif item.strip().lower() not in LANGUAGES:
            entry.problem(f"languages {item!r} is not an ISO 639-1 two-letter language code")
        elif item.strip().lower() not in codes:
            codes.append(item.strip().lower())
    return tuple(codes)


def _retention(entry: _Entry, value: object) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    if not isinstance(value, dict):
        entry.problem(f"retention must be a table of periods per data category, not {_kind(value)}")
        return ()
    periods = []
    for category, period in value.items():
        if not _CATEGORY.fullmatch(category):
            entry.problem(
                f"retention category {category!r} must be lower-case letters, digits and '_'"
            )
        elif not isinstance(period, str) or not period.strip():
            entry.problem(
                f"retention.{category} must be text such as '12 months', not {_kind(period)}"
            )
        else:
            periods.append((category, period.strip()))
    return tuple(periods)


def _preservation_days(entry: _Entry, value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        entry.problem(f"preservation_days {value!r} must be a whole number of days")
        return None
    if value < MIN_PRESERVATION_DAYS:
        entry.problem(
            f"preservation_days {value} is below the Convention's minimum of"
            f" {MIN_PRESERVATION_DAYS} days"
        )
        return None
    return value


def _kind(value: object) -> str:
    if isinstance(value, str):
        return "empty text" if not value.strip() else "text"
    return {bool: "true/false", int: "a number", float: "a number", list: "a list",
            dict: "a table"}.get(type(value), type(value).__name__)


def _check_addresses(entries: Iterable[_Entry]) -> None:
    owners: dict[str, _Entry] = {}
    for entry in entries:
        for address in entry.emails:
            first = owners.setdefault(address.lower(), entry)
            if first is not entry:
                rule = (
                    "an address belongs to one contact point"
                    if first.country == entry.country
                    else "no address may be shared by two countries"
                )
                entry.problem(f"emails {address!r} is already listed by {first.label}; {rule}")
                entry.contact_point = None


def _check_primaries(entries: list[_Entry]) -> None:
    by_country: dict[str, list[_Entry]] = {}
    for entry in entries:
        if entry.country is not None and entry.role is not None:
            by_country.setdefault(entry.country, []).append(entry)
    for country, group in by_country.items():
        primaries = [e for e in group if e.role == "primary"]
        for extra in primaries[1:]:
            extra.problem(
                f"role 'primary' but {primaries[0].label} is already the primary of {country};"
                " a country has exactly one primary"
            )
            extra.contact_point = None
        if not primaries:
            group[0].problem(
                f"role 'secondary' but {country} has no primary contact point"
                " (a country needs exactly one primary)"
            )
            group[0].contact_point = None


# ---------------------------------------------------------------- export


def dump_toml(directory: Directory) -> str:
    """The directory in the TOML format; `load_toml` reads it back to an equal directory."""
    lines = ["# watchkeeper contact-point directory", ""]
    for cp in directory.contact_points:
        lines.append("[[contact_points]]")
        for key, value in _fields(cp):
            lines.append(f"{key} = {_toml_value(value)}")
        if cp.retention:
            lines.append("[contact_points.retention]")
            lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in cp.retention]
        lines.append("")
    return "\n".join(lines)


def dump_csv(directory: Directory) -> str:
    """The directory in the CSV format; `load_csv` reads it back to an equal directory."""
    categories: list[str] = []
    for cp in directory.contact_points:
        categories += [k for k, _ in cp.retention if k not in categories]
    out = io.StringIO()
    # CRLF rows, as RFC 4180 has them: the writer then quotes a cell holding a bare CR,
    # which a "\n" terminator would leave bare for the reader to split the row at.
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([*FIELDS[:-1], *(f"retention.{c}" for c in categories)])
    for cp in directory.contact_points:
        values = dict(_fields(cp))
        cells = [_csv_cell(values.get(key)) for key in FIELDS[:-1]]
        retention = cp.retention_map
        writer.writerow([*cells, *(retention.get(c, "") for c in categories)])
    return out.getvalue()


def _fields(cp: ContactPoint) -> list[tuple[str, str | int | tuple[str, ...]]]:
    values: list[tuple[str, str | int | tuple[str, ...] | None]] = [
        ("country", cp.country),
        ("authority", cp.authority),
        ("role", cp.role),
        ("emails", cp.emails),
        ("office_phone", cp.office_phone),
        ("after_hours_phone", cp.after_hours_phone),
        ("timezone", cp.timezone),
        ("office_hours", cp.office_hours),
        ("languages", cp.languages),
        ("preservation_days", cp.preservation_days),
    ]
    return [(k, v) for k, v in values if v is not None]


def _toml_value(value: str | int | tuple[str, ...]) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    # JSON's string escapes (\" \\ \n \uXXXX ...) are all valid in a TOML basic string;
    # TOML also forbids a raw DEL, which JSON leaves alone.
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key, ensure_ascii=False)


def _csv_cell(value: str | int | tuple[str, ...] | None) -> str:
    if value is None:
        return ""
    if isinstance(value, tuple):
        return ";".join(value)
    return str(value)


# ---------------------------------------------------------------- differences


@dataclass(frozen=True)
class Change:
    """One difference between two directories: a contact point added or removed, or a field."""

    country: str
    role: str
    kind: str  # "added", "removed" or "changed"
    field: str | None = None
    old: str | None = None
    new: str | None = None

    def describe(self) -> str:
        if self.kind != "changed":
            return f"{self.country} {self.role}: {self.kind} ({self.old or self.new})"
        return f"{self.country} {self.role}: {self.field} {self.old!r} -> {self.new!r}"


def diff(old: Directory, new: Directory) -> tuple[Change, ...]:
    """What importing `new` over `old` changes, country by country in alphabetical order.

    Within a country, contact points are paired by role and then by order of appearance.
    """
    changes: list[Change] = []
    for country in sorted(set(old.countries()) | set(new.countries())):
        before, after = _by_role(old, country), _by_role(new, country)
        for key in sorted(set(before) | set(after), key=lambda k: (k[0] != "primary", k)):
            a, b = before.get(key), after.get(key)
            if a is None and b is not None:
                changes.append(Change(country, key[0], "added", new=_summary(b)))
            elif b is None and a is not None:
                changes.append(Change(country, key[0], "removed", old=_summary(a)))
            elif a is not None and b is not None:
                old_fields, new_fields = _texts(a), _texts(b)
                changes += [
                    Change(country, key[0], "changed", name, old_fields[name], new_fields[name])
                    for name in FIELDS
                    if old_fields[name] != new_fields[name]
                ]
    return tuple(changes)


def _by_role(directory: Directory, country: str) -> dict[tuple[str, int], ContactPoint]:
    paired: dict[tuple[str, int], ContactPoint] = {}
    for cp in directory.for_country(country):
        paired[(cp.role, sum(1 for role, _ in paired if role == cp.role))] = cp
    return paired


def _summary(cp: ContactPoint) -> str:
    return f"{cp.authority}, {', '.join(cp.emails)}"


def _texts(cp: ContactPoint) -> dict[str, str]:
    texts = {key: _csv_cell(value) for key, value in _fields(cp)}
    texts["retention"] = "; ".join(f"{k}: {v}" for k, v in cp.retention)
    return {name: texts.get(name, "") for name in FIELDS}
