"""Intake that cannot lose a request: every human mail in INBOX is a case or a triage item,
robots are neither; a threaded follow-up is not acknowledged again; robots quoting a case
tag raise no suspicion. Real Dovecot, SMTP sink, SQLite and PostgreSQL."""

from __future__ import annotations

import email.policy
import email.utils
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from structlog.testing import capture_logs as _capture_logs

from config.settings import Settings
from daemon.outbound.outbox import ACK
from daemon.process.clock import ManualClock
from daemon.process.context import AppContext
from daemon.process.service import Service
from daemon.rules import intake
from models import Case, Event, Message, OutboxMail, TriageItem
from tests.servers import Dovecot, SmtpSink
from tests.test_ingest_support import (
    OFFICIAL,
    PARTNERS,
    reply_mail,
    request_mail,
    seed_directory,
)

FR, FR_OTHER = PARTNERS["FR"]
DE = PARTNERS["DE"][0]
OPERATOR = "duty@ncc.gov.example"
VENDOR = "sales@desktools.example"


def capture_logs() -> Any:
    return _capture_logs(processors=[structlog.contextvars.merge_contextvars])


class Desk:
    """Mailbox, database, sink and a manual clock; `once()` is one `run --once` pass."""

    def __init__(self, url: str, sessions: sessionmaker[Session], dovecot: Dovecot,
                 sink: SmtpSink) -> None:
        self.url, self.sessions, self.dovecot, self.sink = url, sessions, dovecot, sink
        self.clock = ManualClock(datetime.now(UTC))

    def settings(self, **desk: Any) -> Settings:
        return Settings(
            imap={"host": "127.0.0.1", "port": self.dovecot.port, "tls": "none",
                  "username": "desk", "password": "desk-secret"},
            smtp={"host": "127.0.0.1", "port": self.sink.port, "tls": "none"},
            desk={"official_address": OFFICIAL, "operators": [OPERATOR], **desk},
            database={"url": self.url},
        )

    def once(self, **desk: Any) -> None:
        ctx = AppContext(self.settings(**desk), self.clock)
        try:
            Service(ctx).run_once()
        finally:
            ctx.close()

    def append(self, *mails: EmailMessage | bytes) -> None:
        """Append with the manual clock's time as INTERNALDATE: the desk dates a message by
        it, and the wall clock has moved on since the manual clock was set."""
        self.dovecot.append_many([m if isinstance(m, bytes) else m.as_bytes() for m in mails],
                                 msg_time=self.clock.now())

    def row(self, msg: EmailMessage) -> Message:
        mid = str(msg["Message-ID"]).strip("<>")
        with self.sessions() as s:
            row = s.scalar(select(Message).where(Message.message_id == mid))
            assert row is not None, f"message {mid} not stored"
            s.expunge(row)
            return row

    def case_of(self, msg: EmailMessage) -> Case | None:
        row = self.row(msg)
        with self.sessions() as s:
            case = s.get(Case, row.case_id) if row.case_id is not None else None
            if case is not None:
                s.expunge(case)
            return case

    def triage_of(self, msg: EmailMessage) -> TriageItem | None:
        row = self.row(msg)
        with self.sessions() as s:
            item = s.scalar(select(TriageItem).where(TriageItem.message_id == row.id))
            if item is not None:
                s.expunge(item)
            return item

    def outbox(self, purpose: str | None = None) -> list[OutboxMail]:
        with self.sessions() as s:
            query = select(OutboxMail).order_by(OutboxMail.id)
            if purpose is not None:
                query = query.where(OutboxMail.purpose == purpose)
            return list(s.scalars(query))

    def acks_of(self, case: Case) -> list[OutboxMail]:
        return [r for r in self.outbox(ACK) if r.case_id == case.id]

    def cases(self) -> list[Case]:
        with self.sessions() as s:
            return list(s.scalars(select(Case).order_by(Case.id)))

    def events(self, kind: str) -> list[Event]:
        with self.sessions() as s:
            return list(s.scalars(select(Event).where(Event.kind == kind).order_by(Event.id)))


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


