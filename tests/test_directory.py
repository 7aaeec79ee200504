"""Directory files: loading, normalising, validating with one line per problem, export, lookup."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from parsers.directory import (
    COUNTRIES,
    LANGUAGES,
    ContactPoint,
    Directory,
    DirectoryError,
    diff,
    dump_csv,
    dump_toml,
    load_csv,
    load_file,
    load_toml,
)

DATA = Path(__file__).resolve().parent / "data" / "directory"
SAMPLE = Path(__file__).resolve().parent / "data" / "corpus" / "directory.toml"

BASE: dict[str, object] = {
    "country": "FR",
    "authority": "Cyber desk (fictional)",
    "role": "primary",
    "emails": ["cp247@police.fr.example"],
    "office_phone": "+33 1 49 00 00 11",
    "after_hours_phone": "+33 6 00 00 00 11",
    "timezone": "Europe/Paris",
    "office_hours": "Mon-Fri 09:00-18:00",
    "languages": ["fr", "en"],
}


def toml_value(value: object) -> str:
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def toml_entry(**fields: object) -> str:
    """One [[contact_points]] table; a value of None leaves the field out."""
    lines = ["[[contact_points]]"]
    retention = fields.pop("retention", None)
    for key, value in (BASE | fields).items():
        if value is not None:
            lines.append(f"{key} = {toml_value(value)}")
    if isinstance(retention, dict):
        lines.append("[contact_points.retention]")
        lines += [f"{toml_value(k)} = {toml_value(v)}" for k, v in retention.items()]
    return "\n".join(lines) + "\n"


def problems_of(data: bytes, name: str = "directory.toml") -> list[str]:
    with pytest.raises(DirectoryError) as caught:
        load_file(name, data)
    assert str(caught.value) == "; ".join(caught.value.problems)
    return caught.value.problems


# ---------------------------------------------------------------- good files


def test_sample_directory_loads() -> None:
    """The test network's directory loads with no problem and keeps every contact point."""
    directory = load_toml(SAMPLE.read_bytes())
    assert len(directory.contact_points) == 12
    assert directory.countries() == (
        "AR", "AU", "CY", "CZ", "DK", "EE", "HR", "IE", "NL", "PT", "SI",
    )
    assert [cp.role for cp in directory.for_country("PT")] == ["primary", "secondary"]
    dk = directory.owner_of("nc3-247@politi.dk.example")
    assert dk is not None
    assert dk.office_phone == "+4533000101"
    assert dk.retention_map["traffic"] == "12 months"


def test_good_files_agree() -> None:
    """The same directory written as TOML, CSV and semicolon CSV loads to equal data."""
    toml = load_file("good.toml", (DATA / "good.toml").read_bytes())
    assert load_file("good.csv", (DATA / "good.csv").read_bytes()) == toml
    assert load_file("GOOD.CSV", (DATA / "good-semicolon.csv").read_bytes()) == toml


def test_normalisation() -> None:
    """Loading normalises case, phones to E.164, office hours to canonical text."""
    la = load_toml((DATA / "good.toml").read_bytes()).contact_points[0]
    assert la == ContactPoint(
        country="US",
        authority="Los Angeles Cyber Desk (fictional)",
        role="primary",
        emails=("Cyber.Desk@la-cyber.us.example", "duty@la-cyber.us.example"),
        timezone="America/Los_Angeles",
        office_hours="Mon-Fri 08:00-17:00",
        office_phone="+12135550100",
        after_hours_phone="+12135550199",
        languages=("en", "es"),
        retention=(("subscriber", "none"), ("traffic", "90 days")),
        preservation_days=90,
    )


@pytest.mark.parametrize("source", [SAMPLE, DATA / "good.toml"], ids=["sample", "good"])
def test_export_round_trip(source: Path) -> None:
    """TOML and CSV exports read back to the same directory."""
    directory = load_toml(source.read_bytes())
    assert load_toml(dump_toml(directory).encode()) == directory
    assert load_csv(dump_csv(directory).encode()) == directory


