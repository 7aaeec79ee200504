"""The SMTP adapter: the only module that speaks SMTP (aiosmtplib).

It opens one connection, sends mails over it and says what the server answered, as an
`Outcome` per mail; it knows nothing of the outbox, cases or alerts. Certificates and host
names are checked whenever TLS is used; STARTTLS that fails is an error, never a fall-back
to plain text.
"""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass
from functools import lru_cache
from types import TracebackType

import aiosmtplib

from config.settings import SmtpSettings

SENT, TEMPORARY, PERMANENT = "sent", "temporary", "permanent"


@dataclass(frozen=True)
class Outcome:
    """What the server said about one mail: `result` is SENT, TEMPORARY or PERMANENT.

    `whole_mail` marks a refusal of the mail itself (at MAIL FROM or DATA), which the
    server gives to every mail when it cannot take any, unlike a refused recipient."""

    result: str
    error: str | None = None
    refused: tuple[tuple[str, str], ...] = ()
    connection_lost: bool = False
    whole_mail: bool = False


class SmtpUnavailable(Exception):
    """No session could be opened: the server is unreachable or refused to talk (one line).

    `login_refused` tells a configuration problem (credentials) from an outage."""

    def __init__(self, message: str, *, login_refused: bool = False) -> None:
        super().__init__(message)
        self.login_refused = login_refused


@lru_cache(maxsize=1)
def _local_hostname() -> str:
    return socket.getfqdn()


def tls_context(smtp: SmtpSettings) -> ssl.SSLContext:
    """Certificate and host name checks on, with the configured extra CA if any."""
    return ssl.create_default_context(cafile=str(smtp.ca_file) if smtp.ca_file else None)


def describe(exc: BaseException) -> str:
    """One line for an SMTP failure: the server's code and text, or the transport error."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        if len(exc.recipients) == 1:
            return f"{exc.recipients[0].code} {exc.recipients[0].message}"
        return "; ".join(f"{e.recipient}: {e.code} {e.message}" for e in exc.recipients)
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return f"{exc.code} {exc.message}"
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def classify(exc: BaseException) -> Outcome:
    """5xx: permanent. 4xx, timeouts and lost connections: temporary."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        permanent = all(e.code >= 500 for e in exc.recipients)
        return Outcome(PERMANENT if permanent else TEMPORARY, describe(exc))
    if isinstance(exc, aiosmtplib.SMTPResponseException) and not isinstance(
        exc, aiosmtplib.SMTPConnectResponseError
    ):
        return Outcome(PERMANENT if exc.code >= 500 else TEMPORARY, describe(exc),
                       whole_mail=True)
    return Outcome(TEMPORARY, describe(exc), connection_lost=True)


class Connection:
    """One SMTP session: `async with Connection(settings, secret) as smtp: await smtp.send(...)`.

    Entering connects (TLS as configured) and logs in when a user name is set, or raises
    `SmtpUnavailable`; leaving says QUIT, or drops the connection when that fails."""

    def __init__(self, settings: SmtpSettings, secret: str = "") -> None:
        self.settings = settings
        self._secret = secret
        secure = settings.tls != "none"
        self._client = aiosmtplib.SMTP(
            hostname=settings.host,
            port=settings.port,
            use_tls=settings.tls == "ssl",
            start_tls=settings.tls == "starttls",
            tls_context=tls_context(settings) if secure else None,
            timeout=settings.timeout_seconds,
            local_hostname=_local_hostname(),
        )

    @property
    def connected(self) -> bool:
        return bool(self._client.is_connected)

    async def __aenter__(self) -> Connection:
        logging_in = False
        try:
            await self._client.connect()
            if self.settings.username:
                logging_in = True
                await self._client.login(self.settings.username, self._secret)
        except (aiosmtplib.SMTPException, OSError) as exc:
            self.abort()
            # Refused credentials, or no AUTH offered at all: the login cannot work as set.
            # (A dropped connection or a timeout, OSErrors both, is an outage.)
            refused = logging_in and not isinstance(exc, OSError)
            raise SmtpUnavailable(describe(exc), login_refused=refused) from exc
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        if not self._client.is_connected:
            return
        try:
            await self._client.quit()
        except (aiosmtplib.SMTPException, OSError):
            self.abort()

    def abort(self) -> None:
        """Drop the connection without QUIT (the process would die like this)."""
        if self._client.is_connected:
            self._client.close()

    async def send(self, mail_from: str, recipients: tuple[str, ...], raw: bytes) -> Outcome:
        """Send one mail; the server's answer as an Outcome (never raises for SMTP)."""
        try:
            refused, _reply = await self._client.sendmail(mail_from, list(recipients), raw)
        except (aiosmtplib.SMTPException, OSError) as exc:
            return classify(exc)
        return Outcome(SENT, refused=tuple(
            (address, f"{resp.code} {resp.message}") for address, resp in refused.items()
        ))
