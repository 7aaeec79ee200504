"""Database outages are waited out: PostgreSQL stopped under a running daemon (alone and as
an HA pair), a SQLite database locked, and a mail the server accepted while the database
was away, recorded once it answers and never sent twice."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker
from structlog.testing import capture_logs

from daemon.cases.transitions import mail_sent
from daemon.outbound.delivery import (
    Claimer,
    Unrecorded,
    claim_due,
    deliver_pending,
    release_stale_claims,
)
from daemon.process.clock import ManualClock
from daemon.store.db import DATABASE_ERRORS, make_engine, session_factory, upgrade
from models import DaemonInstance, MailboxCheckpoint, Message, OutboxMail
from tests.conftest import run_cli
from tests.servers import Dovecot, PrivatePostgres, SinkHandler, SmtpSink
from tests.test_ingest_support import (
    PARTNERS,
    cli_env,
    daemon_process,
    request_mail,
    seed_directory,
    wait_until,
    write_config,
)
from tests.test_sender import T0, make_settings, plan

OUTAGE_SECONDS = 20.0
MAILS = 300


# --- helpers ----------------------------------------------------------------------------


def _events(log: Path, name: str | None = None) -> list[dict[str, Any]]:
    found = []
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("{"):
            event = json.loads(line)
            if name is None or event.get("event") == name:
                found.append(event)
    return found


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process, all its threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _outage_config(tmp_path: Path, dovecot: Dovecot, sink: SmtpSink, db_url: str,
                   **database: float) -> Path:
    """A daemon's configuration that asks an unavailable database again within 2 s, and
    acknowledges every request (no hourly limit in the way)."""
    config = write_config(tmp_path, imap_port=dovecot.port, smtp_port=sink.port,
                          db_url=db_url, poll_seconds=2)
    keys = {"reconnect_initial_seconds": 0.2, "reconnect_max_seconds": 2.0, **database}
    body = config.read_text(encoding="utf-8")
    body = body.replace("[database]\n", "[database]\n" + "".join(
        f"{key} = {value}\n" for key, value in keys.items()))
    body = body.replace("[smtp]\n", "[smtp]\nmax_auto_replies_per_hour = 10000\n")
    config.write_text(body, encoding="utf-8")
    return config


def _status(config: Path) -> tuple[int, dict[str, Any]]:
    done = run_cli("status", "--json", env=cli_env(config))
    return done.returncode, json.loads(done.stdout)


def _count(sessions: sessionmaker[Session], query: Any) -> int:
    with sessions() as session:
        return int(session.scalar(query) or 0)


def _messages_once(sessions: sessionmaker[Session]) -> tuple[int, int, int]:
    with sessions() as session:
        row = session.execute(select(func.count(), func.count(func.distinct(Message.message_id)),
                                     func.count(func.distinct(Message.uid)))).one()
    return int(row[0]), int(row[1]), int(row[2])


def _all_sent(sessions: sessionmaker[Session], expected: int) -> bool:
    with sessions() as session:
        statuses = list(session.scalars(select(OutboxMail.status)))
    return len(statuses) == expected and all(s == "sent" for s in statuses)


def _delivered_once(sink: SmtpSink, sessions: sessionmaker[Session]) -> None:
    """Every mail the outbox says it sent reached the sink exactly once."""
    with sessions() as session:
        planned = set(session.scalars(select(OutboxMail.message_id)))
    seen = Counter(str(m.message["Message-ID"]).strip("<>") for m in sink.received)
    twice = {mid: n for mid, n in seen.items() if n > 1}
    assert not twice, f"{len(twice)} mails delivered more than once"
    assert set(seen) == planned


def _fresh_roles(sessions: sessionmaker[Session], since: datetime) -> list[str]:
    with sessions() as session:
        return sorted(session.scalars(select(DaemonInstance.role).where(
            DaemonInstance.stopped_at.is_(None), DaemonInstance.heartbeat_at >= since)))


def _polled(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count(MailboxCheckpoint.folder)).where(
            MailboxCheckpoint.last_poll_at.is_not(None))) or 0)


def _lock_holders(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return int(session.scalar(text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")) or 0)


def _stop(*procs: subprocess.Popen[bytes]) -> list[int | None]:
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    codes: list[int | None] = []
    for proc in procs:
        try:
            codes.append(proc.wait(timeout=15))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
            codes.append(None)
    return codes


@pytest.fixture
def outage_sessions(private_pg: PrivatePostgres) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(private_pg.url)
    yield session_factory(engine)
    engine.dispose()


# --- the sender: accepted while the database is away ------------------------------------


class BreakingHandler(SinkHandler):
    """The sink's handler: right after it takes the first mail, before it answers 250, the
    database goes away (`breaker`)."""

    def __init__(self, breaker: Callable[[], None]) -> None:
        super().__init__()
        self.breaker = breaker
        self.broken = False

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        reply = await super().handle_DATA(server, session, envelope)
        if not self.broken:
            self.broken = True
            self.breaker()
        return reply


class SqliteLock:
    """Another process's write lock on a SQLite file (a backup, a stuck shell)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.conn: sqlite3.Connection | None = None

    def take(self) -> None:
        self.conn = sqlite3.connect(self.path, timeout=10, isolation_level=None,
                                    check_same_thread=False)
        self.conn.execute("BEGIN EXCLUSIVE")

    def release(self) -> None:
        assert self.conn is not None
        self.conn.execute("ROLLBACK")
        self.conn.close()
        self.conn = None


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_mail_accepted_while_the_database_is_away_is_recorded_later_and_sent_once(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest,
) -> None:
    """The server accepts a mail, then the database fails: the mail keeps its lease (no
    other sender may take it), nothing more is sent while the database is away, and once
    it answers the mail is recorded as sent at the time it left and the rest of the burst
    goes out: every mail reaches the server exactly once."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'desk.db'}"
        upgrade(url)
        lock = SqliteLock(tmp_path / "desk.db")
        breaker, restore = lock.take, lock.release
        engine = make_engine(url, busy_timeout=0.5)
    else:
        pg: PrivatePostgres = request.getfixturevalue("private_pg")
        url = pg.url
        breaker, restore = pg.stop, pg.start
        engine = make_engine(url)
    sink = SmtpSink()
    sink.handler = BreakingHandler(breaker)
    sink.start()
    try:
        sessions = session_factory(engine)
        settings = make_settings(url, sink)
        clock = ManualClock(T0)
        keys = plan(sessions, settings, 3)
        me = Claimer(instance="sender-under-test")
        unrecorded = Unrecorded()
        with capture_logs() as logs, pytest.raises(DATABASE_ERRORS):
            asyncio.run(deliver_pending(settings, sessions, clock, me, unrecorded,
                                        on_sent=mail_sent))
        assert len(sink.received) == 1
        assert [item.key for item, _, _ in unrecorded.sent] == [keys[0]]
        assert [e["key"] for e in logs if e["event"] == "mail_sent_unrecorded"] == [keys[0]]

        clock.advance(timedelta(minutes=1))
        with pytest.raises(DATABASE_ERRORS):  # still away: nothing else is sent
            asyncio.run(deliver_pending(settings, sessions, clock, me, unrecorded,
                                        on_sent=mail_sent))
        assert len(sink.received) == 1

        restore()
        clock.advance(timedelta(minutes=4))
        # Another daemon that leads now leaves the leases of a process that still runs.
        other = Claimer(instance="other-leader", pid=os.getppid())
        assert release_stale_claims(sessions, other, clock.now()) == 0
        assert claim_due(settings, sessions, clock.now(), 10, other) == []

        with capture_logs() as logs:
            sent = asyncio.run(deliver_pending(settings, sessions, clock, me, unrecorded,
                                               on_sent=mail_sent))
        assert sent == 2 and not unrecorded
        [released] = [e for e in logs if e["event"] == "outbox_claims_released"]
        assert released["count"] == 2
        with sessions() as session:
            rows = {r.key: r for r in session.scalars(select(OutboxMail))}
        assert [rows[k].status for k in keys] == ["sent"] * 3
        assert [rows[k].attempts for k in keys] == [1, 1, 1]
        assert rows[keys[0]].sent_at == T0  # when the server took it, not when recorded
        assert rows[keys[1]].sent_at == T0 + timedelta(minutes=5)
        received = Counter(str(m.message["Message-ID"]).strip("<>") for m in sink.received)
        assert received == Counter({rows[k].message_id: 1 for k in keys})
    finally:
        sink.stop()
        engine.dispose()


# --- the daemon: PostgreSQL stopped during an import --------------------------------------


def test_postgresql_stopped_during_an_import_is_waited_out(
    tmp_path: Path, private_pg: PrivatePostgres, outage_sessions: sessionmaker[Session],
    dovecot: Dovecot, smtp_sink: SmtpSink,
) -> None:
    """PostgreSQL stopped for 20 s while `watchkeeper run` (no supervisor) imports 300
    requests: the daemon stays up without spinning, `status` says the database is
    unreachable (exit 2), `database_unavailable` and `database_recovered` are logged once,
    then every message is imported once, every acknowledgement is delivered once, and
    `status` is healthy."""
    sessions = outage_sessions
    seed_directory(sessions)
    config = _outage_config(tmp_path, dovecot, smtp_sink, private_pg.url)
    log = tmp_path / "daemon.log"
    proc = daemon_process(config, log=log)
    try:
        wait_until(lambda: bool(_events(log, "daemon_started")), 30, "the daemon leads")
        senders = [*PARTNERS["FR"], *PARTNERS["LU"], *PARTNERS["DE"]]
        dovecot.append_many([request_mail(3000 + i, sender=senders[i % len(senders)]).as_bytes()
                             for i in range(MAILS)])
        wait_until(lambda: _count(sessions, select(func.count(Message.id))) >= 30, 60,
                   "the import runs")
        private_pg.stop()
        stopped = time.monotonic()
        cpu_at_stop = _cpu_seconds(proc.pid)
        wait_until(lambda: bool(_events(log, "database_unavailable")), 20,
                   "the daemon says the database is unavailable")
        code, health = _status(config)
        assert code == 2 and health["state"] == "down"
        assert health["reasons"][0].startswith("database unreachable: ")
        while time.monotonic() - stopped < OUTAGE_SECONDS:  # the outage lasts 20 s
            assert proc.poll() is None, "the daemon ended during the outage"
            time.sleep(0.5)
        cpu_during = _cpu_seconds(proc.pid) - cpu_at_stop
        private_pg.start()

        wait_until(lambda: bool(_events(log, "database_recovered")), 30, "recovered")
        wait_until(lambda: _messages_once(sessions)[0] >= MAILS, 120, "every message")
        wait_until(lambda: _all_sent(sessions, MAILS), 120, "every acknowledgement sent")
        wait_until(lambda: _status(config)[0] == 0, 30, "status healthy again")
        assert proc.poll() is None
    finally:
        codes = _stop(proc)
    assert codes == [0]
    assert _messages_once(sessions) == (MAILS, MAILS, MAILS)
    _delivered_once(smtp_sink, sessions)
    [unavailable] = _events(log, "database_unavailable")
    [recovered] = _events(log, "database_recovered")
    assert recovered["down_s"] >= OUTAGE_SECONDS - 2
    attempts = _events(log, "database_reconnecting")
    assert attempts and all(0 < a["delay_s"] <= 2.0 for a in attempts)
    assert _events(log, "imap_reconnecting") == []
    assert cpu_during < 3.0, f"{cpu_during:.1f} CPU-seconds during a 20 s outage"
    print(f"outage: {unavailable['where']} noticed it; out {recovered['down_s']} s, "
          f"{len(attempts)} attempts, {cpu_during:.2f} CPU-s while out")


def test_an_ha_pair_through_a_postgresql_outage_ends_with_one_leader(
    tmp_path: Path, private_pg: PrivatePostgres, outage_sessions: sessionmaker[Session],
    dovecot: Dovecot, smtp_sink: SmtpSink,
) -> None:
    """A leader and a standby through a 20 s PostgreSQL outage during an import: both stay
    up, and afterwards exactly one leads (one advisory lock), the other stands by, every
    message is imported once and every acknowledgement delivered once."""
    sessions = outage_sessions
    seed_directory(sessions)
    config = _outage_config(tmp_path, dovecot, smtp_sink, private_pg.url)
    first = daemon_process(config, log=tmp_path / "a.log")
    second: subprocess.Popen[bytes] | None = None
    mails = 100
    try:
        wait_until(lambda: bool(_events(tmp_path / "a.log", "daemon_started")), 30, "a leads")
        second = daemon_process(config, log=tmp_path / "b.log")
        wait_until(lambda: bool(_events(tmp_path / "b.log", "standing_by")), 30, "b stands by")
        dovecot.append_many([request_mail(4000 + i).as_bytes() for i in range(mails)])
        wait_until(lambda: _count(sessions, select(func.count(Message.id))) >= 10, 60,
                   "the import runs")
        private_pg.stop()
        stopped = time.monotonic()
        while time.monotonic() - stopped < OUTAGE_SECONDS:
            assert first.poll() is None and second.poll() is None, "a daemon ended"
            time.sleep(0.5)
        private_pg.start()
        back = datetime.now().astimezone()

        wait_until(lambda: _fresh_roles(sessions, back) == ["leader", "standby"], 60,
                   "one leader and one standby after the outage")
        wait_until(lambda: _messages_once(sessions)[0] >= mails, 120, "every message")
        wait_until(lambda: _all_sent(sessions, mails), 120, "every acknowledgement sent")
        assert _lock_holders(sessions) == 1
        assert first.poll() is None and second.poll() is None
    finally:
        codes = _stop(first, *([second] if second is not None else []))
    assert codes == [0, 0]
    assert _messages_once(sessions) == (mails, mails, mails)
    _delivered_once(smtp_sink, sessions)
    for name in ("a", "b"):
        assert _events(tmp_path / f"{name}.log", "database_recovered"), name


# --- SQLite: a locked database -----------------------------------------------------------


def test_a_locked_sqlite_database_is_waited_out(
    tmp_path: Path, dovecot: Dovecot, smtp_sink: SmtpSink,
) -> None:
    """Another process holds the SQLite database's write lock while mail arrives: the
    daemon says the database is unavailable, `status` says unreachable (exit 2), and once
    the lock is released every message is imported and acknowledged once."""
    path = tmp_path / "desk.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    engine = make_engine(url, pooled=False)
    sessions = session_factory(engine)
    seed_directory(sessions)
    # A write waits 2 s for a lock (not 30): long enough for the daemon's own writers.
    config = _outage_config(tmp_path, dovecot, smtp_sink, url, busy_timeout_seconds=2.0)
    log = tmp_path / "daemon.log"
    proc = daemon_process(config, log=log)
    lock = SqliteLock(path)
    mails = 10
    try:
        wait_until(lambda: _polled(sessions) == 2, 30, "the daemon watches INBOX and Sent")
        lock.take()
        dovecot.append_many([request_mail(5000 + i).as_bytes() for i in range(mails)])
        wait_until(lambda: len(_events(log, "database_reconnecting")) >= 2, 30,
                   "the daemon waits for the database")
        code, health = _status(config)
        assert code == 2 and health["reasons"][0].startswith("database unreachable: ")
        assert proc.poll() is None
        lock.release()
        wait_until(lambda: bool(_events(log, "database_recovered")), 30, "recovered")
        wait_until(lambda: _all_sent(sessions, mails), 60, "every acknowledgement sent")
    finally:
        if lock.conn is not None:
            lock.release()
        codes = _stop(proc)
        engine.dispose()
    assert codes == [0]
    assert _messages_once(sessions) == (mails, mails, mails)
    _delivered_once(smtp_sink, sessions)
    [unavailable] = _events(log, "database_unavailable")
    assert "locked" in unavailable["error"]
    assert _events(log, "imap_reconnecting") == []


def test_a_stop_during_an_outage_is_prompt_and_clean(
    tmp_path: Path, dovecot: Dovecot, smtp_sink: SmtpSink,
) -> None:
    """SIGTERM while the database is unavailable: the daemon does not wait for it and
    exits 0 within 10 s (no forced exit); its row is left as it was, for `status` to judge
    by the heartbeat."""
    path = tmp_path / "desk.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    config = _outage_config(tmp_path, dovecot, smtp_sink, url, busy_timeout_seconds=2.0)
    log = tmp_path / "daemon.log"
    proc = daemon_process(config, log=log)
    lock = SqliteLock(path)
    try:
        wait_until(lambda: bool(_events(log, "daemon_started")), 30, "the daemon leads")
        lock.take()
        dovecot.append(request_mail(6000).as_bytes())
        wait_until(lambda: bool(_events(log, "database_reconnecting")), 30, "an outage")
        proc.send_signal(signal.SIGTERM)
        started = time.monotonic()
        assert proc.wait(timeout=10) == 0
        assert time.monotonic() - started < 10
    finally:
        if lock.conn is not None:
            lock.release()
        _stop(proc)
    assert _events(log, "shutdown_stalled") == []
    assert _events(log, "daemon_stopped")
    engine = make_engine(url, pooled=False)
    try:
        with session_factory(engine)() as session:
            [row] = session.scalars(select(DaemonInstance))
        assert row.stopped_at is None  # it could not say so: the heartbeat tells
    finally:
        engine.dispose()
