"""The outbox sender against the real SMTP sink: delivery, retries, failures, crashes."""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from structlog.testing import capture_logs

from config.settings import Settings
from daemon.adapters.smtp import Connection
from daemon.cases.transitions import mail_sent
from daemon.outbound.delivery import (
    Claimer,
    claim_due,
    claim_lease,
    deliver_pending,
    release_stale_claims,
    retry_delay,
)
from daemon.outbound.outbox import ACK, DELIVERY_FAILURE_ALERT, Draft, enqueue, notify_operators
from daemon.process.clock import ManualClock
from daemon.store.db import transaction
from models import Case, Event, OutboxMail
from tests.servers import Dovecot, SinkHandler, SmtpSink

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
OFFICIAL = "poc247@ncc.gov.example"
OPERATOR = "duty@ncc.gov.example"
PARTNER = "sdlc-247@interieur.fr.example"


def make_settings(db_url: str, sink: SmtpSink, **smtp: Any) -> Settings:
    return Settings(
        database={"url": db_url},
        smtp={"host": sink.host, "port": sink.port, "tls": "none",
              "retry_initial_seconds": 30, "retry_max_seconds": 600, **smtp},
        desk={"official_address": OFFICIAL, "operators": [OPERATOR], "country": "BE",
              "timezone": "Europe/Brussels"},
    )


def make_case(session: Session, reference: str = "WK-2026-00001") -> Case:
    case = Case(reference=reference, direction="incoming", request_type="preservation",
                country="FR", counterpart_address=PARTNER, subject="Preservation request",
                opened_at=T0, status="new", flags=[], rules=[], details={})
    session.add(case)
    session.flush()
    return case


def plan(sessions: sessionmaker[Session], settings: Settings, n: int = 1,
         to: tuple[str, ...] = (PARTNER,), purpose: str = ACK) -> list[str]:
    """Plan `n` mails to the partner in one case; returns their outbox keys."""
    keys = []
    with transaction(sessions) as s:
        case = s.scalar(select(Case)) or make_case(s)
        for i in range(n):
            row = enqueue(s, Draft(key=f"{case.reference}:{purpose}:{i}", purpose=purpose,
                                   to=to, subject=f"Re: [{case.reference}] mail {i}",
                                   text=f"body {i}\n"),
                          official_address=OFFICIAL, from_name="Desk", now=T0, case=case)
            keys.append(row.key)
    return keys


def rows(sessions: sessionmaker[Session]) -> list[OutboxMail]:
    with sessions() as s:
        return list(s.scalars(select(OutboxMail).order_by(OutboxMail.id)))


def events(sessions: sessionmaker[Session], kind: str) -> list[Event]:
    with sessions() as s:
        return list(s.scalars(select(Event).where(Event.kind == kind)))


def deliver(settings: Settings, sessions: sessionmaker[Session], clock: ManualClock) -> int:
    return asyncio.run(deliver_pending(settings, sessions, clock, on_sent=mail_sent))


class CountingHandler(SinkHandler):
    """The sink's handler, also counting SMTP sessions (one EHLO per connection)."""

    def __init__(self) -> None:
        super().__init__()
        self.sessions = 0

    async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str,
                          responses: list[str]) -> list[str]:
        self.sessions += 1
        session.host_name = hostname
        return responses


@pytest.fixture
def counting_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.handler = CountingHandler()
    sink.start()
    try:
        yield sink
    finally:
        sink.stop()


