"""Questions asked of the directory, answered at fixed instants, across DST changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from parsers.directory import Directory, DirectoryError, load_toml
from parsers.partners import (
    AFTER_HOURS_NUMBER,
    OFFICE_NUMBER,
    Retention,
    is_office_hours,
    languages,
    local_time,
    number_to_call,
    owner,
    parse_retention,
    preservation_days,
    retention,
)

DATA = Path(__file__).resolve().parent / "data" / "directory"
SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "samples" / "directory.toml"
DESK = ZoneInfo("Europe/Budapest")

LA_OFFICE, LA_AFTER = "+12135550100", "+12135550199"
NY_OFFICE, NY_AFTER = "+12125550142", "+12125550143"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture(scope="module")
def good() -> Directory:
    return load_toml((DATA / "good.toml").read_bytes())


@pytest.fixture(scope="module")
def sample() -> Directory:
    return load_toml(SAMPLE.read_bytes())


# Los Angeles is 9 hours behind Budapest, except between the European and the American
# DST changes (2026-03-08..29 and 2026-10-25..11-01), when it is 8 hours behind.
@pytest.mark.parametrize(
    ("at", "local", "phone", "reason"),
    [
        ("2026-07-06 14:59", "2026-07-06 07:59-07:00", LA_AFTER, AFTER_HOURS_NUMBER),
        ("2026-07-06 15:00", "2026-07-06 08:00-07:00", LA_OFFICE, OFFICE_NUMBER),
        ("2026-07-06 23:59", "2026-07-06 16:59-07:00", LA_OFFICE, OFFICE_NUMBER),
        ("2026-07-07 00:00", "2026-07-06 17:00-07:00", LA_AFTER, AFTER_HOURS_NUMBER),
        ("2026-10-26 15:30", "2026-10-26 08:30-07:00", LA_OFFICE, OFFICE_NUMBER),
        ("2026-11-02 15:30", "2026-11-02 07:30-08:00", LA_AFTER, AFTER_HOURS_NUMBER),
        ("2026-11-02 16:00", "2026-11-02 08:00-08:00", LA_OFFICE, OFFICE_NUMBER),
        ("2026-11-03 00:59", "2026-11-02 16:59-08:00", LA_OFFICE, OFFICE_NUMBER),
        ("2026-11-03 01:00", "2026-11-02 17:00-08:00", LA_AFTER, AFTER_HOURS_NUMBER),
        ("2026-11-01 09:30", "2026-11-01 01:30-08:00", LA_AFTER, AFTER_HOURS_NUMBER),
        ("2026-10-31 18:00", "2026-10-31 11:00-07:00", LA_AFTER, AFTER_HOURS_NUMBER),
        ("2026-03-02 15:30", "2026-03-02 07:30-08:00", LA_AFTER, AFTER_HOURS_NUMBER),
        ("2026-03-09 15:30", "2026-03-09 08:30-07:00", LA_OFFICE, OFFICE_NUMBER),
        ("2026-03-30 15:30", "2026-03-30 08:30-07:00", LA_OFFICE, OFFICE_NUMBER),
    ],
)
def test_call_partner_nine_hours_away(
    good: Directory, at: str, local: str, phone: str, reason: str
) -> None:
    """The office number inside the partner's office hours, the after-hours one outside."""
    choice = number_to_call(good, "US", utc(at))
    assert choice is not None
    assert (choice.phone, choice.reason) == (phone, reason)
    assert choice.in_office_hours is (reason == OFFICE_NUMBER)
    assert choice.local_time.isoformat(" ", "minutes") == local
    assert choice.contact_point.role == "primary"
    assert choice.office_hours == "Mon-Fri 08:00-17:00"
    assert choice.fallback is False


def test_same_desk_time_different_answer(good: Directory) -> None:
    """At 16:30 in Budapest on two Mondays, only the partner's own DST decides the number."""
    before, after = utc("2026-10-26 15:30"), utc("2026-11-02 15:30")
    assert before.astimezone(DESK).strftime("%a %H:%M") == "Mon 16:30"
    assert after.astimezone(DESK).strftime("%a %H:%M") == "Mon 16:30"
    first, second = number_to_call(good, "US", before), number_to_call(good, "US", after)
    assert first is not None and second is not None
    assert (first.reason, second.reason) == (OFFICE_NUMBER, AFTER_HOURS_NUMBER)


