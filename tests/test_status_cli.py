"""`watchkeeper status`: healthy, degraded with its reason, or down, read from the database."""

from __future__ import annotations

import json
import signal
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from models import DaemonInstance, MailboxCheckpoint, Message, OutboxMail
from tests.conftest import run_cli
from tests.servers import Dovecot, SmtpSink, free_port
from tests.test_ingest_support import cli_env, daemon_process, wait_until, write_config

ENV = {"WATCHKEEPER_IMAP__POLL_SECONDS": "10", "WATCHKEEPER_LOGGING__FORMAT": "json"}


def now() -> datetime:
    return datetime.now(UTC)


def add_instance(sessions: sessionmaker[Session], name: str, role: str,
                 heartbeat_age: timedelta = timedelta(seconds=5)) -> None:
    at = now()
    with sessions.begin() as session:
        session.add(DaemonInstance(instance_id=name, host="desk-1", pid=4242, role=role,
                                   version="0.1.0", started_at=at - timedelta(hours=1),
                                   heartbeat_at=at - heartbeat_age))


def add_folders(sessions: sessionmaker[Session], error: str | None = None) -> None:
    at = now()
    with sessions.begin() as session:
        for folder in ("INBOX", "Sent"):
            session.add(MailboxCheckpoint(folder=folder, uidvalidity=7, last_uid=12,
                                          last_poll_at=at - timedelta(seconds=3), idle=True,
                                          last_error=error if folder == "INBOX" else None,
                                          updated_at=at))


def add_mail(sessions: sessionmaker[Session], key: str, *, status: str = "pending",
             age: timedelta = timedelta(minutes=1)) -> None:
    at = now() - age
    with sessions.begin() as session:
        session.add(OutboxMail(key=key, purpose="ack", message_id=f"wk.{key}@ncc.gov.example",
                               mail_from="poc247@ncc.gov.example",
                               recipients=["cp@police.fr.example"],
                               first_recipient="cp@police.fr.example", subject="s", raw=b"x",
                               status=status, created_at=at, next_attempt_at=at,
                               failed_at=at if status != "pending" else None))


def status(db_url: str, *args: str) -> tuple[int, dict[str, Any], str]:
    env = {"WATCHKEEPER_DATABASE__URL": db_url, **ENV}
    result = run_cli("status", "--json", *args, env=env)
    text = run_cli("status", env=env)
    assert text.returncode == result.returncode
    return result.returncode, json.loads(result.stdout), text.stdout + text.stderr


def test_status_healthy_leader_with_fresh_folders(
    db_url: str, sessions: sessionmaker[Session]
) -> None:
    """A leader with a fresh heartbeat and freshly polled folders is healthy (exit 0)."""
    add_instance(sessions, "a", "leader")
    add_folders(sessions)
    add_mail(sessions, "recent")
    code, data, text = status(db_url)
    assert code == 0, data
    assert data["state"] == "healthy" and data["reasons"] == []
    assert data["role"] == "leader"
    assert [f["folder"] for f in data["folders"]] == ["INBOX", "Sent"]
    assert all(f["idle"] for f in data["folders"])
    assert data["outbox"]["pending"] == 1 and data["outbox"]["failed_last_24h"] == 0
    assert any(n["job"] == "outbox delivery" for n in data["next"])
    assert "HEALTHY" in text and "role: leader" in text and "IDLE on" in text


def test_status_down_without_heartbeat(db_url: str, sessions: sessionmaker[Session]) -> None:
    """No daemon, or only a stale heartbeat, is down (exit 2) with the reason."""
    code, data, text = status(db_url)
    assert code == 2 and data["state"] == "down"
    assert data["reasons"] == ["no daemon heartbeat in the last 45 s"]
    assert "watchkeeper: down: no daemon heartbeat" in text
    add_instance(sessions, "old", "leader", heartbeat_age=timedelta(minutes=5))
    add_folders(sessions)
    code, data, _ = status(db_url)
    assert code == 2 and data["instances"][0]["alive"] is False


def test_a_stale_heartbeat_is_down_whatever_the_poll_interval(
    db_url: str, sessions: sessionmaker[Session]
) -> None:
    """With a 10-minute poll interval, a leader whose heartbeat (every 15 s) is over
    45 s old (three beats missed) is down: the threshold follows the heartbeat, not the
    poll."""
    env = {"WATCHKEEPER_DATABASE__URL": db_url, "WATCHKEEPER_IMAP__POLL_SECONDS": "600"}
    add_instance(sessions, "a", "leader", heartbeat_age=timedelta(seconds=30))
    add_folders(sessions)
    assert run_cli("status", "--json", env=env).returncode == 0
    with sessions.begin() as session:
        row = session.get(DaemonInstance, "a")
        assert row is not None
        row.heartbeat_at = now() - timedelta(seconds=46)
    done = run_cli("status", "--json", env=env)
    assert done.returncode == 2
    assert json.loads(done.stdout)["reasons"] == ["no daemon heartbeat in the last 45 s"]


