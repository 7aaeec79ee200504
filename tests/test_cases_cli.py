"""`watchkeeper cases` and `watchkeeper case REF ...` run as real commands on both databases."""

from __future__ import annotations

import getpass
import json
import re
import signal
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from models import Case, Event, Identifier, Message, OutboxMail
from tests.conftest import run_cli
from tests.servers import Dovecot, SmtpSink
from tests.test_ingest_support import (
    PARTNERS,
    cli_env,
    daemon_process,
    request_mail,
    seed_directory,
    wait_until,
    write_config,
)

NOW = datetime.now(UTC).replace(microsecond=0)


def make_case(sessions: sessionmaker[Session], reference: str, **fields: Any) -> int:
    """Insert one case as the pipeline would have left it; returns its id."""
    values: dict[str, Any] = {
        "direction": "incoming", "status": "acknowledged", "request_type": "preservation",
        "country": "DE", "counterpart_address": "poc247@bka.de.example",
        "sender_verified": True, "subject": f"Request {reference}",
        "opened_at": NOW - timedelta(hours=2),
    }
    values.update(fields)
    with sessions.begin() as session:
        case = Case(reference=reference, **values)
        session.add(case)
        session.flush()
        return case.id


def snapshot(sessions: sessionmaker[Session]) -> tuple[Any, ...]:
    """Every case column and every event, to prove a refused command changed nothing."""
    with sessions() as session:
        cases = [tuple(getattr(c, col.key) for col in Case.__table__.columns)
                 for c in session.scalars(select(Case).order_by(Case.id))]
        events = [(e.kind, e.actor, e.case_id, e.data)
                  for e in session.scalars(select(Event).order_by(Event.id))]
    return tuple(cases), tuple(events)


def env_for(db_url: str, **extra: str) -> dict[str, str]:
    return {"WATCHKEEPER_DATABASE__URL": db_url, "WATCHKEEPER_LOGGING__FORMAT": "json",
            **extra}


def case_row(sessions: sessionmaker[Session], reference: str) -> Case:
    with sessions() as session:
        case = session.scalars(select(Case).where(Case.reference == reference)).one()
        session.expunge(case)
        return case


def events_of(sessions: sessionmaker[Session], reference: str) -> list[tuple[str, str,
                                                                               dict[str, Any]]]:
    with sessions() as session:
        rows = session.scalars(
            select(Event).join(Case, Case.id == Event.case_id)
            .where(Case.reference == reference).order_by(Event.id))
        return [(e.kind, e.actor, e.data) for e in rows]


def test_cases_table_shows_next_deadline_in_desk_zone(
    db_url: str, sessions: sessionmaker[Session]
) -> None:
    """The table lists each case with its next deadline, in the desk's time zone."""
    due = datetime(2030, 3, 4, 9, 30, tzinfo=UTC)  # 10:30 in Brussels (winter time)
    make_case(sessions, "WK-2030-00001", start_due_at=due, answer_due_at=due + timedelta(days=3),
              urgent=True)
    make_case(sessions, "WK-2030-00002", status="closed", closed_at=NOW)
    result = run_cli("cases", env=env_for(db_url, WATCHKEEPER_DESK__TIMEZONE="Europe/Brussels"))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["REFERENCE", "STATUS", "TYPE"]
    first = next(line for line in lines if line.startswith("WK-2030-00001"))
    assert "2030-03-04 10:30" in first and " start" in first and "yes" in first
    assert any(line.startswith("WK-2030-00002") for line in lines)
    assert "Europe/Brussels" in lines[-1]