@pytest.mark.parametrize(
    ("at", "phone", "reason"),
    [
        ("2026-11-02 15:30", NY_OFFICE, OFFICE_NUMBER),  # New York 10:30 EST
        ("2026-11-02 13:59", NY_AFTER, AFTER_HOURS_NUMBER),  # 08:59 EST
        ("2026-10-30 13:30", NY_OFFICE, OFFICE_NUMBER),  # 09:30 EDT
        ("2026-11-02 23:30", NY_AFTER, AFTER_HOURS_NUMBER),  # 18:30 EST
        ("2026-11-01 15:30", NY_AFTER, AFTER_HOURS_NUMBER),  # Sunday
    ],
)
def test_secondary_when_primary_does_not_answer(
    good: Directory, at: str, phone: str, reason: str
) -> None:
    """With skip_primary the secondary contact point's number is chosen by its own hours."""
    choice = number_to_call(good, "us", utc(at), skip_primary=True)
    assert choice is not None
    assert choice.contact_point.role == "secondary"
    assert (choice.phone, choice.reason) == (phone, reason)


@pytest.mark.parametrize(
    ("country", "at", "phone", "reason", "inside", "fallback"),
    [
        ("JP", "2026-11-02 01:00", "+81300000001", OFFICE_NUMBER, True, False),  # Mon 10:00
        ("JP", "2026-11-02 10:00", "+81300000001", OFFICE_NUMBER, False, True),  # Mon 19:00
        ("JP", "2026-11-06 14:00", "+81300000001", OFFICE_NUMBER, True, False),  # Fri 23:00
        ("JP", "2026-11-06 16:30", "+81300000001", OFFICE_NUMBER, True, False),  # Sat 01:30
        ("JP", "2026-11-06 17:00", "+81300000001", OFFICE_NUMBER, False, True),  # Sat 02:00
        ("CL", "2026-11-02 12:00", "+56900000009", AFTER_HOURS_NUMBER, True, True),  # 09:00
        ("CL", "2026-11-02 22:00", "+56900000009", AFTER_HOURS_NUMBER, False, False),  # 19:00
    ],
)
def test_missing_number_falls_back_to_the_other(
    good: Directory, country: str, at: str, phone: str, reason: str, inside: bool, fallback: bool
) -> None:
    """A contact point without the number for this time is called on its other number."""
    choice = number_to_call(good, country, utc(at))
    assert choice is not None
    assert (choice.phone, choice.reason) == (phone, reason)
    assert (choice.in_office_hours, choice.fallback) == (inside, fallback)


# Chile leaves DST on 2026-04-05 (UTC-3 to UTC-4) and returns to it on 2026-09-06.
@pytest.mark.parametrize(
    ("at", "reason"),
    [
        ("2026-03-30 11:45", OFFICE_NUMBER),  # Santiago 08:45 -03
        ("2026-04-06 11:45", AFTER_HOURS_NUMBER),  # Santiago 07:45 -04
        ("2026-04-06 12:30", OFFICE_NUMBER),  # Santiago 08:30 -04
        ("2026-08-31 11:45", AFTER_HOURS_NUMBER),  # Santiago 07:45 -04
        ("2026-09-07 11:45", OFFICE_NUMBER),  # Santiago 08:45 -03
        ("2026-09-07 20:30", AFTER_HOURS_NUMBER),  # Santiago 17:30 -03
    ],
)
def test_sample_partner_across_southern_dst(sample: Directory, at: str, reason: str) -> None:
    """The sample's Chilean contact point is called by its office hours across its DST changes."""
    choice = number_to_call(sample, "CL", utc(at))
    assert choice is not None
    assert choice.reason == reason
    expected = "+56200000001" if reason == OFFICE_NUMBER else "+56900000001"
    assert choice.phone == expected


def test_always_staffed_partner(sample: Directory) -> None:
    """A 24/7 contact point is called on its office number at any hour."""
    for hour in range(0, 24, 5):
        choice = number_to_call(sample, "DE", utc(f"2026-11-01 {hour:02d}:00"))
        assert choice is not None
        assert (choice.reason, choice.office_hours) == (OFFICE_NUMBER, "24/7")


def test_nobody_to_call(good: Directory) -> None:
    """An unknown country, or a skipped primary without a secondary, gives no number."""
    at = utc("2026-11-02 12:00")
    assert number_to_call(good, "DE", at) is None
    assert number_to_call(good, "JP", at, skip_primary=True) is None


