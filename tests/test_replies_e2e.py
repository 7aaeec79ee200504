"""End to end: mail appended to the real Dovecot INBOX, the daemon's pass, the real SMTP sink."""

from __future__ import annotations

import email.policy
import email.utils
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from structlog.testing import capture_logs

from config.settings import Settings
from daemon.outbound.outbox import ACK, DELIVERY_FAILURE_ALERT
from daemon.process.clock import ManualClock
from daemon.process.context import AppContext
from daemon.process.service import Service
from models import Case, Event, Message, OutboxMail
from tests.conftest import run_cli
from tests.servers import Dovecot, ReceivedMail, SmtpSink
from tests.test_ingest_support import (
    OFFICIAL,
    PARTNERS,
    cli_env,
    request_mail,
    seed_directory,
    write_config,
)

FR, FR_OTHER = PARTNERS["FR"]
OPERATOR = "duty@ncc.gov.example"


class Desk:
    """Mailbox, database, sink and a manual clock; `once()` is one `run --once` pass."""

    def __init__(self, url: str, sessions: sessionmaker[Session], dovecot: Dovecot,
                 sink: SmtpSink) -> None:
        self.url, self.sessions, self.dovecot, self.sink = url, sessions, dovecot, sink
        self.clock = ManualClock(datetime.now(UTC))

    def settings(self, imap: dict[str, Any] | None = None, desk: dict[str, Any] | None = None,
                 **smtp: Any) -> Settings:
        return Settings(
            imap={"host": "127.0.0.1", "port": self.dovecot.port, "tls": "none",
                  "username": "desk", "password": "desk-secret", **(imap or {})},
            smtp={"host": "127.0.0.1", "port": self.sink.port, "tls": "none",
                  "retry_initial_seconds": 30, **smtp},
            desk={"official_address": OFFICIAL, "operators": [OPERATOR],
                  "timezone": "Europe/Brussels", "office_phone": "+32 2 000 00 00",
                  "after_hours_phone": "+32 470 00 00 00", **(desk or {})},
            database={"url": self.url},
        )

    def once(self, imap: dict[str, Any] | None = None, desk: dict[str, Any] | None = None,
             **smtp: Any) -> None:
        ctx = AppContext(self.settings(imap, desk, **smtp), self.clock)
        try:
            Service(ctx).run_once()  # raises PassFailed if the mailbox or database fails
        finally:
            ctx.close()

    def outbox(self) -> list[OutboxMail]:
        with self.sessions() as s:
            return list(s.scalars(select(OutboxMail).order_by(OutboxMail.id)))

    def events(self, kind: str) -> list[Event]:
        with self.sessions() as s:
            return list(s.scalars(select(Event).where(Event.kind == kind).order_by(Event.id)))

    def case_of(self, msg: EmailMessage) -> Case | None:
        mid = str(msg["Message-ID"]).strip("<>")
        with self.sessions() as s:
            row = s.scalar(select(Message).where(Message.message_id == mid))
            assert row is not None, f"message {mid} not stored"
            return s.get(Case, row.case_id) if row.case_id is not None else None

    def acks_to(self, address: str) -> list[ReceivedMail]:
        return [m for m in self.sink.received if address in m.rcpt_tos]


@pytest.fixture
def desk(db_url: str, sessions: sessionmaker[Session], dovecot: Dovecot,
         smtp_sink: SmtpSink) -> Iterator[Desk]:
    seed_directory(sessions)
    yield Desk(db_url, sessions, dovecot, smtp_sink)


def mail(sender: str, subject: str, text: str, **headers: str) -> EmailMessage:
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = sender
    msg["To"] = OFFICIAL
    msg["Subject"] = subject
    msg["Date"] = email.utils.format_datetime(datetime.now(UTC))
    msg["Message-ID"] = email.utils.make_msgid("m", sender.rpartition("@")[2] or "x.example")
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(text)
    return msg


