"""Due work against real databases: each reminder, escalation, call prompt and warning
fires exactly once at its instant, across restarts and daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from structlog.testing import capture_logs

from config.settings import Settings
from daemon.cases import deadlines
from daemon.duties import reminders
from daemon.process import jobs
from daemon.process.clock import ManualClock
from daemon.store import audit
from daemon.store.db import make_engine, session_factory, transaction
from daemon.store.directory import load_directory
from models import Case, Event, Identifier, PingRound
from tests.test_deadlines_support import (
    OPERATOR,
    SUPERVISOR,
    body,
    desk_settings,
    get_case,
    open_case,
    outbox,
    parsed,
    store_directory,
    update_case,
)

PARIS = ZoneInfo("Europe/Paris")
SECOND = timedelta(seconds=1)


@pytest.fixture
def settings(db_url: str) -> Settings:
    return desk_settings(db_url)


def _tick(settings: Settings, sessions: sessionmaker[Session], clock: ManualClock,
          at: datetime) -> None:
    clock.set(at)
    jobs.run_due(settings, sessions, clock)


def _restarted(db_url: str) -> sessionmaker[Session]:
    """A new engine and session factory, as a restarted daemon would build."""
    return session_factory(make_engine(db_url))


def _keys(sessions: sessionmaker[Session], purpose: str) -> list[str]:
    return [row.key for row in outbox(sessions, purpose)]


def test_start_reminder_and_escalation_fire_once_across_restart(
        db_url: str, settings: Settings, sessions: sessionmaker[Session]) -> None:
    """Operators are reminded at the 2 h start deadline and supervisors at 4 h, once each,
    even when the daemon restarts in between and ticks again."""
    opened = datetime(2026, 6, 3, 9, 0, tzinfo=UTC)
    ref = open_case(sessions, settings, opened, urgent=True)
    clock = ManualClock(opened)
    _tick(settings, sessions, clock, opened + timedelta(hours=2) - SECOND)
    assert _keys(sessions, "reminder") == []
    _tick(settings, sessions, clock, opened + timedelta(hours=2))
    assert _keys(sessions, "reminder") == [f"reminder:start:{ref}"]
    [mail] = outbox(sessions, "reminder")
    assert mail.recipients == [OPERATOR]
    assert mail.created_at == opened + timedelta(hours=2)
    assert ref in mail.subject and "start of execution" in body(mail)
    assert parsed(mail)["Auto-Submitted"] == "auto-generated"
    _tick(settings, sessions, clock, opened + timedelta(hours=3))
    assert _keys(sessions, "escalation") == []

    later = _restarted(db_url)
    _tick(settings, later, clock, opened + timedelta(hours=4) - SECOND)
    assert _keys(later, "escalation") == []
    _tick(settings, later, clock, opened + timedelta(hours=4))
    again = _restarted(db_url)
    _tick(settings, again, clock, opened + timedelta(hours=5))
    assert _keys(again, "reminder") == [f"reminder:start:{ref}"]
    [escalation] = outbox(again, "escalation")
    assert escalation.recipients == [SUPERVISOR]
    assert escalation.created_at == opened + timedelta(hours=4)


def test_normal_deadline_across_spring_dst_fires_at_local_time(
        settings: Settings, sessions: sessionmaker[Session]) -> None:
    """A normal request of Friday 27 March 10:00 Paris is due Tuesday 31 March 10:00 CEST
    (08:00 UTC): no reminder a second before, one at the instant."""
    opened = datetime(2026, 3, 27, 10, 0, tzinfo=PARIS)
    ref = open_case(sessions, settings, opened, apply=False)  # deadlines set by the job
    clock = ManualClock(opened)
    _tick(settings, sessions, clock, opened)
    assert get_case(sessions, ref).start_due_at == datetime(2026, 3, 31, 8, 0, tzinfo=UTC)
    _tick(settings, sessions, clock, datetime(2026, 3, 31, 8, 0, tzinfo=UTC) - SECOND)
    assert _keys(sessions, "reminder") == []
    _tick(settings, sessions, clock, datetime(2026, 3, 31, 8, 0, tzinfo=UTC))
    assert _keys(sessions, "reminder") == [f"reminder:start:{ref}"]
    assert "Tue 31 Mar 2026 10:00 CEST" in body(outbox(sessions, "reminder")[0])


def test_escalation_across_autumn_dst_counts_working_days_locally(
        settings: Settings, sessions: sessionmaker[Session]) -> None:
    """Opened Thursday 22 October 16:00 CEST: start due Monday 26 October 16:00 CET, and the
    escalation (4 working days) Wednesday 28 October 16:00 CET = 15:00 UTC."""
    opened = datetime(2026, 10, 22, 16, 0, tzinfo=PARIS)
    ref = open_case(sessions, settings, opened)
    clock = ManualClock(opened)
    assert get_case(sessions, ref).start_due_at == datetime(2026, 10, 26, 15, 0, tzinfo=UTC)
    _tick(settings, sessions, clock, datetime(2026, 10, 28, 15, 0, tzinfo=UTC) - SECOND)
    assert _keys(sessions, "reminder") == [f"reminder:start:{ref}"]
    assert _keys(sessions, "escalation") == []
    _tick(settings, sessions, clock, datetime(2026, 10, 28, 15, 0, tzinfo=UTC))
    assert _keys(sessions, "escalation") == [f"escalation:start:{ref}"]


def test_reminders_stop_after_start_and_answer(
        settings: Settings, sessions: sessionmaker[Session]) -> None:
    """A case started before its deadline gets no start reminder, only the answer one; once
    answered, nothing more."""
    opened = datetime(2026, 6, 3, 9, 0, tzinfo=UTC)
    ref = open_case(sessions, settings, opened, urgent=True)
    update_case(sessions, ref, started_at=opened + timedelta(hours=1), status="started")
    clock = ManualClock(opened)
    _tick(settings, sessions, clock, opened + timedelta(hours=5))
    assert _keys(sessions, "reminder") == []
    assert _keys(sessions, "call_prompt") == []
    _tick(settings, sessions, clock, opened + timedelta(hours=24))
    assert _keys(sessions, "reminder") == [f"reminder:answer:{ref}"]
    update_case(sessions, ref, answered_at=opened + timedelta(hours=25), status="answered")
    _tick(settings, sessions, clock, opened + timedelta(hours=60))
    assert _keys(sessions, "reminder") == [f"reminder:answer:{ref}"]
    assert _keys(sessions, "escalation") == []


def test_incoming_call_prompt_after_hours_then_secondary_then_stops_when_called(
        settings: Settings, sessions: sessionmaker[Session]) -> None:
    """An urgent FR request not started by 23:14 Paris prompts a call on the after-hours
    number once; 30 minutes without a logged call offers the secondary contact point once;
    after `called` nothing more."""
    store_directory(sessions, datetime(2026, 1, 1, tzinfo=UTC))
    due = datetime(2026, 11, 27, 22, 14, tzinfo=UTC)  # Friday 23:14 CET
    ref = open_case(sessions, settings, due - timedelta(hours=2), urgent=True)
    clock = ManualClock(due)
    _tick(settings, sessions, clock, due - SECOND)
    assert _keys(sessions, "call_prompt") == []
    with capture_logs() as logs:
        _tick(settings, sessions, clock, due)
    line = (f"CALL FR about {ref} now: +33 6 00 00 00 11 (after-hours number; 23:14 in "
            "Paris, outside office hours Mon-Fri 08:30-18:00)")
    prompts = [e for e in logs if e["event"] == "call_prompted"]
    assert [e["prompt"] for e in prompts] == [line]
    assert prompts[0]["case"] == ref and prompts[0]["log_level"] == "warning"
    [mail] = outbox(sessions, "call_prompt")
    assert mail.recipients == [OPERATOR] and line in body(mail)

    _tick(settings, _restarted(settings.database.url), clock, due + timedelta(minutes=29))
    assert len(outbox(sessions, "call_prompt")) == 1
    _tick(settings, sessions, clock, due + timedelta(minutes=30))
    first, second = outbox(sessions, "call_prompt")
    assert first.created_at == due and second.created_at == due + timedelta(minutes=30)
    assert "+33 6 00 00 00 22 (secondary contact point, after-hours number" in body(second)
    assert "OFAC" in body(second)

    with transaction(sessions) as session:
        case = session.scalars(select(Case).where(Case.reference == ref)).one()
        audit.record(session, "call_logged", at=due + timedelta(minutes=40), actor="anna",
                     case=case, note="reached the secondary")
    _tick(settings, sessions, clock, due + timedelta(hours=3))
    assert len(outbox(sessions, "call_prompt")) == 2


def test_incoming_call_prompt_in_office_hours_uses_office_number(
        settings: Settings, sessions: sessionmaker[Session]) -> None:
    """An emergency not started within 30 minutes, due at 10:30 on a Tuesday in Paris,
    prompts a call on the office number; a call logged before the second prompt stops it."""
    store_directory(sessions, datetime(2026, 1, 1, tzinfo=UTC))
    opened = datetime(2026, 3, 31, 8, 0, tzinfo=UTC)  # 10:00 CEST
    ref = open_case(sessions, settings, opened, request_type="emergency_disclosure")
    clock = ManualClock(opened)
    _tick(settings, sessions, clock, opened + timedelta(minutes=30))
    [mail] = outbox(sessions, "call_prompt")
    assert (f"CALL FR about {ref} now: +33 1 49 00 00 11 (office number; 10:30 in Paris, "
            "inside office hours Mon-Fri 08:30-18:00)") in body(mail)
    with transaction(sessions) as session:
        case = session.scalars(select(Case).where(Case.reference == ref)).one()
        audit.record(session, "call_logged", at=opened + timedelta(minutes=35), actor="anna",
                     case=case)
    _tick(settings, sessions, clock, opened + timedelta(hours=2))
    assert len(outbox(sessions, "call_prompt")) == 1


def test_outgoing_call_prompts_when_sent_and_when_not_acknowledged(
        settings: Settings, sessions: sessionmaker[Session]) -> None:
    """An urgent outgoing request prompts a call at once, again when the partner has not
    acknowledged within 60 minutes (the earlier call does not settle that step), and no
    more once the partner acknowledged."""
    store_directory(sessions, datetime(2026, 1, 1, tzinfo=UTC))
    sent = datetime(2026, 6, 2, 1, 0, tzinfo=UTC)  # 10:00 in Tokyo, a Tuesday
    ref = open_case(sessions, settings, sent, direction="outgoing", urgent=True,
                    country="JP", request_type="preservation")
    clock = ManualClock(sent)
    _tick(settings, sessions, clock, sent)
    [first] = outbox(sessions, "call_prompt")
    assert first.key == f"call:sent:{ref}:1"
    assert "+81 3-0000-0001 (office number; 10:00 in Tokyo, inside office hours" in body(first)
    with transaction(sessions) as session:
        case = session.scalars(select(Case).where(Case.reference == ref)).one()
        audit.record(session, "call_logged", at=sent + timedelta(minutes=5), actor="anna",
                     case=case)
    _tick(settings, sessions, clock, sent + timedelta(minutes=59))
    assert len(outbox(sessions, "call_prompt")) == 1
    _tick(settings, sessions, clock, sent + timedelta(minutes=60))
    assert _keys(sessions, "call_prompt") == [f"call:sent:{ref}:1", f"call:ack:{ref}:1"]
    assert "not acknowledged within 60 minutes" in body(outbox(sessions, "call_prompt")[1])
    update_case(sessions, ref, partner_acked_at=sent + timedelta(minutes=70))
    _tick(settings, sessions, clock, sent + timedelta(hours=3))
    assert len(outbox(sessions, "call_prompt")) == 2


def test_preservation_warnings_at_14_and_3_days_once_and_moved_by_extension(
        db_url: str, settings: Settings, sessions: sessionmaker[Session]) -> None:
    """An incoming preservation started on 1 March 10:00 CET lapses 90 days later at 10:00
    CEST: one warning at 14 days, one at 3 days, none repeated after a restart; an extension
    moves the date and the warnings follow the new date."""
    store_directory(sessions, datetime(2026, 1, 1, tzinfo=UTC))
    started = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    ref = open_case(sessions, settings, started - timedelta(hours=3),
                    request_type="preservation")
    with transaction(sessions) as session:
        case = session.scalars(select(Case).where(Case.reference == ref)).one()
        case.started_at, case.status = started, "started"
        deadlines.on_started(case, settings, load_directory(session), started)
    expires = datetime(2026, 5, 30, 10, 0, tzinfo=PARIS)
    assert get_case(sessions, ref).preservation_expires_at == expires
    clock = ManualClock(started)
    _tick(settings, sessions, clock, expires - timedelta(days=14) - SECOND)
    assert _keys(sessions, "preservation_warning") == []
    _tick(settings, sessions, clock, expires - timedelta(days=14))
    [warning] = outbox(sessions, "preservation_warning")
    assert "No MLA request received yet" in body(warning)
    assert f"Preservation {ref} lapses in 14 days" in warning.subject
    _tick(settings, _restarted(db_url), clock, expires - timedelta(days=5))
    assert len(outbox(sessions, "preservation_warning")) == 1
    _tick(settings, sessions, clock, expires - timedelta(days=3))
    assert "lapses in 3 days" in outbox(sessions, "preservation_warning")[1].subject
    _tick(settings, _restarted(db_url), clock, expires - timedelta(days=1))
    assert len(outbox(sessions, "preservation_warning")) == 2

    extended = expires - timedelta(days=1)
    ext = open_case(sessions, settings, extended - timedelta(hours=1),
                    request_type="preservation_extension",
                    previous_case_id=get_case(sessions, ref).id)
    with transaction(sessions) as session:
        case = session.scalars(select(Case).where(Case.reference == ext)).one()
        case.started_at = extended
        deadlines.on_started(case, settings, load_directory(session), extended)
    new_expiry = extended + timedelta(days=90)
    assert get_case(sessions, ref).preservation_expires_at == new_expiry
    _tick(settings, sessions, clock, new_expiry - timedelta(days=14))
    warned = [r for r in outbox(sessions, "preservation_warning") if ref in r.key]
    assert len(warned) == 3
    with transaction(sessions) as session:
        kinds = session.scalars(select(Event.kind).where(
            Event.case_id == get_case(sessions, ref).id)).all()
    assert "preservation_extended" in kinds


def test_outgoing_preservation_warns_to_send_mla_and_stops_when_closed(
        settings: Settings, sessions: sessionmaker[Session]) -> None:
    """An outgoing preservation acknowledged by FR lapses after FR's 120 days: the warning
    says to send the MLA request; a closed case is not warned."""
    store_directory(sessions, datetime(2026, 1, 1, tzinfo=UTC))
    acked = datetime(2026, 2, 2, 10, 0, tzinfo=UTC)
    ref = open_case(sessions, settings, acked - timedelta(hours=1), direction="outgoing",
                    request_type="preservation", partner_acked_at=acked)
    closed = open_case(sessions, settings, acked - timedelta(hours=1), direction="outgoing",
                       request_type="preservation", partner_acked_at=acked)
    update_case(sessions, closed, status="closed", closed_at=acked + timedelta(days=1))
    clock = ManualClock(acked)
    _tick(settings, sessions, clock, acked)
    expires = datetime(2026, 6, 2, 11, 0, tzinfo=PARIS)  # 11:00 CET + 120 days
    assert get_case(sessions, ref).preservation_expires_at == expires
    _tick(settings, sessions, clock, expires - timedelta(days=14) - SECOND)
    assert outbox(sessions, "preservation_warning") == []
    _tick(settings, sessions, clock, expires - timedelta(days=14))
    [warning] = outbox(sessions, "preservation_warning")
    assert ref in warning.key
    assert "Send the MLA request or an extension to FR" in body(warning)


def test_retention_risk_flags_outgoing_case_once(
        settings: Settings, sessions: sessionmaker[Session]) -> None:
    """An outgoing request to FR about an IP used 11.5 months ago (traffic kept 12 months)
    is flagged `retention_at_risk` with the deletion instant; a recent one is not."""
    store_directory(sessions, datetime(2026, 1, 1, tzinfo=UTC))
    now = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
    risky = open_case(sessions, settings, now, direction="outgoing", request_type="preservation")
    fresh = open_case(sessions, settings, now, direction="outgoing", request_type="preservation")
    used = datetime(2025, 7, 1, 8, 30, tzinfo=UTC)
    with transaction(sessions) as session:
        for ref, at in ((risky, used), (fresh, now - timedelta(days=3))):
            case = session.scalars(select(Case).where(Case.reference == ref)).one()
            session.add(Identifier(case_id=case.id, type="ipv4", value="192.0.2.10",
                                   timestamp=at))
    clock = ManualClock(now)
    _tick(settings, sessions, clock, now)
    _tick(settings, sessions, clock, now + timedelta(minutes=1))
    flagged = get_case(sessions, risky)
    assert "retention_at_risk" in flagged.flags
    assert flagged.retention_risk_at == datetime(2026, 7, 1, 8, 30, tzinfo=UTC)
    assert get_case(sessions, fresh).retention_risk_at is None
    with transaction(sessions) as session:
        events = session.scalars(select(Event).where(
            Event.kind == "retention_risk_flagged")).all()
    assert [e.case_id for e in events] == [flagged.id]


def test_digest_planned_once_a_day_at_digest_time_in_desk_zone(
        db_url: str, settings: Settings, sessions: sessionmaker[Session]) -> None:
    """The digest goes to the supervisors at 07:30 Paris (05:30 UTC in summer), once that
    day even across a restart, and again the next day."""
    clock = ManualClock(datetime(2026, 7, 1, 5, 29, tzinfo=UTC))
    _tick(settings, sessions, clock, datetime(2026, 7, 1, 5, 29, 59, tzinfo=UTC))
    assert _keys(sessions, "digest") == []
    _tick(settings, sessions, clock, datetime(2026, 7, 1, 5, 30, tzinfo=UTC))
    _tick(settings, _restarted(db_url), clock, datetime(2026, 7, 1, 18, 0, tzinfo=UTC))
    assert _keys(sessions, "digest") == ["digest:2026-07-01"]
    [mail] = outbox(sessions, "digest")
    assert mail.recipients == [SUPERVISOR]
    _tick(settings, sessions, clock, datetime(2026, 7, 2, 5, 30, tzinfo=UTC))
    assert _keys(sessions, "digest") == ["digest:2026-07-01", "digest:2026-07-02"]


def test_no_recipients_logs_and_never_repeats(
        db_url: str, sessions: sessionmaker[Session]) -> None:
    """Without operators a reminder is logged once, not mailed, and not repeated."""
    settings = desk_settings(db_url, operators=[], supervisors=[])
    opened = datetime(2026, 6, 3, 9, 0, tzinfo=UTC)
    open_case(sessions, settings, opened, urgent=True)
    clock = ManualClock(opened)
    with capture_logs() as logs:
        _tick(settings, sessions, clock, opened + timedelta(hours=2))
        _tick(settings, sessions, clock, opened + timedelta(hours=2, minutes=1))
    assert [e["event"] for e in logs].count("reminder_planned") == 1
    assert outbox(sessions, "reminder") == []


def test_call_prompts_stop_once_started_or_answered(
        settings: Settings, sessions: sessionmaker[Session]) -> None:
    """After the first prompt, recording the start (or, for outgoing, the partner's
    acknowledgement) or the answer stops the secondary prompt."""
    store_directory(sessions, datetime(2026, 1, 1, tzinfo=UTC))
    opened = datetime(2026, 3, 31, 8, 0, tzinfo=UTC)
    started = open_case(sessions, settings, opened, urgent=True)
    answered = open_case(sessions, settings, opened, urgent=True)
    clock = ManualClock(opened)
    _tick(settings, sessions, clock, opened + timedelta(hours=2))
    assert sorted(_keys(sessions, "call_prompt")) == sorted(
        [f"call:start:{started}:1", f"call:start:{answered}:1"])
    update_case(sessions, started, started_at=opened + timedelta(hours=2, minutes=5),
                status="started")
    update_case(sessions, answered, answered_at=opened + timedelta(hours=2, minutes=5),
                status="answered")
    _tick(settings, sessions, clock, opened + timedelta(hours=4))
    assert len(outbox(sessions, "call_prompt")) == 2


def test_backlog_is_worked_off_over_ticks_without_repeats(
        settings: Settings, sessions: sessionmaker[Session],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """With more overdue cases than one tick plans, the next ticks plan the rest, each once."""
    monkeypatch.setattr(reminders, "MAX_PER_TICK", 2)
    opened = datetime(2026, 6, 3, 9, 0, tzinfo=UTC)
    refs = [open_case(sessions, settings, opened + timedelta(minutes=n)) for n in range(3)]
    clock = ManualClock(opened)
    late = opened + timedelta(days=30)

    def planned() -> list[str]:
        return _keys(sessions, "reminder") + _keys(sessions, "escalation")

    _tick(settings, sessions, clock, late)
    assert len(planned()) == 2
    for minute in range(1, 8):
        _tick(settings, sessions, clock, late + timedelta(minutes=minute))
    assert sorted(planned()) == sorted(
        f"{kind}:{step}:{ref}" for ref in refs for step in ("start", "answer")
        for kind in ("reminder", "escalation"))


def test_due_work_starts_the_ping_round_on_its_date_once(
        settings: Settings, sessions: sessionmaker[Session]) -> None:
    """On a ping date in the desk's zone the scheduler's due work starts one ping round,
    pinging each contact point once, and later ticks start no other."""
    store_directory(sessions, datetime(2026, 1, 1, tzinfo=UTC))
    settings = settings.model_copy(update={"schedule": settings.schedule.model_copy(
        update={"ping_dates": ("07-01",)})})
    clock = ManualClock(datetime(2026, 6, 30, 21, 59, tzinfo=UTC))
    _tick(settings, sessions, clock, datetime(2026, 6, 30, 21, 59, tzinfo=UTC))
    assert outbox(sessions, "ping") == []
    _tick(settings, sessions, clock, datetime(2026, 6, 30, 22, 0, tzinfo=UTC))  # 00:00 CEST
    _tick(settings, sessions, clock, datetime(2026, 7, 1, 9, 0, tzinfo=UTC))
    pings = outbox(sessions, "ping")
    assert sorted(r.first_recipient for r in pings) == [
        "desk@cyber.jp.example", "ofac-astreinte@interieur.fr.example",
        "sdlc-247@interieur.fr.example"]
    with transaction(sessions) as session:
        assert len(session.scalars(select(PingRound)).all()) == 1


def test_preservation_warning_across_dst_fires_at_local_time(
        settings: Settings, sessions: sessionmaker[Session]) -> None:
    """Data lapsing Sunday 5 April 10:00 CEST is warned 14 days before at 10:00 CET
    (09:00 UTC on 22 March), not 14 × 24 hours before (08:00 UTC)."""
    expires = datetime(2026, 4, 5, 10, 0, tzinfo=PARIS)
    ref = open_case(sessions, settings, datetime(2026, 1, 10, 9, 0, tzinfo=UTC),
                    request_type="preservation", status="started",
                    started_at=datetime(2026, 1, 10, 9, 0, tzinfo=UTC),
                    preservation_expires_at=expires)
    clock = ManualClock(expires)
    _tick(settings, sessions, clock, datetime(2026, 3, 22, 9, 0, tzinfo=UTC) - SECOND)
    assert outbox(sessions, "preservation_warning") == []
    _tick(settings, sessions, clock, datetime(2026, 3, 22, 9, 0, tzinfo=UTC))
    [warning] = outbox(sessions, "preservation_warning")
    assert ref in warning.key
    assert "lapses in 14 days (Sun 05 Apr 2026 10:00 CEST)" in warning.subject