@pytest.mark.parametrize(
    ("at", "local", "offset"),
    [
        ("2026-11-01 08:30", "01:30", -7),  # first 01:30, still PDT
        ("2026-11-01 09:30", "01:30", -8),  # second 01:30, PST
        ("2026-03-08 09:59", "01:59", -8),
        ("2026-03-08 10:00", "03:00", -7),  # 02:00-03:00 does not exist
    ],
)
def test_local_time_at_dst_changes(good: Directory, at: str, local: str, offset: int) -> None:
    """Local time follows the partner's zone through repeated and skipped hours."""
    cp = good.contact_points[0]
    result = local_time(cp, utc(at))
    assert result.strftime("%H:%M") == local
    assert result.utcoffset() == timedelta(hours=offset)


def test_office_hours_and_naive_instants(good: Directory) -> None:
    """is_office_hours reads the partner's own clock; an instant without a zone is refused."""
    la = good.contact_points[0]
    assert is_office_hours(la, utc("2026-10-26 15:30"))
    assert not is_office_hours(la, utc("2026-11-02 15:30"))
    assert is_office_hours(la, datetime(2026, 11, 2, 17, 30, tzinfo=DESK))
    with pytest.raises(ValueError, match="no time zone"):
        is_office_hours(la, datetime(2026, 11, 2, 15, 30))
    with pytest.raises(ValueError, match="no time zone"):
        number_to_call(good, "US", datetime(2026, 11, 2, 15, 30))


@pytest.mark.parametrize(
    ("address", "country"),
    [
        ("duty@la-cyber.us.example", "US"),
        ("Duty Officer <DUTY@LA-Cyber.us.example>", "US"),
        ("desk@cyber.jp.example", "JP"),
        ("someone.else@cyber.jp.example", None),
        ("desk@cyber.jp.example.invalid", None),
    ],
)
def test_owner(good: Directory, address: str, country: str | None) -> None:
    """The owner of an address is found whatever its case or display name, and only exactly."""
    cp = owner(good, address)
    assert (cp.country if cp else None) == country


def test_languages(good: Directory) -> None:
    """A country's languages: the primary's first, then the secondary's, each once."""
    assert languages(good, "us") == ("en", "es", "fr")
    assert languages(good, "JP") == ("ja", "en")
    assert languages(good, "DE") == ()


@pytest.mark.parametrize(
    ("country", "category", "expected"),
    [
        ("US", "subscriber", Retention("none", none=True)),
        ("US", "traffic", Retention("90 days", days=90)),
        ("US", "Content", Retention("6 months", months=6)),
        ("CL", "traffic", Retention("2 years", months=24)),
        ("JP", "traffic", None),
        ("DE", "traffic", None),
    ],
)
def test_retention(
    good: Directory, country: str, category: str, expected: Retention | None
) -> None:
    """A country's retention period per category, from the primary or else the secondary."""
    assert retention(good, country, category) == expected


def test_sample_retention(sample: Directory) -> None:
    """The sample's periods parse where they are plain durations and stay text otherwise."""
    assert retention(sample, "FR", "traffic") == Retention("12 months", months=12)
    assert retention(sample, "DE", "traffic") == Retention("no general retention", none=True)
    assert retention(sample, "CH", "traffic") == Retention("6 months (BÜPF)", months=6, note="BÜPF")
    fi = retention(sample, "FI", "traffic")
    assert fi is not None and not fi.parsed
    assert fi.text == "9 months (IP), 12 months (telephony)"


@pytest.mark.parametrize(
    ("text", "months", "days", "none", "duration"),
    [
        ("12 months", 12, None, False, None),
        ("1 month", 1, None, False, None),
        ("1 year", 12, None, False, None),
        ("a year", 12, None, False, None),
        ("Two Years", 24, None, False, None),
        ("90 days", None, 90, False, timedelta(days=90)),
        ("1 day", None, 1, False, timedelta(days=1)),
        ("6 weeks", None, 42, False, timedelta(days=42)),
        ("180days.", None, 180, False, timedelta(days=180)),
        ("none", None, None, True, timedelta(0)),
        ("None.", None, None, True, timedelta(0)),
        ("no general retention", None, None, True, timedelta(0)),
        ("No retention obligation", None, None, True, timedelta(0)),
        ("0 months", None, None, True, timedelta(0)),
        ("contract duration", None, None, False, None),
        ("5 years after end of contract", None, None, False, None),
        ("72 months for serious offences", None, None, False, None),
        ("9 months (IP), 12 months (telephony)", None, None, False, None),
        ("twenty months", None, None, False, None),
        ("", None, None, False, None),
    ],
)
def test_parse_retention(
    text: str, months: int | None, days: int | None, none: bool, duration: timedelta | None
) -> None:
    """Durations in days, weeks, months, years and 'none' are read; other text is kept as is."""
    result = parse_retention(text)
    assert (result.months, result.days, result.none) == (months, days, none)
    assert result.duration == duration
    assert result.parsed is (months is not None or days is not None or none)
    assert result.text == text