def test_request_in_inbox_gets_exactly_one_ack_and_its_reply_threads_back(desk: Desk) -> None:
    """A request appended to INBOX: one ack at the sink, threaded, from the official address,
    with the case reference; the partner's answer to the ack joins the same case, unanswered."""
    request = request_mail(1, sender=FR, subject="Preservation request - ref ABC-1")
    desk.dovecot.append(request.as_bytes())
    desk.once()
    [ack] = desk.sink.handler.wait_for(1)
    case = desk.case_of(request)
    assert case is not None
    msg = ack.message
    assert ack.mail_from == OFFICIAL and ack.rcpt_tos == [FR]
    assert msg["Subject"] == f"Re: [{case.reference}] Preservation request - ref ABC-1"
    assert msg["In-Reply-To"] == request["Message-ID"]
    assert request["Message-ID"] in msg["References"]
    assert msg["Auto-Submitted"] == "auto-replied"
    assert msg["X-Auto-Response-Suppress"] == "All"
    assert msg["From"].addresses[0].addr_spec == OFFICIAL
    body = msg.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert f"Our case reference: {case.reference}" in text
    assert "(your time)" in text and "(our time)" in text
    assert "+32 2 000 00 00" in text and "+32 470 00 00 00" in text
    [row] = desk.outbox()
    assert row.status == "sent" and f"<{row.message_id}>" == msg["Message-ID"]
    with desk.sessions() as s:
        opened = s.get(Case, case.id)
        assert opened is not None and opened.acknowledged_at is not None

    answer = mail(FR, f"Re: {msg['Subject']}", "Thank you, the MLA request follows.\n",
                  In_Reply_To=msg["Message-ID"], References=msg["Message-ID"])
    desk.dovecot.append(answer.as_bytes())
    desk.clock.advance(timedelta(minutes=5))
    desk.once()
    threaded = desk.case_of(answer)
    assert threaded is not None and threaded.id == case.id
    desk.once()
    assert len(desk.sink.received) == 1


def test_ack_to_an_outlook_message_id_of_120_characters_threads_in_the_raw_bytes(
    desk: Desk,
) -> None:
    """A partner Message-ID of 120 characters (Exchange's shape) comes back in the ack's raw
    In-Reply-To and References exactly as written, so the partner's client threads it."""
    long_id = ("AM9PR07MB71870F3D2C1E4B6A8F9D0C1B2A3E4F5D6C7B8A9E0F1D2C3B4A5E6F7A8B9C0D1E2F3"
               "@AM9PR07MB7187.eurprd07.prod.outlook.example")
    assert len(long_id) == 120
    request = request_mail(7, sender=FR)
    raw = request.as_bytes()
    head, sep, body = raw.partition(b"\r\n\r\n")
    lines = [ln for ln in head.split(b"\r\n") if not ln.lower().startswith(b"message-id:")]
    desk.dovecot.append(b"\r\n".join([*lines, b"Message-ID: <" + long_id.encode() + b">"])
                        + sep + body)
    desk.once()
    [ack] = desk.sink.handler.wait_for(1)
    ack_head = ack.data.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0]
    assert b"=?" not in ack_head
    assert b"\nIn-Reply-To: <" + long_id.encode() + b">\n" in ack_head
    assert b"<" + long_id.encode() + b">" in ack_head.split(b"\nReferences:", 1)[1]
    assert ack.message["In-Reply-To"] == f"<{long_id}>"


def test_robots_lists_and_a_burst_get_no_more_than_the_limit(desk: Desk) -> None:
    """Out-of-office, bounce and list mail get no ack; 20 requests from one address get at
    most `max_auto_replies_per_hour`, and the operators one rate-limit alert; each
    suppression is logged with its reason."""
    ooo = mail(FR, "Automatic reply: Preservation request", "I am out of the office.\n",
               Auto_Submitted="auto-replied")
    bounce = mail("MAILER-DAEMON@mx.police.fr.example", "Undelivered Mail Returned to Sender",
                  "This is the mail system. Preservation request could not be delivered.\n",
                  Return_Path="<>")
    listed = mail("cyber-news@lists.example", "Preservation of data: newsletter",
                  "Monthly news.\n", List_Id="<cyber-news.lists.example>", Precedence="list")
    burst = [request_mail(100 + i, sender=FR) for i in range(20)]
    desk.dovecot.append_many([m.as_bytes() for m in (ooo, bounce, listed, *burst)])
    with capture_logs() as logs:
        desk.once(max_auto_replies_per_hour=5)
    received = desk.sink.handler.wait_for(6)
    assert len(received) == 6
    assert [m.rcpt_tos for m in received] == [[FR]] * 5 + [[OPERATOR]]
    assert "sender rate-limited" in received[5].message["Subject"]
    assert desk.acks_to("MAILER-DAEMON@mx.police.fr.example") == []
    assert desk.acks_to("cyber-news@lists.example") == []
    lines = [e for e in logs if e["event"] == "ack_suppressed"]
    reasons = [e["reason"] for e in lines]
    assert reasons.count("rate_limited") == 15
    assert sorted(r for r in reasons if r != "rate_limited") == [
        "auto_reply", "bounce", "list_mail"]
    assert len(desk.events("ack_suppressed")) == len(lines) == 18
    assert len([r for r in desk.outbox() if r.purpose == ACK]) == 5


