"""The IMAP adapter: the only module that speaks IMAP (imapclient), with UIDs only."""

from __future__ import annotations

import contextlib
import imaplib
import re
import socket
import ssl
import time
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import imapclient
from imapclient.exceptions import (
    IMAPClientAbortError,
    IMAPClientError,
    LoginError,
    ProtocolError,
)
from imapclient.imap4 import IMAP4WithTimeout
from imapclient.tls import IMAP4_TLS

from config.settings import ConfigError, ImapSettings, is_loopback, mask_secrets, token_source
from daemon.text import one_line

SENT_FLAG = rb"\Sent"

# Names that Sent folders carry on servers that do not mark them with the SPECIAL-USE flag
# (RFC 6154), in the order they are preferred; compared without regard to case, and with
# or without an "INBOX." parent.
SENT_NAMES = (
    "Sent", "Sent Items", "Sent Messages", "Sent Mail", "Sent Mails", "Sent-Mail",
    "Gesendete Objekte", "Gesendete Elemente", "Gesendet",
    "Éléments envoyés", "Envoyés", "Messages envoyés",
    "Elementos enviados", "Enviados", "Itens enviados", "Enviats",
    "Posta inviata", "Inviata", "Inviati", "Elementi inviati",
    "Verzonden items", "Verzonden", "Verzonden berichten",
    "Wysłane", "Elementy wysłane",
    "Odeslaná pošta", "Odeslané", "Odoslaná pošta", "Odoslané",
    "Skickat", "Skickade objekt", "Sendt", "Sendte elementer", "Sendte",
    "Lähetetyt", "Lähetetyt kohteet", "Saadetud", "Saadetud kirjad",
    "Elküldött elemek", "Elküldött", "Elemente trimise", "Trimise",
    "Poslano", "Poslane", "Poslana pošta", "Izsūtītās", "Išsiųsti",
    "Изпратени", "Отправленные", "Надіслані", "Απεσταλμένα", "Gönderilmiş Öğeler",
    "Gönderilenler",
)

MAX_LINE = 1_000_000  # as imaplib: a longer line is an error, not a reason to grow forever
_UNTAGGED = re.compile(rb"^\* (?:\d+ )?([A-Za-z]+)")
# Untagged responses that mean the folder changed: the watcher looks again.
_CHANGES = frozenset({b"EXISTS", b"RECENT", b"EXPUNGE", b"FETCH", b"VANISHED"})


class MailboxError(Exception):
    """The mailbox cannot be used right now (connection lost, refused, timed out)."""


class AuthenticationFailed(MailboxError):
    """The server refused our credentials."""


class FolderMissing(MailboxError):
    """A watched folder does not exist on the server."""


class ConnectionLost(MailboxError):
    """The connection is dead, or no longer in step with the server (a line we could not
    parse, an answer to a command we did not send): it is thrown away, never told DONE or
    LOGOUT, and the caller connects again."""


# --- reading the server's responses ----------------------------------------------------
#
# Why this exists: imapclient's `idle_check` switches the socket to non-blocking mode and
# calls imaplib's line reader, which was not written for that. A response line that
# arrives in two TCP segments (pymap writes them so, TLS records and busy servers split
# them too) is cut in two: "unterminated line: b'* 7 FETCH ('" (upstream imapclient
# issues #519 and #565); the rest of the line is then read as the answer to DONE, so the
# error reported is not the real one. End of file is swallowed and returned as "nothing
# new", which a loop calling it again spins on (both watchers at 100 % CPU after a server
# crash). And it polls the socket while imaplib may already hold the next response in its
# read-ahead buffer, or TLS in its record buffer, so a response that came together with
# the IDLE continuation waits for the poll.
#
# So every byte of a connection is read here, by a blocking socket with a timeout into one
# line buffer that outlives a timeout: imaplib documents `read` and `readline` as the
# methods to override, and waiting for IDLE responses only asks whether a complete line
# is buffered before imaplib's own parser reads it. The workaround can go when imapclient
# reads IDLE responses through a buffer of its own.


