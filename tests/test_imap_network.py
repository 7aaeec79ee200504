"""The IMAP adapter on a hostile network and on other servers: split lines, cut
connections, TLS records, pymap and Cyrus IMAP, Sent folders by flag and by name."""

from __future__ import annotations

import time
from typing import Any

import pytest

from config.settings import ImapSettings
from daemon.adapters.imap import (
    ConnectionLost,
    FolderMissing,
    Mailbox,
    MailboxError,
    sent_folder_of,
)
from tests.servers import Cyrus, Dovecot, Pymap, SplitProxy, split_proxy
from tests.test_ingest_support import request_mail


def settings(port: int, user: str = "desk", **over: Any) -> ImapSettings:
    base: dict[str, Any] = {"host": "127.0.0.1", "port": port, "tls": "none",
                            "username": user, "password": "desk-secret",
                            "timeout_seconds": 5}
    base.update(over)
    return ImapSettings(**base)


def connected(port: int, user: str = "desk", **over: Any) -> Mailbox:
    mb = Mailbox(settings(port, user, **over))
    mb.connect()
    return mb


def wait_for_push(mb: Mailbox, within: float) -> float:
    """Seconds until IDLE reports a change; fails after `within`."""
    started = time.monotonic()
    while time.monotonic() - started < within:
        if mb.idle_wait(0.2):
            return time.monotonic() - started
    raise AssertionError(f"IDLE reported nothing within {within} s")


def idle_arrivals(mb: Mailbox, append: Any, count: int) -> list[float]:
    """Append `count` messages one at a time while idling; each must wake IDLE."""
    mb.select("INBOX")
    delays = []
    for i in range(count):
        assert mb.arrived() is False
        mb.idle_start()
        assert mb.idle_wait(0.05) is False
        append(request_mail(100 + i).as_bytes())
        delays.append(wait_for_push(mb, 5))
        mb.idle_stop()
        mb.select("INBOX")
    return delays


def test_idle_reads_lines_split_at_random_points(dovecot: Dovecot, proxy: SplitProxy) -> None:
    """Every server write reaches the client in pieces (a line in several TCP segments):
    IDLE still reports each of 20 arrivals, whole, and the connection stays in step."""
    mb = connected(proxy.port)
    try:
        delays = idle_arrivals(mb, dovecot.append, 20)
        assert max(delays) < 2.0, delays
        assert mb.uids_after(0) == list(range(1, 21))
        assert not mb.broken
    finally:
        mb.close()
    assert proxy.pieces > 40  # the proxy did split: at least the IDLE lines and answers


def test_a_cut_connection_in_idle_is_lost_at_once(dovecot: Dovecot, proxy: SplitProxy) -> None:
    """A connection cut without BYE during IDLE is reported at once as ConnectionLost (not
    as "nothing new"), and closing it afterwards sends nothing (no DONE, no LOGOUT)."""
    mb = connected(proxy.port)
    mb.select("INBOX")
    mb.idle_start()
    assert mb.idle_wait(0.1) is False
    proxy.cut()
    started = time.monotonic()
    with pytest.raises(ConnectionLost, match="closed the connection"):
        while time.monotonic() - started < 5:
            mb.idle_wait(0.5)
    assert time.monotonic() - started < 1.0
    assert mb.broken
    mb.close()  # would raise or hang if it tried DONE or LOGOUT on the dead socket
    with pytest.raises(ConnectionLost):
        mb.idle_wait(0.1)


def test_a_response_out_of_step_is_never_answered_with_done(
    dovecot: Dovecot, proxy: SplitProxy,
) -> None:
    """A line during IDLE that no IMAP server would send: the connection is lost at once
    with that line as the cause, and DONE is never sent on the stream out of step."""
    mb = connected(proxy.port)
    mb.select("INBOX")
    mb.idle_start()
    assert mb.idle_wait(0.1) is False
    sent_before = len(proxy.from_clients)
    proxy.inject(b"garbage that is not IMAP\r\n")
    with pytest.raises(ConnectionLost, match="garbage"):
        wait_for_push(mb, 5)
    mb.close()
    time.sleep(0.2)  # anything close() had sent would have reached the proxy by now
    assert b"DONE" not in proxy.from_clients[sent_before:]
    assert b"LOGOUT" not in proxy.from_clients[sent_before:]


def test_bye_during_idle_is_a_lost_connection_with_the_servers_words(dovecot: Dovecot) -> None:
    """An administrator's kick (BYE) during IDLE ends the connection with the server's
    words as the cause."""
    mb = connected(dovecot.port)
    mb.select("INBOX")
    mb.idle_start()
    dovecot.doveadm("kick", "desk")
    with pytest.raises(ConnectionLost, match="the server ended the session"):
        wait_for_push(mb, 5)
    mb.close()


def test_a_dead_server_is_lost_in_every_command(dovecot: Dovecot, proxy: SplitProxy) -> None:
    """After a cut, the next command fails as ConnectionLost with the real cause, and the
    connection is never used again."""
    mb = connected(proxy.port)
    try:
        mb.select("INBOX")
        proxy.cut()
        time.sleep(0.1)  # the proxy's abort reaches the socket
        with pytest.raises(ConnectionLost) as err:
            mb.uids_after(0)
        assert "SEARCH" in str(err.value)
        assert mb.broken
    finally:
        mb.close()