def test_cases_filters_open_overdue_urgent_country(
    db_url: str, sessions: sessionmaker[Session]
) -> None:
    """--open, --overdue, --urgent and --country each keep only the matching cases."""
    make_case(sessions, "WK-2026-00001", start_due_at=NOW - timedelta(hours=1), urgent=True)
    make_case(sessions, "WK-2026-00002", start_due_at=NOW + timedelta(days=1), country="FR",
              counterpart_address="cp@police.fr.example")
    make_case(sessions, "WK-2026-00003", status="closed", closed_at=NOW,
              start_due_at=NOW - timedelta(days=3))
    make_case(sessions, "WK-2026-00004", status="started", started_at=NOW,
              start_due_at=NOW - timedelta(days=1), answer_due_at=NOW + timedelta(days=1))
    env = env_for(db_url)

    def refs(*flags: str) -> list[str]:
        result = run_cli("cases", "--json", *flags, env=env)
        assert result.returncode == 0, result.stderr
        return [c["reference"] for c in json.loads(result.stdout)]

    assert refs() == ["WK-2026-00001", "WK-2026-00002", "WK-2026-00003", "WK-2026-00004"]
    assert refs("--open") == ["WK-2026-00001", "WK-2026-00002", "WK-2026-00004"]
    assert refs("--overdue") == ["WK-2026-00001"]
    assert refs("--urgent") == ["WK-2026-00001"]
    assert refs("--country", "fr") == ["WK-2026-00002"]
    data = json.loads(run_cli("cases", "--json", "--overdue", env=env).stdout)[0]
    assert data["overdue"] is True and data["next_due"]["what"] == "start"


def test_cases_bad_country_is_one_line(db_url: str) -> None:
    """A malformed --country gives one line naming the option and exit code 1."""
    result = run_cli("cases", "--country", "Germany", env=env_for(db_url))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "watchkeeper: --country 'Germany': expected a two-letter country code"]


def test_case_show_has_parties_deadlines_identifiers_timeline(
    db_url: str, sessions: sessionmaker[Session]
) -> None:
    """`case REF show` prints parties, the partner's local time and number to call,
    references, identifiers, deadlines and the timeline."""
    seed_directory(sessions)
    cid = make_case(sessions, "WK-2026-00042", their_reference="BKA-77/2026", urgent=True,
                    start_due_at=NOW - timedelta(minutes=30), provider="Example Mail GmbH",
                    answer_due_at=NOW + timedelta(hours=20),
                    preservation_expires_at=NOW + timedelta(days=90))
    with sessions.begin() as session:
        session.add(Identifier(case_id=cid, type="ipv4", value="203.0.113.9",
                               timestamp=datetime(2026, 11, 20, 14, 3, tzinfo=UTC)))
        session.add(Message(folder="INBOX", uidvalidity=1, uid=7, sha256="0" * 64, size=10,
                            from_addr="poc247@bka.de.example", subject="Preservation BKA-77",
                            fetched_at=NOW - timedelta(hours=2), case_id=cid))
        session.add(Event(at=NOW - timedelta(hours=2), kind="case_opened", actor="watchkeeper",
                          case_id=cid, data={}))
    result = run_cli("case", "WK-2026-00042", "show", env=env_for(db_url))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for expected in ("WK-2026-00042", "preservation", "URGENT", "poc247@bka.de.example",
                     "verified", "BKA-77/2026", "Example Mail GmbH", "203.0.113.9",
                     "2026-11-20 14:03:00 UTC", "start by", "OVERDUE", "answer by",
                     "preservation expires",
                     "mail in", "Preservation BKA-77", "case_opened by watchkeeper",
                     "partner now:", "Europe/Berlin", "call +33 1 40 00 00 01"):
        assert expected in out, expected
    assert out.index("mail in") < out.index("case_opened")


