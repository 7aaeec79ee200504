"""The office-hours grammar: parsing, canonical text, and whether an office is open."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parsers.officehours import DAY_NAMES, parse_office_hours

# 2026-11-02 is a Monday; day offsets 0..6 give Monday..Sunday of that week.
MONDAY = 2


def at(day: int, hhmm: str) -> datetime:
    hour, minute = (int(x) for x in hhmm.split(":"))
    return datetime(2026, 11, MONDAY + day, hour, minute)


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("24/7", "24/7"),
        (" 24 / 7 ", "24/7"),
        ("Mon-Fri 08:30-18:00", "Mon-Fri 08:30-18:00"),
        ("Mon-Fri 08:30-18:00; Sat 09:00-13:00", "Mon-Fri 08:30-18:00; Sat 09:00-13:00"),
        ("mon-fri 8:30-18:00;sat 9:00 - 13:00", "Mon-Fri 08:30-18:00; Sat 09:00-13:00"),
        ("Mon,Wed,Fri 09:00-12:00", "Mon,Wed,Fri 09:00-12:00"),
        ("Monday - Wednesday, Friday 09:00-12:00", "Mon-Wed,Fri 09:00-12:00"),
        ("Mon-Fri 08:00-12:00, 13:00-17:00", "Mon-Fri 08:00-12:00, 13:00-17:00"),
        ("Fri 22:00-06:00", "Fri 22:00-06:00"),
        ("Fri-Mon 20:00-08:00", "Fri-Mon 20:00-08:00"),
        ("Sat,Sun 00:00-24:00", "Sat-Sun 00:00-24:00"),
        # As people write them: clauses separated by ",", short times, French day names.
        ("Mon-Thu 08:00-16:30, Fri 08:00-14:00", "Mon-Thu 08:00-16:30; Fri 08:00-14:00"),
        ("Mon-Fri 08:00-12:00, 13:00-17:00, Sat 10-12",
         "Mon-Fri 08:00-12:00, 13:00-17:00; Sat 10:00-12:00"),
        ("Mon-Fri 9-17", "Mon-Fri 09:00-17:00"),
        ("Mon-Fri 9:00-17:00", "Mon-Fri 09:00-17:00"),
        ("Monday to Friday 9-17", "Mon-Fri 09:00-17:00"),
        ("Mon-Fri: 08:00-17:00", "Mon-Fri 08:00-17:00"),
        ("Mon – Fri 08.30–17.00", "Mon-Fri 08:30-17:00"),
        ("Tues, Thurs 10:00-12:00", "Tue,Thu 10:00-12:00"),
        ("H24", "24/7"),
        ("h24", "24/7"),
        ("24h", "24/7"),
        ("24 h", "24/7"),
        ("24h/24", "24/7"),
        ("24x7", "24/7"),
        ("Lun-Ven 08h30-18h00", "Mon-Fri 08:30-18:00"),
        ("lundi-vendredi 8h-12h et 14h-18h, samedi 9h-12h",
         "Mon-Fri 08:00-12:00, 14:00-18:00; Sat 09:00-12:00"),
        ("du lundi au vendredi de 9h à 17h", "Mon-Fri 09:00-17:00"),
        ("lun., mer., ven. 09:00-12:00", "Mon,Wed,Fri 09:00-12:00"),
        ("Mar-Jeu 9h-17h; Dim 10h-12h", "Tue-Thu 09:00-17:00; Sun 10:00-12:00"),
        ("mercredi et samedi 14:00-18:00", "Wed,Sat 14:00-18:00"),
    ],
)
def test_parse_and_describe(text: str, canonical: str) -> None:
    """Accepted spellings parse and describe themselves in one canonical form."""
    assert parse_office_hours(text).describe() == canonical


@pytest.mark.parametrize(
    ("text", "when", "open_"),
    [
        ("24/7", at(6, "03:00"), True),
        ("Mon-Fri 08:30-18:00", at(0, "08:29"), False),
        ("Mon-Fri 08:30-18:00", at(0, "08:30"), True),
        ("Mon-Fri 08:30-18:00", at(4, "17:59"), True),
        ("Mon-Fri 08:30-18:00", at(4, "18:00"), False),
        ("Mon-Fri 08:30-18:00", at(5, "10:00"), False),
        ("Mon-Fri 08:30-18:00; Sat 09:00-13:00", at(5, "10:00"), True),
        ("Mon-Fri 08:30-18:00; Sat 09:00-13:00", at(5, "13:00"), False),
        ("Mon,Wed,Fri 09:00-12:00", at(1, "10:00"), False),
        ("Mon,Wed,Fri 09:00-12:00", at(2, "10:00"), True),
        ("Mon-Fri 08:00-12:00, 13:00-17:00", at(0, "12:30"), False),
        ("Mon-Fri 08:00-12:00, 13:00-17:00", at(0, "13:00"), True),
        ("Fri 22:00-06:00", at(4, "21:59"), False),
        ("Fri 22:00-06:00", at(4, "23:00"), True),
        ("Fri 22:00-06:00", at(5, "05:59"), True),
        ("Fri 22:00-06:00", at(5, "06:00"), False),
        ("Fri 22:00-06:00", at(3, "23:00"), False),
        ("Sun 22:00-02:00", at(0, "01:00"), True),
        ("Sun 22:00-02:00", at(6, "01:00"), False),
        ("Sat,Sun 00:00-24:00", at(6, "23:59"), True),
        ("Sat,Sun 00:00-24:00", at(0, "00:00"), False),
        ("Mon-Thu 08:00-16:30, Fri 08:00-14:00", at(3, "16:00"), True),
        ("Mon-Thu 08:00-16:30, Fri 08:00-14:00", at(4, "16:00"), False),
        ("Mon-Thu 08:00-16:30, Fri 08:00-14:00", at(4, "13:59"), True),
        ("Lun-Ven 08h30-18h00", at(2, "08:29"), False),
        ("Lun-Ven 08h30-18h00", at(2, "08:30"), True),
        ("Lun-Ven 08h30-18h00", at(5, "10:00"), False),
        ("Mon-Fri 9-17", at(0, "16:59"), True),
        ("Mon-Fri 9-17", at(0, "17:00"), False),
        ("H24", at(6, "03:00"), True),
    ],
)
def test_is_open(text: str, when: datetime, open_: bool) -> None:
    """An office is open from the start minute up to, not including, the end minute."""
    assert parse_office_hours(text).is_open(when) is open_


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "office hours are empty"),
        ("   ", "office hours are empty"),
        ("Mon-Fry 09:00-17:00", "unknown day 'Fry'"),
        ("Mon-Fri 9 to", "'9 to' is not HH:MM-HH:MM"),
        ("Mon-Fri 8-17 Uhr", "'8-17 Uhr' is not HH:MM-HH:MM"),
        ("Mon-Fri 25-26", "'25' is not a time of day"),
        ("Mon-Fri 08:00-12:00, Sat", "clause 'Sat' is not 'DAYS HH:MM-HH:MM'"),
        ("Mon-Fri 08:00-12:00,", "empty time range (stray ',')"),
        ("Lun-Ven 08h30-18h00, Sab 09h-12h", "unknown day 'Sab'"),
        ("Mon-Fri 08:00-08:00", "is empty"),
        ("Mon-Fri 25:00-26:00", "'25:00' is not a time of day"),
        ("Mon-Fri 08:60-09:00", "'08:60' is not a time of day"),
        ("Mon-Fri 24:00-08:00", "'24:00' is not a time of day"),
        ("Mon-Fri 08:00-18:00;", "stray ';'"),
        ("Mon--Fri 08:00-17:00", "day range 'Mon--Fri' is malformed"),
        ("Mon-Tue-Wed 08:00-17:00", "is malformed"),
        ("08:00-17:00", "is not 'DAYS HH:MM-HH:MM'"),
        ("office hours", "is not 'DAYS HH:MM-HH:MM'"),
        ("24/7/365", "is not 'DAYS HH:MM-HH:MM'"),
    ],
)
def test_parse_errors(text: str, message: str) -> None:
    """Malformed office hours raise a ValueError that says what is wrong, in one line."""
    with pytest.raises(ValueError, match=re.escape(message)) as caught:
        parse_office_hours(text)
    assert "\n" not in str(caught.value)


_times = st.integers(0, 24 * 60 - 1).map(lambda m: f"{m // 60:02d}:{m % 60:02d}")
_clauses = st.tuples(
    st.lists(st.sampled_from(DAY_NAMES), min_size=1, max_size=7),
    st.lists(st.tuples(_times, _times).filter(lambda r: r[0] != r[1]), min_size=1, max_size=3),
).map(lambda c: f"{','.join(c[0])} {', '.join(f'{a}-{b}' for a, b in c[1])}")


@given(
    text=st.lists(_clauses, min_size=1, max_size=3).map("; ".join),
    day=st.integers(0, 6),
    minute=st.integers(0, 24 * 60 - 1),
)
def test_canonical_text_means_the_same(text: str, day: int, minute: int) -> None:
    """The canonical text parses back to hours open at exactly the same moments."""
    hours = parse_office_hours(text)
    again = parse_office_hours(hours.describe())
    assert again.describe() == hours.describe()
    when = at(day, f"{minute // 60:02d}:{minute % 60:02d}")
    assert again.is_open(when) is hours.is_open(when)
