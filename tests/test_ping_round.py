"""A whole ping round against the SMTP sink and Dovecot: pings, replies, reminders, results."""

from __future__ import annotations

import email.policy
import email.utils
import json
import re
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings
from daemon.duties import ping_results
from daemon.process.clock import ManualClock
from daemon.process.context import AppContext
from daemon.process.service import Service
from daemon.store import directory as directory_store
from daemon.store.db import transaction
from models import Case, Event, Message
from parsers.directory import load_toml
from tests.conftest import run_cli
from tests.servers import Dovecot, ReceivedMail, SmtpSink

SAMPLE = Path(__file__).resolve().parent / "data" / "corpus" / "directory.toml"
OFFICIAL = "poc247@ncc.gov.example"
SUPERVISOR = "head-of-unit@ncc.gov.example"


def settings_for(db_url: str, dovecot: Dovecot, sink: SmtpSink) -> Settings:
    return Settings(
        imap={"host": "127.0.0.1", "port": dovecot.port, "tls": "none", "username": "desk",
              "password": "desk-secret"},
        smtp={"host": "127.0.0.1", "port": sink.port, "tls": "none"},
        desk={"official_address": OFFICIAL, "supervisors": [SUPERVISOR],
              "timezone": "Europe/Brussels", "name": "Belgian 24/7 desk (fictional)"},
        database={"url": db_url},
    )


def write_config(tmp_path: Path, db_url: str) -> Path:
    path = tmp_path / "watchkeeper.toml"
    path.write_text(
        f'[database]\nurl = "{db_url}"\n'
        f'[desk]\nofficial_address = "{OFFICIAL}"\ntimezone = "Europe/Brussels"\n'
        '[logging]\nformat = "json"\n',
        encoding="utf-8",
    )
    return path


def once(settings: Settings, clock: ManualClock) -> None:
    ctx = AppContext(settings, clock)
    try:
        Service(ctx).run_once()  # raises PassFailed if the mailbox or database fails
    finally:
        ctx.close()


def answer(ping_mail: ReceivedMail, sender: str) -> bytes:
    """A partner's reply to a ping, as their mail client writes it."""
    original = ping_mail.message
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = f"Duty officer <{sender}>"
    msg["To"] = OFFICIAL
    msg["Subject"] = f"RE: {original['Subject']}"
    msg["Date"] = email.utils.format_datetime(datetime.now(UTC))
    msg["Message-ID"] = email.utils.make_msgid("pong", sender.rpartition("@")[2])
    msg["In-Reply-To"] = original["Message-ID"]
    msg["References"] = original["Message-ID"]
    msg.set_content("Received, our details are unchanged.\n\n> " +
                    original.get_content().splitlines()[0] + "\n")
    return msg.as_bytes()


