"""The test servers themselves: a real Dovecot login, a real SMTP exchange with failures."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
import pytest

from tests.cli_runner import REPO, process_env
from tests.conftest import run_cli
from tests.servers import Dovecot, SmtpSink, free_port
from tests.test_ingest_support import cli_env, write_config


def _mail(subject: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = "cp247@police.xx.example"
    msg["To"] = "poc247@ncc.gov.example"
    msg["Subject"] = subject
    msg["Message-ID"] = "<harness-1@police.xx.example>"
    msg.set_content("Preservation request.")
    return msg.as_bytes()


def test_dovecot_login_append_and_uidvalidity(dovecot: Dovecot) -> None:
    """A client logs in to the private Dovecot, appends, and reads UIDVALIDITY and UIDs."""
    dovecot.append(_mail("hello"))
    client = dovecot.client()
    try:
        info = client.select_folder("INBOX", readonly=True)
        assert info[b"UIDVALIDITY"] > 0
        assert client.search("ALL") == [1]
        assert b"IDLE" in client.capabilities()
    finally:
        client.logout()


def test_dovecot_new_uidvalidity_after_recreate(dovecot: Dovecot) -> None:
    """Deleting and recreating a folder gives it a new UIDVALIDITY, as a rebuilt server would."""
    client = dovecot.client()
    client.create_folder("Rebuilt")
    before = client.select_folder("Rebuilt")[b"UIDVALIDITY"]
    client.logout()
    dovecot.recreate_folder("Rebuilt")
    client = dovecot.client()
    after = client.select_folder("Rebuilt")[b"UIDVALIDITY"]
    client.logout()
    assert after != before


def test_dovecot_restart_drops_connected_clients(dovecot: Dovecot) -> None:
    """Restarting the server ends existing sessions, as a real outage does."""
    client = dovecot.client()
    client.select_folder("INBOX")
    dovecot.restart()
    with pytest.raises(Exception):  # noqa: B017 - any socket or protocol error proves the drop
        client.noop()
    fresh = dovecot.client()
    fresh.logout()


def _send(sink: SmtpSink, subject: str) -> None:
    async def go() -> None:
        await aiosmtplib.send(_mail(subject), hostname=sink.host, port=sink.port,
                              sender="poc247@ncc.gov.example",
                              recipients=["cp247@police.xx.example"], timeout=10)
    asyncio.run(go())


def test_smtp_sink_records_mail(smtp_sink: SmtpSink) -> None:
    """The sink accepts a mail over real SMTP and records envelope and content."""
    _send(smtp_sink, "recorded")
    [got] = smtp_sink.handler.wait_for(1)
    assert got.rcpt_tos == ["cp247@police.xx.example"]
    assert got.message["Subject"] == "recorded"


@pytest.mark.parametrize("command,code", [("MAIL", "451"), ("RCPT", "550"), ("DATA", "421")])
def test_smtp_sink_fails_next_command(smtp_sink: SmtpSink, command: str, code: str) -> None:
    """The sink answers the next chosen command with the chosen code, then recovers."""
    smtp_sink.handler.fail_next(command, f"{code} injected failure")
    with pytest.raises(aiosmtplib.SMTPException) as info:
        _send(smtp_sink, "first")
    assert code in str(info.value)
    _send(smtp_sink, "second")
    assert [m.message["Subject"] for m in smtp_sink.handler.wait_for(1)] == ["second"]


def test_a_command_in_the_cli_zygote_is_what_a_new_process_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """run_cli (a fork of the worker's CLI zygote) gives the exit code, output and errors a
    new `python -m daemon.cli` gives: with the environment it is handed, never the test
    process's WATCHKEEPER_ settings, and in the working directory it is given."""
    monkeypatch.setenv("WATCHKEEPER_DESK__NAME", "Leaked from the test process")
    env = {"WATCHKEEPER_DESK__NAME": "Zygote Desk"}
    for args in (["config", "show", "--json"], ["no-such-command"], ["case"],
                 ["--version"]):
        forked = run_cli(*args, env=env)
        fresh = subprocess.run([sys.executable, "-m", "daemon.cli", *args],
                               capture_output=True, text=True, env=process_env(env), cwd=REPO,
                               timeout=120)
        assert (forked.returncode, forked.stdout, forked.stderr) == \
            (fresh.returncode, fresh.stdout, fresh.stderr), args
    shown = json.loads(run_cli("config", "show", "--json", env=env).stdout)
    assert shown["desk"]["name"] == "Zygote Desk"
    (tmp_path / "one.eml").write_bytes(_mail("Preservation request"))
    parsed = run_cli("parse", "--json", "one.eml", cwd=tmp_path)
    assert parsed.returncode == 0, parsed.stderr
    assert json.loads(parsed.stdout)["file"] == "one.eml"


def test_a_command_past_its_timeout_is_killed(tmp_path: Path) -> None:
    """A command that does not end (a daemon retrying an IMAP server that is not there)
    is killed at its timeout, as subprocess.run would, and the next command runs."""
    config = write_config(tmp_path, imap_port=free_port(), smtp_port=free_port(),
                          db_url=f"sqlite:///{tmp_path / 'wk.db'}")
    upgraded = run_cli("db", "upgrade", env=cli_env(config))
    assert upgraded.returncode == 0, upgraded.stderr
    started = time.monotonic()
    with pytest.raises(subprocess.TimeoutExpired):
        run_cli("run", env=cli_env(config), timeout=3)
    assert time.monotonic() - started < 15
    assert run_cli("--version").returncode == 0
