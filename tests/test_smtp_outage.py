"""An SMTP outage seen and recovered: the condition raised by the delivery with how much
mail waits, `status` degraded at once, one "SMTP back" alert, every mail sent once."""

from __future__ import annotations

import asyncio
import json
import re
import signal
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config.settings import load_settings
from daemon.cases.transitions import mail_sent
from daemon.commands.status import collect
from daemon.outbound.delivery import deliver_pending
from daemon.process import jobs
from daemon.process.clock import ManualClock
from daemon.store import conditions
from models import Condition, OutboxMail
from tests.conftest import run_cli
from tests.servers import Dovecot, SmtpSink
from tests.test_ingest_support import (
    OFFICIAL,
    PARTNERS,
    cli_env,
    daemon_process,
    request_mail,
    seed_directory,
    wait_until,
)
from tests.test_sender import OPERATOR, T0, make_settings, plan, rows


def smtp_condition(sessions: sessionmaker[Session]) -> Condition | None:
    with sessions() as s:
        return s.scalars(select(Condition).where(
            Condition.kind == conditions.SMTP_UNAVAILABLE)).first()


def test_a_stopped_server_raises_the_condition_and_its_return_clears_it(
    db_url: str, sessions: sessionmaker[Session], smtp_sink: SmtpSink
) -> None:
    """With the server stopped, a delivery raises `smtp_unavailable` with the mail waiting
    and status is degraded naming the server; once it is back the next delivery sends each
    mail once, clears the condition and plans one "SMTP back" alert with the mail held."""
    settings = make_settings(db_url, smtp_sink)
    clock = ManualClock(T0)
    plan(sessions, settings, n=3)
    smtp_sink.stop()
    assert asyncio.run(deliver_pending(settings, sessions, clock, on_sent=mail_sent)) == 0
    c = smtp_condition(sessions)
    assert c is not None and c.cleared_at is None
    assert c.subject == f"127.0.0.1:{smtp_sink.port}"
    assert c.data["cause"] == "unreachable" and c.data["waiting"] == 3
    with sessions() as s:
        health = collect(s, settings, clock.now())
    [line] = [r for r in health.reasons if r.startswith("SMTP server")]
    assert "cannot be reached since 2026-11-28 10:00 CET" in line and "3 mails wait" in line
    assert jobs.run_alerts(settings, sessions, clock) == 0  # nothing can announce it now

    clock.advance(timedelta(seconds=20))
    plan(sessions, settings, n=1, purpose="resend_request")
    clock.advance(timedelta(seconds=20))
    # the new mail: still down
    asyncio.run(deliver_pending(settings, sessions, clock, on_sent=mail_sent))
    c = smtp_condition(sessions)
    assert c is not None and c.data["waiting"] == 4 and c.data["held"] == 4 and c.seen == 2

    smtp_sink.start()
    clock.advance(timedelta(minutes=2))
    assert asyncio.run(deliver_pending(settings, sessions, clock, on_sent=mail_sent)) == 4
    c = smtp_condition(sessions)
    assert c is not None and c.cleared_at is not None
    assert jobs.run_alerts(settings, sessions, clock) == 1
    assert jobs.run_alerts(settings, sessions, clock) == 0
    assert asyncio.run(deliver_pending(settings, sessions, clock, on_sent=mail_sent)) == 1
    received = smtp_sink.handler.wait_for(5)
    ids = Counter(str(m.message["Message-ID"]) for m in received)
    assert len(ids) == 5 and set(ids.values()) == {1}
    [alert] = [m for m in received if m.rcpt_tos == [OPERATOR]]
    assert str(alert.message["Subject"]) == "[watchkeeper] SMTP back after 2 min: 4 mails held"
    with sessions() as s:
        health = collect(s, settings, clock.now())
    assert not [r for r in health.reasons if r.startswith("SMTP")]


def test_a_server_refusing_every_mail_is_a_condition_a_refused_recipient_is_not(
    db_url: str, sessions: sessionmaker[Session], smtp_sink: SmtpSink
) -> None:
    """451 to every MAIL FROM means the server takes nothing: the condition says it refuses
    mail, with its answer. A 451 for one recipient (greylisting) is that mail's retry only."""
    settings = make_settings(db_url, smtp_sink)
    clock = ManualClock(T0)
    plan(sessions, settings, n=2)
    smtp_sink.handler.fail_next("RCPT", "451 4.7.1 greylisted, come back later")
    smtp_sink.handler.fail_next("RCPT", "451 4.7.1 greylisted, come back later")
    assert asyncio.run(deliver_pending(settings, sessions, clock, on_sent=mail_sent)) == 0
    assert smtp_condition(sessions) is None
    assert [r.status for r in rows(sessions)] == ["pending", "pending"]

    smtp_sink.handler.fail_always("MAIL", "451 4.3.0 queue full, try again later")
    clock.advance(timedelta(minutes=5))
    assert asyncio.run(deliver_pending(settings, sessions, clock, on_sent=mail_sent)) == 0
    c = smtp_condition(sessions)
    assert c is not None and c.data["cause"] == "refused"
    assert "451 4.3.0 queue full" in c.detail
    with sessions() as s:
        health = collect(s, settings, clock.now())
    assert any("refuses mail" in r and "2 mails wait" in r for r in health.reasons)