def closure_notice(sender: str = FR) -> EmailMessage:
    """A partner's mail that asks for nothing: the parser cannot classify it."""
    return mail(sender, "Office closure over the holidays",
                "Dear colleagues,\n\nOur office will be closed from 24 to 26 December. The "
                "24/7 line stays available on the usual number.\n\nBest regards,\nThe team\n")


def vendor_mail() -> EmailMessage:
    """A stranger's mail that does not read as a request."""
    return mail(VENDOR, "Your licence renewal for DeskTools Pro",
                "Dear customer,\n\nYour annual licence for DeskTools Pro expires on 15 "
                "January. You can renew it online in two minutes.\n\nKind regards,\n"
                "The DeskTools sales team\n")


def feedback_report() -> bytes:
    """An abuse complaint in the Abuse Reporting Format (RFC 5965)."""
    boundary = "arf-1"
    return (
        "From: Feedback Loop <fbl@mailbox-provider.example>\r\n"
        f"To: {OFFICIAL}\r\n"
        "Subject: Email Feedback Report for IP 203.0.113.25\r\n"
        f"Date: {email.utils.format_datetime(datetime.now(UTC))}\r\n"
        "Message-ID: <arf-1@mailbox-provider.example>\r\n"
        "MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type=feedback-report; boundary="{boundary}"'
        "\r\n\r\n"
        f"--{boundary}\r\nContent-Type: text/plain\r\n\r\n"
        "This is an email abuse report for an email message received from IP 203.0.113.25.\r\n"
        f"\r\n--{boundary}\r\nContent-Type: message/feedback-report\r\n\r\n"
        "Feedback-Type: abuse\r\nUser-Agent: FBL/1.0\r\nVersion: 1\r\n"
        f"\r\n--{boundary}\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: {OFFICIAL}\r\nSubject: something\r\n"
        f"\r\n--{boundary}--\r\n"
    ).encode()


# --- the routing table -----------------------------------------------------------------------


@pytest.mark.parametrize(("facts", "expected"), [
    ({"kind": "request", "request_type": "preservation", "relation": intake.STRANGER},
     (intake.CASE, intake.REQUEST, "preservation")),
    ({"kind": "request", "robot": intake.AUTO_REPLY, "request_type": "information"},
     (intake.CASE, intake.REQUEST, "information")),
    ({"kind": "other", "relation": intake.PARTNER}, (intake.CASE, intake.PARTNER_MAIL,
                                                     intake.UNCLASSIFIED)),
    ({"kind": "reply", "relation": intake.PARTNER_DOMAIN},
     (intake.CASE, intake.PARTNER_DOMAIN_MAIL, intake.UNCLASSIFIED)),
    ({"kind": "other", "reads_as_request": True}, (intake.CASE, intake.READS_AS_REQUEST,
                                                   intake.UNCLASSIFIED)),
    ({"kind": "auto_reply", "robot": intake.AUTO_REPLY, "relation": intake.PARTNER},
     (intake.IGNORE, intake.AUTO_REPLY, None)),
    ({"kind": "ping_reply", "robot": intake.PING_REPLY}, (intake.IGNORE, intake.PING_REPLY, None)),
    ({"kind": "other"}, (intake.TRIAGE, intake.STRANGER_MAIL, None)),
    ({"kind": "reply"}, (intake.TRIAGE, intake.STRANGER_REPLY, None)),
    ({"kind": "other", "tag_from_stranger": True}, (intake.TRIAGE, intake.STRANGER_TAG, None)),
    ({"kind": "other", "has_sender": False}, (intake.TRIAGE, intake.NO_SENDER, None)),
    ({"kind": "other", "unreadable": True}, (intake.TRIAGE, intake.UNREADABLE, None)),
])
def test_intake_routing_table(facts: dict[str, Any], expected: tuple[Any, ...]) -> None:
    """A request is always a case; robots are nothing; partners' mail is a case; a stranger's
    is a case only when it reads as a request, else a triage item with its reason."""
    given: dict[str, Any] = {"kind": "other", "reads_as_request": False, "request_type": None,
                             "relation": intake.STRANGER, "robot": None, "has_sender": True}
    decision = intake.decide(**{**given, **facts})
    assert (decision.action, decision.reason, decision.request_type) == expected


# --- every human mail is tracked -------------------------------------------------------------


