"""`status` that tells the truth: the conditions as reasons (after their grace, SMTP while
mail waits), folders polled within their interval, an error gone once a pass works, and the
alerts that wait in the outbox while they cannot be delivered."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings
from daemon.commands.status import collect
from daemon.duties import alerts
from daemon.process.clock import ManualClock
from daemon.process.context import AppContext
from daemon.process.errors import PassFailed
from daemon.process.service import Service
from daemon.store import conditions
from daemon.store.db import transaction
from models import Condition, MailboxCheckpoint, OutboxMail
from tests.conftest import run_cli
from tests.servers import Dovecot, SmtpSink, free_port
from tests.test_ingest_support import OFFICIAL
from tests.test_status_cli import add_folders, add_instance, add_mail

OPERATOR = "duty@ncc.gov.example"


def settings_for(db_url: str, **imap: object) -> Settings:
    return Settings(database={"url": db_url}, imap={"poll_seconds": 60, **imap},
                    desk={"operators": [OPERATOR], "timezone": "Europe/Brussels"})


def now() -> datetime:
    return datetime.now(UTC)


def reasons(sessions: sessionmaker[Session], settings: Settings, at: datetime) -> list[str]:
    with sessions() as s:
        return collect(s, settings, at).reasons


def test_a_folder_counts_as_stuck_after_its_poll_interval_not_three(
    db_url: str, sessions: sessionmaker[Session]
) -> None:
    """With a 60 s poll interval a folder not polled for 95 s degrades (it used to take
    three intervals); one polled 80 s ago does not (a pass may take a moment)."""
    settings = settings_for(db_url)
    add_instance(sessions, "a", "leader")
    add_folders(sessions)
    at = now()
    with transaction(sessions) as s:
        for cp in s.query(MailboxCheckpoint):
            cp.last_poll_at = cp.updated_at = at - timedelta(
                seconds=95 if cp.folder == "INBOX" else 80)
    [line] = reasons(sessions, settings, at)
    assert line.startswith("folder INBOX not polled for 95 s (every 60 s expected)")


def test_a_refused_login_speaks_for_the_folders_and_counts_after_its_grace(
    db_url: str, sessions: sessionmaker[Session]
) -> None:
    """While the IMAP login is refused, the folders' own errors are not reasons: within
    `imap.login_alert_minutes` the desk is healthy, after it the login line comes first."""
    settings = settings_for(db_url, login_alert_minutes=10)
    add_instance(sessions, "a", "leader")
    add_folders(sessions, error="AuthenticationFailed: imap.example: login as 'desk' refused")
    at = now()
    with transaction(sessions) as s:
        conditions.report(s, conditions.IMAP_LOGIN_REFUSED, "desk@imap.example",
                          "imap.example: login as 'desk' refused",
                          now=at - timedelta(minutes=9), auth="password")
    assert reasons(sessions, settings, at) == []
    with transaction(sessions) as s:
        s.query(Condition).one().since = at - timedelta(minutes=10)
    later = reasons(sessions, settings, at)
    assert len(later) == 1 and later[0].startswith("IMAP login refused since")


def test_smtp_counts_only_while_mail_waits(db_url: str, sessions: sessionmaker[Session]) -> None:
    """A recorded SMTP outage degrades while mail waits, with the count seen now; with
    nothing to send it is listed but does not degrade."""
    settings = settings_for(db_url)
    add_instance(sessions, "a", "leader")
    add_folders(sessions)
    at = now()
    with transaction(sessions) as s:
        conditions.report(s, conditions.SMTP_UNAVAILABLE, "smtp.example:465", "timed out",
                          now=at, cause="unreachable", waiting=9)
    with sessions() as s:
        quiet = collect(s, settings, at)
    assert quiet.reasons == [] and quiet.conditions[0]["counts"] is False
    add_mail(sessions, "one")
    add_mail(sessions, "two")
    [line] = reasons(sessions, settings, at)
    assert line.startswith("SMTP server smtp.example:465 cannot be reached") and \
        "2 mails wait" in line


def test_status_shows_the_conditions_and_the_alerts_that_wait(
    db_url: str, sessions: sessionmaker[Session]
) -> None:
    """`status` (the command) lists each condition in JSON and, while SMTP is down, the
    alerts that wait in the outbox, in text and JSON; the first reason goes to stderr."""
    settings = Settings(database={"url": db_url}, smtp={"host": "smtp.example"},
                        desk={"operators": [OPERATOR], "official_address": OFFICIAL})
    add_instance(sessions, "a", "leader")
    add_folders(sessions)
    at = now()
    with transaction(sessions) as s:
        conditions.report(s, conditions.DIRECTORY_REFUSED, "/etc/wk/directory.toml",
                          "line 3: bad", now=at, problems=["line 3: bad"], contact_points=4)
        conditions.report(s, conditions.SMTP_UNAVAILABLE, "smtp.example:465", "refused",
                          now=at, cause="unreachable", waiting=1)
        alerts.alert_conditions(s, settings, at)
        for row in s.query(OutboxMail):
            row.attempts, row.last_error = 2, "ConnectionRefusedError"
    env = {"WATCHKEEPER_DATABASE__URL": db_url}
    data = json.loads(run_cli("status", "--json", env=env).stdout)
    assert [c["condition"] for c in data["conditions"]] == ["directory_refused",
                                                            "smtp_unavailable"]
    assert data["reasons"][0].startswith("directory file /etc/wk/directory.toml refused")
    assert data["reasons"][1].startswith("SMTP server smtp.example:465 cannot be reached")
    [waiting] = data["alerts_waiting"]
    assert waiting["subject"] == "[watchkeeper] directory file refused: /etc/wk/directory.toml"
    assert waiting["to"] == [OPERATOR] and waiting["attempts"] == 2
    text = run_cli("status", env=env)
    assert text.returncode == 1
    assert "alerts not delivered yet:" in text.stdout
    assert "[watchkeeper] directory file refused: /etc/wk/directory.toml" in text.stdout
    assert text.stderr.startswith("watchkeeper: degraded: directory file /etc/wk/directory")


def test_run_once_records_a_refused_login_and_a_good_pass_ends_it_and_the_folder_error(
    tmp_path: Path, db_url: str, sessions: sessionmaker[Session], dovecot: Dovecot,
    smtp_sink: SmtpSink,
) -> None:
    """`run --once` with a wrong password raises the login condition; with the right one
    the condition ends and the folders' last errors are gone after their pass."""
    clock = ManualClock(now())

    def once(password: str) -> int:
        """0 after a pass that went through, 1 when it failed (as `run --once` exits)."""
        settings = Settings(
            database={"url": db_url}, desk={"official_address": OFFICIAL},
            imap={"host": "127.0.0.1", "port": dovecot.port, "tls": "none",
                  "username": "desk", "password": password},
            smtp={"host": "127.0.0.1", "port": smtp_sink.port, "tls": "none"})
        ctx = AppContext(settings, clock)
        try:
            Service(ctx).run_once()
        except PassFailed:
            return 1
        finally:
            ctx.close()
        return 0

    assert once("desk-secret") == 0
    with transaction(sessions) as s:
        for cp in s.query(MailboxCheckpoint):
            cp.last_error = "MailboxError: connection lost"
    assert once("wrong") == 1
    with sessions() as s:
        [c] = conditions.active(s)
    assert c.kind == conditions.IMAP_LOGIN_REFUSED and c.subject == "desk@127.0.0.1"
    assert "login as 'desk' refused" in c.detail and "wrong" not in c.detail
    clock.advance(timedelta(minutes=1))
    assert once("desk-secret") == 0
    with sessions() as s:
        assert conditions.active(s) == []
        assert {cp.folder: cp.last_error for cp in s.query(MailboxCheckpoint)} == {
            "INBOX": None, "Sent": None}


def test_status_of_an_unreachable_database_is_still_down() -> None:
    """The conditions add nothing when the database itself cannot be read: down (exit 2)."""
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nowhere"
    result = run_cli("status", "--json", env={"WATCHKEEPER_DATABASE__URL": url})
    assert result.returncode == 2 and json.loads(result.stdout)["conditions"] == []
