"""Deadlines as instants: service levels, working days across DST, preservation, retention."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from config.settings import Settings
from daemon.cases import deadlines
from daemon.duties import reminders
from models import Case
from parsers.directory import ContactPoint, Directory
from parsers.partners import number_to_call, parse_retention
from tests.test_deadlines_support import directory

PARIS = ZoneInfo("Europe/Paris")
WEEK = (0, 1, 2, 3, 4)


def _settings(**sla: object) -> Settings:
    return Settings(desk={"timezone": "Europe/Paris", "country": "BE"}, sla=sla)


def _case(opened: datetime, **fields: object) -> Case:
    values: dict[str, object] = {
        "reference": "WK-2026-00042", "direction": "incoming", "request_type": "stored_data",
        "urgent": False, "country": "FR", "historical": False, "opened_at": opened,
    }
    values.update(fields)
    return Case(**values)


def test_working_days_keep_local_time_across_spring_dst() -> None:
    """Friday 10:00 Paris + 2 working days is Tuesday 10:00 CEST (08:00 UTC), not 09:00 UTC."""
    start = datetime(2026, 3, 27, 10, 0, tzinfo=PARIS)
    due = deadlines.add_working_days(start, 2, PARIS, WEEK)
    assert due == datetime(2026, 3, 31, 8, 0, tzinfo=UTC)
    assert due.astimezone(PARIS).hour == 10


def test_working_days_keep_local_time_across_autumn_dst() -> None:
    """Friday 10:00 CEST + 2 working days is Tuesday 10:00 CET, 09:00 UTC."""
    start = datetime(2026, 10, 23, 10, 0, tzinfo=PARIS)
    assert deadlines.add_working_days(start, 2, PARIS, WEEK) == datetime(
        2026, 10, 27, 9, 0, tzinfo=UTC)


def test_working_days_from_a_day_off_start_next_working_morning() -> None:
    """A request of Saturday afternoon with two working days is due Wednesday 00:00 local."""
    start = datetime(2026, 3, 28, 15, 0, tzinfo=PARIS)
    due = deadlines.add_working_days(start, 2, PARIS, WEEK)
    assert due.astimezone(PARIS) == datetime(2026, 4, 1, 0, 0, tzinfo=PARIS)


def test_working_days_follow_the_configured_week() -> None:
    """With Sunday-Thursday working days, Thursday + 1 working day is Sunday."""
    start = datetime(2026, 6, 4, 9, 0, tzinfo=PARIS)  # a Thursday
    due = deadlines.add_working_days(start, 1, PARIS, (6, 0, 1, 2, 3))
    assert due.astimezone(PARIS).date().isoformat() == "2026-06-07"


def test_working_days_refuse_naive_instants() -> None:
    """A naive start is refused with a message naming the problem."""
    with pytest.raises(ValueError, match="no time zone"):
        deadlines.add_working_days(datetime(2026, 3, 27, 10), 1, PARIS, WEEK)


@pytest.mark.parametrize(("fields", "start", "answer"), [
    ({"request_type": "emergency_disclosure"}, timedelta(minutes=30), timedelta(hours=4)),
    ({"urgent": True}, timedelta(hours=2), timedelta(hours=24)),
])
def test_apply_deadlines_by_urgency(fields: dict[str, object], start: timedelta,
                                    answer: timedelta) -> None:
    """Emergency disclosures get 30 min to start and 4 h to answer; urgent ones 2 h and 24 h."""
    opened = datetime(2026, 5, 6, 12, 0, tzinfo=UTC)
    case = _case(opened, **fields)
    deadlines.apply_deadlines(case, _settings(), Directory())
    assert case.start_due_at == opened + start
    assert case.answer_due_at == opened + answer
    assert deadlines.start_escalation_at(case, _settings()) == opened + 2 * start


def test_apply_deadlines_normal_uses_working_days_and_keeps_existing() -> None:
    """A normal request is due 2 and 10 working days later; a deadline already set stays."""
    opened = datetime(2026, 5, 8, 14, 0, tzinfo=PARIS)  # a Friday
    case = _case(opened)
    deadlines.apply_deadlines(case, _settings(), Directory())
    assert case.start_due_at == datetime(2026, 5, 12, 14, 0, tzinfo=PARIS)
    assert case.answer_due_at == datetime(2026, 5, 22, 14, 0, tzinfo=PARIS)
    assert deadlines.start_escalation_at(case, _settings()) == datetime(
        2026, 5, 14, 14, 0, tzinfo=PARIS)
    fixed = _case(opened, start_due_at=datetime(2026, 5, 9, tzinfo=UTC))
    deadlines.apply_deadlines(fixed, _settings(), Directory())
    assert fixed.start_due_at == datetime(2026, 5, 9, tzinfo=UTC)


def test_apply_deadlines_outgoing_and_history() -> None:
    """An outgoing request must be acknowledged within partner_ack_minutes; history gets none."""
    opened = datetime(2026, 5, 6, 12, 0, tzinfo=UTC)
    out = _case(opened, direction="outgoing", urgent=True)
    deadlines.apply_deadlines(out, _settings(partner_ack_minutes=45), Directory())
    assert out.partner_ack_due_at == opened + timedelta(minutes=45)
    assert out.start_due_at is None
    old = _case(opened, historical=True)
    deadlines.apply_deadlines(old, _settings(), Directory())
    assert old.start_due_at is None and old.answer_due_at is None


def test_preservation_period_by_preserving_party() -> None:
    """Outgoing: the partner's directory period; incoming: our own country's, else default;
    counted in calendar days of the desk's zone, so 10:00 stays 10:00 across summer time."""
    started = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    d = directory()
    out = _case(started, direction="outgoing", request_type="preservation")
    deadlines.on_partner_acknowledged(out, _settings(), d, started)
    assert out.partner_acked_at == started
    assert out.preservation_expires_at == datetime(2026, 6, 29, 10, 0, tzinfo=PARIS)
    inc = _case(started, request_type="preservation")
    deadlines.on_started(inc, _settings(), d, started)
    assert inc.preservation_expires_at == datetime(2026, 5, 30, 10, 0, tzinfo=PARIS)
    other = _case(started, request_type="stored_data")
    deadlines.on_started(other, _settings(), d, started)
    assert other.preservation_expires_at is None


