"""The test servers themselves: a real Dovecot login, a real SMTP exchange with failures."""

from __future__ import annotations

import asyncio
from email.message import EmailMessage

import aiosmtplib
import pytest

from tests.servers import Dovecot, SmtpSink


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