def test_partner_mail_the_parser_cannot_classify_is_an_acknowledged_unclassified_case(
    desk: Desk,
) -> None:
    """A directory partner's mail that is no request opens an `unclassified` case, is
    acknowledged in its thread, and the duty officer is asked once to set its type."""
    notice = closure_notice()
    desk.append(notice)
    desk.once()
    case = desk.case_of(notice)
    assert case is not None
    assert (case.request_type, case.country, case.sender_verified) == ("unclassified", "FR",
                                                                        True)
    assert "intake_partner_mail" in case.rules and case.start_due_at is not None
    [ack] = desk.acks_of(case)
    assert ack.recipients == [FR]
    assert b"not yet determined" in ack.raw
    [prompt] = desk.outbox("classification_prompt")
    assert prompt.recipients == [OPERATOR] and prompt.case_id == case.id
    assert f"watchkeeper case {case.reference} type TYPE".encode() in prompt.raw
    desk.clock.advance(timedelta(hours=1))
    desk.once()
    assert len(desk.outbox("classification_prompt")) == 1
    assert desk.triage_of(notice) is None


def test_mail_from_a_partners_domain_is_an_unverified_case_copied_to_the_official_address(
    desk: Desk,
) -> None:
    """An officer's own address at a partner's domain: a case, unverified, acknowledged to
    the officer with the partner's official address in copy."""
    notice = closure_notice("j.martin@police.fr.example")
    desk.append(notice)
    desk.once()
    case = desk.case_of(notice)
    assert case is not None and case.request_type == "unclassified"
    assert not case.sender_verified and "unverified_sender" in case.flags
    [ack] = desk.acks_of(case)
    assert ack.recipients == ["j.martin@police.fr.example", FR]


def test_stranger_request_is_an_unverified_case_under_the_policy(desk: Desk) -> None:
    """A request from an unknown address is a case flagged unverified; with `ask_resend` the
    sender is asked to resend from the official address and the case is held."""
    req = request_mail(sender="officer@freemail.example")
    desk.append(req)
    desk.once(unverified_sender="ask_resend")
    case = desk.case_of(req)
    assert case is not None and case.request_type == "preservation"
    assert "unverified_sender" in case.flags and case.status == "held"
    assert desk.acks_of(case) == [] and len(desk.outbox("resend_request")) == 1
    assert desk.triage_of(req) is None


def test_stranger_mail_that_asks_for_nothing_is_a_triage_item_never_acknowledged(
    desk: Desk,
) -> None:
    """A vendor's mail opens no case and gets no answer, but becomes an open triage item with
    its reason, an event and a log line."""
    vendor = vendor_mail()
    desk.append(vendor)
    with capture_logs() as logs:
        desk.once()
    assert desk.case_of(vendor) is None
    item = desk.triage_of(vendor)
    assert item is not None and item.status == "open" and not item.historical
    assert item.reason == intake.STRANGER_MAIL and item.resolution is None
    assert desk.outbox() == []
    [event] = desk.events("message_triaged")
    assert event.data["reason"] == "stranger_mail" and event.data["sender"] == VENDOR
    [line] = [e for e in logs if e["event"] == "message_triaged"]
    assert line["sender"] == VENDOR and line["mailbox"] == "INBOX"


def test_robots_are_neither_case_nor_triage(desk: Desk) -> None:
    """Out-of-office, bounce, list mail, a feedback report, a ping reply, a no-reply sender
    and our own mail: no case, no triage item, no answer."""
    robots: list[EmailMessage | bytes] = [
        mail("k.wagner@bka.de.example", "Automatic reply: Preservation request",
             "I am out of the office until Monday.\n", Auto_Submitted="auto-replied"),
        mail("MAILER-DAEMON@mx.unknown.example", "Undelivered Mail Returned to Sender",
             "This is the mail system. Your message could not be delivered to "
             "<nobody@unknown.example>: 550 5.1.1 mailbox unknown\n"),
        mail("news@cyber-weekly.example", "Cybercrime weekly #42", "This week in cybercrime.\n",
             List_Id="<weekly.cyber-weekly.example>", List_Unsubscribe="<mailto:u@x.example>"),
        feedback_report(),
        mail("someone@freemail.example", "Re: PING-2026-H2-7F3A directory test",
             "Received, all well.\n"),
        mail("no-reply@bank.example", "Your statement is ready", "Log in to read it.\n"),
        mail(OFFICIAL, "Note to self", "Check the shift plan.\n"),
    ]
    desk.append(*robots)
    desk.once()
    with desk.sessions() as s:
        messages = list(s.scalars(select(Message)))
        assert len(messages) == len(robots)
        assert all(m.case_id is None for m in messages)
        assert s.scalars(select(TriageItem)).all() == []
    assert desk.cases() == [] and desk.outbox() == []