def test_pending_mail_is_sent_once_with_its_planned_bytes(
    db_url: str, sessions: sessionmaker[Session], smtp_sink: SmtpSink
) -> None:
    """Due mail reaches the server byte for byte as planned, is marked sent, and never again."""
    settings = make_settings(db_url, smtp_sink)
    clock = ManualClock(T0)
    plan(sessions, settings, 3)
    with capture_logs() as logs:
        assert deliver(settings, sessions, clock) == 3
    received = smtp_sink.handler.wait_for(3)
    assert len(received) == 3
    stored = rows(sessions)
    assert [r.status for r in stored] == ["sent"] * 3
    assert all(r.sent_at == T0 and r.attempts == 1 for r in stored)
    by_id = {m.message["Message-ID"]: m for m in received}
    for row in stored:
        mail = by_id[f"<{row.message_id}>"]
        assert mail.rcpt_tos == [PARTNER]
        assert mail.mail_from == OFFICIAL
        assert mail.data.replace(b"\r\n", b"\n") == row.raw.replace(b"\r\n", b"\n")
    assert [e["event"] for e in logs].count("mail_sent") == 3
    assert len(events(sessions, "mail_sent")) == 3
    with sessions() as s:
        case = s.scalar(select(Case))
        assert case is not None and case.acknowledged_at == T0 and case.status == "acknowledged"
    clock.advance(timedelta(hours=1))
    assert deliver(settings, sessions, clock) == 0
    assert len(smtp_sink.received) == 3


def test_a_burst_shares_one_connection(
    db_url: str, sessions: sessionmaker[Session], counting_sink: SmtpSink
) -> None:
    """Mail due together goes over one SMTP connection per `smtp.burst_size` mails."""
    settings = make_settings(db_url, counting_sink, burst_size=4)
    plan(sessions, settings, 10)
    assert deliver(settings, sessions, ManualClock(T0)) == 10
    assert len(counting_sink.handler.wait_for(10)) == 10
    handler = counting_sink.handler
    assert isinstance(handler, CountingHandler)
    assert handler.sessions == 3


def test_451_is_retried_after_the_backoff_then_sent_once(
    db_url: str, sessions: sessionmaker[Session], smtp_sink: SmtpSink
) -> None:
    """A 4xx reply schedules a retry after `retry_initial_seconds`; the retry delivers once."""
    settings = make_settings(db_url, smtp_sink)
    clock = ManualClock(T0)
    plan(sessions, settings)
    smtp_sink.handler.fail_next("RCPT", "451 4.3.0 try again later")
    with capture_logs() as logs:
        assert deliver(settings, sessions, clock) == 0
    retry = [e for e in logs if e["event"] == "mail_retry_scheduled"]
    assert len(retry) == 1 and "451" in retry[0]["error"]
    [row] = rows(sessions)
    assert row.status == "pending" and row.attempts == 1
    assert row.next_attempt_at == T0 + timedelta(seconds=30)
    assert row.last_error is not None and "451" in row.last_error
    clock.advance(timedelta(seconds=29))
    assert deliver(settings, sessions, clock) == 0
    clock.advance(timedelta(seconds=1))
    assert deliver(settings, sessions, clock) == 1
    assert len(smtp_sink.handler.wait_for(1)) == 1
    [row] = rows(sessions)
    assert row.status == "sent" and row.attempts == 2 and row.sent_at == clock.now()
    assert len(events(sessions, "mail_retry_scheduled")) == 1


def test_backoff_doubles_up_to_the_maximum() -> None:
    """Retry delays double from `retry_initial_seconds` and stop at `retry_max_seconds`."""
    smtp = Settings(smtp={"retry_initial_seconds": 30, "retry_max_seconds": 200}).smtp
    assert [retry_delay(smtp, n).total_seconds() for n in range(1, 6)] == [30, 60, 120, 200, 200]