class _LineReader:
    """Mixed into imaplib.IMAP4: `readline`/`read` from one buffer fed by `sock.recv`."""

    sock: socket.socket
    _rx: bytearray
    _rx_sock: socket.socket | None = None

    def _buffer(self) -> bytearray:
        if self._rx_sock is not self.sock:  # first read, or STARTTLS replaced the socket
            if self._rx_sock is not None and self._rx:
                # Bytes sent after "OK begin TLS" but before the handshake were not
                # protected by it: a man in the middle injecting commands' answers.
                raise imaplib.IMAP4.abort("data received in clear text before TLS started")
            self._rx = bytearray()
            self._rx_sock = self.sock
        return self._rx

    def _fill(self, buf: bytearray) -> bool:
        """One recv into the buffer, blocking up to the socket's timeout; False at EOF."""
        data = self.sock.recv(65536)
        if not data:
            return False
        buf += data
        return True

    def readline(self) -> bytes:
        buf = self._buffer()
        searched = 0
        while True:
            end = buf.find(b"\n", searched)
            if end >= 0:
                line = bytes(buf[:end + 1])
                del buf[:end + 1]
                return line
            if len(buf) > MAX_LINE:
                raise imaplib.IMAP4.abort(f"a response line of more than {MAX_LINE} bytes")
            searched = len(buf)
            if not self._fill(buf):  # EOF: imaplib reports a cut line or "EOF"
                line = bytes(buf)
                buf.clear()
                return line

    def read(self, size: int) -> bytes:
        buf = self._buffer()
        while len(buf) < size:
            if not self._fill(buf):
                break
        data = bytes(buf[:size])
        del buf[:size]
        return data

    def line_ready(self, seconds: float) -> bool | None:
        """Whether a complete line is buffered within `seconds`: True, False (none yet;
        a partial line stays buffered for the next call), or None at end of file."""
        buf = self._buffer()
        deadline = time.monotonic() + seconds
        previous = self.sock.gettimeout()
        try:
            while b"\n" not in buf:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.sock.settimeout(left)
                try:
                    if not self._fill(buf):
                        return None
                except TimeoutError:
                    return False
        finally:
            self.sock.settimeout(previous)
        return True


# TCP keepalive on every connection: a connection whose peer vanished without a FIN or a
# reset (a NAT or load balancer that forgot it, a host that lost power) is otherwise found
# only when the IDLE period ends and DONE goes unanswered for the whole socket timeout.
# With these values the kernel gives up after about KEEPALIVE_IDLE + KEEPALIVE_COUNT *
# KEEPALIVE_INTERVAL = 30 s of silence, and the blocked read fails as a lost connection.
KEEPALIVE_IDLE = 15
KEEPALIVE_INTERVAL = 5
KEEPALIVE_COUNT = 3