def test_idle_over_tls_through_the_splitting_proxy(dovecot_tls: Dovecot) -> None:
    """Implicit TLS (certificate checked against imap.ca_file) with TLS records cut at
    random points: every arrival is reported, none is left in a record buffer."""
    with split_proxy(dovecot_tls.tls_port, seed=7) as proxy:
        mb = connected(proxy.port, tls="ssl", ca_file=dovecot_tls.ca_file)
        try:
            delays = idle_arrivals(mb, dovecot_tls.append, 10)
            assert max(delays) < 2.0, delays
            assert mb.uids_after(0) == list(range(1, 11))
        finally:
            mb.close()
        assert proxy.pieces > 20


def test_tls_with_an_unknown_certificate_is_refused(dovecot_tls: Dovecot) -> None:
    """Without the self-signed certificate in imap.ca_file, the TLS connection fails."""
    with pytest.raises(MailboxError, match=r"(?i)certificate"):
        connected(dovecot_tls.tls_port, tls="ssl")


def test_pymap_idle_and_split_writes(pymap: Pymap) -> None:
    """pymap (another IMAP implementation, which writes a line in several segments):
    IDLE reports each arrival within 2 s and the connection stays in step."""
    mb = connected(pymap.port)
    try:
        delays = idle_arrivals(mb, pymap.append, 10)
        assert max(delays) < 2.0, delays
        assert len(mb.uids_after(0)) == 10
        assert not mb.broken
    finally:
        mb.close()


def test_pymap_killed_during_idle_is_noticed_at_once(pymap: Pymap) -> None:
    """The server process killed (no BYE): IDLE reports ConnectionLost within a second."""
    mb = connected(pymap.port)
    mb.select("INBOX")
    mb.idle_start()
    pymap.stop()
    started = time.monotonic()
    with pytest.raises(ConnectionLost):
        while time.monotonic() - started < 5:
            mb.idle_wait(0.5)
    assert time.monotonic() - started < 1.0
    mb.close()


def test_cyrus_idle_and_missing_folder(cyrus: Cyrus) -> None:
    """Cyrus IMAP: IDLE (with idled) reports arrivals within 2 s; a missing folder is
    FolderMissing although Cyrus words it "Mailbox does not exist"."""
    mb = connected(cyrus.port, cyrus.user)
    try:
        delays = idle_arrivals(mb, cyrus.append, 5)
        assert max(delays) < 2.0, delays
        with pytest.raises(FolderMissing):
            mb.select("Nowhere")
        assert mb.select("INBOX").exists == 5  # still in step after the NO
    finally:
        mb.close()


def test_cyrus_lower_case_sent_flag_with_a_localised_name(cyrus: Cyrus) -> None:
    """Cyrus lists `\\sent` in lower case: a Sent folder named "Gesendete Objekte" (and
    one with a name no list knows) is found by its flag."""
    c = cyrus.client()
    try:
        c.rename_folder("Sent", "Gesendete Objekte")  # the flag moves with the folder
        listed = c.list_folders()
        assert any(b"\\sent" in flags for flags, _d, n in listed if n == "Gesendete Objekte")
    finally:
        c.logout()
    mb = connected(cyrus.port, cyrus.user)
    try:
        assert mb.find_sent() == "Gesendete Objekte"
    finally:
        mb.close()
    other = cyrus.new_user()
    c = cyrus.client(other)
    try:
        c.rename_folder("Sent", "Ausgang Bereitschaft")
    finally:
        c.logout()
    mb = connected(cyrus.port, other)
    try:
        assert mb.find_sent() == "Ausgang Bereitschaft"
    finally:
        mb.close()


def test_unflagged_sent_folder_found_by_its_localised_name() -> None:
    """pymap marks no folder; a folder named "Éléments envoyés" is the Sent folder."""
    from tests.servers import running_pymap

    with running_pymap(sent_folder="Éléments envoyés") as server:
        mb = connected(server.port)
        try:
            assert mb.find_sent() == "Éléments envoyés"
        finally:
            mb.close()


@pytest.mark.parametrize(("listed", "expected"), [
    ([((b"\\HasNoChildren", b"\\Sent"), "/", "Outbox")], "Outbox"),
    ([((b"\\sent",), "/", "Envoi")], "Envoi"),
    ([((b"\\SENT", b"\\Noselect"), "/", "Ghost"), ((), "/", "Sent Items")], "Sent Items"),
    ([((), ".", "INBOX.Gesendete Objekte")], "INBOX.Gesendete Objekte"),
    ([((), "/", "ÉLÉMENTS ENVOYÉS")], "ÉLÉMENTS ENVOYÉS"),
    ([((), "/", "Wysłane"), ((), "/", "Sent")], "Sent"),
    ([((), "/", "Odeslaná pošta")], "Odeslaná pošta"),
    ([((), "/", "Lähetetyt")], "Lähetetyt"),
    ([((), "/", "Drafts"), ((), "/", "Trash")], None),
])
def test_sent_folder_choice(listed: list[tuple[tuple[bytes, ...], str, str]],
                            expected: str | None) -> None:
    """The SPECIAL-USE flag (any case) wins; else the best-known localised name."""
    assert sent_folder_of(listed) == expected