def test_history_follows_the_same_rules_closed_and_never_answered(desk: Desk) -> None:
    """On a first run old mail is history: a partner's unclassified mail is a closed
    historical case, a stranger's is a closed historical triage item; nothing is sent or
    prompted, even hours later."""
    old = datetime.now(UTC) - timedelta(days=30)
    notice, vendor, req = closure_notice(), vendor_mail(), request_mail(sender=DE)
    client = desk.dovecot.client()
    try:
        for msg in (notice, vendor, req):
            client.append("INBOX", msg.as_bytes(), msg_time=old)
    finally:
        client.logout()
    desk.once()
    case, request_case = desk.case_of(notice), desk.case_of(req)
    assert case is not None and request_case is not None
    for c in (case, request_case):
        assert c.historical and c.status == "closed" and c.start_due_at is None
    assert case.request_type == "unclassified"
    item = desk.triage_of(vendor)
    assert item is not None and item.historical and item.status == "closed"
    assert (item.resolution, item.closed_by) == ("historical", "watchkeeper")
    desk.clock.advance(timedelta(hours=3))
    desk.once()
    assert desk.outbox() == []
    assert desk.events("triage_prompted") == [] and desk.events("classification_prompted") == []


def test_triage_item_prompts_the_duty_officer_once_after_the_alert_delay(desk: Desk) -> None:
    """Mail waiting in triage longer than `desk.triage_alert_minutes` (30) prompts the duty
    officer once, naming the message and the commands; not before, not twice."""
    vendor = vendor_mail()
    desk.append(vendor)
    desk.once()
    item = desk.triage_of(vendor)
    assert item is not None
    desk.clock.advance(timedelta(minutes=29))
    desk.once()
    assert desk.outbox("triage_prompt") == []
    desk.clock.advance(timedelta(minutes=2))
    desk.once()
    [prompt] = desk.outbox("triage_prompt")
    assert prompt.recipients == [OPERATOR]
    message = email.message_from_bytes(prompt.raw, policy=email.policy.default)
    assert str(message["Subject"]).startswith("Waiting for triage 31 min: mail from " + VENDOR)
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert f"watchkeeper triage open {item.message_id}" in text
    assert f"watchkeeper triage dismiss {item.message_id}" in text
    desk.clock.advance(timedelta(hours=2))
    desk.once()
    assert len(desk.outbox("triage_prompt")) == 1
    assert len(desk.events("triage_prompted")) == 1
    assert OPERATOR in desk.sink.handler.wait_for(1)[0].rcpt_tos


def test_the_alert_delay_is_a_setting(desk: Desk) -> None:
    """With `desk.triage_alert_minutes = 5` the prompt comes after five minutes."""
    desk.append(vendor_mail())
    desk.once(triage_alert_minutes=5)
    desk.clock.advance(timedelta(minutes=6))
    desk.once(triage_alert_minutes=5)
    assert len(desk.outbox("triage_prompt")) == 1


# --- a threaded message does not start over --------------------------------------------------


def _case_with_ack(desk: Desk) -> tuple[EmailMessage, Case, OutboxMail]:
    req = request_mail(sender=DE)
    desk.append(req)
    desk.once()
    case = desk.case_of(req)
    assert case is not None and case.request_type == "preservation"
    [ack] = desk.acks_of(case)
    return req, case, ack


ADDENDUM = ("Sehr geehrte Kolleginnen und Kollegen,\n\nbitte beachten Sie eine Korrektur zu "
            "unserem Ersuchen um Sicherung: die IP-Adresse 198.51.100.8 wurde am 02.11.2026 um "
            "08:48 UTC genutzt, nicht um 07:48 UTC. Bitte sichern Sie die Verkehrsdaten "
            "entsprechend.\n\nMit freundlichen Grüßen\nBKA\n")