def test_status_down_when_database_unreachable() -> None:
    """An unreachable database is down (exit 2), in text and in JSON."""
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nowhere"
    code, data, text = status(url)
    assert code == 2 and data["state"] == "down"
    assert data["reasons"][0].startswith("database unreachable: ")
    assert text.count("\n") < 20


def test_status_degraded_reasons(db_url: str, sessions: sessionmaker[Session]) -> None:
    """Failed sends, bounced mail, a stuck outbox and a folder error each degrade (1);
    quarantined mail is counted, and degrades only through the condition the daemon raises
    once it has waited past its alert time."""
    add_instance(sessions, "a", "leader")
    add_folders(sessions, error="MailboxError: connection refused")
    add_mail(sessions, "stuck", age=timedelta(hours=2))
    add_mail(sessions, "refused", status="failed", age=timedelta(hours=1))
    add_mail(sessions, "returned", status="bounced", age=timedelta(hours=2))
    with sessions.begin() as session:
        session.add(Message(folder="INBOX", uidvalidity=7, uid=3, sha256="1" * 64, size=9,
                            fetched_at=now(), quarantined=True, error="boom"))
    code, data, text = status(db_url)
    assert code == 1 and data["state"] == "degraded"
    reasons = " | ".join(data["reasons"])
    assert "folder INBOX: MailboxError: connection refused" in reasons
    assert "outbox: 1 unsent" in reasons
    assert "1 mail could not be delivered in the last 24 h" in reasons
    assert "1 mail was returned by the partner's mail system (bounced)" in reasons
    assert "quarantined" not in reasons
    assert data["quarantined"] == 1 and data["outbox"]["failed_last_24h"] == 1
    assert data["outbox"]["bounced_last_24h"] == 1
    assert "watchkeeper: degraded: folder INBOX" in text


def test_status_standby_only_is_degraded(db_url: str, sessions: sessionmaker[Session]) -> None:
    """Only standby daemons alive: role standby, degraded because nobody leads."""
    add_instance(sessions, "b", "standby")
    add_instance(sessions, "dead-leader", "leader", heartbeat_age=timedelta(minutes=10))
    code, data, _ = status(db_url)
    assert code == 1 and data["role"] == "standby"
    assert data["reasons"] == ["no leader: every running daemon is on standby"]


def test_status_follows_a_real_daemon(db_url: str, tmp_path: Path, dovecot: Dovecot,
                                      smtp_sink: SmtpSink) -> None:
    """With `watchkeeper run` up, status is healthy and lists INBOX and Sent polled; after
    SIGTERM the daemon is gone and status says down."""
    config = write_config(tmp_path, imap_port=dovecot.port, smtp_port=smtp_sink.port,
                          db_url=db_url, poll_seconds=1)
    env = cli_env(config)
    proc = daemon_process(config, log=tmp_path / "daemon.log")
    try:
        def healthy() -> bool:
            return run_cli("status", "--json", env=env).returncode == 0

        wait_until(healthy, 60, "status is healthy")
        data = json.loads(run_cli("status", "--json", env=env).stdout)
        assert data["role"] == "leader"
        assert sorted(f["folder"] for f in data["folders"]) == ["INBOX", "Sent"]
        assert all(f["last_poll_age_s"] is not None and f["last_poll_age_s"] < 60
                   for f in data["folders"])
        wait_until(lambda: all(f["idle"] for f in json.loads(
            run_cli("status", "--json", env=env).stdout)["folders"]), 30, "both folders in IDLE")
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    after = run_cli("status", env=env)
    assert after.returncode == 2
    assert "no daemon heartbeat" in after.stderr


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_killed_daemon_is_down_within_a_minute(
    db_url: str, sessions: sessionmaker[Session], tmp_path: Path, dovecot: Dovecot,
    smtp_sink: SmtpSink,
) -> None:
    """`watchkeeper run` killed with SIGKILL (no last record, its row still says running):
    status says down, exit 2, within 60 s of the kill, because three heartbeats are missed
    by then. The test waits on the heartbeat the database holds, then asks status once."""
    config = write_config(tmp_path, imap_port=dovecot.port, smtp_port=smtp_sink.port,
                          db_url=db_url, poll_seconds=1)
    env = cli_env(config)
    proc = daemon_process(config, log=tmp_path / "daemon.log")
    try:
        wait_until(lambda: run_cli("status", "--json", env=env).returncode == 0, 60,
                   "status is healthy")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=15)
    killed = time.monotonic()

    def last_beat() -> datetime:
        with sessions() as s:
            [row] = s.scalars(select(DaemonInstance)).all()
            assert row.stopped_at is None  # a kill leaves no record of the stop
            beat = row.heartbeat_at
            return beat if beat.tzinfo else beat.replace(tzinfo=UTC)

    beat = last_beat()
    wait_until(lambda: now() - beat > timedelta(seconds=46), 60, "three beats missed")
    done = run_cli("status", "--json", env=env)
    took = time.monotonic() - killed
    assert done.returncode == 2, done.stdout
    assert json.loads(done.stdout)["reasons"] == ["no daemon heartbeat in the last 45 s"]
    assert took < 60, f"down {took:.1f} s after the kill"
    assert last_beat() == beat
