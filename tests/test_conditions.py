"""Conditions and alerts on SQLite and PostgreSQL: episodes, reasons, deduplicated and
rate-limited alerts to the operators, delivered through the real SMTP sink."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from structlog.testing import capture_logs

from config.settings import Settings
from daemon.cases.transitions import mail_sent
from daemon.duties import alerts
from daemon.outbound.delivery import deliver_pending
from daemon.process.clock import ManualClock
from daemon.store import conditions
from daemon.store.db import transaction
from models import Condition, Event, OutboxMail
from tests.servers import SmtpSink

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
OFFICIAL = "poc247@ncc.gov.example"
OPERATORS = ["duty@ncc.gov.example", "night@ncc.gov.example"]


def make_settings(db_url: str, sink: SmtpSink | None = None, **imap: Any) -> Settings:
    smtp = {"host": sink.host, "port": sink.port, "tls": "none"} if sink else {}
    return Settings(
        database={"url": db_url}, smtp=smtp, imap={"login_alert_minutes": 10, **imap},
        desk={"official_address": OFFICIAL, "operators": OPERATORS,
              "timezone": "Europe/Brussels"},
    )


def events(sessions: sessionmaker[Session], kind: str) -> list[Event]:
    with sessions() as s:
        return list(s.scalars(select(Event).where(Event.kind == kind).order_by(Event.id)))


def alert_rows(sessions: sessionmaker[Session]) -> list[OutboxMail]:
    with sessions() as s:
        return list(s.scalars(select(OutboxMail).where(OutboxMail.purpose == "operator_alert")
                              .order_by(OutboxMail.id)))


def report(sessions: sessionmaker[Session], kind: str, subject: str, detail: str,
           at: datetime, **data: Any) -> None:
    with transaction(sessions) as s:
        conditions.report(s, kind, subject, detail, now=at, **data)


def clear(sessions: sessionmaker[Session], kind: str, at: datetime) -> list[str]:
    with transaction(sessions) as s:
        return [c.subject for c in conditions.clear(s, kind, now=at)]


def alert_due(sessions: sessionmaker[Session], settings: Settings, at: datetime) -> int:
    with transaction(sessions) as s:
        return alerts.alert_conditions(s, settings, at)


def test_a_repeated_report_extends_one_episode(db_url: str,
                                              sessions: sessionmaker[Session]) -> None:
    """Reporting the same fault again keeps one row and one episode: `since` stays, the
    count and the last detail move, and only the first report is an event and a log line."""
    with capture_logs() as logs:
        report(sessions, conditions.DIRECTORY_REFUSED, "/etc/wk/dir.toml", "line 3: bad",
               T0, problems=["line 3: bad"])
        report(sessions, conditions.DIRECTORY_REFUSED, "/etc/wk/dir.toml", "line 4: worse",
               T0 + timedelta(minutes=5), problems=["line 4: worse"])
    with sessions() as s:
        [row] = s.scalars(select(Condition)).all()
        assert (row.since, row.last_seen_at, row.seen) == (T0, T0 + timedelta(minutes=5), 2)
        assert row.detail == "line 4: worse" and row.data["problems"] == ["line 4: worse"]
        assert row.cleared_at is None
    assert [e.data["subject"] for e in events(sessions, "condition_raised")] == [
        "/etc/wk/dir.toml"]
    assert [e["event"] for e in logs if e["event"].startswith("condition_")] == [
        "condition_raised"]


def test_clear_ends_the_episode_and_the_next_report_starts_another(
    db_url: str, sessions: sessionmaker[Session]
) -> None:
    """A clear ends the episode (event, how long it lasted); clearing what does not hold does
    nothing; a later report starts a new episode with its own `since` and no alert yet."""
    report(sessions, conditions.SMTP_UNAVAILABLE, "smtp.example:465", "refused", T0)
    with sessions.begin() as s:
        s.scalars(select(Condition)).one().alerted_at = T0
    assert clear(sessions, conditions.SMTP_UNAVAILABLE, T0 + timedelta(minutes=7)) == [
        "smtp.example:465"]
    assert clear(sessions, conditions.SMTP_UNAVAILABLE, T0 + timedelta(minutes=8)) == []
    [cleared] = events(sessions, "condition_cleared")
    assert cleared.data["lasted_s"] == 420
    with sessions() as s:
        assert conditions.active(s) == []
    report(sessions, conditions.SMTP_UNAVAILABLE, "smtp.example:465", "timeout",
           T0 + timedelta(hours=1))
    with sessions() as s:
        [row] = conditions.active(s)
        assert (row.since, row.seen, row.alerted_at) == (T0 + timedelta(hours=1), 1, None)
    assert len(events(sessions, "condition_raised")) == 2


@pytest.mark.parametrize(("kind", "subject", "detail", "data", "expected"), [
    (conditions.SMTP_UNAVAILABLE, "smtp.example:465", "ConnectionRefusedError: refused",
     {"cause": "unreachable", "waiting": 3},
     ["SMTP server smtp.example:465 cannot be reached since 2026-12-02 10:00 CET",
      "3 mails wait", "Check the mail server and smtp.host/smtp.port"]),
    (conditions.SMTP_UNAVAILABLE, "smtp.example:465", "535 bad credentials",
     {"cause": "login", "waiting": 1},
     ["refuses our login", "1 mail waits", "Check smtp.username and its password"]),
    (conditions.SMTP_UNAVAILABLE, "smtp.example:465", "451 4.3.0 local error",
     {"cause": "refused", "waiting": 2}, ["refuses mail", "(451 4.3.0 local error)"]),
    (conditions.IMAP_LOGIN_REFUSED, "desk@imap.example", "the XOAUTH2 token was refused",
     {"auth": "xoauth2"}, ["IMAP login refused since", "Renew the access token",
                           "no mail is read"]),
    (conditions.IMAP_LOGIN_REFUSED, "desk@imap.example", "login as 'desk' refused",
     {"auth": "password"}, ["Check imap.username and its password"]),
    (conditions.DIRECTORY_REFUSED, "/etc/wk/dir.toml", "line 3: country 'XX' unknown",
     {"problems": ["line 3: country 'XX' unknown", "line 9: no address"],
      "contact_points": 12},
     ["directory file /etc/wk/dir.toml refused", "line 3: country 'XX' unknown",
      "(and 1 more problem)", "the directory it had (12 contact points)",
      "reload the daemon (SIGHUP"]),
    (conditions.DIRECTORY_REFUSED, "/etc/wk/dir.toml", "not TOML",
     {"problems": ["not TOML"], "contact_points": 0},
     ["The directory is empty: every sender is treated as a stranger"]),
    (conditions.QUARANTINE_WAITING, "", "2 messages", {"count": 2},
     ["2 quarantined messages wait for an operator", "watchkeeper quarantine list"]),
    (conditions.SENDER_RATE_LIMITED, "flood@mail.example", "over the limit", {"held": 95},
     ["sender flood@mail.example is rate-limited", "95 mails were not acknowledged",
      "watchkeeper cases --open"]),
])
def test_each_condition_reads_as_one_line_with_what_to_do(
    kind: str, subject: str, detail: str, data: dict[str, Any], expected: list[str]
) -> None:
    """Every condition kind gives one line naming the cause, since when (desk time) and
    what to do."""
    settings = Settings(desk={"timezone": "Europe/Brussels"})
    c = Condition(kind=kind, subject=subject, detail=detail, data=data, since=T0,
                  last_seen_at=T0, seen=1)
    line = conditions.reason(c, settings)
    assert "\n" not in line
    for part in expected:
        assert part in line, line


def test_a_login_refusal_counts_only_after_its_grace(
    db_url: str, sessions: sessionmaker[Session]
) -> None:
    """A refused IMAP login is listed at once but counts (status, digest, alert) only once
    it has lasted `imap.login_alert_minutes`; other kinds count at once."""
    settings = make_settings(db_url)
    report(sessions, conditions.IMAP_LOGIN_REFUSED, "desk@imap.example", "refused", T0,
           auth="password")
    report(sessions, conditions.DIRECTORY_REFUSED, "/d.toml", "bad", T0)
    with sessions() as s:
        early = conditions.standing(s, settings, T0 + timedelta(minutes=9))
        late = conditions.needing_attention(s, settings, T0 + timedelta(minutes=10))
    assert [(i.condition.kind, i.counts) for i in early] == [
        (conditions.IMAP_LOGIN_REFUSED, False), (conditions.DIRECTORY_REFUSED, True)]
    assert len(late) == 2 and late[0].startswith("IMAP login refused")
    assert alert_due(sessions, settings, T0 + timedelta(minutes=9)) == 1  # the directory
    assert alert_due(sessions, settings, T0 + timedelta(minutes=10)) == 1  # the login
    assert alert_due(sessions, settings, T0 + timedelta(hours=3)) == 0


def test_alerts_are_deduplicated_rate_limited_and_recorded(
    db_url: str, sessions: sessionmaker[Session]
) -> None:
    """An occurrence is planned once, to the operators only; another occurrence of the same
    kind and scope within the hour is held back (event and log line); after the hour it goes;
    every alert planned is an `operator_alerted` event and a log line."""
    settings = make_settings(db_url)

    def send(occurrence: str, at: datetime, scope: str = "/d.toml") -> str:
        with transaction(sessions) as s:
            return alerts.send(s, settings, at, alerts.Alert(
                kind="directory_refused", scope=scope, occurrence=occurrence,
                headline=f"directory file refused ({occurrence})",
                facts=(("File", scope),), advice="Fix it."))

    with capture_logs() as logs:
        assert send("one", T0) == alerts.PLANNED
        assert send("one", T0 + timedelta(minutes=1)) == alerts.DUPLICATE
        assert send("two", T0 + timedelta(minutes=59)) == alerts.HELD_BACK
        assert send("three", T0 + timedelta(minutes=1), scope="/other.toml") == alerts.PLANNED
        assert send("four", T0 + timedelta(minutes=61)) == alerts.PLANNED
    rows = alert_rows(sessions)
    assert len(rows) == 3
    assert all(r.recipients == OPERATORS for r in rows)
    assert rows[0].subject == "[watchkeeper] directory file refused (one)"
    assert b"\nFile:          /d.toml\n" in rows[0].raw.replace(b"\r\n", b"\n")
    assert b"\nFix it.\n" in rows[0].raw.replace(b"\r\n", b"\n")
    assert b"Auto-Submitted: auto-generated" in rows[0].raw
    assert [e.data["headline"] for e in events(sessions, "operator_alerted")] == [
        "directory file refused (one)", "directory file refused (three)",
        "directory file refused (four)"]
    assert [e.data["headline"] for e in events(sessions, "alert_held_back")] == [
        "directory file refused (two)"]
    names = [e["event"] for e in logs if e["event"] in ("operator_alerted", "alert_held_back")]
    assert names == ["operator_alerted", "alert_held_back", "operator_alerted",
                     "operator_alerted"]


def test_without_operators_an_alert_is_logged_never_silently_dropped(
    db_url: str, sessions: sessionmaker[Session]
) -> None:
    """With `desk.operators` empty nothing is planned (no partner ever gets an alert), and
    the log says the alert had nobody to go to."""
    settings = Settings(database={"url": db_url}, desk={"official_address": OFFICIAL})
    with capture_logs() as logs, transaction(sessions) as s:
        outcome = alerts.send(s, settings, T0, alerts.Alert(
            kind="k", scope="", occurrence="1", headline="something"))
    assert outcome == alerts.UNADDRESSED
    assert alert_rows(sessions) == []
    assert any(e["event"] == "operator_alert_unaddressed" for e in logs)


def test_smtp_announces_only_its_end_once_with_the_mail_held(
    db_url: str, sessions: sessionmaker[Session], smtp_sink: SmtpSink
) -> None:
    """An SMTP outage plans no alert while it lasts; its end plans one "SMTP back" alert
    with how much mail was held, which the real server then delivers to the operators."""
    settings = make_settings(db_url, smtp_sink)
    report(sessions, conditions.SMTP_UNAVAILABLE, "smtp.example:465", "ConnectionRefused",
           T0, cause="unreachable", waiting=4, held=21)
    assert alert_due(sessions, settings, T0 + timedelta(hours=2)) == 0
    clear(sessions, conditions.SMTP_UNAVAILABLE, T0 + timedelta(minutes=38))
    assert alert_due(sessions, settings, T0 + timedelta(minutes=38)) == 1
    assert alert_due(sessions, settings, T0 + timedelta(minutes=39)) == 0
    [row] = alert_rows(sessions)
    assert row.subject == "[watchkeeper] SMTP back after 38 min: 21 mails held"
    clock = ManualClock(T0 + timedelta(minutes=39))
    assert asyncio.run(deliver_pending(settings, sessions, clock, on_sent=mail_sent)) == 1
    [mail] = smtp_sink.handler.wait_for(1)
    assert sorted(mail.rcpt_tos) == sorted(OPERATORS)
    body = mail.message.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "Held:          21 mails" in text and "ConnectionRefused" in text

    # The same server failing and recovering again within the hour: held back, not mailed.
    report(sessions, conditions.SMTP_UNAVAILABLE, "smtp.example:465", "timeout",
           T0 + timedelta(minutes=50), cause="unreachable", waiting=1, held=1)
    clear(sessions, conditions.SMTP_UNAVAILABLE, T0 + timedelta(minutes=55))
    assert alert_due(sessions, settings, T0 + timedelta(minutes=55)) == 0
    assert len(alert_rows(sessions)) == 1
    assert len(events(sessions, "alert_held_back")) == 1