RESENT = ("Dear colleagues,\n\nto be sure nothing is lost: under Article 29 of the Budapest "
          "Convention, please preserve the data of account user7@mail.example held by "
          "Example Mail Ltd, including the IP address 198.51.100.8 used on 2026-11-02 at "
          "08:48 UTC.\n\nRegards,\nBKA\n")


@pytest.mark.parametrize(("subject", "text", "kind"), [
    ("Nachtrag: Korrektur Uhrzeit", ADDENDUM, "reply"),
    ("Re: Preservation request", RESENT, "request"),
])
def test_addendum_as_a_reply_without_the_tag_gets_no_second_ack(
    desk: Desk, subject: str, text: str, kind: str,
) -> None:
    """A follow-up joined by In-Reply-To is added to its case and not acknowledged again,
    whether the parser reads it as a reply (a correction) or as a request of the case's own
    type (the request said again); the log says it was threaded."""
    req, case, _ = _case_with_ack(desk)
    addendum = reply_mail(req, sender=DE, subject=subject, text=text)
    desk.append(addendum)
    with capture_logs() as logs:
        desk.once()
    row = desk.row(addendum)
    assert row.kind == kind
    if kind == "request":
        assert row.parsed["request_type"] == case.request_type
    assert row.case_id == case.id and len(desk.cases()) == 1
    assert len(desk.acks_of(case)) == 1
    assert [e["case"] for e in logs if e["event"] == "message_threaded"] == [case.reference]
    assert not any(e["event"] == "case_opened" for e in logs)


def test_addendum_with_the_tag_and_no_references_gets_no_second_ack(desk: Desk) -> None:
    """The request said again, joined only by the case tag from the partner's address:
    threaded, one acknowledgement in all."""
    _, case, _ = _case_with_ack(desk)
    addendum = mail(DE, f"Re: [{case.reference}] Preservation request", RESENT)
    desk.append(addendum)
    desk.once()
    row = desk.row(addendum)
    assert (row.kind, row.parsed["request_type"]) == ("request", case.request_type)
    assert row.case_id == case.id
    assert len(desk.cases()) == 1 and len(desk.acks_of(case)) == 1


def test_extension_sent_as_a_reply_opens_a_linked_case_with_its_own_ack(desk: Desk) -> None:
    """An extension inside the thread is a new request: a case linked to the thread's case,
    acknowledged on its own; the log says case_opened with linked_to."""
    req, case, ack = _case_with_ack(desk)
    extension = reply_mail(
        req, sender=DE, subject="Verlängerung der Sicherung / extension of preservation",
        text="Request status: extension\n\nPlease extend the preservation of the data of "
             "account user7@mail.example held by Example Mail Ltd (Article 29) for a "
             "further 90 days.\n\nRegards,\nBKA\n")
    extension.replace_header("In-Reply-To", f"<{ack.message_id}>")
    desk.append(extension)
    with capture_logs() as logs:
        desk.once()
    linked = desk.case_of(extension)
    assert linked is not None and linked.id != case.id
    assert (linked.request_type, linked.previous_case_id) == ("preservation_extension", case.id)
    assert len(desk.acks_of(linked)) == 1 and len(desk.acks_of(case)) == 1
    [opened] = [e for e in logs if e["event"] == "case_opened"]
    assert opened["linked_to"] == case.reference and opened["case"] == linked.reference
    assert not any(e["event"] == "message_threaded" for e in logs)


def test_out_of_office_quoting_the_tag_flags_nothing(desk: Desk) -> None:
    """A colleague's out-of-office at the partner's domain quoting the tagged subject is left
    alone: no hijack flag, no candidate, no case, no triage item, no answer."""
    _, case, _ = _case_with_ack(desk)
    ooo = mail("k.wagner@bka.de.example", f"Automatic reply: Re: [{case.reference}] "
               "Preservation request", "I am out of the office until 3 December.\n",
               Auto_Submitted="auto-replied")
    desk.append(ooo)
    desk.once()
    row = desk.row(ooo)
    assert row.case_id is None and row.candidate_case_id is None
    after = desk.cases()[0]
    assert "tag_hijack_suspected" not in after.flags
    assert desk.events("tag_hijack_suspected") == [] and desk.triage_of(ooo) is None
    assert len(desk.outbox(ACK)) == 1