def test_smtp_down_then_back_the_ack_arrives_once(desk: Desk) -> None:
    """With the SMTP server down the ack waits in the outbox; after it is back it arrives
    once, and the operators get one "SMTP back" alert with the mail held."""
    request = request_mail(2, sender=FR)
    desk.dovecot.append(request.as_bytes())
    desk.sink.stop()
    try:
        desk.once()
        [row] = desk.outbox()
        assert row.status == "pending" and row.attempts == 1 and row.last_error
    finally:
        desk.sink.start()
    desk.once()  # back, but the retry is not due yet
    assert desk.sink.received == []
    desk.clock.advance(timedelta(seconds=31))
    desk.once()
    ack, back = desk.sink.handler.wait_for(2)
    assert ack.message["In-Reply-To"] == request["Message-ID"]
    assert back.rcpt_tos == [OPERATOR]
    assert back.message["Subject"] == "[watchkeeper] SMTP back after 31 s: 1 mail held"
    desk.clock.advance(timedelta(hours=1))
    desk.once()
    assert len(desk.sink.received) == 2
    assert [(r.purpose, r.status) for r in desk.outbox()] == [("ack", "sent"),
                                                               ("operator_alert", "sent")]


def test_550_on_rcpt_marks_the_ack_failed_and_alerts_the_operators(desk: Desk) -> None:
    """A permanent refusal of the partner's address fails the ack and reaches the operators."""
    request = request_mail(3, sender=FR)
    desk.dovecot.append(request.as_bytes())
    desk.sink.handler.fail_next("RCPT", "550 5.1.1 mailbox unknown")
    desk.once()
    [alert] = desk.sink.handler.wait_for(1)
    assert alert.rcpt_tos == [OPERATOR]
    assert "acknowledgement to FR failed: 550 5.1.1 mailbox unknown" in alert.message["Subject"]
    ack, alert_row = desk.outbox()
    assert ack.status == "failed" and ack.last_error == "550 5.1.1 mailbox unknown"
    assert alert_row.purpose == DELIVERY_FAILURE_ALERT and alert_row.status == "sent"
    assert len(desk.events("mail_failed")) == 1


def test_case_start_sends_the_partner_a_confirmation_in_the_same_thread(
    desk: Desk, tmp_path: Path,
) -> None:
    """`watchkeeper case REF start` plans the confirmation; the next pass delivers it to the
    partner, In-Reply-To our acknowledgement, once."""
    request = request_mail(4, sender=FR, subject="Preservation request - ref ABC-4")
    desk.dovecot.append(request.as_bytes())
    desk.once()
    [ack] = desk.sink.handler.wait_for(1)
    case = desk.case_of(request)
    assert case is not None
    config = write_config(tmp_path, imap_port=desk.dovecot.port, smtp_port=desk.sink.port,
                          db_url=desk.url)
    for _ in range(2):
        started = run_cli("case", case.reference, "start", "--by", "alice",
                          env=cli_env(config))
    assert "already started" in started.stderr + started.stdout
    desk.clock.advance(timedelta(minutes=10))
    desk.once()
    received = desk.sink.handler.wait_for(2)
    assert len(received) == 2
    confirmation = received[1].message
    assert received[1].rcpt_tos == [FR]
    assert confirmation["Subject"] == f"Re: [{case.reference}] Preservation request - ref ABC-4"
    assert confirmation["In-Reply-To"] == ack.message["Message-ID"]
    assert request["Message-ID"] in confirmation["References"]
    body = confirmation.get_body(("plain",))
    assert body is not None and f"(our reference {case.reference}) started on" in (
        body.get_content())
    desk.once()
    assert len(desk.sink.received) == 2
    [event] = desk.events("confirmation_queued")
    assert event.actor == "alice"