def test_a_refused_smtp_login_names_the_credentials(
    db_url: str, sessions: sessionmaker[Session], smtp_sink: SmtpSink
) -> None:
    """A server that refuses our login (here: offers no AUTH at all) is an SMTP condition
    whose line says to check the user name and password."""
    settings = make_settings(db_url, smtp_sink, username="desk", password="wrong")
    plan(sessions, settings, n=1)
    asyncio.run(deliver_pending(settings, sessions, ManualClock(T0), on_sent=mail_sent))
    c = smtp_condition(sessions)
    assert c is not None and c.data["cause"] == "login"
    with sessions() as s:
        line = conditions.needing_attention(s, settings, T0)[0]
    assert line.startswith(f"SMTP server 127.0.0.1:{smtp_sink.port} refuses our login since")
    assert "AUTH extension is not supported" in line and "1 mail waits" in line
    assert "Check smtp.username and its password" in line


def test_the_daemon_with_smtp_stopped_is_degraded_at_once_and_healthy_after(
    tmp_path: Path, db_url: str, sessions: sessionmaker[Session], dovecot: Dovecot,
    smtp_sink: SmtpSink,
) -> None:
    """The real daemon, the SMTP server stopped, a request arrives: `status` is degraded
    within 30 s naming the server; the server started again: healthy, one "SMTP back"
    alert to the operators, every acknowledgement sent exactly once."""
    seed_directory(sessions)
    config = tmp_path / "watchkeeper.toml"
    config.write_text(f"""
[database]
url = "{db_url}"

[imap]
host = "127.0.0.1"
port = {dovecot.port}
tls = "none"
username = "desk"
poll_seconds = 5
reconnect_initial_seconds = 0.2
reconnect_max_seconds = 1.0

[smtp]
host = "127.0.0.1"
port = {smtp_sink.port}
tls = "none"
retry_initial_seconds = 1.0
retry_max_seconds = 2.0

[desk]
official_address = "{OFFICIAL}"
operators = ["{OPERATOR}"]

[logging]
format = "json"
""", encoding="utf-8")
    env = cli_env(config)
    settings = load_settings(config)

    def status() -> tuple[str, list[str]]:
        """What `watchkeeper status` says now (its own code, without a process per look)."""
        with sessions() as s:
            health = collect(s, settings, datetime.now(UTC))
        return health.state, health.reasons

    def smtp_down() -> bool:
        state, reasons = status()
        return state == "degraded" and any(r.startswith("SMTP server") for r in reasons)

    log = tmp_path / "daemon.log"
    proc = daemon_process(config, log=log)
    try:
        wait_until(lambda: status()[0] == "healthy", 60, "healthy at start")
        smtp_sink.stop()
        mails = [request_mail(600 + i, sender=PARTNERS["FR"][0]) for i in range(3)]
        dovecot.append_many([m.as_bytes() for m in mails])
        arrived = wait_until(lambda: len(rows(sessions)) == 3, 30, "three acks planned")
        took = wait_until(smtp_down, 30, "degraded")
        assert arrived + took < 30
        shown = run_cli("status", "--json", env=env)
        assert shown.returncode == 1
        reasons = json.loads(shown.stdout)["reasons"]
        assert reasons[0].startswith(f"SMTP server 127.0.0.1:{smtp_sink.port} cannot be "
                                     "reached since")
        assert "3 mails wait" in reasons[0]

        smtp_sink.start()
        wait_until(lambda: status()[0] == "healthy", 60, "healthy again")
        wait_until(lambda: any(m.rcpt_tos == [OPERATOR] for m in smtp_sink.received), 30,
                   "the SMTP back alert")
        assert run_cli("status", env=env).returncode == 0
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0, log.read_text()[-3000:]
    received = list(smtp_sink.received)
    acks = Counter(str(m.message["In-Reply-To"]) for m in received
                   if m.rcpt_tos == [PARTNERS["FR"][0]])
    assert acks == Counter({str(m["Message-ID"]): 1 for m in mails})
    [back] = [m for m in received if m.rcpt_tos == [OPERATOR]]
    assert re.fullmatch(r"\[watchkeeper\] SMTP back after \d+ s: [1-3] mails? held",
                        str(back.message["Subject"])), back.message["Subject"]
    with sessions() as s:
        assert all(r.status == "sent" for r in s.scalars(select(OutboxMail)))