def test_non_delivery_report_quoting_the_tag_joins_through_the_returned_message_id(
    desk: Desk,
) -> None:
    """An Exchange non-delivery report from postmaster carrying our tag and our returned
    acknowledgement joins the case through that Message-ID, marks the ack bounced, and
    flags nothing."""
    _, case, ack = _case_with_ack(desk)
    boundary = "ndr-1"
    ndr = (
        "From: postmaster@bka.de.example\r\n"
        f"To: {OFFICIAL}\r\n"
        f"Subject: Undeliverable: Re: [{case.reference}] Preservation request\r\n"
        f"Date: {email.utils.format_datetime(datetime.now(UTC))}\r\n"
        "Message-ID: <ndr-1@bka.de.example>\r\n"
        "MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"'
        "\r\n\r\n"
        f"--{boundary}\r\nContent-Type: text/plain\r\n\r\n"
        "Delivery has failed to these recipients or groups:\r\n24-7@bka.de.example\r\n"
        f"\r\n--{boundary}\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns;mail.bka.de.example\r\n\r\nFinal-Recipient: rfc822;"
        "24-7@bka.de.example\r\nAction: failed\r\nStatus: 5.2.2\r\n"
        f"\r\n--{boundary}\r\nContent-Type: message/rfc822\r\n\r\n"
    ).encode() + ack.raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n") + (
        f"\r\n--{boundary}--\r\n").encode()
    desk.append(ndr)
    desk.once()
    with desk.sessions() as s:
        row = s.scalar(select(Message).where(Message.message_id == "ndr-1@bka.de.example"))
        assert row is not None and row.case_id == case.id and row.candidate_case_id is None
        assert s.scalars(select(TriageItem)).all() == []
        after = s.get(Case, case.id)
        assert after is not None and "tag_hijack_suspected" not in after.flags
    assert desk.events("tag_hijack_suspected") == []
    assert [r.status for r in desk.outbox(ACK)] == ["bounced"]


def test_a_stranger_quoting_a_tag_is_still_suspected_and_triaged(desk: Desk) -> None:
    """A person (not a robot) outside the case quoting its tag: the hijack flag as before, and
    the mail waits in triage with that reason."""
    _, case, _ = _case_with_ack(desk)
    forged = mail("intruder@attacker.example", f"Re: [{case.reference}] Preservation request",
                  "Please send everything to me instead.\n")
    desk.append(forged)
    desk.once()
    assert "tag_hijack_suspected" in desk.cases()[0].flags
    item = desk.triage_of(forged)
    assert item is not None and item.reason == intake.STRANGER_TAG


def test_a_message_id_of_our_shape_that_we_never_sent_makes_no_mail_ours(desk: Desk) -> None:
    """A stranger's mail with a Message-ID shaped like ours (wk.<hex>@our domain) and a case
    tag is not our own mail: it does not join the case past the counterpart check, it is
    flagged, never answered, and waits in triage."""
    _, case, _ = _case_with_ack(desk)
    forged = mail("intruder@attacker.example", f"[{case.reference}] update",
                  "Please send the data to this address instead.\n")
    forged.replace_header("Message-ID", "<wk.0123456789abcdef0123456789abcdef@ncc.gov.example>")
    desk.append(forged)
    acks = len(desk.outbox(ACK))
    desk.once()
    row = desk.row(forged)
    assert not row.ours and row.case_id is None
    assert "tag_hijack_suspected" in desk.cases()[0].flags
    item = desk.triage_of(forged)
    assert item is not None and item.reason == intake.STRANGER_TAG
    assert len(desk.outbox(ACK)) == acks
    [opened] = [e for e in desk.events("message_stored") if e.message_id == row.id]
    assert opened is not None


