"""A refused directory file: a condition (status names the file and its first problem),
one alert to the operators, the digest's "Needs attention"; the next good import ends it."""

from __future__ import annotations

import email
import email.policy
import json
import shutil
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings
from daemon.commands.status import collect
from daemon.duties import digest
from daemon.process import jobs
from daemon.process.clock import ManualClock
from daemon.store import conditions
from daemon.store.directory import reload_from_file
from models import Condition, OutboxMail
from tests.conftest import run_cli
from tests.servers import Dovecot, SmtpSink
from tests.test_ingest_support import cli_env, daemon_process, wait_until, write_config

DATA = Path(__file__).parent / "data" / "directory"
T0 = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
OPERATOR = "duty@ncc.gov.example"
FIRST_PROBLEM = ("contact point #2 (DE, 24-7-cyber@bka.de.example): office_phone '+49 611' "
                 "is not a valid phone number")


def settings_for(db_url: str) -> Settings:
    return Settings(database={"url": db_url},
                    desk={"operators": [OPERATOR], "supervisors": ["head@ncc.gov.example"],
                          "timezone": "Europe/Brussels"})


def alerts_planned(sessions: sessionmaker[Session]) -> list[OutboxMail]:
    with sessions() as s:
        return list(s.scalars(select(OutboxMail).where(OutboxMail.purpose == "operator_alert")))


def test_a_refused_file_is_seen_alerted_once_listed_in_the_digest_and_ended_by_a_good_one(
    db_url: str, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """A refused file raises `directory_refused`: status degraded with the file and its
    first problem, one alert however often it is refused again, the digest opens with it;
    a good file ends it, and status and digest no longer mention it."""
    settings = settings_for(db_url)
    clock = ManualClock(T0)
    path = tmp_path / "directory.toml"
    shutil.copy(DATA / "good.toml", path)
    assert reload_from_file(sessions, path, "watchkeeper", clock.now()) is not None
    shutil.copy(DATA / "bad-three.toml", path)
    for _ in range(3):  # start, then two SIGHUPs with the same bad file
        assert reload_from_file(sessions, path, "watchkeeper", clock.now()) is None
        jobs.run_alerts(settings, sessions, clock)
        clock.advance(timedelta(minutes=1))

    with sessions() as s:
        health = collect(s, settings, clock.now())
        built = digest.build(s, settings, clock.now())
    [line] = [r for r in health.reasons if r.startswith("directory file")]
    assert line.startswith(f"directory file {path} refused since 2026-12-02 09:00 CET: "
                           f"{FIRST_PROBLEM} (and 2 more problems)")
    assert "The desk works with the directory it had (" in line
    [alert] = alerts_planned(sessions)
    assert alert.recipients == [OPERATOR]
    assert alert.subject == f"[watchkeeper] directory file refused: {path}"
    body = email.message_from_bytes(alert.raw, policy=email.policy.default).get_body()
    assert body is not None
    assert FIRST_PROBLEM in " ".join(body.get_content().split())
    text = built.text
    assert text.index("NEEDS ATTENTION") < text.index("OVERDUE")
    assert f"!! {line}" in text
    assert "Needs attention (1)" in built.html and f"{path}" in built.html

    shutil.copy(DATA / "good.toml", path)
    assert reload_from_file(sessions, path, "watchkeeper", clock.now()) is not None
    with sessions() as s:
        health = collect(s, settings, clock.now())
        built = digest.build(s, settings, clock.now())
        [row] = s.scalars(select(Condition)).all()
    assert row.cleared_at == clock.now()
    assert not [r for r in health.reasons if r.startswith("directory")]
    assert "NEEDS ATTENTION\n  Nothing needs attention." in built.text
    assert jobs.run_alerts(settings, sessions, clock) == 0
    assert len(alerts_planned(sessions)) == 1


def test_a_refused_file_on_an_empty_directory_says_every_sender_is_a_stranger(
    db_url: str, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """On a fresh database a refused file leaves no directory at all, and the line says so."""
    path = tmp_path / "missing.toml"
    assert reload_from_file(sessions, path, "watchkeeper", T0) is None
    with sessions() as s:
        [line] = conditions.needing_attention(s, settings_for(db_url), T0)
    assert f"directory file {path} refused since" in line and "cannot read" in line
    assert "The directory is empty: every sender is treated as a stranger" in line


def test_the_daemon_started_with_a_refused_file_is_degraded_until_sighup_with_a_good_one(
    tmp_path: Path, db_url: str, sessions: sessionmaker[Session], dovecot: Dovecot,
    smtp_sink: SmtpSink,
) -> None:
    """The real daemon started with a refused directory file: `status` is degraded naming
    the file and its first problem, the operators get one alert; the file fixed and SIGHUP:
    healthy again."""
    path = tmp_path / "directory.toml"
    shutil.copy(DATA / "bad-three.toml", path)
    config = write_config(tmp_path, imap_port=dovecot.port, smtp_port=smtp_sink.port,
                          db_url=db_url, poll_seconds=5)
    text = config.read_text(encoding="utf-8").replace(
        "[desk]\n", f'[desk]\noperators = ["{OPERATOR}"]\n')
    config.write_text(text + f'\n[directory]\npath = "{path}"\n', encoding="utf-8")
    env = cli_env(config)
    log = tmp_path / "daemon.log"
    proc = daemon_process(config, log=log)
    try:
        [alert] = smtp_sink.handler.wait_for(1, timeout=60)
        assert alert.rcpt_tos == [OPERATOR]
        assert str(alert.message["Subject"]) == f"[watchkeeper] directory file refused: {path}"
        shown = run_cli("status", "--json", env=env)
        assert shown.returncode == 1, shown.stdout
        reasons = json.loads(shown.stdout)["reasons"]
        assert reasons[0].startswith(f"directory file {path} refused since")
        assert FIRST_PROBLEM in reasons[0]

        shutil.copy(DATA / "good.toml", path)
        proc.send_signal(signal.SIGHUP)

        def cleared() -> bool:
            with sessions() as s:
                return not conditions.active(s)

        wait_until(cleared, 30, "the good file imported")
        wait_until(lambda: run_cli("status", env=env).returncode == 0, 60, "healthy")
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0, log.read_text()[-3000:]
    assert len(smtp_sink.received) == 1