def test_case_transitions_write_events_with_operator(
    db_url: str, sessions: sessionmaker[Session]
) -> None:
    """Each transition changes the case and records an event with the operator's name."""
    make_case(sessions, "WK-2026-00001", request_type="information")
    make_case(sessions, "WK-2026-00002", request_type="preservation_extension")
    env = env_for(db_url)

    def ok(*args: str) -> str:
        result = run_cli("case", *args, env=env)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    assert ok("WK-2026-00002", "start", "--by", "alice") == "WK-2026-00002 started by alice"
    assert case_row(sessions, "WK-2026-00002").status == "started"
    assert ok("wk-2026-00002", "answer", "--by", "alice").endswith("answered by alice")
    assert ok("WK-2026-00002", "close", "--reason", "data sent", "--by", "bob")
    closed = case_row(sessions, "WK-2026-00002")
    assert closed.status == "closed" and closed.close_reason == "data sent"
    assert ok("WK-2026-00002", "reopen", "--by", "carol").endswith(
        "reopened (status answered) by carol")
    ok("WK-2026-00002", "note", "partner", "asked", "for", "an", "update", "--by", "dave")
    ok("WK-2026-00002", "--by", "erin", "called", "--note", "spoke to the duty officer")
    ok("WK-2026-00002", "link", "WK-2026-00001")
    row = case_row(sessions, "WK-2026-00002")
    assert row.status == "answered" and row.closed_at is None
    assert row.started_at is not None and row.answered_at is not None
    assert row.previous_case_id == case_row(sessions, "WK-2026-00001").id
    events = events_of(sessions, "WK-2026-00002")
    # Starting confirms execution to the partner in the same transaction.
    queued = events.pop(1)
    assert queued[:2] == ("confirmation_queued", "alice")
    assert queued[2]["to"] == ["poc247@bka.de.example"]
    with sessions() as session:
        purposes = session.scalars(select(OutboxMail.purpose)).all()
    assert purposes == ["execution_started"]
    assert events == [
        ("case_started", "alice", {"previous": "acknowledged"}),
        ("case_answered", "alice", {"previous": "started"}),
        ("case_closed", "bob", {"previous": "answered", "reason": "data sent"}),
        ("case_reopened", "carol", {"closed_reason": "data sent"}),
        ("note_added", "dave", {"text": "partner asked for an update"}),
        ("call_logged", "erin", {"note": "spoke to the duty officer"}),
        ("case_linked", getpass.getuser(),
         {"previous_case": "WK-2026-00001", "replaced": None}),
    ]


def test_case_start_sets_preservation_expiry(
    db_url: str, sessions: sessionmaker[Session]
) -> None:
    """Starting an incoming preservation request starts its preservation period."""
    make_case(sessions, "WK-2026-00007")
    result = run_cli("case", "WK-2026-00007", "start", "--by", "alice",
                     env=env_for(db_url, WATCHKEEPER_SLA__PRESERVATION_DAYS="90"))
    assert result.returncode == 0, result.stderr
    row = case_row(sessions, "WK-2026-00007")
    assert row.started_at is not None and row.preservation_expires_at is not None
    assert row.preservation_expires_at - row.started_at == timedelta(days=90)


WRONG_USES = [
    (("WK-2026-09999", "show"), "watchkeeper: no case 'WK-2026-09999'"),
    (("WK-2026-09999", "start"), "watchkeeper: no case 'WK-2026-09999'"),
    (("WK-2026-00002", "start"), "watchkeeper: WK-2026-00002 is closed: reopen it before you "
                                 "start it"),
    (("WK-2026-00002", "answer"), "watchkeeper: WK-2026-00002 is closed: reopen it before you "
                                  "answer it"),
    (("WK-2026-00002", "close"), "watchkeeper: WK-2026-00002 is already closed (on "),
    (("WK-2026-00002", "note", "late"), "watchkeeper: WK-2026-00002 is closed: reopen it "
                                        "before you annotate it"),
    (("WK-2026-00002", "called"), "watchkeeper: WK-2026-00002 is closed: reopen it before you "
                                  "log a call on it"),
    (("WK-2026-00002", "link", "WK-2026-00001"), "watchkeeper: WK-2026-00002 is closed: "
                                                 "reopen it before you link it"),
    (("WK-2026-00001", "start"), "watchkeeper: WK-2026-00001 is already started (since "),
    (("WK-2026-00003", "start"), "watchkeeper: WK-2026-00003 is already answered: nothing "
                                 "left to start"),
    (("WK-2026-00003", "answer"), "watchkeeper: WK-2026-00003 is already answered (on "),
    (("WK-2026-00001", "reopen"), "watchkeeper: WK-2026-00001 is not closed (status started): "
                                  "nothing to reopen"),
    (("WK-2026-00001", "note", " "), "watchkeeper: the note is empty: give its text"),
    (("WK-2026-00001", "link", "WK-2026-00001"), "watchkeeper: WK-2026-00001 cannot be linked "
                                                 "to itself"),
    (("WK-2026-00001", "link", "WK-2026-08888"), "watchkeeper: no case 'WK-2026-08888'"),
    (("WK-2026-00003", "link", "WK-2026-00001"), "watchkeeper: linking WK-2026-00003 to "
                                                 "WK-2026-00001 would make a loop"),
]