def dsn_for(returned: bytes, recipient: str) -> bytes:
    """A delivery status notification as Postfix writes it, returning our whole mail."""
    boundary = "dsn-boundary-1"
    return (
        f"From: MAILER-DAEMON@mx.police.fr.example (Mail Delivery System)\r\n"
        f"To: {OFFICIAL}\r\n"
        f"Subject: Undelivered Mail Returned to Sender\r\n"
        f"Date: {email.utils.format_datetime(datetime.now(UTC))}\r\n"
        f"Message-ID: {email.utils.make_msgid('dsn', 'mx.police.fr.example')}\r\n"
        f"Auto-Submitted: auto-replied\r\n"
        f"MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type=delivery-status; '
        f'boundary="{boundary}"\r\n\r\n'
        f"--{boundary}\r\nContent-Type: text/plain\r\n\r\n"
        f"I'm sorry to have to inform you that your message could not be delivered.\r\n"
        f"<{recipient}>: host mx said: 550 5.1.1 mailbox unknown\r\n\r\n"
        f"--{boundary}\r\nContent-Type: message/delivery-status\r\n\r\n"
        f"Reporting-MTA: dns; mx.police.fr.example\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        f"Diagnostic-Code: smtp; 550 5.1.1 mailbox unknown\r\n\r\n"
        f"--{boundary}\r\nContent-Type: message/rfc822\r\n\r\n"
    ).encode() + returned.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n") + (
        f"\r\n--{boundary}--\r\n").encode()


def test_bounce_of_our_ack_is_linked_marked_bounced_and_alerted(desk: Desk) -> None:
    """A DSN returning our acknowledgement joins the case, marks the ack bounced, alerts
    the operators, and is itself never answered."""
    request = request_mail(5, sender=FR)
    desk.dovecot.append(request.as_bytes())
    desk.once()
    [ack] = desk.sink.handler.wait_for(1)
    case = desk.case_of(request)
    assert case is not None
    dsn = dsn_for(ack.data, FR)
    desk.dovecot.append(dsn)
    desk.clock.advance(timedelta(minutes=2))
    desk.once()
    received = desk.sink.handler.wait_for(2)
    assert len(received) == 2
    alert = received[1]
    assert alert.rcpt_tos == [OPERATOR]
    assert alert.message["Subject"].startswith("[watchkeeper] acknowledgement to FR bounced: ")
    assert "5.1.1" in alert.message["Subject"]
    ack_row = next(r for r in desk.outbox() if r.purpose == ACK)
    assert ack_row.status == "bounced" and ack_row.case_id == case.id
    with desk.sessions() as s:
        stored = s.scalar(select(Message).where(Message.case_id == case.id,
                                                Message.from_addr.like("mailer-daemon%")))
        assert stored is not None
    [event] = desk.events("mail_bounced")
    assert event.case_id == case.id
    desk.once()
    assert len(desk.sink.received) == 2


def test_copies_in_the_sent_folder_are_recognised_as_ours_and_open_nothing(desk: Desk) -> None:
    """imap.append_sent: the ack's copy lands in Sent; the Sent watcher stores it as our own
    mail in the request's case, opens no case and plans no mail."""
    request = request_mail(6, sender=FR)
    desk.dovecot.append(request.as_bytes())
    desk.once(imap={"append_sent": True})
    [ack] = desk.sink.handler.wait_for(1)
    desk.clock.advance(timedelta(minutes=1))
    desk.once(imap={"append_sent": True})
    case = desk.case_of(request)
    assert case is not None
    with desk.sessions() as s:
        copy = s.scalar(select(Message).where(Message.folder == "Sent"))
        assert copy is not None
        assert f"<{copy.message_id}>" == ack.message["Message-ID"]
        assert copy.ours and copy.case_id == case.id
        assert len(s.scalars(select(Case)).all()) == 1
    assert len(desk.outbox()) == 1 and len(desk.sink.received) == 1


def test_run_once_sends_the_digest_it_plans_before_it_exits(desk: Desk) -> None:
    """A `run --once` pass after the digest time plans the day's digest and delivers it in
    the same pass, together with the acknowledgement of the mail it imported."""
    desk.dovecot.append(request_mail(9, sender=FR).as_bytes())
    desk.clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))  # 10:00 in Brussels, after 07:30
    desk.once(desk={"supervisors": ["chief@ncc.gov.example"]})
    received = desk.sink.handler.wait_for(2)
    assert sorted(m.rcpt_tos[0] for m in received) == ["chief@ncc.gov.example", FR]
    assert {r.purpose: r.status for r in desk.outbox()} == {"ack": "sent", "digest": "sent"}