def test_550_on_rcpt_fails_at_once_and_alerts_the_operators(
    db_url: str, sessions: sessionmaker[Session], smtp_sink: SmtpSink
) -> None:
    """A 5xx for the only recipient fails the mail without retry and plans an operator alert."""
    settings = make_settings(db_url, smtp_sink)
    clock = ManualClock(T0)
    plan(sessions, settings)
    smtp_sink.handler.fail_next("RCPT", "550 5.1.1 mailbox unknown")
    with capture_logs() as logs:
        assert deliver(settings, sessions, clock) == 1  # the alert went out in the same call
    failed = [e for e in logs if e["event"] == "mail_failed"]
    assert len(failed) == 1 and "550 5.1.1 mailbox unknown" in failed[0]["error"]
    ack, alert = rows(sessions)
    assert ack.status == "failed" and ack.failed_at == T0 and ack.attempts == 1
    assert alert.purpose == DELIVERY_FAILURE_ALERT and alert.recipients == [OPERATOR]
    assert alert.status == "sent"
    assert alert.subject.startswith("[watchkeeper] acknowledgement to FR failed: 550")
    [mail] = smtp_sink.handler.wait_for(1)
    assert mail.rcpt_tos == [OPERATOR]
    assert mail.message["Auto-Submitted"] == "auto-generated"
    body = mail.message.get_body(("plain",))
    assert body is not None and ack.message_id in body.get_content()
    assert len(events(sessions, "mail_failed")) == 1
    clock.advance(timedelta(days=3))
    assert deliver(settings, sessions, clock) == 0
    assert len(smtp_sink.received) == 1


def test_a_failing_alert_is_never_alerted_about(
    db_url: str, sessions: sessionmaker[Session], smtp_sink: SmtpSink
) -> None:
    """When mail to the operators fails too, no alert about the alert is planned (no loop)."""
    settings = make_settings(db_url, smtp_sink)
    clock = ManualClock(T0)
    plan(sessions, settings)
    smtp_sink.handler.fail_always("RCPT", "550 5.1.1 no such user")
    with capture_logs() as logs:
        assert deliver(settings, sessions, clock) == 0
        clock.advance(timedelta(hours=1))
        assert deliver(settings, sessions, clock) == 0
    stored = rows(sessions)
    assert [(r.purpose, r.status) for r in stored] == [
        (ACK, "failed"), (DELIVERY_FAILURE_ALERT, "failed")]
    assert any(e["event"] == "operator_alert_undeliverable" for e in logs)


def test_only_one_of_two_recipients_refused_is_sent_and_reported(
    db_url: str, sessions: sessionmaker[Session], smtp_sink: SmtpSink
) -> None:
    """A 550 for one of two recipients: the other gets the mail, the refusal is alerted."""
    settings = make_settings(db_url, smtp_sink)
    clock = ManualClock(T0)
    plan(sessions, settings, to=("old@interieur.fr.example", PARTNER))
    smtp_sink.handler.fail_next("RCPT", "550 5.1.1 mailbox unknown")
    deliver(settings, sessions, clock)
    received = smtp_sink.handler.wait_for(2)
    assert [m.rcpt_tos for m in received] == [[PARTNER], [OPERATOR]]
    ack, alert = rows(sessions)
    assert ack.status == "sent" and ack.last_error is not None
    assert "old@interieur.fr.example" in ack.last_error
    assert alert.purpose == DELIVERY_FAILURE_ALERT


def test_server_down_then_back_delivers_everything_once(
    db_url: str, sessions: sessionmaker[Session], smtp_sink: SmtpSink
) -> None:
    """With the server stopped mail stays pending; once it is back each mail arrives once."""
    settings = make_settings(db_url, smtp_sink)
    clock = ManualClock(T0)
    plan(sessions, settings, 3)
    smtp_sink.stop()
    try:
        with capture_logs() as logs:
            assert deliver(settings, sessions, clock) == 0
            clock.advance(timedelta(seconds=30))
            assert deliver(settings, sessions, clock) == 0
    finally:
        smtp_sink.start()
    assert any(e["event"] == "smtp_unavailable" for e in logs)
    stored = rows(sessions)
    assert all(r.status == "pending" and r.attempts == 2 for r in stored)
    assert all(r.next_attempt_at == clock.now() + timedelta(seconds=60) for r in stored)
    clock.advance(timedelta(seconds=60))
    assert deliver(settings, sessions, clock) == 3
    received = smtp_sink.handler.wait_for(3)
    assert sorted(m.message["Message-ID"] for m in received) == sorted(
        f"<{r.message_id}>" for r in stored)
    assert [r.status for r in rows(sessions)] == ["sent"] * 3


