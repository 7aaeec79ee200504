"""A flood: one address sends 100 requests within a minute, through the real Dovecot and
SMTP sink, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from daemon.outbound.outbox import ACK
from models import Case
from tests.conftest import run_cli
from tests.servers import Dovecot, SmtpSink
from tests.test_ingest_support import request_mail, seed_directory
from tests.test_replies_e2e import FR, OPERATOR, Desk

FLOOD = 100
LIMIT = 5  # smtp.max_auto_replies_per_hour's default


@pytest.fixture
def desk(db_url: str, sessions: sessionmaker[Session], dovecot: Dovecot,
         smtp_sink: SmtpSink) -> Iterator[Desk]:
    seed_directory(sessions)
    yield Desk(db_url, sessions, dovecot, smtp_sink)


def test_a_flood_of_100_mails_gets_the_limits_acks_one_alert_and_the_count_everywhere(
    desk: Desk,
) -> None:
    """100 requests from one address in a minute: every one is a case, only the rate
    limit's acknowledgements go out, the operators get exactly one rate-limit alert, and
    the 95 held back are counted in `status` and in the digest's "Needs attention"."""
    desk.dovecot.append_many([request_mail(500 + i, sender=FR).as_bytes()
                              for i in range(FLOOD)])
    desk.once()
    received = desk.sink.handler.wait_for(LIMIT + 1)
    assert [m.rcpt_tos for m in received] == [[FR]] * LIMIT + [[OPERATOR]]
    assert "sender rate-limited: " in received[-1].message["Subject"]
    with desk.sessions() as s:
        assert s.scalar(select(func.count(Case.id))) == FLOOD
    assert len([r for r in desk.outbox() if r.purpose == ACK]) == LIMIT

    desk.clock.advance(timedelta(minutes=1))
    desk.once()  # a later pass alerts nobody again
    assert len(desk.sink.received) == LIMIT + 1
    [alerted] = desk.events("operator_alerted")
    assert alerted.data["alert"] == "sender_rate_limited" and alerted.data["scope"] == FR

    env = {"WATCHKEEPER_DATABASE__URL": desk.url}
    status = run_cli("status", "--json", env=env)
    data = json.loads(status.stdout)
    held = f"{FLOOD - LIMIT} mails were not acknowledged"
    [line] = [r for r in data["reasons"] if "rate-limited" in r]
    assert line.startswith(f"sender {FR} is rate-limited since ") and held in line
    digest = run_cli("digest", "--print", env=env)
    assert digest.returncode == 0, digest.stderr
    attention = digest.stdout.split("NEEDS ATTENTION", 1)[1].split("\n\n", 1)[0]
    text = " ".join(attention.split())
    assert f"sender {FR} is rate-limited" in text and held in text
