"""High availability: one leader per database, standby takeover on PostgreSQL, refusal on SQLite."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from daemon.process.errors import LeadershipRefused
from daemon.process.leader import Leadership
from daemon.store.db import make_engine, session_factory, upgrade
from models import DaemonInstance, Message
from tests.conftest import _truncate, run_cli
from tests.servers import Dovecot, SmtpSink
from tests.test_ingest_support import (
    cli_env,
    daemon_process,
    request_mail,
    seed_directory,
    wait_until,
    write_config,
)

MAILS = 400


def test_leader_lock_is_exclusive(db_url: str) -> None:
    """A second Leadership on the same database waits (PostgreSQL) or is refused (SQLite)."""
    first, second = Leadership(db_url), Leadership(db_url)
    try:
        assert first.acquire() and first.is_leader and first.check()
        if db_url.startswith("sqlite"):
            with pytest.raises(LeadershipRefused, match=r"already uses .*one daemon"):
                second.acquire()
        else:
            assert second.acquire() is False and not second.is_leader
        first.release()
        assert not first.is_leader
        assert second.acquire() and second.is_leader
    finally:
        first.release()
        second.release()


def test_sqlite_second_run_refuses(tmp_path: Path, dovecot: Dovecot,
                                   smtp_sink: SmtpSink) -> None:
    """On SQLite a second `watchkeeper run` refuses with one clear line while one runs."""
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    upgrade(url)
    config = write_config(tmp_path, imap_port=dovecot.port, smtp_port=smtp_sink.port,
                          db_url=url)
    first = daemon_process(config, log=tmp_path / "first.log")
    engine = make_engine(url, pooled=False)
    sessions = session_factory(engine)
    try:
        wait_until(lambda: _roles(sessions) == ["leader"], 30, "first daemon leads")
        second = run_cli("run", env=cli_env(config), timeout=60)
        assert second.returncode == 2
        assert "SQLite allows one daemon" in second.stderr
        assert second.stderr.count("watchkeeper: ") == 1
        assert first.poll() is None
    finally:
        first.send_signal(signal.SIGTERM)
        assert first.wait(timeout=15) == 0
        engine.dispose()


def _roles(sessions: sessionmaker[Session]) -> list[str]:
    with sessions() as session:
        return sorted(session.scalars(select(DaemonInstance.role).where(
            DaemonInstance.stopped_at.is_(None))).all())


@pytest.fixture
def pg_sessions(pg_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(pg_url, pooled=False)
    _truncate(engine)
    yield session_factory(engine)
    engine.dispose()


def test_standby_takes_over_after_leader_sigkill(
    tmp_path: Path, pg_url: str, pg_sessions: sessionmaker[Session], dovecot: Dovecot,
    smtp_sink: SmtpSink,
) -> None:
    """Two daemons on PostgreSQL: the leader is SIGKILLed mid-import, the standby leads
    within 30 s, and every message is imported exactly once."""
    seed_directory(pg_sessions)
    config = write_config(tmp_path, imap_port=dovecot.port, smtp_port=smtp_sink.port,
                          db_url=pg_url, poll_seconds=1)
    procs: dict[int, subprocess.Popen[bytes]] = {}
    try:
        for name in ("a", "b"):
            proc = daemon_process(config, log=tmp_path / f"{name}.log")
            procs[proc.pid] = proc
            time.sleep(0.5)  # so that "a" is the first leader
        wait_until(lambda: _roles(pg_sessions) == ["leader", "standby"], 40,
                   "one leader and one standby")
        status = run_cli("status", "--json", env=cli_env(config))
        health = json.loads(status.stdout)
        assert health["role"] == "leader"
        assert sorted(i["role"] for i in health["instances"]) == ["leader", "standby"]

        dovecot.append_many([request_mail().as_bytes() for _ in range(MAILS)])
        wait_until(lambda: _messages(pg_sessions) >= 30, 60, "the leader imports")
        leader_pid = _pid_of(pg_sessions, "leader")
        procs[leader_pid].send_signal(signal.SIGKILL)
        procs[leader_pid].wait(timeout=10)
        killed_at = time.monotonic()
        imported_at_kill = _messages(pg_sessions)
        assert imported_at_kill < MAILS, "the import ended before the kill"

        standby_pid = next(pid for pid in procs if pid != leader_pid)
        takeover = wait_until(lambda: _role_of(pg_sessions, standby_pid) == "leader", 30,
                              "the standby takes over")
        assert time.monotonic() - killed_at < 30
        wait_until(lambda: _messages(pg_sessions) >= MAILS, 120, "every message imported")
        time.sleep(2)  # a duplicate would show up now, on the next poll
        with pg_sessions() as session:
            rows = session.execute(select(func.count(), func.count(func.distinct(
                Message.message_id)), func.count(func.distinct(Message.uid)))).one()
        assert tuple(rows) == (MAILS, MAILS, MAILS)
        print(f"takeover {takeover:.1f} s after SIGKILL; {imported_at_kill} of {MAILS} "
              "imported at the kill")
        assert procs[standby_pid].poll() is None
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


def _messages(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count(Message.id))) or 0)


def _pid_of(sessions: sessionmaker[Session], role: str) -> int:
    with sessions() as session:
        return session.scalars(select(DaemonInstance.pid).where(
            DaemonInstance.role == role, DaemonInstance.stopped_at.is_(None))).one()


def _role_of(sessions: sessionmaker[Session], pid: int) -> str | None:
    with sessions() as session:
        return session.scalar(select(DaemonInstance.role).where(DaemonInstance.pid == pid))


def test_leader_losing_its_lock_connection_stands_down_and_one_instance_leads(
    tmp_path: Path, pg_url: str, pg_sessions: sessionmaker[Session], dovecot: Dovecot,
    smtp_sink: SmtpSink,
) -> None:
    """When the leader's lock connection is cut, it stands down at once without exiting
    and tries to lead again: afterwards exactly one of the two instances leads (one
    advisory lock), the other stands by, and both still run."""
    config = write_config(tmp_path, imap_port=dovecot.port, smtp_port=smtp_sink.port,
                          db_url=pg_url, poll_seconds=1)
    first = daemon_process(config, log=tmp_path / "first.log")
    second: subprocess.Popen[bytes] | None = None
    try:
        wait_until(lambda: _roles(pg_sessions) == ["leader"], 40, "the first daemon leads")
        second = daemon_process(config, log=tmp_path / "second.log")
        wait_until(lambda: _roles(pg_sessions) == ["leader", "standby"], 40, "a standby")
        with pg_sessions.begin() as session:
            cut = session.scalar(text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = 'watchkeeper-leader' AND datname = current_database()"
                " AND pid IN (SELECT pid FROM pg_locks WHERE locktype = 'advisory' "
                "AND granted)"))
        assert cut == 1
        log = tmp_path / "first.log"
        wait_until(lambda: "leadership_stepped_down" in log.read_text(), 20,
                   "the first daemon stands down")
        assert "leadership_lost" in log.read_text()
        wait_until(lambda: _roles(pg_sessions) == ["leader", "standby"]
                   and _lock_holders(pg_sessions) == 1, 30, "one leader again")
        assert first.poll() is None and second.poll() is None
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                assert proc.wait(timeout=15) == 0


def _lock_holders(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return int(session.scalar(text(
            "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted "
            "AND a.datname = current_database()")) or 0)


def test_standby_stops_cleanly_on_sigterm(
    tmp_path: Path, pg_url: str, pg_sessions: sessionmaker[Session], dovecot: Dovecot,
    smtp_sink: SmtpSink,
) -> None:
    """A standby stops on SIGTERM with exit 0 within 10 s and is no longer listed as
    running; the leader keeps leading."""
    config = write_config(tmp_path, imap_port=dovecot.port, smtp_port=smtp_sink.port,
                          db_url=pg_url, poll_seconds=1)
    leader = daemon_process(config, log=tmp_path / "leader.log")
    standby: subprocess.Popen[bytes] | None = None
    try:
        wait_until(lambda: _roles(pg_sessions) == ["leader"], 40, "the first daemon leads")
        standby = daemon_process(config, log=tmp_path / "standby.log")
        wait_until(lambda: _roles(pg_sessions) == ["leader", "standby"], 40, "a standby")
        stopped_at = time.monotonic()
        standby.send_signal(signal.SIGTERM)
        assert standby.wait(timeout=10) == 0
        assert time.monotonic() - stopped_at < 10
        assert _roles(pg_sessions) == ["leader"]
        assert leader.poll() is None
    finally:
        for proc in (leader, standby):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=15)
