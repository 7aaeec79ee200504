"""Fixtures: real Dovecot, real SMTP sink, SQLite and PostgreSQL databases at the schema head."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from daemon.store.db import make_engine, session_factory, upgrade
from models import Base
from tests.cli_runner import cli_zygote, process_env
from tests.servers import (
    Cyrus,
    CyrusUnavailable,
    Dovecot,
    PrivatePostgres,
    Pymap,
    SmtpSink,
    SplitProxy,
    create_pg_database,
    drop_pg_database,
    running_cyrus,
    running_dovecot,
    running_pymap,
    split_proxy,
)

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def dovecot_server() -> Iterator[Dovecot]:
    with running_dovecot() as server:
        yield server


@pytest.fixture
def dovecot(dovecot_server: Dovecot) -> Dovecot:
    """The session's Dovecot with an empty mailbox for this test."""
    dovecot_server.reset_user()
    if dovecot_server.master_pid() is None:
        dovecot_server.restart()
    return dovecot_server


@pytest.fixture(scope="session")
def dovecot_tls_server() -> Iterator[Dovecot]:
    """A second private Dovecot that also serves implicit TLS with a self-signed
    certificate (its `ca_file`), started only for the tests that ask for it."""
    with running_dovecot(tls=True) as server:
        yield server


@pytest.fixture
def dovecot_tls(dovecot_tls_server: Dovecot) -> Dovecot:
    dovecot_tls_server.reset_user()
    if dovecot_tls_server.master_pid() is None:
        dovecot_tls_server.restart()
    return dovecot_tls_server


@pytest.fixture
def proxy(dovecot: Dovecot) -> Iterator[SplitProxy]:
    """The splitting, cutting proxy in front of this test's Dovecot."""
    with split_proxy(dovecot.port) as p:
        yield p


@pytest.fixture
def pymap() -> Iterator[Pymap]:
    """A fresh pymap server (in memory, its own process) with INBOX and Sent."""
    with running_pymap() as server:
        yield server


def _cyrus(push: bool) -> Iterator[Cyrus]:
    try:
        with running_cyrus(push=push) as server:
            yield server
    except CyrusUnavailable as exc:
        # Loud, one line: a machine that cannot fetch Debian's packages must not pass
        # these tests by skipping them.
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def cyrus_server() -> Iterator[Cyrus]:
    yield from _cyrus(push=True)


@pytest.fixture(scope="session")
def cyrus_silent_server() -> Iterator[Cyrus]:
    yield from _cyrus(push=False)


@pytest.fixture
def cyrus(cyrus_server: Cyrus) -> Cyrus:
    """The session's Cyrus IMAP (IDLE pushes, through idled) with a new, empty user."""
    if cyrus_server.proc is None:
        cyrus_server.restart()
    cyrus_server.new_user()
    return cyrus_server


@pytest.fixture
def cyrus_silent(cyrus_silent_server: Cyrus) -> Cyrus:
    """A Cyrus IMAP whose IDLE reports nothing for a minute (no idled, the default
    imapidlepoll of 60 s), with a new, empty user."""
    cyrus_silent_server.new_user()
    return cyrus_silent_server


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.start()
    try:
        yield sink
    finally:
        sink.stop()


@pytest.fixture
def smtp_sink(smtp_server: SmtpSink) -> Iterator[SmtpSink]:
    """The session's SMTP sink, emptied and without injected failures."""
    smtp_server.handler.clear()
    if smtp_server._controller is None:
        smtp_server.start()
    yield smtp_server
    smtp_server.handler.clear()


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A PostgreSQL database for this test session, migrated to head once."""
    url = create_pg_database()
    try:
        upgrade(url)
        yield url
    finally:
        drop_pg_database(url)


def _truncate(engine: Engine) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database at the schema head, empty: SQLite file or the session's PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'watchkeeper.db'}"
        upgrade(url)
        yield url
    else:
        url = request.getfixturevalue("pg_url")
        engine = make_engine(url, pooled=False)
        _truncate(engine)
        engine.dispose()
        yield url


@pytest.fixture(scope="session")
def private_pg_server() -> Iterator[PrivatePostgres]:
    server = PrivatePostgres()
    try:
        server.init()
        upgrade(server.url)
        yield server
    finally:
        server.destroy()


@pytest.fixture
def private_pg(private_pg_server: PrivatePostgres) -> PrivatePostgres:
    """A PostgreSQL cluster of this test session's own, running, at the schema head and
    empty: the test may stop and start it (an outage) without touching the shared one."""
    if not private_pg_server.running():
        private_pg_server.start()
    engine = make_engine(private_pg_server.url, pooled=False)
    _truncate(engine)
    engine.dispose()
    return private_pg_server


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)


def run_cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
            timeout: float = 120, input: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real `watchkeeper` command of this checkout in a process of its own: a
    fork of this worker's CLI zygote (tests/cli_zygote.py), which has done the import
    once, with this environment, working directory, input and exit code."""
    return cli_zygote().run(list(args), env=process_env(env), cwd=cwd or REPO,
                            timeout=timeout, input=input)


def _stray_daemons() -> list[int]:
    """`watchkeeper run` processes this test session started and that still run."""
    from tests.servers import _children

    found = []
    for pid in _children(os.getpid()):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"daemon.cli" in cmdline and b"run" in cmdline:
            found.append(pid)
    return found


@pytest.fixture(autouse=True)
def no_daemon_left_running() -> Iterator[None]:
    """A test that leaves a daemon running fails, and the daemon is killed: it would hold
    the leader lock of the shared PostgreSQL database and fail every test after it."""
    yield
    stray = _stray_daemons()
    if not stray:
        return
    import signal
    import time

    for pid in stray:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(Path(f"/proc/{p}").exists() and
                                              b"Z" not in _state(p) for p in stray):
        time.sleep(0.05)
    pytest.fail(f"the test left {len(stray)} watchkeeper daemon(s) running (killed)")


def _state(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/stat").read_bytes().rsplit(b")", 1)[1].split()[0]
    except (OSError, IndexError):
        return b"Z"