def test_export_escapes_awkward_text() -> None:
    """Quotes, backslashes, commas and non-ASCII letters survive both exports."""
    text = toml_entry(
        authority='Brigade "Cyber", Genève \\ section',
        retention={"subscriber": "6 months; then \"archived\""},
    )
    directory = load_toml(text.encode())
    assert load_toml(dump_toml(directory).encode()) == directory
    assert load_csv(dump_csv(directory).encode()) == directory


def test_csv_with_byte_order_mark_and_blank_rows() -> None:
    """A spreadsheet's byte-order mark and blank rows do not disturb CSV loading."""
    data = (DATA / "good.csv").read_bytes()
    assert load_csv(b"\xef\xbb\xbf\n" + data + b",,,\n") == load_csv(data)


def test_reference_lists() -> None:
    """The code lists hold every assigned ISO 3166-1 and ISO 639-1 code."""
    assert len(COUNTRIES) == 249
    assert len(LANGUAGES) == 183
    assert {"GB", "GR", "XK", "UK", "EL"} & COUNTRIES == {"GB", "GR"}


# ---------------------------------------------------------------- bad files


@pytest.mark.parametrize("name", ["bad-three.toml", "bad-three.csv"])
def test_three_problems_three_lines(name: str) -> None:
    """A bad phone, an unknown zone and a shared address are refused, one line each."""
    assert problems_of((DATA / name).read_bytes(), name) == [
        "contact point #2 (DE, 24-7-cyber@bka.de.example):"
        " office_phone '+49 611' is not a valid phone number",
        "contact point #3 (LU, snt-247@police.lu.example):"
        " timezone 'Europe/Luxemburg' is not an IANA time zone",
        "contact point #4 (BE, fccu@police.be.example):"
        " emails 'CP247@police.fr.example' is already listed by contact point #1"
        " (FR, cp247@police.fr.example); no address may be shared by two countries",
    ]


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"country": "XX"}, "country 'XX' is not an ISO 3166-1 alpha-2 country code"),
        ({"country": "UK"}, "country 'UK' is not an ISO 3166-1 alpha-2 country code"
                            " (did you mean 'GB'?)"),
        ({"country": "FRA"}, "country 'FRA' is not an ISO 3166-1 alpha-2 country code"),
        ({"country": None}, "country is missing"),
        ({"country": 33}, "country must be text, not a number"),
        ({"authority": ""}, "authority is missing"),
        ({"authority": "   "}, "authority is missing"),
        ({"role": "main"}, "role 'main' must be 'primary' or 'secondary'"),
        ({"role": None}, "role is missing"),
        ({"emails": []}, "emails is missing"),
        ({"emails": "cp247@police.fr.example"}, "emails must be a list of addresses, not text"),
        ({"emails": ["cp247.police.fr.example"]},
         "emails 'cp247.police.fr.example' is not a valid address: An email address must have"
         " an @-sign."),
        ({"emails": ["cp247@police..fr.example"]}, "emails 'cp247@police..fr.example' is not"),
        ({"emails": ["Duty <cp247@police.fr.example>"]}, "is not a valid address"),
        ({"emails": ["cp247@police.fr.example", "CP247@police.FR.example"]},
         "emails 'CP247@police.FR.example' is listed twice"),
        ({"office_phone": "+49 611"}, "office_phone '+49 611' is not a valid phone number"),
        ({"office_phone": "+33 1 49 00 00 11 11 11 11"}, "is not a valid phone number"),
        ({"office_phone": "+999 1234"}, "office_phone '+999 1234' is not a valid phone number"),
        ({"office_phone": "01 49 00 00 11"},
         "office_phone '01 49 00 00 11' is not in international format"),
        ({"after_hours_phone": "call the switchboard"}, "is not in international format"),
        ({"office_phone": "+33 1 49 00 00 11 ext. 12"}, "has an extension"),
        ({"office_phone": None, "after_hours_phone": None}, "no phone number"),
        ({"office_phone": "", "after_hours_phone": " "}, "no phone number"),
        ({"timezone": "CEST"}, "timezone 'CEST' is not an IANA time zone"),
        ({"timezone": "europe/paris"},
         "timezone 'europe/paris' is not an IANA time zone (did you mean 'Europe/Paris'?)"),
        ({"timezone": "../../etc/passwd"}, "is not an IANA time zone"),
        ({"timezone": None}, "timezone is missing"),
        ({"office_hours": "Mon-Fry 09:00-17:00"},
         "office_hours: office hours clause 'Mon-Fry 09:00-17:00': unknown day 'Fry'"),
        ({"office_hours": "business hours"}, "office_hours: office hours clause"),
        ({"office_hours": None}, "office_hours is missing"),
        ({"languages": ["fr", "fre"]}, "languages 'fre' is not an ISO 639-1"),
        ({"languages": ["xx"]}, "languages 'xx' is not an ISO 639-1"),
        ({"languages": "fr"}, "languages must be a list of ISO 639-1 codes, not text"),
        ({"preservation_days": 30}, "preservation_days 30 is below the Convention's minimum"),
        ({"preservation_days": "90"}, "preservation_days '90' must be a whole number of days"),
        ({"preservation_days": True}, "preservation_days True must be a whole number"),
        ({"retention": {"Traffic Data": "12 months"}}, "retention category 'Traffic Data'"),
        ({"retention": {"traffic": ""}}, "retention.traffic must be text such as '12 months'"),
        ({"retention": {"traffic": 12}}, "retention.traffic must be text such as '12 months',"
                                         " not a number"),
        ({"ofice_phone": "+33 1 49 00 00 11"}, "unknown field 'ofice_phone'"),
    ],
)
def test_one_field_problem(fields: dict[str, object], problem: str) -> None:
    """Each kind of bad field gives one line naming the entry and the field."""
    problems = problems_of(toml_entry(**fields).encode())
    assert len(problems) == 1, problems
    assert problems[0].startswith("contact point #1 (")
    assert problem in problems[0]


