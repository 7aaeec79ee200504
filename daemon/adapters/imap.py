"""The IMAP adapter: the only module that speaks IMAP (imapclient), with UIDs only."""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import imapclient
from imapclient.exceptions import IMAPClientError, LoginError

from config.settings import ConfigError, ImapSettings, is_loopback
from daemon.text import one_line

SENT_FLAG = rb"\Sent"


class MailboxError(Exception):
    """The mailbox cannot be used right now (connection lost, refused, timed out)."""


class AuthenticationFailed(MailboxError):
    """The server refused our credentials."""


class FolderMissing(MailboxError):
    """A watched folder does not exist on the server."""


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
        self._idling = False

    # --- connection ------------------------------------------------------------------

    def connect(self) -> None:
        s = self.settings
        if s.tls == "none" and not (is_loopback(s.host) or s.allow_insecure):
            raise ConfigError(
                f"imap.tls = 'none' with host {s.host!r} is refused: "
                "set imap.allow_insecure = true to allow it"
            )
        try:
            ctx = tls_context(s) if s.tls != "none" else None
            client = imapclient.IMAPClient(
                s.host, port=s.port, ssl=s.tls == "ssl", ssl_context=ctx,
                timeout=s.timeout_seconds, use_uid=True,
            )
        except (OSError, IMAPClientError) as exc:
            raise MailboxError(f"cannot connect to {s.host}:{s.port}: {one_line(exc)}") from exc
        client.normalise_times = False
        self._client = client
        try:
            if s.tls == "starttls":
                if not client.has_capability("STARTTLS"):
                    raise MailboxError(
                        f"{s.host}:{s.port} does not offer STARTTLS; refusing to log in in clear"
                    )
                # A failure here raises: never fall back to a plain connection.
                client.starttls(ctx)
            secret = s.secret()
            if s.auth == "xoauth2":
                client.oauth2_login(s.username, secret)
            else:
                client.login(s.username, secret)
        except LoginError as exc:
            self.close()
            raise AuthenticationFailed(
                f"{s.host}: login as {s.username!r} refused: {one_line(exc)}"
            ) from exc
        except (OSError, IMAPClientError, ssl.SSLError) as exc:
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
        client, self._client = self._client, None
        if client is None:
            return
        try:
            if self._idling:
                client.idle_done()
            client.logout()
        except Exception:  # the connection is being thrown away anyway
            with contextlib.suppress(Exception):  # nothing more can be done
                client.shutdown()
        finally:
            self._idling = False

    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Run one IMAP command; every transport or protocol failure becomes MailboxError."""
        try:
            return fn(*args, **kwargs)
        except (OSError, IMAPClientError, ssl.SSLError) as exc:
            raise MailboxError(f"{what}: {one_line(exc)}") from exc

    # --- folders ---------------------------------------------------------------------

    def has_capability(self, name: str) -> bool:
        return bool(self._call("CAPABILITY", self.client.has_capability, name))

    def find_sent(self) -> str | None:
        """The folder carrying the \\Sent special-use flag, if the server marks one."""
        found = self._call("LIST", self.client.find_special_folder, SENT_FLAG)
        return str(found) if found else None

    def select(self, folder: str) -> FolderState:
        try:
            info = self.client.select_folder(folder)
        except IMAPClientError as exc:
            if "doesn't exist" in str(exc).lower() or "nonexistent" in str(exc).lower():
                raise FolderMissing(f"folder {folder!r} does not exist on the server") from exc
            raise MailboxError(f"SELECT {folder}: {one_line(exc)}") from exc
        except (OSError, ssl.SSLError) as exc:
            raise MailboxError(f"SELECT {folder}: {one_line(exc)}") from exc
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

    def idle_start(self) -> None:
        self._call("IDLE", self.client.idle)
        self._idling = True

    def idle_check(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds; True when the server reported a change."""
        responses = self._call("IDLE", self.client.idle_check, timeout=timeout)
        return bool(responses)

    def idle_stop(self) -> None:
        if self._idling:
            self._idling = False
            self._call("DONE", self.client.idle_done)

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
        kept = self.client._imap.untagged_responses  # reset by every SELECT
        counts = [int(n) for n in kept.pop("EXISTS", []) if bytes(n).strip().isdigit()]
        expunged = bool(kept.pop("EXPUNGE", []))
        if self.folder is None or not counts:
            return expunged  # an expunge may hide an arrival in an unchanged count
        grew = counts[-1] > self.folder.exists
        self.folder = replace(self.folder, exists=counts[-1])
        return grew or expunged
