"""Login failures named: XOAUTH2 tokens from a file or a command, refused by a Dovecot that
checks them against an introspection endpoint; an empty token never sent; a failing token
command's own error kept, its command line never shown; a login refused for long degrades
`status` and alerts the operators once, and a renewed token brings the desk back."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config.settings import ConfigError, ImapSettings, load_settings
from daemon.adapters.imap import AuthenticationFailed, Mailbox, MailboxError
from daemon.commands.status import collect
from daemon.inbound import login
from daemon.store import conditions
from models import Condition, Event
from tests.conftest import run_cli
from tests.servers import Dovecot, SmtpSink, TokenIntrospection, running_dovecot
from tests.test_ingest_support import OFFICIAL, daemon_process, events, wait_until

OPERATOR = "duty@ncc.gov.example"
# Shaped like a real access token (a JWT): long enough to be masked wherever it shows.
TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJvdXRsb29rIn0.c2lnbmF0dXJl"
RENEWED = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJyZW5ld2VkIn0.c2lnbmF0dXJm"


@pytest.fixture(scope="module")
def introspection() -> Iterator[TokenIntrospection]:
    server = TokenIntrospection()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def oauth_server(introspection: TokenIntrospection) -> Iterator[Dovecot]:
    with running_dovecot(oauth2_url=introspection.url) as server:
        yield server


@pytest.fixture
def oauth_dovecot(oauth_server: Dovecot, introspection: TokenIntrospection) -> Dovecot:
    """The XOAUTH2 Dovecot with an empty mailbox, and only TOKEN granted."""
    oauth_server.reset_user()
    introspection.tokens.clear()
    introspection.asked.clear()
    introspection.grant(TOKEN)
    return oauth_server


def imap(server: Dovecot, **over: Any) -> ImapSettings:
    base: dict[str, Any] = {"host": "127.0.0.1", "port": server.port, "tls": "none",
                            "username": "desk", "auth": "xoauth2", "timeout_seconds": 5}
    return ImapSettings(**{**base, **over})


def token_file(tmp_path: Path, token: str) -> Path:
    path = tmp_path / "token"
    path.write_text(token + "\n", encoding="utf-8")
    return path


# ---------------------------------------------------------------- where the token comes from


def test_an_empty_token_file_is_refused_naming_the_file(tmp_path: Path) -> None:
    """A token file that is empty gives no token to send: the error names the file."""
    path = token_file(tmp_path, "  ")
    with pytest.raises(ConfigError) as err:
        ImapSettings(auth="xoauth2", oauth_token_file=path).secret()
    assert str(err.value) == f"no XOAUTH2 token to send: imap.oauth_token_file {path} is empty"


def test_a_command_printing_nothing_is_refused_naming_the_command_not_its_arguments() -> None:
    """A token command that prints nothing is refused, naming the program and none of its
    arguments (they may hold a client secret)."""
    command = "CLIENT=x /bin/true --client-secret hunter2-client-secret"
    with pytest.raises(ConfigError) as err:
        ImapSettings(auth="xoauth2", oauth_token_command=command).secret()
    assert str(err.value) == ("no XOAUTH2 token to send: imap.oauth_token_command (true) "
                              "printed nothing")


def test_a_failing_command_keeps_the_first_line_of_its_error_masked(tmp_path: Path) -> None:
    """A token command that fails is reported with its exit status and the first line of its
    error output, a token in that line masked; the command line is never printed."""
    script = tmp_path / "m365-token"
    script.write_text(
        "#!/bin/sh\n"
        f"echo 'AADSTS700082: The refresh token has expired (refresh_token {TOKEN}).' >&2\n"
        "echo 'Trace ID: 0d3f' >&2\nexit 3\n", encoding="utf-8")
    script.chmod(0o700)
    command = f"{script} --tenant ncc --secret hunter2-client-secret"
    with pytest.raises(ConfigError) as err:
        ImapSettings(auth="xoauth2", oauth_token_command=command).secret()
    text = str(err.value)
    assert text == ("imap.oauth_token_command (m365-token) failed with exit status 3: "
                    "AADSTS700082: The refresh token has expired (refresh_token ********).")
    assert "hunter2" not in text and str(tmp_path) not in text and TOKEN not in text


def test_a_token_command_that_hangs_is_cut_at_the_timeout() -> None:
    """A token command still running after `imap.timeout_seconds` is stopped with one line."""
    with pytest.raises(ConfigError, match=r"\(sleep\) printed no token within 0.5 s"):
        ImapSettings(auth="xoauth2", oauth_token_command="sleep 30",
                     timeout_seconds=0.5).secret()


# ---------------------------------------------------------------- against the real server


def test_a_granted_token_logs_in_and_a_revoked_one_is_named_as_such(
    oauth_dovecot: Dovecot, introspection: TokenIntrospection, tmp_path: Path
) -> None:
    """The token from the file logs in over XOAUTH2; once revoked, the refusal says that
    the XOAUTH2 token was refused and where it came from, never the token itself."""
    settings = imap(oauth_dovecot, oauth_token_file=token_file(tmp_path, TOKEN))
    mailbox = Mailbox(settings)
    mailbox.connect()
    try:
        assert mailbox.select("INBOX").uidvalidity > 0
    finally:
        mailbox.close()
    introspection.revoke(TOKEN)
    with pytest.raises(AuthenticationFailed) as err:
        Mailbox(settings).connect()
    text = str(err.value)
    assert text.startswith(f"127.0.0.1: the XOAUTH2 token for 'desk' from "
                           f"imap.oauth_token_file {tmp_path / 'token'} was refused")
    assert "AUTHENTICATIONFAILED" in text and TOKEN not in text
    assert introspection.asked.count(TOKEN) == 2


def test_a_command_token_is_refused_naming_the_command(
    oauth_dovecot: Dovecot, introspection: TokenIntrospection
) -> None:
    """A token printed by a command that the server refuses names the command's program."""
    settings = imap(oauth_dovecot, oauth_token_command=f"echo {RENEWED}")
    with pytest.raises(AuthenticationFailed, match=r"token for 'desk' from "
                       r"imap.oauth_token_command \(echo\) was refused"):
        Mailbox(settings).connect()
    assert introspection.asked == [RENEWED]


