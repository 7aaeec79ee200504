"""Database engines and sessions: SQLite (WAL, foreign keys, 0600 file) or PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import (
    DisconnectionError,
    InterfaceError,
    OperationalError,
    PendingRollbackError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

import migrations
from daemon.text import one_line

# What the database raises when it cannot be reached or used right now: the server down or
# restarting, a connection cut, a SQLite file locked, unreadable or on a full disk. The
# daemon waits such an error out as a database outage; it is never the mailbox's or the
# mail's fault. A statement the database refuses (a missing table, a constraint) is not an
# outage but a fault of the code or the schema: the caller reports it as what it is.
DATABASE_ERRORS: tuple[type[Exception], ...] = (
    OperationalError, InterfaceError, DisconnectionError, PendingRollbackError,
    PoolTimeoutError,
)
# SQLite reports a statement it cannot run on this schema with the same error class as a
# locked or unreadable file; these are the schema's messages, not an outage's.
_SQLITE_SCHEMA = ("no such table", "no such column", "has no column named", "syntax error")


def is_outage(exc: BaseException) -> bool:
    """Whether a database error means the database cannot be used right now (wait it out),
    rather than that it refused this statement (a fault of the code or the schema)."""
    if not isinstance(exc, DATABASE_ERRORS):
        return False
    text = str(getattr(exc, "orig", None) or exc).lower()
    return not (isinstance(exc, OperationalError) and text.startswith(_SQLITE_SCHEMA))


# A PostgreSQL server that does not answer (a host gone, a network cut) fails the
# connection within this many seconds instead of the system's TCP timeout.
CONNECT_TIMEOUT_SECONDS = 10


class DatabaseError(Exception):
    """The database cannot be used as it is (unreachable, behind the code, ...)."""


class DatabaseUnreachable(DatabaseError):
    """The database did not answer; `detail` is the driver's line."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"cannot reach the database: {detail}")
        self.detail = detail


def _prepare_sqlite_file(url: str) -> None:
    database = make_url(url).database
    if not database or database == ":memory:":
        return
    path = Path(database)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        # Created here, before SQLite does, so that the mail it will hold is not world-readable.
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
        os.close(fd)


def make_engine(url: str, *, echo: bool = False, pooled: bool = True,
                busy_timeout: float = 30.0) -> Engine:
    """An engine with the per-backend settings the daemon relies on. `busy_timeout`: how
    long a SQLite write waits for another process's lock before it fails."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    if url.startswith("sqlite"):
        _prepare_sqlite_file(url)
        extra: dict[str, Any] = {} if pooled else {"poolclass": NullPool}
        engine = create_engine(url, echo=echo, connect_args={"timeout": busy_timeout}, **extra)
        busy_ms = max(1, int(busy_timeout * 1000))

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy issue BEGIN itself so that BEGIN IMMEDIATE is possible.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={busy_ms}")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            # Writers take the lock at BEGIN: no upgrade deadlocks between two processes.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    connect = {"connect_timeout": CONNECT_TIMEOUT_SECONDS}
    if not pooled:
        return create_engine(url, echo=echo, poolclass=NullPool, connect_args=connect)
    return create_engine(url, echo=echo, pool_pre_ping=True, connect_args=connect)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any exception."""
    with factory() as session, session.begin():
        yield session


def alembic_config(url: str) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(Path(migrations.__file__).parent))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def head_revision(url: str) -> str | None:
    return ScriptDirectory.from_config(alembic_config(url)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(url: str, revision: str = "head") -> None:
    if url.startswith("sqlite"):
        _prepare_sqlite_file(url)
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


def check_schema(engine: Engine, url: str) -> None:
    """Refuse to run on a database whose schema is not the code's."""
    head = head_revision(url)
    try:
        current = current_revision(engine)
    except Exception as exc:  # the driver's own error family differs per backend
        raise DatabaseUnreachable(one_line(exc, named=False)) from exc
    if current != head:
        state = "empty" if current is None else f"at revision {current}"
        raise DatabaseError(
            f"the database is {state}, the code needs {head}: run 'watchkeeper db upgrade'"
        )
