"""Bounces and delays of the acknowledgement the daemon really sent: each notice appended to
the real Dovecot INBOX, the daemon's pass, what reaches the real SMTP sink."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from daemon.outbound.outbox import ACK, OPERATOR_ALERT
from daemon.store.db import transaction
from daemon.store.directory import load_directory
from models import ContactPointRow, Message
from parsers.partners import display_phone, number_to_call
from tests.bounce_mail import DELAYS, FAILURES, message_id_of, notice
from tests.servers import Dovecot, ReceivedMail, SmtpSink
from tests.test_ingest_support import request_mail, seed_directory
from tests.test_replies_e2e import FR, OPERATOR, Desk

OFFICE, AFTER_HOURS = "+33 1 40 00 00 01", "+33 6 12 34 56 78"


@pytest.fixture
def desk(db_url: str, sessions: sessionmaker[Session], dovecot: Dovecot,
         smtp_sink: SmtpSink) -> Iterator[Desk]:
    seed_directory(sessions)
    with transaction(sessions) as s:
        fr = s.scalar(select(ContactPointRow).where(ContactPointRow.country == "FR"))
        assert fr is not None
        fr.after_hours_phone = AFTER_HOURS  # two numbers: which one is the hour's choice
    yield Desk(db_url, sessions, dovecot, smtp_sink)


def _acknowledged(desk: Desk, n: int) -> tuple[ReceivedMail, int]:
    """A partner's request, the daemon's pass, and the acknowledgement at the sink."""
    request = request_mail(n, sender=FR)
    desk.dovecot.append(request.as_bytes())
    desk.once()
    [ack] = desk.sink.handler.wait_for(1)
    case = desk.case_of(request)
    assert case is not None and ack.rcpt_tos == [FR]
    return ack, case.id


def _notice_row(desk: Desk, raw: bytes) -> Message:
    with desk.sessions() as s:
        row = s.scalar(select(Message).where(Message.message_id == message_id_of(raw)))
        assert row is not None, "the notice is stored"
        return row


def _number_now(desk: Desk) -> tuple[str, str]:
    """The number the call prompts would give for FR at the desk's instant, and the other."""
    with desk.sessions() as s:
        choice = number_to_call(load_directory(s), "FR", desk.clock.now())
    assert choice is not None
    other = OFFICE if choice.phone.replace(" ", "") == AFTER_HOURS.replace(" ", "") \
        else AFTER_HOURS
    return display_phone(choice.phone), other


@pytest.mark.parametrize("form", sorted(FAILURES))
def test_a_bounce_of_our_ack_is_threaded_marked_bounced_and_alerted_once(
    desk: Desk, form: str,
) -> None:
    """A final failure in each recognised form, about the ack the daemon sent: the notice
    joins the ack's case, the ack is `bounced`, one alert reaches the operators with the
    case, the partner, what did not arrive and the number to call now; nothing answers the
    notice, and a second notice about the same mail alerts nobody again."""
    ack, case_id = _acknowledged(desk, 40)
    raw = notice(FAILURES[form], ack.data, FR)
    desk.dovecot.append(raw)
    desk.clock.advance(timedelta(minutes=3))
    desk.once()
    received = desk.sink.handler.wait_for(2)
    assert len(received) == 2, f"{form}: no alert reached the sink"
    alert = received[1]
    assert alert.rcpt_tos == [OPERATOR]
    ack_row = next(r for r in desk.outbox() if r.purpose == ACK)
    assert ack_row.status == "bounced" and ack_row.case_id == case_id
    assert _notice_row(desk, raw).case_id == case_id
    subject = alert.message["Subject"]
    assert subject.startswith("[watchkeeper] acknowledgement to FR bounced: "), subject
    body = alert.message.get_body(("plain",))
    assert body is not None
    text = " ".join(str(body.get_content()).split())
    number, other = _number_now(desk)
    reference = ack.message["Subject"].split("[", 1)[1].split("]", 1)[0]
    assert f"CALL FR about {reference} now: {number}" in text and other not in text
    assert "Partner: FR: Cybercrime unit FR (primary contact point)" in text
    assert f"To: {FR}" in text and f"Message-ID: <{ack_row.message_id}>" in text
    assert "Remote status: 5." in text
    [bounced] = desk.events("mail_bounced")
    [alerted] = desk.events("operator_alerted")
    assert bounced.case_id == alerted.case_id == case_id
    assert alerted.data["alert"] == "mail_bounced"
    assert [r.purpose for r in desk.outbox()] == [ACK, OPERATOR_ALERT]

    again = notice(FAILURES[form], ack.data, FR)
    desk.dovecot.append(again)
    desk.clock.advance(timedelta(minutes=10))
    desk.once()
    assert _notice_row(desk, again).case_id == case_id
    assert len(desk.sink.received) == 2 and len(desk.outbox()) == 2
    assert len(desk.events("operator_alerted")) == 1


@pytest.mark.parametrize("form", sorted(DELAYS))
def test_a_delay_notice_is_recorded_on_the_ack_and_alerts_nobody(desk: Desk, form: str) -> None:
    """A delay notice as Postfix, Exchange and Sendmail send it: the ack stays `sent`, with
    the delay (when, status 4.x.x, reporting system) written on it and a `mail_delayed`
    event in its case; no mail reaches the operators and `status` names no fault."""
    ack, case_id = _acknowledged(desk, 41)
    raw = notice(DELAYS[form], ack.data, FR)
    desk.dovecot.append(raw)
    desk.clock.advance(timedelta(minutes=30))
    desk.once()
    [ack_row] = [r for r in desk.outbox() if r.purpose == ACK]
    assert ack_row.status == "sent" and ack_row.delayed_at == desk.clock.now()
    report = ack_row.delivery_report
    assert report is not None and report["action"] == "delayed"
    assert str(report["status"]).startswith("4.") and report["reporting_mta"]
    assert _notice_row(desk, raw).case_id == case_id
    [delayed] = desk.events("mail_delayed")
    assert delayed.case_id == case_id and delayed.data["status"] == report["status"]
    assert desk.events("mail_bounced") == [] and desk.events("operator_alerted") == []
    assert len(desk.outbox()) == 1 and len(desk.sink.received) == 1