def test_case_wrong_uses_are_one_line_and_change_nothing(
    db_url: str, sessions: sessionmaker[Session]
) -> None:
    """Unknown references, closed cases and wrong transitions: one line, exit 1, no change."""
    first = make_case(sessions, "WK-2026-00001", status="started", started_at=NOW)
    make_case(sessions, "WK-2026-00002", status="closed", closed_at=NOW)
    make_case(sessions, "WK-2026-00003", status="answered", answered_at=NOW)
    with sessions.begin() as session:
        session.get_one(Case, first).previous_case_id = session.scalars(
            select(Case.id).where(Case.reference == "WK-2026-00003")).one()
    before = snapshot(sessions)
    env = env_for(db_url)
    # Each use is its own `watchkeeper` process; four at a time, since none may change anything.
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda use: run_cli("case", *use[0], env=env), WRONG_USES))
    for (args, message), result in zip(WRONG_USES, results, strict=True):
        assert result.returncode == 1, (args, result.stdout, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(message), (args, lines)
        assert result.stdout == "", args
    assert snapshot(sessions) == before


def test_case_usage_errors_exit_2(db_url: str) -> None:
    """An unknown action or a missing argument is a usage error (exit 2, one line)."""
    for args in (("WK-2026-00001", "explode"), ("WK-2026-00001", "link"), ("WK-2026-00001",)):
        result = run_cli("case", *args, env=env_for(db_url))
        assert result.returncode == 2, args
        assert result.stderr.strip().splitlines()[-1].startswith("watchkeeper: "), args


@pytest.mark.parametrize("command", [("cases",), ("case", "WK-2026-00001", "show")])
def test_case_commands_refuse_empty_database(tmp_path: Any, command: tuple[str, ...]) -> None:
    """On a database without the schema the commands say to run `db upgrade` (exit 2)."""
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    result = run_cli(*command, env=env_for(url))
    assert result.returncode == 2
    assert "watchkeeper db upgrade" in result.stderr


def test_case_start_while_daemon_runs_confirms_in_thread(
    db_url: str, sessions: sessionmaker[Session], tmp_path: Path, dovecot: Dovecot,
    smtp_sink: SmtpSink,
) -> None:
    """With `watchkeeper run` up on the same database, `case REF start` works, and the
    daemon sends the partner the confirmation in the acknowledgement's thread."""
    seed_directory(sessions)
    config = write_config(tmp_path, imap_port=dovecot.port, smtp_port=smtp_sink.port,
                          db_url=db_url, poll_seconds=1)
    proc = daemon_process(config, log=tmp_path / "daemon.log")
    try:
        request = request_mail(sender=PARTNERS["LU"][0])
        dovecot.append(request.as_bytes())
        wait_until(lambda: len(smtp_sink.received) >= 1, 60, "the acknowledgement is sent")
        ack = smtp_sink.received[0].message
        reference = re.search(r"\[(WK-\d{4}-\d{5})\]", str(ack["Subject"]))
        assert reference is not None
        started = run_cli("case", reference[1], "start", "--by", "alice",
                          env=cli_env(config))
        assert started.returncode == 0, started.stderr
        wait_until(lambda: len(smtp_sink.received) >= 2, 45, "the confirmation is sent")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=15)
    confirmation = smtp_sink.received[1]
    assert confirmation.rcpt_tos == [PARTNERS["LU"][0]]
    assert confirmation.message["In-Reply-To"] == ack["Message-ID"]
    assert reference[1] in str(confirmation.message["Subject"])
    assert case_row(sessions, reference[1]).status == "started"