def test_temporary_failures_give_up_after_the_deadline(
    db_url: str, sessions: sessionmaker[Session], smtp_sink: SmtpSink
) -> None:
    """A mail refused with 4xx until `give_up_after_hours` is failed and alerted, not dropped."""
    settings = make_settings(db_url, smtp_sink, give_up_after_hours=2, retry_max_seconds=1800)
    clock = ManualClock(T0)
    plan(sessions, settings)
    smtp_sink.handler.fail_always("MAIL", "451 4.7.1 greylisted")
    attempts = 0
    while rows(sessions)[0].status == "pending" and attempts < 50:
        deliver(settings, sessions, clock)
        attempts += 1
        clock.set(rows(sessions)[0].next_attempt_at)
    ack = rows(sessions)[0]
    assert ack.status == "failed"
    assert ack.failed_at == T0 + timedelta(hours=2)
    assert ack.last_error is not None and ack.last_error.startswith("gave up after 2 h: 451")
    assert 4 < ack.attempts < 12
    alerts = [r for r in rows(sessions) if r.purpose == DELIVERY_FAILURE_ALERT]
    assert len(alerts) == 1


def test_crash_between_send_and_record_resends_once_with_the_same_message_id(
    db_url: str, sessions: sessionmaker[Session], smtp_sink: SmtpSink
) -> None:
    """A mail sent but not recorded (crash) is sent again when its lease runs out, not
    before, with identical bytes."""
    settings = make_settings(db_url, smtp_sink)
    clock = ManualClock(T0)
    plan(sessions, settings)
    [claimed] = claim_due(settings, sessions, clock.now(), 10)

    async def send_without_recording() -> None:
        smtp = await Connection(settings.smtp).__aenter__()
        await smtp.send(claimed.mail_from, claimed.recipients, claimed.raw)
        smtp.abort()  # the process dies here: nothing recorded

    asyncio.run(send_without_recording())
    assert deliver(settings, sessions, clock) == 0  # still leased: not sent twice at once
    clock.advance(claim_lease(settings.smtp, 10) - timedelta(seconds=1))
    assert deliver(settings, sessions, clock) == 0  # its holder may still be at work
    clock.advance(timedelta(seconds=1))
    assert deliver(settings, sessions, clock) == 1
    first, second = smtp_sink.handler.wait_for(2)
    assert first.message["Message-ID"] == second.message["Message-ID"]
    assert first.data == second.data
    [row] = rows(sessions)
    assert row.status == "sent" and row.attempts == 2
    clock.advance(timedelta(hours=1))
    assert deliver(settings, sessions, clock) == 0
    assert len(smtp_sink.received) == 2


def test_starttls_required_but_not_offered_never_falls_back_to_plain(
    db_url: str, sessions: sessionmaker[Session], smtp_sink: SmtpSink
) -> None:
    """With tls = starttls a server without STARTTLS gets nothing; the mail waits for retry."""
    settings = make_settings(db_url, smtp_sink, tls="starttls")
    plan(sessions, settings)
    assert deliver(settings, sessions, ManualClock(T0)) == 0
    assert smtp_sink.received == []
    [row] = rows(sessions)
    assert row.status == "pending" and row.last_error is not None
    assert "STARTTLS" in row.last_error.upper()


def test_implicit_tls_checks_the_server_certificate(
    db_url: str, sessions: sessionmaker[Session], smtp_sink: SmtpSink
) -> None:
    """With tls = ssl a server that does not speak TLS gets nothing; the mail waits for retry."""
    settings = make_settings(db_url, smtp_sink, tls="ssl")
    plan(sessions, settings)
    assert deliver(settings, sessions, ManualClock(T0)) == 0
    assert smtp_sink.received == []
    [row] = rows(sessions)
    assert row.status == "pending" and row.last_error


def test_operator_alert_without_operators_is_logged_not_dropped_silently(
    db_url: str, sessions: sessionmaker[Session], smtp_sink: SmtpSink
) -> None:
    """With no `desk.operators`, an alert cannot be mailed: it is logged as unaddressed."""
    settings = Settings(database={"url": db_url}, desk={"official_address": OFFICIAL})
    with capture_logs() as logs, transaction(sessions) as s:
        row = notify_operators(s, settings, T0, key="x:alert:1", subject="s", text="t")
    assert row is None
    assert [e["event"] for e in logs] == ["operator_alert_unaddressed"]
    assert rows(sessions) == []