def test_an_empty_token_is_never_sent(
    oauth_dovecot: Dovecot, introspection: TokenIntrospection, tmp_path: Path
) -> None:
    """An empty token file is a refused login before any connection: the server is never
    asked, and the error names the file."""
    settings = imap(oauth_dovecot, oauth_token_file=token_file(tmp_path, ""))
    with pytest.raises(AuthenticationFailed) as err:
        Mailbox(settings).connect()
    assert "login as 'desk' not attempted: no XOAUTH2 token to send" in str(err.value)
    assert str(tmp_path / "token") in str(err.value)
    assert introspection.asked == []


def test_the_watcher_calls_record_a_login_refusal_and_its_end(
    db_url: str, sessions: sessionmaker[Session]
) -> None:
    """A refused login raises the login condition (with the way we log in); a connection
    error does not; the next login clears it."""
    settings = ImapSettings(host="imap.example", username="desk", auth="xoauth2")
    at = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    login.failed(sessions, settings, MailboxError("cannot connect to imap.example:993"), at)
    with sessions() as s:
        assert conditions.active(s) == []
    login.failed(sessions, settings, AuthenticationFailed("token refused"), at)
    login.failed(sessions, settings, AuthenticationFailed("token refused"),
                 at + timedelta(minutes=1))
    with sessions() as s:
        [c] = conditions.active(s)
    assert (c.kind, c.subject, c.seen, c.data) == (
        conditions.IMAP_LOGIN_REFUSED, "desk@imap.example", 2, {"auth": "xoauth2"})
    login.succeeded(sessions, settings, at + timedelta(minutes=2))
    with sessions() as s:
        assert conditions.active(s) == []


def both_logged_in(log: Path) -> bool:
    """Whether the last connection attempt of the INBOX and the Sent watcher, as the
    daemon's log tells them, succeeded."""
    last: dict[object, object] = {}
    for e in events(log):
        if e.get("event") in ("imap_reconnecting", "imap_reconnected"):
            last[e.get("mailbox")] = e["event"]
    return set(last) >= {"INBOX", "Sent"} and all(v == "imap_reconnected"
                                                  for v in last.values())