def test_preservation_period_never_below_sixty_days() -> None:
    """A directory entry below the Convention's minimum still gives 60 days."""
    short = ContactPoint(country="BE", authority="x", role="primary", emails=("a@b.example",),
                         timezone="Europe/Brussels", preservation_days=30)
    started = datetime(2026, 3, 1, tzinfo=UTC)
    case = _case(started, request_type="preservation")
    deadlines.on_started(case, _settings(), Directory((short,)), started)
    assert case.preservation_expires_at == datetime(2026, 4, 30, 1, 0, tzinfo=PARIS)


@pytest.mark.parametrize(("text", "expected"), [
    ("12 months", datetime(2027, 1, 31, 10, 0, tzinfo=UTC)),
    ("90 days", datetime(2026, 5, 1, 10, 0, tzinfo=UTC)),
    ("1 month", datetime(2026, 2, 28, 10, 0, tzinfo=UTC)),
    ("none", datetime(2026, 1, 31, 10, 0, tzinfo=UTC)),
    ("contract duration", None),
])
def test_retention_expiry(text: str, expected: datetime | None) -> None:
    """Retention periods in months clamp to the month's end; text periods give no date."""
    instant = datetime(2026, 1, 31, 10, 0, tzinfo=UTC)
    assert deadlines.retention_expiry(instant, parse_retention(text)) == expected


def test_call_line_outside_office_hours_names_after_hours_number() -> None:
    """At 23:14 in Paris the line gives FR's after-hours number and says why."""
    at = datetime(2026, 11, 27, 22, 14, tzinfo=UTC)  # 23:14 CET, a Friday
    case = _case(at, reference="WK-2026-00042")
    line = reminders.call_line(case, number_to_call(directory(), "FR", at))
    assert line == ("CALL FR about WK-2026-00042 now: +33 6 00 00 00 11 (after-hours number; "
                    "23:14 in Paris, outside office hours Mon-Fri 08:30-18:00)")


def test_call_line_inside_office_hours_names_office_number() -> None:
    """At 10:05 in Paris on a Tuesday the line gives FR's office number."""
    at = datetime(2026, 3, 31, 8, 5, tzinfo=UTC)  # 10:05 CEST
    line = reminders.call_line(_case(at), number_to_call(directory(), "FR", at))
    assert "+33 1 49 00 00 11 (office number; 10:05 in Paris, inside office hours" in line
