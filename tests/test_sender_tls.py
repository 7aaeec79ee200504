"""The sender over TLS: implicit TLS and STARTTLS with certificate checks, and AUTH."""

from __future__ import annotations

import asyncio
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from structlog.testing import capture_logs

from config.settings import Settings
from daemon.cases.transitions import mail_sent
from daemon.outbound.delivery import deliver_pending
from daemon.process.clock import ManualClock
from models import OutboxMail
from tests.servers import SinkHandler, free_port
from tests.test_sender import OFFICIAL, T0, plan


@dataclass
class Pki:
    ca: Path
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(self.cert, self.key)
        return ctx


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """A private CA and a certificate for 127.0.0.1 signed by it."""
    d = tmp_path_factory.mktemp("pki")
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
             "-subj", "/CN=Test CA", "-keyout", "ca.key", "-out", "ca.pem",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
             "-keyout", "server.key", "-out", "server.csr", cwd=d)
    (d / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1\n"
                               "extendedKeyUsage=serverAuth\n")
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
             "-CAcreateserial", "-days", "2", "-out", "server.pem", "-extfile", "ext.cnf",
             cwd=d)
    return Pki(ca=d / "ca.pem", cert=d / "server.pem", key=d / "server.key")


class TlsSink:
    """A real aiosmtpd server in a thread, over implicit TLS or with required STARTTLS."""

    def __init__(self, pki: Pki, mode: str, users: dict[str, str] | None = None) -> None:
        self.handler = SinkHandler()
        self.port = free_port()
        self.logins: list[str] = []
        params: dict[str, Any] = {}
        if users is not None:
            def authenticator(server: Any, session: Any, envelope: Any, mechanism: str,
                              auth_data: Any) -> AuthResult:
                ok = (isinstance(auth_data, LoginPassword)
                      and users.get(auth_data.login.decode()) == auth_data.password.decode())
                if ok:
                    self.logins.append(auth_data.login.decode())
                return AuthResult(success=ok, handled=False)

            params.update(authenticator=authenticator, auth_require_tls=True, auth_required=True,
                          auth_exclude_mechanism=["LOGIN"])
        if mode == "ssl":
            self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port,
                                         ssl_context=pki.server_context(), ready_timeout=10,
                                         **params)
        else:
            self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port,
                                         tls_context=pki.server_context(),
                                         require_starttls=True, ready_timeout=10, **params)

    def __enter__(self) -> TlsSink:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


@pytest.fixture
def implicit(pki: Pki) -> Iterator[TlsSink]:
    with TlsSink(pki, "ssl") as sink:
        yield sink


@pytest.fixture
def starttls(pki: Pki) -> Iterator[TlsSink]:
    with TlsSink(pki, "starttls", users={"desk": "smtp-secret"}) as sink:
        yield sink


def settings_for(db_url: str, sink: TlsSink, **smtp: Any) -> Settings:
    return Settings(
        database={"url": db_url},
        smtp={"host": "127.0.0.1", "port": sink.port, "retry_initial_seconds": 30, **smtp},
        desk={"official_address": OFFICIAL, "operators": ["duty@ncc.gov.example"]},
    )


def statuses(sessions: sessionmaker[Session]) -> list[tuple[str, str | None]]:
    with sessions() as s:
        return [(r.status, r.last_error) for r in s.scalars(select(OutboxMail))]


def test_implicit_tls_with_the_configured_ca_delivers(
    db_url: str, sessions: sessionmaker[Session], implicit: TlsSink, pki: Pki,
) -> None:
    """tls = ssl with `smtp.ca_file`: the certificate is checked against that CA, mail goes."""
    settings = settings_for(db_url, implicit, tls="ssl", ca_file=str(pki.ca))
    plan(sessions, settings)
    assert asyncio.run(deliver_pending(settings, sessions, ManualClock(T0),
                                       on_sent=mail_sent)) == 1
    assert len(implicit.handler.wait_for(1)) == 1
    assert statuses(sessions) == [("sent", None)]


def test_implicit_tls_with_an_unknown_ca_sends_nothing(
    db_url: str, sessions: sessionmaker[Session], implicit: TlsSink,
) -> None:
    """A certificate the system CAs do not vouch for is refused: nothing sent, retry later."""
    settings = settings_for(db_url, implicit, tls="ssl")
    plan(sessions, settings)
    assert asyncio.run(deliver_pending(settings, sessions, ManualClock(T0),
                                       on_sent=mail_sent)) == 0
    assert implicit.handler.received == []
    [(status, error)] = statuses(sessions)
    assert status == "pending" and error is not None and "CERTIFICATE_VERIFY_FAILED" in error


def test_starttls_and_login_deliver(
    db_url: str, sessions: sessionmaker[Session], starttls: TlsSink, pki: Pki,
) -> None:
    """tls = starttls: the connection is upgraded and checked before AUTH, then mail goes."""
    settings = settings_for(db_url, starttls, tls="starttls", ca_file=str(pki.ca),
                            port=starttls.port, username="desk", password="smtp-secret")
    plan(sessions, settings, 3)
    assert asyncio.run(deliver_pending(settings, sessions, ManualClock(T0),
                                       on_sent=mail_sent)) == 3
    assert len(starttls.handler.wait_for(3)) == 3
    assert starttls.logins == ["desk"]  # one connection, one login, for the burst


def test_wrong_password_keeps_mail_pending_without_leaking_it(
    db_url: str, sessions: sessionmaker[Session], starttls: TlsSink, pki: Pki,
) -> None:
    """A refused login sends nothing, keeps the mail for retry, and never records the password."""
    settings = settings_for(db_url, starttls, tls="starttls", ca_file=str(pki.ca),
                            username="desk", password="wrong-secret")
    plan(sessions, settings)
    with capture_logs() as logs:
        assert asyncio.run(deliver_pending(settings, sessions, ManualClock(T0),
                                           on_sent=mail_sent)) == 0
    assert starttls.handler.received == []
    [(status, error)] = statuses(sessions)
    assert status == "pending" and error is not None and "535" in error
    assert "wrong-secret" not in error
    assert [e["event"] for e in logs if e["log_level"] == "error"] == ["smtp_login_failed"]
    assert "wrong-secret" not in repr(logs)
