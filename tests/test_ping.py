"""The ping test on both databases: rounds, reply matching, reminders, results, schedule."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker
from structlog.testing import capture_logs

from config.settings import Settings
from daemon.duties import ping, ping_results
from daemon.store import directory as directory_store
from daemon.store.db import transaction
from models import Event, Message, OutboxMail, PingRound, PingTarget
from parsers.directory import load_toml

SAMPLE = Path(__file__).resolve().parent / "data" / "corpus" / "directory.toml"
OFFICIAL = "poc247@ncc.gov.example"
SUPERVISOR = "head-of-unit@ncc.gov.example"
# Wednesday 1 July 2026, 08:00 in Brussels.
T0 = datetime(2026, 7, 1, 6, 0, tzinfo=UTC)
TOKEN = re.compile(r"PING-2026-H2-[0-9A-F]{4}")
_uid = iter(range(1, 10_000))


def make_settings(db_url: str, **sections: Any) -> Settings:
    desk = {"official_address": OFFICIAL, "supervisors": [SUPERVISOR], "country": "BE",
            "timezone": "Europe/Brussels", "name": "Belgian 24/7 desk (fictional)"}
    return Settings(database={"url": db_url}, desk=desk | sections.pop("desk", {}), **sections)


def seed(sessions: sessionmaker[Session], at: datetime = T0 - timedelta(days=30)) -> None:
    with transaction(sessions) as s:
        directory_store.apply(s, load_toml(SAMPLE.read_bytes()), "alice", at)


def start(sessions: sessionmaker[Session], settings: Settings, at: datetime = T0,
          actor: str = "alice") -> str:
    with transaction(sessions) as s:
        return ping.start_round(s, settings, directory_store.load_directory(s), at, actor).token


def reply(sessions: sessionmaker[Session], sender: str, token: str, at: datetime) -> bool:
    """Store a reply as the pipeline does, then hand it to record_ping_reply."""
    with transaction(sessions) as s:
        n = next(_uid)
        message = Message(folder="INBOX", uidvalidity=1, uid=n, sha256=f"{n:064x}", size=100,
                          raw=b"", message_id=f"r{n}@partner.example", from_addr=sender,
                          subject=f"Re: {token} test", fetched_at=at, kind="ping_reply",
                          parsed={})
        s.add(message)
        return ping.record_ping_reply(s, message, token, at)


def tick(sessions: sessionmaker[Session], settings: Settings, at: datetime) -> int:
    with transaction(sessions) as s:
        return ping.run_due_ping_work(s, settings, at)


def outbox(sessions: sessionmaker[Session], purpose: str) -> list[OutboxMail]:
    with sessions() as s:
        return list(s.scalars(select(OutboxMail).where(OutboxMail.purpose == purpose)
                              .order_by(OutboxMail.id)))


def status(sessions: sessionmaker[Session], token: str | None = None) -> ping_results.RoundStatus:
    with sessions() as s:
        result = ping_results.status(s, token)
    assert result is not None
    return result


def test_round_pings_every_contact_point_once(db_url: str,
                                              sessions: sessionmaker[Session]) -> None:
    """A round plans one auto-generated mail per contact point with the token in the subject."""
    seed(sessions)
    settings = make_settings(db_url)
    token = start(sessions, settings)
    assert TOKEN.fullmatch(token)
    mails = outbox(sessions, "ping")
    assert len(mails) == 12
    assert all(m.subject.startswith(token) and m.auto for m in mails)
    ie = next(m for m in mails if m.first_recipient == "gnccb-247@garda.ie.example")
    assert ie.recipients == ["gnccb-247@garda.ie.example", "gnccb.duty@garda.ie.example"]
    parsed = email.message_from_bytes(ie.raw, policy=email.policy.default)
    assert parsed["Auto-Submitted"] == "auto-generated"
    body = parsed.get_content()
    assert f"keeping {token} in the subject" in body
    assert "+353 1 666 0001" in body or "+35316660001" in body
    with sessions() as s:
        targets = s.scalars(select(PingTarget)).all()
        started = s.scalars(select(Event).where(Event.kind == "ping_round_started")).one()
        ping_round = s.scalars(select(PingRound)).one()
    assert len(targets) == 12 and all(t.contact_point_id is not None for t in targets)
    assert {t.address for t in targets} >= {"gnccb-247@garda.ie.example"}
    assert started.actor == "alice" and started.data["targets"] == 12
    assert ping_round.deadline_at == T0 + timedelta(hours=72)


def test_token_half_year_follows_the_desk_zone(db_url: str,
                                               sessions: sessionmaker[Session]) -> None:
    """30 June 22:30 UTC is already 1 July in Brussels: the token says H2; in UTC, H1."""
    seed(sessions)
    at = datetime(2026, 6, 30, 22, 30, tzinfo=UTC)
    assert TOKEN.fullmatch(start(sessions, make_settings(db_url), at))
    with transaction(sessions) as s:
        s.execute(delete(PingRound))
    utc = make_settings(db_url, desk={"timezone": "UTC"})
    assert re.fullmatch(r"PING-2026-H1-[0-9A-F]{4}", start(sessions, utc, at))


def test_start_refused_when_empty_or_open(db_url: str, sessions: sessionmaker[Session]) -> None:
    """No round without contact points, and no second round while one is open."""
    settings = make_settings(db_url)
    with pytest.raises(ping.PingError, match="directory is empty"):
        start(sessions, settings)
    seed(sessions)
    token = start(sessions, settings)
    with pytest.raises(ping.PingError, match=f"round {token} is still open"):
        start(sessions, settings, T0 + timedelta(hours=1))
    assert len(outbox(sessions, "ping")) == 12


def test_replies_are_matched_by_token_and_contact_point(db_url: str,
                                                        sessions: sessionmaker[Session]) -> None:
    """A reply matches by token and sender (any address of the contact point, any case);
    other senders and unknown tokens do not; the first reply's time is kept."""
    seed(sessions)
    token = start(sessions, make_settings(db_url))
    with transaction(sessions) as s:
        dk = s.scalars(select(OutboxMail).where(
            OutboxMail.first_recipient == "nc3-247@politi.dk.example")).one()
        dk.status, dk.sent_at = "sent", T0 + timedelta(minutes=5)
    with capture_logs() as logs:
        assert reply(sessions, "NC3-247@Politi.DK.example", token.lower(),
                     T0 + timedelta(hours=2))
        assert reply(sessions, "gnccb.duty@garda.ie.example", token, T0 + timedelta(hours=3))
        assert reply(sessions, "nc3-247@politi.dk.example", token, T0 + timedelta(hours=9))
        assert not reply(sessions, "someone@elsewhere.example", token, T0 + timedelta(hours=3))
        assert not reply(sessions, "skk-247@policija.si.example", "PING-2026-H2-0000",
                         T0 + timedelta(hours=3))
    events = [e["event"] for e in logs]
    assert events.count("ping_replied") == 2 and events.count("ping_reply_unmatched") == 2
    assert "ping_reply_repeated" in events

    result = status(sessions)
    by_country = {t.country: t for t in result.targets}
    assert by_country["DK"].response == timedelta(hours=1, minutes=55)
    assert by_country["DK"].delivery == "sent"
    assert by_country["IE"].response == timedelta(hours=3)
    assert by_country["IE"].address == "gnccb-247@garda.ie.example"
    assert by_country["NL"].state == ping_results.WAITING and by_country["NL"].response is None
    assert result.replied == 2
    with sessions() as s:
        replied = s.scalars(select(Event).where(Event.kind == "ping_replied")).all()
        target = s.scalars(select(PingTarget).where(PingTarget.country == "DK")).one()
    assert sorted(e.data["response_seconds"] for e in replied) == [6900, 10800]
    assert all(e.message_id is not None for e in replied)
    assert target.reply_message_id is not None and target.replied_at == T0 + timedelta(hours=2)