def test_ping_round_end_to_end(db_url: str, sessions: sessionmaker[Session], dovecot: Dovecot,
                               smtp_sink: SmtpSink, tmp_path: Path) -> None:
    """Pings reach every contact point; half reply through INBOX and are timed; the rest get
    one reminder after the deadline; supervisors get the results; ping status shows it all."""
    with transaction(sessions) as s:
        directory_store.apply(s, load_toml(SAMPLE.read_bytes()), "alice", datetime.now(UTC))
    cfg = write_config(tmp_path, db_url)
    started = run_cli("--config", str(cfg), "ping", "start", "--by", "alice")
    assert started.returncode == 0, started.stderr
    token_match = re.search(r"PING-\d{4}-H[12]-[0-9A-F]{4}", started.stdout)
    assert token_match is not None and "12 pings queued" in started.stdout
    token = token_match.group(0)

    settings = settings_for(db_url, dovecot, smtp_sink)
    clock = ManualClock(datetime.now(UTC))
    sent_at = clock.now()
    once(settings, clock)  # delivers the pings
    pings = [m for m in smtp_sink.handler.wait_for(12) if token in m.message["Subject"]]
    assert len(pings) == 12
    assert {m.rcpt_tos[0] for m in pings} == {
        cp.emails[0] for cp in load_toml(SAMPLE.read_bytes()).contact_points}
    assert all(m.message["Auto-Submitted"] == "auto-generated" for m in pings)
    assert all(m.message["Subject"].startswith(token) for m in pings)
    ie = next(m for m in pings if m.rcpt_tos[0] == "gnccb-247@garda.ie.example")
    assert ie.rcpt_tos == ["gnccb-247@garda.ie.example", "gnccb.duty@garda.ie.example"]

    # Half of them answer, IE from its other address, DK in capitals.
    pings.sort(key=lambda m: m.rcpt_tos[0])
    repliers = {m.rcpt_tos[0]: m for m in pings[::2]}
    assert {"gnccb-247@garda.ie.example", "nc3-247@politi.dk.example"} <= set(repliers)
    senders = {
        address: ("gnccb.duty@garda.ie.example" if address.startswith("gnccb-247")
                  else address.upper() if address.startswith("nc3-247") else address)
        for address in repliers
    }
    dovecot.append_many([answer(m, senders[a]) for a, m in repliers.items()], "INBOX")
    clock.advance(timedelta(hours=2, minutes=30))
    once(settings, clock)  # the pipeline matches the replies by their token

    with sessions() as s:
        mid = ping_results.status(s)
        kinds = s.scalars(select(Message.kind).where(Message.folder == "INBOX")).all()
        linked = s.scalars(select(Event.message_id).where(Event.kind == "ping_replied")).all()
    assert kinds == ["ping_reply"] * 6
    assert len(linked) == 6 and None not in linked
    assert mid is not None and mid.token == token
    assert mid.replied == len(repliers) == 6
    timed = {t.address: t.response for t in mid.targets if t.state == ping_results.REPLIED}
    assert set(timed) == set(repliers)
    assert set(timed.values()) == {timedelta(hours=2, minutes=30)}
    assert all(t.delivery == "sent" and t.sent_at == sent_at for t in mid.targets)

    # Past the deadline: one reminder each to the six silent ones, delivered next pass.
    before = len(smtp_sink.handler.received)
    clock.advance(timedelta(hours=70))
    once(settings, clock)
    once(settings, clock)
    clock.advance(timedelta(hours=1))
    once(settings, clock)
    reminders = [m for m in smtp_sink.handler.wait_for(before + 6)[before:]
                 if m.message["Subject"].startswith(f"Reminder: {token}")]
    assert sorted(m.rcpt_tos[0] for m in reminders) == sorted(
        m.rcpt_tos[0] for m in pings if m.rcpt_tos[0] not in repliers)
    assert all(m.message["In-Reply-To"] for m in reminders)

    # The deadline passes again: the results go to the supervisors, once.
    clock.advance(timedelta(hours=73))
    once(settings, clock)
    once(settings, clock)
    results = [m for m in smtp_sink.handler.received
               if m.message["Subject"].startswith(f"Ping test {token}")]
    assert len(results) == 1 and results[0].rcpt_tos == [SUPERVISOR]
    assert results[0].message["Subject"].endswith("6 of 12 contact points answered")

    # Replies to the ping are never acknowledged and never open a case.
    partner_mail = [m for m in smtp_sink.handler.received if m.rcpt_tos[0] != SUPERVISOR]
    assert len(partner_mail) == 12 + 6
    with sessions() as s:
        assert s.scalars(select(Case)).all() == []

    shown = run_cli("--config", str(cfg), "ping", "status", "--json")
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)
    assert (data["token"], data["sent"], data["replied"], data["reminded"],
            data["no_answer"]) == (token, 12, 6, 6, 6)
    assert data["started_by"] == "alice" and data["reported_at"] is not None
    by_address = {t["address"]: t for t in data["targets"]}
    assert all(by_address[a]["response_seconds"] == 9000 for a in repliers)
    assert all(by_address[a]["state"] == "no answer" and by_address[a]["reminder_sent"]
               for a in by_address if a not in repliers)

    table = run_cli("--config", str(cfg), "ping", "status", "--round", token.lower())
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[1] == "sent 12, replied 6, reminded 6, no answer 6"
    assert lines[3].split()[:5] == ["COUNTRY", "ROLE", "ADDRESS", "SENT", "MAIL"]
    dk = next(line for line in lines if line.startswith("DK "))
    assert "2h 30m" in dk and dk.rstrip().endswith("replied")
    assert sum(line.rstrip().endswith("no answer") for line in lines) == 6
    rounds = run_cli("--config", str(cfg), "ping", "rounds")
    assert rounds.stdout.splitlines()[1].split()[0] == token