def keep_alive(sock: socket.socket) -> None:
    """Turn on TCP keepalive with short probes, and bound how long sent data may stay
    unacknowledged (TCP_USER_TIMEOUT), where the platform has these options."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    for name, value in (("TCP_KEEPIDLE", KEEPALIVE_IDLE), ("TCP_KEEPINTVL", KEEPALIVE_INTERVAL),
                        ("TCP_KEEPCNT", KEEPALIVE_COUNT),
                        ("TCP_USER_TIMEOUT", 1000 * (KEEPALIVE_IDLE
                                                     + KEEPALIVE_COUNT * KEEPALIVE_INTERVAL))):
        option = getattr(socket, name, None)
        if option is not None:
            sock.setsockopt(socket.IPPROTO_TCP, option, value)


class _PlainIMAP4(_LineReader, IMAP4WithTimeout):  # type: ignore[misc]  # imapclient is untyped
    pass


class _TlsIMAP4(_LineReader, IMAP4_TLS):  # type: ignore[misc]  # imapclient is untyped
    pass


class _Client(imapclient.IMAPClient):  # type: ignore[misc]  # imapclient is untyped
    """IMAPClient on the line readers above (`_create_IMAP4` is where it builds imaplib's
    connection; the same arguments as imapclient 3 and 4 pass)."""

    def _create_IMAP4(self) -> imaplib.IMAP4:
        connect_timeout = getattr(self._timeout, "connect", None)
        if self.ssl:
            return _TlsIMAP4(self.host, self.port, self.ssl_context, connect_timeout)
        return _PlainIMAP4(self.host, self.port, connect_timeout)


@dataclass(frozen=True)
class FolderState:
    """What SELECT told us about a folder."""

    name: str
    uidvalidity: int
    uidnext: int | None
    exists: int


@dataclass(frozen=True)
class Envelope:
    """Size and arrival time of one message, known before its body is fetched."""

    uid: int
    size: int
    internal_date: datetime | None


def _describe(exc: BaseException) -> str:
    """The real cause of a lost connection, in one line."""
    text = str(exc)
    if isinstance(exc, imaplib.IMAP4.abort) and text.endswith("socket error: EOF"):
        return "the server closed the connection (no BYE)"
    if isinstance(exc, imaplib.IMAP4.abort) and "unterminated line" in text:
        return "the server closed the connection in the middle of a response (no BYE)"
    if isinstance(exc, TimeoutError):
        return "no answer from the server within the timeout"
    if isinstance(exc, ConnectionError):
        return f"the server closed the connection ({type(exc).__name__}, no BYE)"
    return one_line(exc)


def tls_context(settings: ImapSettings) -> ssl.SSLContext:
    """Certificates and host names verified; `imap.ca_file` added to the system CAs."""
    ctx = ssl.create_default_context()
    if settings.ca_file is not None:
        try:
            ctx.load_verify_locations(cafile=str(settings.ca_file))
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(f"imap.ca_file: cannot load {settings.ca_file}: {exc}") from exc
    return ctx


class Mailbox:
    """One authenticated IMAP connection with a selected folder."""

    def __init__(self, settings: ImapSettings) -> None:
        self.settings = settings
        self._client: Any = None
        self.folder: FolderState | None = None
        self._idle_tag: bytes | None = None
        self._idle_changed = False
        # Set when the connection can no longer be trusted to be in step with the server:
        # it is then only shut down (no DONE, no LOGOUT, whose answers would be misread).
        self.broken = False

    # --- connection ------------------------------------------------------------------

    def connect(self) -> None:
        s = self.settings
        if s.tls == "none" and not (is_loopback(s.host) or s.allow_insecure):
            raise ConfigError(
                f"imap.tls = 'none' with host {s.host!r} is refused: "
                "set imap.allow_insecure = true to allow it"
            )
        try:
            # Read first: an empty token or a failing token command is refused before any
            # connection is opened, and counts as a refused login.
            secret = s.secret()
        except ConfigError as exc:
            raise AuthenticationFailed(f"{s.host}: login as {s.username!r} not attempted: "
                                       f"{exc}") from exc
        try:
            ctx = tls_context(s) if s.tls != "none" else None
            client = _Client(
                s.host, port=s.port, ssl=s.tls == "ssl", ssl_context=ctx,
                timeout=s.timeout_seconds, use_uid=True,
            )
        except (OSError, IMAPClientError) as exc:
            raise MailboxError(f"cannot connect to {s.host}:{s.port}: {one_line(exc)}") from exc
        client.normalise_times = False
        self._client = client
        try:
            keep_alive(client._imap.sock)
        except OSError as exc:  # the connection died between the greeting and here
            self.broken = True
            self.close()
            raise MailboxError(f"{s.host}:{s.port}: {one_line(exc)}") from exc
        try:
            if s.tls == "starttls":
                if not client.has_capability("STARTTLS"):
                    raise MailboxError(
                        f"{s.host}:{s.port} does not offer STARTTLS; refusing to log in in clear"
                    )
                # A failure here raises: never fall back to a plain connection.
                client.starttls(ctx)
            if s.auth == "xoauth2":
                client.oauth2_login(s.username, secret)
            else:
                client.login(s.username, secret)
        except LoginError as exc:
            self.close()
            said = mask_secrets(one_line(exc))
            if s.auth == "xoauth2":
                message = (f"{s.host}: the XOAUTH2 token for {s.username!r} from "
                           f"{token_source(s)} was refused (expired or revoked?): {said}")
            else:
                message = f"{s.host}: login as {s.username!r} refused: {said}"
            raise AuthenticationFailed(message) from exc
        except (OSError, IMAPClientError, ssl.SSLError) as exc:
            self.broken = True
            self.close()
            raise MailboxError(f"{s.host}:{s.port}: {one_line(exc)}") from exc
        except BaseException:
            self.close()
            raise

    @property
    def client(self) -> Any:
        if self._client is None:
            raise MailboxError("not connected")
        return self._client

    def close(self) -> None:
        """Leave IDLE and log out when the connection is sound; otherwise just drop it."""
        client = self._client
        if client is None:
            return
        if not self.broken and self._idle_tag is not None:
            with contextlib.suppress(MailboxError):  # idle_stop marks the connection broken
                self.idle_stop()
        self._client = None
        self._idle_tag = None
        if not self.broken:
            try:
                client.logout()
                return
            except Exception:  # the connection is being thrown away anyway
                pass
        with contextlib.suppress(Exception):  # nothing more can be done
            client.shutdown()

    def _lost(self, what: str, cause: BaseException | str) -> ConnectionLost:
        """Mark the connection unusable; the error names the command and the real cause."""
        self.broken = True
        text = cause if isinstance(cause, str) else _describe(cause)
        return ConnectionLost(f"{what}: {text}")

    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Run one IMAP command; every transport or protocol failure becomes MailboxError:
        ConnectionLost when the connection cannot be used again, plain MailboxError when
        the server answered NO or BAD (the connection is still in step)."""
        if self.broken:
            raise ConnectionLost(f"{what}: the connection was already lost")
        try:
            return fn(*args, **kwargs)
        except (OSError, IMAPClientAbortError, ProtocolError, ssl.SSLError) as exc:
            raise self._lost(what, exc) from exc
        except IMAPClientError as exc:
            raise MailboxError(f"{what}: {one_line(exc)}") from exc

    # --- folders ---------------------------------------------------------------------

    def has_capability(self, name: str) -> bool:
        return bool(self._call("CAPABILITY", self.client.has_capability, name))

    def find_sent(self) -> str | None:
        """The Sent folder: the one with the \\Sent SPECIAL-USE flag (any case: Cyrus
        lists `\\sent`), else the first folder with a common (localised) Sent name."""
        listed = self._call("LIST", self.client.list_folders)
        return sent_folder_of([(tuple(bytes(f) for f in flags), delim, str(name))
                               for flags, delim, name in listed])

    def select(self, folder: str) -> FolderState:
        try:
            info = self._call(f"SELECT {folder}", self.client.select_folder, folder)
        except ConnectionLost:
            raise
        except MailboxError as exc:
            text = str(exc).lower()
            if any(m in text for m in ("doesn't exist", "does not exist", "nonexistent",
                                       "no such mailbox", "unknown mailbox")):
                raise FolderMissing(f"folder {folder!r} does not exist on the server") from exc
            raise
        uidvalidity = info.get(b"UIDVALIDITY")
        if uidvalidity is None:
            raise MailboxError(f"SELECT {folder}: the server sent no UIDVALIDITY")
        state = FolderState(
            name=folder,
            uidvalidity=int(uidvalidity),
            uidnext=int(info[b"UIDNEXT"]) if info.get(b"UIDNEXT") is not None else None,
            exists=int(info.get(b"EXISTS", 0)),
        )
        self.folder = state
        return state

    # --- messages --------------------------------------------------------------------

    def uids_after(self, last_uid: int) -> list[int]:
        """UIDs above `last_uid`, ascending (`n:*` also matches the highest UID: filtered)."""
        found = self._call("SEARCH", self.client.search, ["UID", f"{last_uid + 1}:*"])
        return sorted(int(u) for u in found if int(u) > last_uid)

    def envelopes(self, uids: Sequence[int]) -> list[Envelope]:
        if not uids:
            return []
        data = self._call("FETCH", self.client.fetch, list(uids), ["RFC822.SIZE", "INTERNALDATE"])
        out = []
        for uid in uids:
            item = data.get(uid)
            if item is None:  # expunged meanwhile
                continue
            when = item.get(b"INTERNALDATE")
            out.append(Envelope(
                uid=uid, size=int(item.get(b"RFC822.SIZE", 0)),
                internal_date=when if isinstance(when, datetime) and when.tzinfo else None,
            ))
        return out

    def bodies(self, uids: Sequence[int]) -> dict[int, bytes]:
        """Whole messages, without setting \\Seen (BODY.PEEK)."""
        if not uids:
            return {}
        data = self._call("FETCH", self.client.fetch, list(uids), ["BODY.PEEK[]"])
        return {int(uid): bytes(item[b"BODY[]"]) for uid, item in data.items()
                if item.get(b"BODY[]") is not None}

    def headers(self, uids: Sequence[int]) -> dict[int, bytes]:
        """Only the header section, for messages too large to fetch whole."""
        if not uids:
            return {}
        data = self._call("FETCH", self.client.fetch, list(uids), ["BODY.PEEK[HEADER]"])
        return {int(uid): bytes(item[b"BODY[HEADER]"]) for uid, item in data.items()
                if item.get(b"BODY[HEADER]") is not None}

    def mark_seen(self, uids: Iterable[int]) -> None:
        todo = list(uids)
        if todo:
            self._call("STORE", self.client.add_flags, todo, [rb"\Seen"], silent=True)

    def append(self, folder: str, raw: bytes) -> None:
        """Store a copy of a mail the desk sent (`imap.append_sent`), marked \\Seen."""
        self._call(f"APPEND {folder}", self.client.append, folder, raw, flags=[rb"\Seen"])

    def move(self, uids: Iterable[int], folder: str) -> None:
        """Move processed mail. MOVE when offered; otherwise COPY and flag \\Deleted, never
        EXPUNGE (an EXPUNGE would also remove mail an operator flagged for deletion)."""
        todo = list(uids)
        if not todo:
            return
        if self.has_capability("MOVE"):
            self._call("MOVE", self.client.move, todo, folder)
        else:
            self._call("COPY", self.client.copy, todo, folder)
            self._call("STORE", self.client.add_flags, todo, [rb"\Deleted"], silent=True)

    # --- waiting for mail ------------------------------------------------------------

    def can_idle(self) -> bool:
        return self.settings.idle and self.has_capability("IDLE")

    def _imap(self) -> Any:
        return self.client._imap

    def _response(self, what: str) -> bytes | None:
        """One response read and filed by imaplib (blocking up to the socket timeout):
        its first line, or None for a continuation request."""
        try:
            resp = self._imap()._get_response()
        except (OSError, IMAPClientError, ssl.SSLError) as exc:
            raise self._lost(what, exc) from exc
        if resp is None:
            return None
        kind = _UNTAGGED.match(resp)
        if kind is not None:
            name = kind.group(1).upper()
            if name == b"BYE":
                said = bytes(resp[2:]).decode("utf-8", "replace")[:200]
                raise self._lost(what, f"the server ended the session: {said}")
            if name in _CHANGES:
                self._idle_changed = True
        return bytes(resp)

    def _tagged(self, tag: bytes) -> tuple[str, bytes] | None:
        imap = self._imap()
        done = imap.tagged_commands.get(tag)
        if done is None:
            return None
        imap.tagged_commands.pop(tag, None)
        typ, data = done
        return str(typ), bytes(data[0] or b"")

    def idle_start(self) -> None:
        """Send IDLE and wait for the server's go-ahead. Responses that come before it
        (the server reporting what changed since the last command) count as a change."""
        if self.broken:
            raise ConnectionLost("IDLE: the connection was already lost")
        self._idle_changed = False
        try:
            tag = self._imap()._command("IDLE")
        except (OSError, IMAPClientError, ssl.SSLError) as exc:
            raise self._lost("IDLE", exc) from exc
        while True:
            resp = self._response("IDLE")
            if resp is None:
                break
            done = self._tagged(tag)
            if done is not None:
                raise MailboxError(f"IDLE refused: {done[0]} {done[1].decode('utf-8', 'replace')}")
        self._idle_tag = tag

    def idle_wait(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds in IDLE; True when the server reported a change.
        End of file, BYE or a response that does not fit raise ConnectionLost at once."""
        if self.broken:
            raise ConnectionLost("IDLE: the connection was already lost")
        tag = self._idle_tag
        if tag is None:
            raise MailboxError("IDLE: not idling")
        if self._idle_changed:
            return True
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            ready = self._imap().line_ready(max(left, 0.0))
            if ready is None:
                raise self._lost("IDLE", "the server closed the connection (no BYE)")
            if not ready:
                return False
            resp = self._response("IDLE")
            if resp is None:
                raise self._lost("IDLE", "unexpected continuation request from the server")
            done = self._tagged(tag)
            if done is not None:  # the server ended IDLE by itself
                self._idle_tag = None
                if done[0] != "OK":
                    raise MailboxError(
                        f"IDLE ended by the server: {done[0]} {done[1].decode('utf-8', 'replace')}")
                return True
            if self._idle_changed:
                return True

    def idle_stop(self) -> None:
        """DONE, and the server's answer to IDLE read through (never sent on a connection
        that is out of step: the caller throws that away instead)."""
        tag, self._idle_tag = self._idle_tag, None
        if tag is None or self.broken:
            return
        try:
            self._imap().send(b"DONE\r\n")
        except OSError as exc:
            raise self._lost("DONE", exc) from exc
        while (done := self._tagged(tag)) is None:
            if self._response("DONE") is None:
                raise self._lost("DONE", "unexpected continuation request from the server")
        if done[0] != "OK":
            raise MailboxError(f"DONE: {done[0]} {done[1].decode('utf-8', 'replace')}")

    def noop(self) -> None:
        self._call("NOOP", self.client.noop)

    def arrived(self) -> bool:
        """Whether messages arrived in the selected folder since SELECT (or the last call).
        Asked between a catch-up and IDLE, which reports only what the client has not been
        told yet: without this, a message landing during the catch-up would wait for the
        poll. The server may have told us in the answer to any command since SELECT (a
        FETCH, a SEARCH), and imapclient hands back only the responses a command asked for;
        imaplib files every untagged response it reads, so the NOOP's and those are read
        from there."""
        self._call("NOOP", self.client.noop)
        kept = self._imap().untagged_responses  # reset by every SELECT
        counts = [int(n) for n in kept.pop("EXISTS", []) if bytes(n).strip().isdigit()]
        expunged = bool(kept.pop("EXPUNGE", []))
        if self.folder is None or not counts:
            return expunged  # an expunge may hide an arrival in an unchanged count
        grew = counts[-1] > self.folder.exists
        self.folder = replace(self.folder, exists=counts[-1])
        return grew or expunged


def _leaf(name: str, delimiter: str | None) -> str:
    """A folder's name below INBOX when the server keeps every folder there."""
    for sep in {delimiter or "", ".", "/"} - {""}:
        prefix = "INBOX" + sep
        if name.upper().startswith(prefix):
            return name[len(prefix):]
    return name


def _fold(name: str) -> str:
    return unicodedata.normalize("NFC", name).casefold().strip()


def sent_folder_of(listed: Sequence[tuple[tuple[bytes, ...], Any, str]]) -> str | None:
    """Pick the Sent folder from a LIST answer: (flags, delimiter, name) per folder."""
    usable = [(flags, d, name) for flags, d, name in listed
              if not any(f.lower() in (b"\\noselect", b"\\nonexistent") for f in flags)]
    for flags, _d, name in usable:
        if any(f.lower() == SENT_FLAG.lower() for f in flags):
            return name
    known = {_fold(n): rank for rank, n in enumerate(SENT_NAMES)}
    ranked = []
    for _flags, d, name in usable:
        delimiter = d.decode() if isinstance(d, bytes) else d
        rank = known.get(_fold(_leaf(name, delimiter)))
        if rank is not None:
            ranked.append((rank, name.upper().startswith("INBOX"), name))
    return min(ranked)[2] if ranked else None