def test_preservation_days(good: Directory) -> None:
    """A contact point's own preservation period wins over the desk's default."""
    assert preservation_days(good.contact_points[0], 60) == 90
    assert preservation_days(good.contact_points[2], 60) == 60
    assert preservation_days(None, 90) == 90


@pytest.fixture(scope="module")
def as_written() -> Directory:
    return load_toml((DATA / "hours-as-written.toml").read_bytes())


# 2026-11-02 is a Monday and 2026-11-06 a Friday; Paris, Vienna and Brussels are UTC+1.
@pytest.mark.parametrize(
    ("country", "at", "reason"),
    [
        ("FR", "2026-11-02 07:29", AFTER_HOURS_NUMBER),  # Mon 08:29, before the morning
        ("FR", "2026-11-02 07:30", OFFICE_NUMBER),  # Mon 08:30, the morning range opens
        ("FR", "2026-11-02 10:59", OFFICE_NUMBER),  # Mon 11:59
        ("FR", "2026-11-02 11:00", AFTER_HOURS_NUMBER),  # Mon 12:00, the lunch gap
        ("FR", "2026-11-02 12:30", AFTER_HOURS_NUMBER),  # Mon 13:30, still lunch
        ("FR", "2026-11-02 13:00", OFFICE_NUMBER),  # Mon 14:00, the afternoon range
        ("FR", "2026-11-02 17:00", AFTER_HOURS_NUMBER),  # Mon 18:00
        ("FR", "2026-11-07 10:00", AFTER_HOURS_NUMBER),  # Saturday
        ("AT", "2026-11-05 15:00", OFFICE_NUMBER),  # Thu 16:00
        ("AT", "2026-11-06 12:59", OFFICE_NUMBER),  # Fri 13:59
        ("AT", "2026-11-06 13:00", AFTER_HOURS_NUMBER),  # Fri 14:00, Friday closes early
        ("BE", "2026-11-04 15:59", OFFICE_NUMBER),  # Wed 16:59 in "9-17"
        ("BE", "2026-11-04 16:00", AFTER_HOURS_NUMBER),  # Wed 17:00
        ("LU", "2026-11-08 03:00", OFFICE_NUMBER),  # Sunday night, H24
    ],
)
def test_call_number_with_hours_as_written(
    as_written: Directory, country: str, at: str, reason: str
) -> None:
    """Split days, per-day clauses after a comma, '9-17', French day names and H24 choose
    the office number inside the hours and the after-hours number outside (lunch included)."""
    choice = number_to_call(as_written, country, utc(at))
    assert choice is not None
    assert choice.reason == reason
    assert choice.phone == (choice.contact_point.office_phone if reason == OFFICE_NUMBER
                            else choice.contact_point.after_hours_phone)
    assert choice.fallback is False


def test_hours_as_written_are_kept_canonical(as_written: Directory) -> None:
    """The directory keeps each partner's hours in the canonical form it shows operators."""
    assert [cp.office_hours for cp in as_written.contact_points] == [
        "Mon-Fri 08:30-12:00, 14:00-18:00",
        "Mon-Thu 08:00-16:30; Fri 08:00-14:00",
        "Mon-Fri 09:00-17:00",
        "24/7",
    ]


def test_unreadable_clause_refuses_the_directory() -> None:
    """A clause that cannot be read refuses the directory with one line naming the entry,
    the field and the text; nothing is loaded, so no wrong number can be chosen."""
    text = (DATA / "hours-as-written.toml").read_text(encoding="utf-8").replace(
        '"Mon-Thu 08:00-16:30, Fri 08:00-14:00"', '"Mon-Thu 08:00-16:30, Fri after lunch"')
    with pytest.raises(DirectoryError) as caught:
        load_toml(text.encode())
    assert caught.value.problems == [
        "contact point #2 (AT, desk@cyber.at.example): office_hours: office hours clause "
        "'Fri after lunch' is not 'DAYS HH:MM-HH:MM' (e.g. 'Mon-Fri 08:30-18:00')"]