def test_every_problem_is_reported() -> None:
    """Validation goes on after the first problem and reports all of them, in file order."""
    text = toml_entry(country="XX", role="boss", timezone="Mars/Olympus") + toml_entry(
        emails=["a@police.de.example"], country="DE", languages=["deu"]
    )
    problems = problems_of(text.encode())
    assert [p.split(":")[0] for p in problems] == [
        "contact point #1 (XX, cp247@police.fr.example)",
        "contact point #1 (XX, cp247@police.fr.example)",
        "contact point #1 (XX, cp247@police.fr.example)",
        "contact point #2 (DE, a@police.de.example)",
    ]


@pytest.mark.parametrize(
    ("entries", "problem"),
    [
        (
            [{}, {"emails": ["other@police.fr.example"]}],
            "contact point #2 (FR, other@police.fr.example): role 'primary' but contact point #1"
            " (FR, cp247@police.fr.example) is already the primary of FR;"
            " a country has exactly one primary",
        ),
        (
            [{"role": "secondary"}],
            "contact point #1 (FR, cp247@police.fr.example): role 'secondary' but FR has no"
            " primary contact point (a country needs exactly one primary)",
        ),
        (
            [{}, {"role": "secondary",
                  "emails": ["x@police.fr.example", "CP247@police.fr.example"]}],
            "contact point #2 (FR, x@police.fr.example): emails 'CP247@police.fr.example' is"
            " already listed by contact point #1 (FR, cp247@police.fr.example);"
            " an address belongs to one contact point",
        ),
        (
            [{}, {"country": "BE", "emails": ["cp247@police.fr.example"], "office_phone": "+1"}],
            "contact point #2 (BE, cp247@police.fr.example): emails 'cp247@police.fr.example' is"
            " already listed by contact point #1 (FR, cp247@police.fr.example);"
            " no address may be shared by two countries",
        ),
    ],
)
def test_rules_across_entries(entries: list[dict[str, object]], problem: str) -> None:
    """One primary per country, and one owner per address, even when other fields are bad."""
    problems = problems_of("".join(toml_entry(**e) for e in entries).encode())
    assert problem in problems


