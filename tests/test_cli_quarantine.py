"""`watchkeeper quarantine list|show|retry|release` on mail the real pipeline quarantined."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings
from daemon.inbound import pipeline
from daemon.inbound.work import Env, Fetched
from models import Case, Event, Message, OutboxMail
from parsers.directory import Directory
from tests.conftest import run_cli

DESK = {"official_address": "poc247@ncc.gov.example", "timezone": "Europe/Brussels"}


def mail(subject: str, message_id: str, body: str = "Please preserve the data.") -> bytes:
    msg = EmailMessage()
    msg["From"] = "duty@police.fr.example"
    msg["To"] = DESK["official_address"]
    msg["Subject"] = subject
    msg["Date"] = "Sat, 28 Nov 2026 08:00:00 +0100"
    msg["Message-ID"] = message_id
    msg.set_content(body)
    return msg.as_bytes()


def ingest(db_url: str, sessions: sessionmaker[Session], raw: bytes, uid: int) -> Message:
    """Run the real pipeline on one message, as the mailbox watcher would."""
    settings = Settings(database={"url": db_url}, desk=DESK)
    fetched = Fetched(folder="INBOX", role="inbox", uidvalidity=9, uid=uid, raw=raw,
                               size=len(raw), internal_date=datetime.now(UTC), truncated=False,
                               live=True)
    with sessions.begin() as session:
        work = pipeline.run(session, Env(settings, Directory(), datetime.now(UTC)), fetched)
        assert work is not None and work.message is not None
    return work.message


def env_for(db_url: str) -> dict[str, str]:
    return {"WATCHKEEPER_DATABASE__URL": db_url, "WATCHKEEPER_LOGGING__FORMAT": "json",
            "WATCHKEEPER_DESK__OFFICIAL_ADDRESS": DESK["official_address"],
            "WATCHKEEPER_DESK__TIMEZONE": DESK["timezone"]}


def test_poison_mail_listed_shown_and_retry_fails_again(
    db_url: str, sessions: sessionmaker[Session]
) -> None:
    """A poison message is listed and shown with its error; a retry fails again, one line."""
    poison = ingest(db_url, sessions, mail("Preservation request",
                                           "<" + "x" * 1000 + "@police.fr.example>"), uid=1)
    assert poison.quarantined and poison.error
    env = env_for(db_url)
    listed = run_cli("quarantine", "list", env=env)
    assert listed.returncode == 0, listed.stderr
    assert f"{poison.id:>6}" in listed.stdout and "Message-ID is 10" in listed.stdout
    shown = run_cli("quarantine", "show", str(poison.id), env=env)
    assert shown.returncode == 0, shown.stderr
    assert "error:      parse: PoisonMail" in shown.stdout
    assert "Subject: Preservation request" in shown.stdout
    assert "message_quarantined by watchkeeper" in shown.stdout
    raw = run_cli("quarantine", "show", str(poison.id), "--raw", env=env)
    assert raw.stdout.startswith("From: duty@police.fr.example")
    again = run_cli("quarantine", "retry", str(poison.id), "--by", "alice", env=env)
    assert again.returncode == 1
    assert again.stderr.strip().splitlines()[-1].startswith(
        f"watchkeeper: message {poison.id} failed again: parse: PoisonMail")
    with sessions() as session:
        row = session.get_one(Message, poison.id)
        assert row.quarantined and row.released_at is None
        kinds = session.scalars(select(Event.kind).where(Event.message_id == poison.id)).all()
        assert session.scalar(select(Case.id)) is None
    assert "quarantine_retry_failed" in kinds


def test_retry_processes_stored_bytes_and_opens_case(
    db_url: str, sessions: sessionmaker[Session]
) -> None:
    """Retrying a message quarantined by a passing fault opens its case and plans its ack."""
    raw = mail("Preservation request art. 29 - IP 203.0.113.50", "<req-1@police.fr.example>")
    with sessions.begin() as session:
        stuck = Message(folder="INBOX", uidvalidity=9, uid=4, sha256="2" * 64, size=len(raw),
                        raw=raw, fetched_at=datetime.now(UTC), live=True, quarantined=True,
                        error="thread: OperationalError: database is locked")
        session.add(stuck)
        session.flush()
        stuck_id = stuck.id
    result = run_cli("quarantine", "retry", str(stuck_id), "--by", "alice", env=env_for(db_url))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"message {stuck_id} processed: case WK-")
    assert result.stdout.strip().endswith("opened")
    with sessions() as session:
        row = session.get_one(Message, stuck_id)
        assert not row.quarantined and row.error is None and row.case_id is not None
        case = session.get_one(Case, row.case_id)
        assert case.counterpart_address == "duty@police.fr.example"
        acks = session.scalars(select(OutboxMail).where(OutboxMail.case_id == case.id)).all()
        retried = session.scalars(select(Event).where(
            Event.message_id == stuck_id, Event.kind == "quarantine_retried")).one()
    assert [a.purpose for a in acks] == ["ack"]
    assert retried.actor == "alice"
    assert run_cli("quarantine", "list", env=env_for(db_url)).stdout.strip() == \
        "no quarantined mail"


def test_release_and_wrong_uses(db_url: str, sessions: sessionmaker[Session]) -> None:
    """Release leaves the list with an event; unknown, unquarantined or released: exit 1."""
    poison = ingest(db_url, sessions, mail("Hello", "<" + "y" * 1000 + "@x.example>"), uid=1)
    fine = ingest(db_url, sessions, mail("Hello again", "<ok-1@police.fr.example>"), uid=2)
    assert not fine.quarantined
    env = env_for(db_url)
    done = run_cli("quarantine", "release", str(poison.id), "--by", "bob", "--reason",
                   "answered by phone", env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"message {poison.id} released by bob"
    assert run_cli("quarantine", "list", env=env).stdout.strip() == "no quarantined mail"
    assert "released" in run_cli("quarantine", "list", "--all", env=env).stdout
    with sessions() as session:
        event = session.scalars(select(Event).where(Event.kind == "quarantine_released")).one()
        assert (event.actor, event.data["reason"]) == ("bob", "answered by phone")
        before = session.scalar(select(Event.id).order_by(Event.id.desc()).limit(1))
    for args, line in (
        (("release", str(poison.id)), f"message {poison.id} was released on "),
        (("retry", str(poison.id)), f"message {poison.id} was released on "),
        (("retry", "99999"), "no message 99999"),
        (("show", "99999"), "no message 99999"),
        (("show", str(fine.id)), f"message {fine.id} is not quarantined"),
        (("release", str(fine.id)), f"message {fine.id} is not quarantined"),
    ):
        result = run_cli("quarantine", *args, env=env)
        assert result.returncode == 1, args
        assert result.stderr.strip().splitlines() == [
            result.stderr.strip().splitlines()[0]] and line in result.stderr, args
    with sessions() as session:
        after = session.scalar(select(Event.id).order_by(Event.id.desc()).limit(1))
    assert after == before