def test_reminder_once_after_deadline_then_results(db_url: str,
                                                   sessions: sessionmaker[Session]) -> None:
    """After the deadline the silent get one reminder; after it again supervisors get the
    results, once."""
    seed(sessions)
    settings = make_settings(db_url)
    token = start(sessions, settings)
    answered = ["nc3-247@politi.dk.example", "meldpunt-247@politie.nl.example",
                "ciber-247@pj.pt.example", "ncoz-247@policie.cz.example",
                "cyber-247@afp.gov.au.example"]
    for n, address in enumerate(answered, start=1):
        assert reply(sessions, address, token, T0 + timedelta(hours=n))

    assert tick(sessions, settings, T0 + timedelta(hours=71, minutes=59)) == 0
    assert tick(sessions, settings, T0 + timedelta(hours=72)) == 7
    assert tick(sessions, settings, T0 + timedelta(hours=80)) == 0
    reminders = outbox(sessions, "ping_reminder")
    assert len(reminders) == 7
    assert {m.first_recipient for m in reminders}.isdisjoint(answered)
    firsts = {m.first_recipient: m.message_id for m in outbox(sessions, "ping")}
    assert all(m.in_reply_to == firsts[m.first_recipient] for m in reminders)
    assert all(token in m.subject for m in reminders)
    mid = status(sessions)
    assert mid.reminded == 7 and mid.no_answer == 7 and mid.reported_at is None

    assert reply(sessions, "kibernetika-247@mup.hr.example", token,
                 T0 + timedelta(hours=100))
    assert tick(sessions, settings, T0 + timedelta(hours=143)) == 0
    assert tick(sessions, settings, T0 + timedelta(hours=144)) == 1
    assert tick(sessions, settings, T0 + timedelta(hours=200)) == 0
    results = outbox(sessions, "ping_results")
    assert len(results) == 1 and results[0].recipients == [SUPERVISOR]
    assert results[0].subject == f"Ping test {token}: 6 of 12 contact points answered"
    body = email.message_from_bytes(results[0].raw, policy=email.policy.default).get_content()
    assert "No answer:              AR, CY, EE, IE, PT secondary, SI" in body
    final = status(sessions)
    assert final.reported_at == T0 + timedelta(hours=144)
    hr = next(t for t in final.targets if t.country == "HR")
    assert hr.state == ping_results.REPLIED and hr.reminder_sent_at is not None
    assert {t.country for t in final.targets if t.state == ping_results.NO_ANSWER} == {
        "AR", "CY", "EE", "IE", "PT", "SI"}