def test_a_token_revoked_under_the_running_daemon_degrades_alerts_once_and_recovers(
    tmp_path: Path, db_url: str, sessions: sessionmaker[Session], oauth_dovecot: Dovecot,
    introspection: TokenIntrospection, smtp_sink: SmtpSink,
) -> None:
    """The real daemon logs in with a token file; the token is revoked and the connections
    dropped: `status` is degraded naming the refused token once the login has been refused
    for `imap.login_alert_minutes`, the operators get one alert; a renewed token file makes
    the desk healthy again."""
    path = token_file(tmp_path, TOKEN)
    config = tmp_path / "watchkeeper.toml"
    config.write_text(f"""
[database]
url = "{db_url}"

[imap]
host = "127.0.0.1"
port = {oauth_dovecot.port}
tls = "none"
username = "desk"
auth = "xoauth2"
oauth_token_file = "{path}"
poll_seconds = 5
reconnect_initial_seconds = 0.2
reconnect_max_seconds = 1.0
login_alert_minutes = 0.05

[smtp]
host = "127.0.0.1"
port = {smtp_sink.port}
tls = "none"

[desk]
official_address = "{OFFICIAL}"
operators = ["{OPERATOR}"]

[logging]
format = "json"
""", encoding="utf-8")
    env = {"WATCHKEEPER_CONFIG": str(config)}
    settings = load_settings(config)

    def status() -> tuple[str, list[str]]:
        """What `watchkeeper status` says now (its own code, without a process per look)."""
        with sessions() as s:
            health = collect(s, settings, datetime.now(UTC))
        return health.state, health.reasons

    def login_refused() -> bool:
        state, reasons = status()
        return state == "degraded" and any(r.startswith("IMAP login") for r in reasons)

    def login_alerts() -> list[str]:
        return [str(m.message["Subject"]) for m in smtp_sink.received
                if "IMAP login refused" in str(m.message["Subject"])]

    log = tmp_path / "daemon.log"
    proc = daemon_process(config, log=log)
    try:
        wait_until(lambda: status()[0] == "healthy", 60, "healthy with the granted token")
        introspection.revoke(TOKEN)
        oauth_dovecot.doveadm("kick", "desk")
        wait_until(login_refused, 60, "degraded by the refused token")
        shown = run_cli("status", "--json", env=env)
        assert shown.returncode == 1
        reasons = json.loads(shown.stdout)["reasons"]
        assert reasons[0].startswith("IMAP login refused since"), reasons
        assert (f"the XOAUTH2 token for 'desk' from imap.oauth_token_file {path} was "
                "refused") in reasons[0]
        assert "Renew the access token" in reasons[0] and TOKEN not in json.dumps(reasons)
        wait_until(lambda: len(login_alerts()) == 1, 30, "the login alert")

        introspection.grant(RENEWED)
        path.write_text(RENEWED + "\n", encoding="utf-8")
        # Both watchers back in, not only the first: one that read the old token just
        # before the file changed is refused once more, and its next try succeeds.
        wait_until(lambda: both_logged_in(log) and status()[0] == "healthy", 60,
                   "healthy with the renewed token, both watchers logged in")
        assert run_cli("status", env=env).returncode == 0
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0, log.read_text()[-3000:]
    assert len(login_alerts()) == 1
    assert TOKEN not in log.read_text() and RENEWED not in log.read_text()
    with sessions() as s:
        [c] = s.scalars(select(Condition)).all()
        assert c.kind == conditions.IMAP_LOGIN_REFUSED and c.cleared_at is not None
        kinds = [e.kind for e in s.scalars(select(Event).order_by(Event.id))
                 if e.kind.startswith("condition_")]
    # Raised, then cleared by the renewed token. The two watchers (INBOX and Sent) log in
    # on their own: one may still fail with the token it read just before the renewal
    # after the other succeeded, a short second episode, ended the same way.
    assert kinds == ["condition_raised", "condition_cleared"] * (len(kinds) // 2)
    assert len(kinds) in (2, 4)


def test_run_with_no_token_yet_starts_and_reports_the_login(
    tmp_path: Path, db_url: str, sessions: sessionmaker[Session], oauth_dovecot: Dovecot,
    introspection: TokenIntrospection, smtp_sink: SmtpSink,
) -> None:
    """`run` with an empty token file does not refuse to start (a refresher may be late):
    the pass reports the refused login, names the file, and records the login condition."""
    path = token_file(tmp_path, "")
    config = tmp_path / "watchkeeper.toml"
    config.write_text(f"""
[database]
url = "{db_url}"

[imap]
host = "127.0.0.1"
port = {oauth_dovecot.port}
tls = "none"
username = "desk"
auth = "xoauth2"
oauth_token_file = "{path}"

[smtp]
host = "127.0.0.1"
port = {smtp_sink.port}
tls = "none"

[desk]
official_address = "{OFFICIAL}"
""", encoding="utf-8")
    done = run_cli("run", "--once", env={"WATCHKEEPER_CONFIG": str(config)})
    assert done.returncode == 1, done.stderr[-2000:]
    assert f"no XOAUTH2 token to send: imap.oauth_token_file {path} is empty" in done.stderr
    assert introspection.asked == []
    with sessions() as s:
        [c] = conditions.active(s)
    assert c.kind == conditions.IMAP_LOGIN_REFUSED and c.data == {"auth": "xoauth2"}
