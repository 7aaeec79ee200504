"""The IMAP adapter against the real Dovecot: TLS refusals, login, UIDs, PEEK, IDLE."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import Any

import pytest

from config.settings import ImapSettings
from daemon.adapters.imap import (
    KEEPALIVE_COUNT,
    KEEPALIVE_IDLE,
    KEEPALIVE_INTERVAL,
    AuthenticationFailed,
    Mailbox,
    MailboxError,
)
from tests.servers import Dovecot
from tests.test_ingest_support import request_mail


def settings(dovecot: Dovecot, **over: Any) -> ImapSettings:
    base: dict[str, Any] = {"host": "127.0.0.1", "port": dovecot.port, "tls": "none",
                            "username": "desk", "password": "desk-secret",
                            "timeout_seconds": 5}
    base.update(over)
    return ImapSettings(**base)


def connected(dovecot: Dovecot, **over: Any) -> Mailbox:
    mb = Mailbox(settings(dovecot, **over))
    mb.connect()
    return mb


def test_select_reports_uidvalidity_and_finds_sent(dovecot: Dovecot) -> None:
    """SELECT gives UIDVALIDITY and UIDNEXT; the Sent folder is found by its special-use flag."""
    dovecot.append_many([request_mail(i).as_bytes() for i in range(3)])
    mb = connected(dovecot)
    try:
        state = mb.select("INBOX")
        assert state.uidvalidity > 0 and state.exists == 3 and state.uidnext == 4
        assert mb.find_sent() == "Sent"
    finally:
        mb.close()


def test_uids_after_never_returns_the_checkpoint_again(dovecot: Dovecot) -> None:
    """`UID n:*` also matches the last message; uids_after filters it so nothing repeats."""
    dovecot.append_many([request_mail(i).as_bytes() for i in range(3)])
    mb = connected(dovecot)
    try:
        mb.select("INBOX")
        assert mb.uids_after(0) == [1, 2, 3]
        assert mb.uids_after(1) == [2, 3]
        assert mb.uids_after(3) == []
    finally:
        mb.close()


def test_fetch_peeks_and_flags_only_when_told(dovecot: Dovecot) -> None:
    """Bodies are fetched with BODY.PEEK (no \\Seen); mark_seen sets the flag afterwards."""
    raw = request_mail(1).as_bytes()
    dovecot.append(raw)
    mb = connected(dovecot)
    try:
        mb.select("INBOX")
        env = mb.envelopes([1])[0]
        assert env.size == len(raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
        assert env.internal_date is not None and env.internal_date.tzinfo is not None
        body = mb.bodies([1])[1]
        assert b"Preservation request" in body
        assert b"Subject:" in mb.headers([1])[1] and b"Article 29" not in mb.headers([1])[1]
        assert b"\\Seen" not in mb.client.get_flags([1])[1]
        mb.mark_seen([1])
        assert b"\\Seen" in mb.client.get_flags([1])[1]
    finally:
        mb.close()


def test_a_connection_probes_a_silent_peer_with_tcp_keepalive(dovecot: Dovecot) -> None:
    """A peer that vanished without FIN or reset (a NAT or load balancer that forgot the
    connection) is given up by the kernel after about 30 s of silence, even while the
    desk waits in IDLE: keepalive is on, with short probes, on the live socket."""
    mb = connected(dovecot)
    try:
        sock = mb.client._imap.sock
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) == KEEPALIVE_IDLE
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL) == KEEPALIVE_INTERVAL
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT) == KEEPALIVE_COUNT
        assert KEEPALIVE_IDLE + KEEPALIVE_COUNT * KEEPALIVE_INTERVAL <= 30
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT) == 30_000
        mb.select("INBOX")  # still a working connection
    finally:
        mb.close()


def test_wrong_password_is_an_authentication_error_without_the_secret(dovecot: Dovecot) -> None:
    """A refused login raises AuthenticationFailed; the message names the user, not the password."""
    with pytest.raises(AuthenticationFailed) as err:
        connected(dovecot, password="wrong-secret-value")
    assert "desk" in str(err.value) and "wrong-secret-value" not in str(err.value)


def test_starttls_missing_is_refused_never_downgraded(dovecot: Dovecot) -> None:
    """A server that offers no STARTTLS gets no login in clear when starttls is configured."""
    with pytest.raises(MailboxError, match="STARTTLS"):
        connected(dovecot, tls="starttls")


def test_implicit_tls_to_a_plain_server_fails(dovecot: Dovecot) -> None:
    """tls = ssl against a plain-text port fails the handshake instead of talking in clear."""
    with pytest.raises(MailboxError):
        connected(dovecot, tls="ssl")


def test_plain_to_remote_host_is_refused() -> None:
    """tls = none to a non-loopback host is refused unless allow_insecure is set."""
    with pytest.raises(ValueError, match="allow_insecure"):
        ImapSettings(host="imap.ncc.gov.example", tls="none", username="desk")
    ok = ImapSettings(host="imap.ncc.gov.example", tls="none", allow_insecure=True)
    assert ok.allow_insecure


def test_xoauth2_sends_the_token_from_file(dovecot: Dovecot, tmp_path: Path) -> None:
    """XOAUTH2 reads the token from its file and uses AUTHENTICATE; a refusal hides the token."""
    token = tmp_path / "token"
    token.write_text("ya29.secret-access-token\n")
    with pytest.raises(MailboxError) as err:
        connected(dovecot, auth="xoauth2", oauth_token_file=token, password=None)
    assert "secret-access-token" not in str(err.value)


def test_uidvalidity_change_seen_on_next_select(dovecot: Dovecot) -> None:
    """A folder rebuilt by the server shows a new UIDVALIDITY on the next SELECT."""
    mb = connected(dovecot)
    try:
        before = mb.select("Sent").uidvalidity
        mb.select("INBOX")
        dovecot.recreate_folder("Sent")
        assert mb.select("Sent").uidvalidity != before
    finally:
        mb.close()


def test_idle_wakes_on_new_mail(dovecot: Dovecot) -> None:
    """IDLE is used after a capability check and reports an APPEND from another client quickly."""
    mb = connected(dovecot)
    try:
        mb.select("INBOX")
        assert mb.can_idle()
        mb.idle_start()
        assert mb.idle_wait(0.3) is False
        started = time.monotonic()
        dovecot.append(request_mail(5).as_bytes())
        woke = False
        while not woke and time.monotonic() - started < 5:
            woke = mb.idle_wait(0.5)
        mb.idle_stop()
        assert woke and time.monotonic() - started < 2
        assert mb.uids_after(0) == [1]
    finally:
        mb.close()


def test_mail_arriving_before_idle_is_noticed(dovecot: Dovecot) -> None:
    """IDLE reports only what arrives after it starts; a message that lands between the
    catch-up and IDLE is seen by the NOOP asked in between, once."""
    dovecot.append(request_mail(1).as_bytes())
    mb = connected(dovecot)
    try:
        mb.select("INBOX")
        assert mb.uids_after(0) == [1]
        assert mb.arrived() is False
        dovecot.append(request_mail(2).as_bytes())  # during the catch-up
        assert mb.arrived() is True
        assert mb.arrived() is False  # told once
        mb.idle_start()
        assert mb.idle_wait(0.5) is False  # IDLE itself would never have said so
        mb.idle_stop()
        assert mb.uids_after(1) == [2]
    finally:
        mb.close()


def test_idle_not_used_when_disabled(dovecot: Dovecot) -> None:
    """imap.idle = false means polling even on a server that offers IDLE."""
    mb = connected(dovecot, idle=False)
    try:
        assert mb.has_capability("IDLE") and not mb.can_idle()
    finally:
        mb.close()


@pytest.mark.parametrize("command", ["fetch", "search"])
def test_arrival_reported_inside_another_command_is_not_lost(
    dovecot: Dovecot, command: str,
) -> None:
    """The server may report an arrival with the answer to a FETCH or SEARCH, which the
    IMAP library does not hand back: a later NOOP then has nothing new to say, and IDLE
    would not mention it either. `arrived` still knows."""
    dovecot.append(request_mail(1).as_bytes())
    mb = connected(dovecot)
    try:
        mb.select("INBOX")
        dovecot.append(request_mail(2).as_bytes())
        if command == "fetch":
            assert [e.uid for e in mb.envelopes([1])] == [1]
        else:
            assert mb.uids_after(5) == []
        assert mb.arrived() is True
        assert mb.arrived() is False  # told once
    finally:
        mb.close()


def test_mail_landing_just_before_idle_is_reported_at_once(dovecot: Dovecot) -> None:
    """A message that lands after the NOOP but before IDLE: the server reports it together
    with IDLE's go-ahead, in the same read; IDLE wakes at once instead of at the poll
    (imaplib had buffered that report where a poll of the socket could not see it)."""
    dovecot.append(request_mail(1).as_bytes())
    mb = connected(dovecot)
    try:
        mb.select("INBOX")
        for i in range(5):
            assert mb.arrived() is False
            dovecot.append(request_mail(2 + i).as_bytes())
            mb.idle_start()
            started = time.monotonic()
            assert mb.idle_wait(3.0) is True
            assert time.monotonic() - started < 0.5
            mb.idle_stop()
            assert mb.select("INBOX").exists == 2 + i
    finally:
        mb.close()