def test_secondary_with_primary_is_fine() -> None:
    """A secondary contact point beside its country's primary is accepted."""
    text = toml_entry() + toml_entry(role="secondary", emails=["astreinte@police.fr.example"])
    directory = load_toml(text.encode())
    assert directory.primary("fr") == directory.contact_points[0]


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "no contact points"),
        (b"title = 'x'\n", "unknown top-level key 'title'"),
        (b"contact_points = 3\n", "contact_points must be [[contact_points]] tables"),
        (b"[[contact_points]\n", "not a valid TOML file"),
        ("country = 'FR'".encode("utf-16"), "not UTF-8 text"),
    ],
)
def test_whole_file_problems(data: bytes, problem: str) -> None:
    """Files that are not a directory at all are refused with a line saying why."""
    assert any(problem in p for p in problems_of(data))


CSV_HEADER = "country,authority,role,emails,office_phone,timezone,office_hours\n"
CSV_ROW = "FR,Desk,primary,cp247@police.fr.example,+33 1 49 00 00 11,Europe/Paris,24/7\n"


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ("", "no header row and no contact points"),
        (CSV_HEADER, "no contact points"),
        ("country,authority,role,emails,timezone\n" + "FR,D,primary,a@b.example,UTC\n",
         "column 'office_hours' is missing"),
        (CSV_HEADER.replace("\n", ",fax\n") + CSV_ROW, "column 'fax' is unknown"),
        (CSV_HEADER.replace("\n", ",retention\n") + CSV_ROW, "column 'retention' is unknown"),
        (CSV_HEADER.replace("\n", ",Country\n") + CSV_ROW, "column 'country' appears twice"),
        (CSV_HEADER + CSV_ROW.replace(",24/7", ""),
         "contact point #1: the row has 6 cells, the header 7"),
        (CSV_HEADER.replace("\n", ",preservation_days\n") + CSV_ROW.replace("\n", ",ninety\n"),
         "preservation_days 'ninety' must be a whole number of days"),
        (CSV_HEADER + CSV_ROW.replace("+33", "0033"), "is not in international format"),
        (CSV_HEADER + 'FR,"Desk,primary\n', "not a valid CSV file"),
    ],
)
def test_csv_problems(data: str, problem: str) -> None:
    """CSV files are checked for their header and row shapes as well as their fields."""
    assert any(problem in p for p in problems_of(data.encode(), "directory.csv"))


def test_csv_lists_take_both_separators() -> None:
    """E-mail and language lists in CSV cells are split on ';' and '|'."""
    header = CSV_HEADER.replace("\n", ",languages\n")
    row = CSV_ROW.replace("cp247@police.fr.example", "a@police.fr.example | b@police.fr.example;")
    cp = load_csv((header + row.replace("\n", ",fr;en|DE\n")).encode()).contact_points[0]
    assert cp.emails == ("a@police.fr.example", "b@police.fr.example")
    assert cp.languages == ("fr", "en", "de")


def test_unknown_extension() -> None:
    """A file that is neither .toml nor .csv is refused by name."""
    assert problems_of(b"", "directory.xlsx") == [
        "directory.xlsx: unknown directory format (expected a .toml or .csv file)"
    ]


# ---------------------------------------------------------------- lookup


@pytest.fixture(scope="module")
def good() -> Directory:
    return load_toml((DATA / "good.toml").read_bytes())


@pytest.mark.parametrize(
    ("address", "country"),
    [
        ("Cyber.Desk@la-cyber.us.example", "US"),
        ("cyber.desk@LA-CYBER.US.EXAMPLE", "US"),
        ("CYBER.DESK@la-cyber.us.example", "US"),
        (" <duty@la-cyber.us.example> ", "US"),
        ("nycu-247@ny-cyber.us.example", "US"),
        ("brigada@cyber.cl.example", "CL"),
        ("officer.smith@la-cyber.us.example", None),
        ("cyber.desk@la-cyber.us.example.evil.example", None),
        ("cyber.desk@mail.la-cyber.us.example", None),
        ("cyber.desk@la-cyber-us.example", None),
        ("desk@cyber.jp.example.", None),
        ("", None),
    ],
)
def test_owner_of(good: Directory, address: str, country: str | None) -> None:
    """An address belongs to a contact point only when it is one of its addresses, in any case."""
    cp = good.owner_of(address)
    assert (cp.country if cp else None) == country