def test_everyone_answering_reports_at_once(db_url: str,
                                            sessions: sessionmaker[Session]) -> None:
    """When every contact point answered, results go out at the next tick, no reminders."""
    seed(sessions)
    settings = make_settings(db_url, desk={"supervisors": []})
    token = start(sessions, settings)
    with sessions() as s:
        addresses = s.scalars(select(PingTarget.address)).all()
    for address in addresses:
        assert reply(sessions, address, token, T0 + timedelta(hours=1))
    with capture_logs() as logs:
        assert tick(sessions, settings, T0 + timedelta(hours=2)) == 0
    assert "ping_results_not_sent" in [e["event"] for e in logs]
    assert outbox(sessions, "ping_reminder") == []
    assert status(sessions).reported_at == T0 + timedelta(hours=2)


def test_round_starts_on_ping_date_in_desk_zone(db_url: str,
                                                sessions: sessionmaker[Session]) -> None:
    """On a ping date (desk's midnight) one round starts by itself, once per half-year."""
    seed(sessions, datetime(2026, 1, 1, tzinfo=UTC))
    settings = make_settings(db_url, desk={"timezone": "Pacific/Auckland"},
                             schedule={"ping_dates": ["07-01", "01-01"]})
    # Auckland is UTC+12 on 1 July: local midnight is 30 June 12:00 UTC.
    assert tick(sessions, settings, datetime(2026, 6, 30, 11, 59, tzinfo=UTC)) == 0
    assert tick(sessions, settings, datetime(2026, 6, 30, 12, 0, tzinfo=UTC)) == 12
    assert tick(sessions, settings, datetime(2026, 6, 30, 12, 1, tzinfo=UTC)) == 0
    first = status(sessions)
    assert first.started_by == "watchkeeper" and first.token.startswith("PING-2026-H2-")
    # Reported after two deadlines; no second round in the same half-year.
    tick(sessions, settings, datetime(2026, 7, 3, 12, 0, tzinfo=UTC))
    tick(sessions, settings, datetime(2026, 7, 6, 12, 0, tzinfo=UTC))
    assert status(sessions).reported_at is not None
    assert tick(sessions, settings, datetime(2026, 9, 1, tzinfo=UTC)) == 0
    # New Year in Auckland (31 December 11:00 UTC) starts the next half-year's round.
    assert tick(sessions, settings, datetime(2026, 12, 31, 11, 0, tzinfo=UTC)) == 12
    with sessions() as s:
        tokens = [r.token for r in ping_results.rounds(s)]
    assert len(tokens) == 2 and tokens[0].startswith("PING-2027-H1-")
    assert status(sessions, tokens[1]).token == first.token


def test_no_automatic_round_without_directory(db_url: str,
                                              sessions: sessionmaker[Session]) -> None:
    """An empty directory starts no round on a ping date; importing one lets the next tick."""
    settings = make_settings(db_url)
    assert tick(sessions, settings, T0) == 0
    with sessions() as s:
        assert ping_results.rounds(s) == []
    seed(sessions, T0)
    assert tick(sessions, settings, T0 + timedelta(minutes=1)) == 12


def test_missed_ping_date_is_caught_up_within_a_month(db_url: str,
                                                     sessions: sessionmaker[Session]) -> None:
    """A daemon down on the ping date starts the round when back within 30 days, not later."""
    seed(sessions)
    settings = make_settings(db_url)
    assert tick(sessions, settings, datetime(2026, 7, 30, 21, 59, tzinfo=UTC)) == 12
    assert status(sessions).token.startswith("PING-2026-H2-")
    with transaction(sessions) as s:
        s.execute(delete(PingRound))
    # 31 July in Brussels: 30 days after 1 July, too late.
    assert tick(sessions, settings, datetime(2026, 7, 30, 22, 0, tzinfo=UTC)) == 0