def _preservation_with_ack(desk: Desk) -> tuple[Case, OutboxMail]:
    """An acknowledged preservation case of DE's, their reference BKA-2026-0388."""
    req = request_mail(sender=DE, subject="Preservation request - ref BKA-2026-0388",
                       body="Dear colleagues,\n\nunder Article 29 of the Budapest Convention, "
                            "please preserve the data of account user9@mail.example held by "
                            "Example Mail Ltd.\n\nOur reference: BKA-2026-0388\n\nRegards,\n"
                            "BKA 24/7\n")
    desk.append(req)
    desk.once()
    case = desk.case_of(req)
    assert case is not None and case.request_type == "preservation"
    assert case.their_reference == "BKA-2026-0388"
    [ack] = desk.acks_of(case)
    return case, ack


MLA_NOTICE = ("Dear colleagues,\n\nfurther to our preservation request {ref}, we inform you "
              "that a mutual legal assistance request will follow through the central "
              "authority within the coming weeks.\n\nKind regards,\nBKA 24/7\n")


def test_mla_notice_outside_the_thread_updates_the_preservation_case_it_names(
    desk: Desk,
) -> None:
    """"An MLA request will follow", sent as a new mail that names the partner's reference of
    an open preservation case: it joins that case (no new case, no second ack) and the case
    records when the MLA request was announced."""
    case, _ = _preservation_with_ack(desk)
    notice = mail(DE, f"Notification - MLA request to follow - ref {case.their_reference}",
                  MLA_NOTICE.format(ref=case.their_reference))
    desk.append(notice)
    desk.clock.advance(timedelta(hours=2))
    desk.once()
    joined = desk.case_of(notice)
    assert joined is not None and joined.id == case.id
    assert len(desk.cases()) == 1 and len(desk.acks_of(case)) == 1
    assert joined.details["mla_announced_at"]
    [announced] = desk.events("mla_announced")
    assert announced.case_id == case.id
    assert announced.data["their_reference"] == case.their_reference


def test_mla_notice_as_a_reply_in_the_thread_is_news_of_the_case_not_a_linked_case(
    desk: Desk,
) -> None:
    """The same notice sent as a reply to our acknowledgement stays in the preservation case:
    no linked stored-data case, no second ack, the announcement recorded once."""
    case, ack = _preservation_with_ack(desk)
    notice = mail(DE, "Re: MLA request to follow",
                  MLA_NOTICE.format(ref=case.their_reference),
                  In_Reply_To=f"<{ack.message_id}>", References=f"<{ack.message_id}>")
    desk.append(notice)
    desk.once()
    joined = desk.case_of(notice)
    assert joined is not None and joined.id == case.id
    assert len(desk.cases()) == 1 and len(desk.acks_of(case)) == 1
    assert len(desk.events("mla_announced")) == 1


def test_mla_notice_naming_no_known_case_opens_one(desk: Desk) -> None:
    """A notice whose reference names no open case of that partner is a request of its own:
    a case, acknowledged (another partner's reference never joins it to someone else's)."""
    case, _ = _preservation_with_ack(desk)
    notice = mail(FR, f"Notification - MLA request to follow - ref {case.their_reference}",
                  MLA_NOTICE.format(ref=case.their_reference))
    desk.append(notice)
    desk.once()
    opened = desk.case_of(notice)
    assert opened is not None and opened.id != case.id
    assert opened.request_type == "stored_data" and len(desk.acks_of(opened)) == 1
    assert desk.events("mla_announced") == []


# --- a JSON listing, straight after a pass ---------------------------------------------------


def test_triage_json_after_run_once(desk: Desk) -> None:
    """`watchkeeper triage --json` lists the waiting mail: sender, subject, received, why."""
    from tests.conftest import run_cli

    vendor = vendor_mail()
    desk.append(vendor)
    desk.once()
    result = run_cli("triage", "--json", env={"WATCHKEEPER_DATABASE__URL": desk.url})
    assert result.returncode == 0, result.stderr
    [listed] = json.loads(result.stdout)
    assert (listed["sender"], listed["subject"], listed["reason"]) == (
        VENDOR, "Your licence renewal for DeskTools Pro", "stranger_mail")
    assert listed["why"] == "unknown sender, does not read as a request"
    assert listed["message"] == desk.row(vendor).id and listed["received_at"]