@pytest.mark.parametrize(
    ("domain", "country"),
    [
        ("la-cyber.us.example", "US"),
        ("LA-Cyber.US.example.", "US"),
        ("cyber.cl.example", "CL"),
        ("us.example", None),
        ("mail.la-cyber.us.example", None),
        ("la-cyber.us.example.evil.example", None),
        ("1a-cyber.us.example", None),
        ("cyber.jp.example.org", None),
    ],
)
def test_owner_of_domain(good: Directory, domain: str, country: str | None) -> None:
    """A domain matches only exactly, in any case; look-alikes and parents do not match."""
    cp = good.owner_of_domain(domain)
    assert (cp.country if cp else None) == country


def test_country_queries(good: Directory) -> None:
    """A country's contact points come primary first; a country without any gives nothing."""
    assert [cp.role for cp in good.for_country("us")] == ["primary", "secondary"]
    assert good.primary("US") == good.contact_points[0]
    assert good.primary("DE") is None
    assert good.for_country("DE") == ()


# ---------------------------------------------------------------- differences


def test_diff_per_country() -> None:
    """Importing shows contact points added and removed and each field changed, per country."""
    old = load_toml(SAMPLE.read_bytes())
    assert diff(old, old) == ()
    dk, nl = old.for_country("DK")[0], old.for_country("NL")[0]
    pt_secondary = old.for_country("PT")[1]
    be = replace(dk, country="BE", authority="FCCU", emails=("fccu@police.be.example",))
    kept = [cp for cp in old.contact_points if cp.country not in ("HR", "DK", "PT", "NL")]
    new = Directory((
        *kept,
        replace(dk, office_phone="+4533000102", languages=("da",)),
        old.for_country("PT")[0],
        replace(pt_secondary, office_hours="24/7"),
        replace(nl, retention=(("subscriber", "contract duration"),)),
        be,
    ))
    assert [c.describe() for c in diff(old, new)] == [
        "BE primary: added (FCCU, fccu@police.be.example)",
        "DK primary: office_phone '+4533000101' -> '+4533000102'",
        "DK primary: languages 'da;en' -> 'da'",
        "HR primary: removed (Ministarstvo unutarnjih poslova - Služba kibernetičke sigurnosti"
        " - 24/7 kontaktna točka, kibernetika-247@mup.hr.example)",
        "NL primary: retention 'subscriber: contract duration; traffic: no general retention'"
        " -> 'subscriber: contract duration'",
        "PT secondary: office_hours 'Mon-Fri 09:00-17:30' -> '24/7'",
    ]


# ---------------------------------------------------------------- robustness


@given(st.binary(max_size=400))
def test_random_bytes_never_crash(data: bytes) -> None:
    """Any bytes either load or raise DirectoryError, in both formats."""
    for name in ("d.toml", "d.csv"):
        try:
            load_file(name, data)
        except DirectoryError as exc:
            assert exc.problems


@given(st.lists(st.sampled_from(list(BASE)), max_size=4), st.text(max_size=30))
@example(keys=["authority"], value="0\r0")  # a bare CR in a cell: the CSV export quotes it
def test_random_field_values_never_crash(keys: list[str], value: str) -> None:
    """Any text in any field loads and round-trips, or raises DirectoryError naming entry #1."""
    text = toml_entry(**dict.fromkeys(keys, value))
    try:
        directory = load_toml(text.encode())
    except DirectoryError as exc:
        assert all(p.startswith("contact point #1 (") for p in exc.problems)
    else:
        assert load_toml(dump_toml(directory).encode()) == directory
        assert load_csv(dump_csv(directory).encode()) == directory