def test_sent_mail_is_copied_to_the_sent_folder_when_configured(
    db_url: str, sessions: sessionmaker[Session], smtp_sink: SmtpSink, dovecot: Dovecot,
) -> None:
    """imap.append_sent: each delivered mail is appended to Sent, marked seen, same bytes."""
    settings = make_settings(db_url, smtp_sink).model_copy(update={"imap": Settings(imap={
        "host": dovecot.host, "port": dovecot.port, "tls": "none", "username": "desk",
        "password": "desk-secret", "append_sent": True}).imap})
    plan(sessions, settings, 2)
    with capture_logs() as logs:
        assert deliver(settings, sessions, ManualClock(T0)) == 2
    assert [e["count"] for e in logs if e["event"] == "sent_copied"] == [2]
    client = dovecot.client()
    try:
        client.select_folder("Sent", readonly=True)
        uids = client.search("ALL")
        fetched = client.fetch(uids, ["BODY.PEEK[]", "FLAGS"])
    finally:
        client.logout()
    copies = {email.message_from_bytes(d[b"BODY[]"], policy=email.policy.default)["Message-ID"]:
              d for d in fetched.values()}
    assert set(copies) == {f"<{r.message_id}>" for r in rows(sessions)}
    assert all(b"\\Seen" in d[b"FLAGS"] for d in copies.values())


def test_a_failing_sent_copy_never_undoes_the_delivery(
    db_url: str, sessions: sessionmaker[Session], smtp_sink: SmtpSink, dovecot: Dovecot,
) -> None:
    """With the IMAP server down the mail is still sent and recorded; the copy is logged lost."""
    settings = make_settings(db_url, smtp_sink).model_copy(update={"imap": Settings(imap={
        "host": dovecot.host, "port": dovecot.port, "tls": "none", "username": "desk",
        "password": "desk-secret", "append_sent": True}).imap})
    plan(sessions, settings)
    dovecot.stop()
    try:
        with capture_logs() as logs:
            assert deliver(settings, sessions, ManualClock(T0)) == 1
    finally:
        dovecot.restart()
    assert [r.status for r in rows(sessions)] == ["sent"]
    assert [e["event"] for e in logs if e["event"].startswith("sent_copy")] == [
        "sent_copy_failed"]


def test_a_lease_of_a_process_that_is_gone_is_released_and_the_mail_sent_at_once(
    db_url: str, sessions: sessionmaker[Session], smtp_sink: SmtpSink
) -> None:
    """A daemon starting after a crash releases the leases of processes that no longer run
    (one log line) and sends their mail at once; a live process's lease is left alone."""
    settings = make_settings(db_url, smtp_sink)
    clock = ManualClock(T0)
    plan(sessions, settings, 2)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    gone = Claimer(instance="old-daemon", pid=int(dead.stdout))
    alive = Claimer(instance="cli-busy", pid=os.getppid())
    [first] = claim_due(settings, sessions, clock.now(), 1, gone)
    [second] = claim_due(settings, sessions, clock.now(), 1, alive)
    me = Claimer(instance="new-daemon")
    assert deliver(settings, sessions, clock) == 0  # both leased
    with capture_logs() as logs:
        assert release_stale_claims(sessions, me, clock.now()) == 1
    [line] = [e for e in logs if e["event"] == "outbox_claims_released"]
    assert line["count"] == 1 and line["claimed_by"] == [gone.name]
    assert asyncio.run(deliver_pending(settings, sessions, clock, me, on_sent=mail_sent)) == 1
    [mail] = smtp_sink.handler.wait_for(1)
    assert str(mail.message["Message-ID"]).strip("<>") == first.message_id
    with sessions() as s:
        still = s.get(OutboxMail, second.id)
        assert still is not None and still.status == "pending" and still.claimed_by == alive.name
