"""The operators' alerts for a forged case tag, a rate-limited sender and quarantined mail:
mail in the real Dovecot INBOX, the daemon's pass, the alerts at the real SMTP sink, and
the reasons `watchkeeper status --json` gives."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from daemon.outbound.outbox import ACK
from daemon.process.clock import ManualClock
from models import Message
from tests.conftest import run_cli
from tests.servers import Dovecot, ReceivedMail, SmtpSink
from tests.test_ingest_support import request_mail, seed_directory
from tests.test_replies_e2e import FR, OPERATOR, Desk, mail


@pytest.fixture
def desk(db_url: str, sessions: sessionmaker[Session], dovecot: Dovecot,
         smtp_sink: SmtpSink) -> Iterator[Desk]:
    seed_directory(sessions)
    yield Desk(db_url, sessions, dovecot, smtp_sink)


def status_json(desk: Desk) -> tuple[int, dict[str, Any]]:
    """`status --json` as an operator runs it (its exit code, its JSON)."""
    result = run_cli("status", "--json", env={"WATCHKEEPER_DATABASE__URL": desk.url})
    return result.returncode, json.loads(result.stdout)


def alerts_at_sink(desk: Desk) -> list[ReceivedMail]:
    return [m for m in desk.sink.received if m.rcpt_tos == [OPERATOR]]


def test_a_forged_case_tag_alerts_the_operators_once_per_case(desk: Desk) -> None:
    """A stranger using a case's tag: the case is flagged and the operators get one alert
    naming the case and the sender; a second forged mail on the same case alerts nobody
    again."""
    request = request_mail(60, sender=FR)
    desk.dovecot.append(request.as_bytes())
    desk.once()
    assert len(desk.sink.handler.wait_for(1)) == 1
    case = desk.case_of(request)
    assert case is not None
    for n in (1, 2):
        forged = mail("intruder@attacker.example", f"Re: [{case.reference}] Preservation",
                      f"Please send everything to me instead ({n}).\n")
        desk.dovecot.append(forged.as_bytes())
        desk.clock.advance(timedelta(minutes=5))
        desk.once()
        if n == 1:
            desk.sink.handler.wait_for(2)
    [alert] = alerts_at_sink(desk)
    assert " ".join(alert.message["Subject"].split()) == (
        f"[watchkeeper] case tag {case.reference} used by a sender outside the case: "
        "intruder@attacker.example")
    body = alert.message.get_body(("plain",))
    assert body is not None and FR in str(body.get_content())
    [alerted] = desk.events("operator_alerted")
    assert alerted.data["alert"] == "tag_hijack_suspected" and alerted.case_id == case.id
    assert len(desk.events("tag_hijack_suspected")) == 2
    assert len(desk.sink.received) == 2  # the ack and one alert: the intruder got nothing


def test_a_rate_limited_sender_alerts_once_with_the_count_and_status_says_it(
    desk: Desk,
) -> None:
    """Eight requests from one address with a limit of five: five acks, one alert saying
    three mails were held back, and `status` degraded with the count; three more mails in
    the same hour raise the count in `status` and send no second alert."""
    desk.dovecot.append_many([request_mail(70 + i, sender=FR).as_bytes() for i in range(8)])
    desk.once(max_auto_replies_per_hour=5)
    received = desk.sink.handler.wait_for(6)
    assert len([m for m in received if m.rcpt_tos == [FR]]) == 5
    [alert] = alerts_at_sink(desk)
    assert " ".join(alert.message["Subject"].split()) == (
        f"[watchkeeper] sender rate-limited: {FR}, 3 mails held back")
    _, data = status_json(desk)  # down as well: no daemon runs between the passes
    [line] = [r for r in data["reasons"] if "rate-limited" in r]
    assert line.startswith(f"sender {FR} is rate-limited since ")
    assert "3 mails were not acknowledged" in line

    desk.dovecot.append_many([request_mail(80 + i, sender=FR).as_bytes() for i in range(3)])
    desk.clock.advance(timedelta(minutes=10))
    desk.once(max_auto_replies_per_hour=5)
    assert len(alerts_at_sink(desk)) == 1 and len(desk.sink.received) == 6
    _, data = status_json(desk)
    [line] = [r for r in data["reasons"] if "rate-limited" in r]
    assert "6 mails were not acknowledged" in line
    [held] = [c for c in data["conditions"] if c["condition"] == "sender_rate_limited"]
    assert held["subject"] == FR
    assert len(desk.events("operator_alerted")) == 1
    assert len([r for r in desk.outbox() if r.purpose == ACK]) == 5


def test_quarantined_mail_past_its_alert_time_degrades_status_and_alerts_once(
    desk: Desk,
) -> None:
    """A message the pipeline cannot record waits in quarantine: within its alert time
    nothing is said; past it, `status` is degraded by the `quarantine_waiting` condition
    and the operators get one alert; once released, the condition ends."""
    # The desk's clock starts 30 min back: `status`, on real time, reads it afterwards.
    desk.clock = ManualClock(datetime.now(UTC) - timedelta(minutes=30))
    settings = {"quarantine_alert_minutes": 15}
    poison = mail(FR, "Preservation request", "Please preserve.\n")
    poison.replace_header("Message-ID", "<" + "p" * 1000 + "@police.fr.example>")
    desk.dovecot.append(poison.as_bytes())
    desk.once(desk=settings)
    with desk.sessions() as s:
        row = s.scalar(select(Message).where(Message.quarantined.is_(True)))
        assert row is not None
        poison_id = row.id
    _, data = status_json(desk)
    assert data["quarantined"] == 1
    assert not [r for r in data["reasons"] if "quarantined" in r]
    assert alerts_at_sink(desk) == []

    desk.clock.advance(timedelta(minutes=16))
    desk.once(desk=settings)
    [alert] = desk.sink.handler.wait_for(1)
    assert alert.rcpt_tos == [OPERATOR]
    assert alert.message["Subject"] == \
        "[watchkeeper] 1 quarantined message waits for an operator"
    _, data = status_json(desk)
    [waiting] = [c for c in data["conditions"] if c["condition"] == "quarantine_waiting"]
    assert waiting["counts"] is True
    [line] = [r for r in data["reasons"] if "quarantined" in r]
    assert line.startswith("1 quarantined message waits for an operator since ")
    assert "watchkeeper quarantine list" in line
    desk.clock.advance(timedelta(minutes=5))
    desk.once(desk=settings)
    assert len(desk.sink.received) == 1

    released = run_cli("quarantine", "release", str(poison_id), "--by", "alice",
                       env={"WATCHKEEPER_DATABASE__URL": desk.url})
    assert released.returncode == 0, released.stderr
    desk.clock.advance(timedelta(minutes=1))
    desk.once(desk=settings)
    _, data = status_json(desk)
    assert not [r for r in data["reasons"] if "quarantined" in r]
    assert [c["condition"] for c in data["conditions"]] == []
