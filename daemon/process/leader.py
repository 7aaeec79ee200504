"""High availability: exactly one `watchkeeper run` leads (ingest, sending, scheduling).

On PostgreSQL the leader holds a session-level advisory lock on a connection of its own;
the server drops the lock the moment that connection dies (the process was killed, the
host vanished, the database restarted), and a standby that retries every few seconds
takes over. A leader whose lock connection dies stands down at once and tries to lead
again as soon as the database answers: only another leader makes it a standby. On SQLite
there is no standby: an exclusive `flock` on a file next to the database makes a second
instance refuse to start with one clear line.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import time
from pathlib import Path
from typing import IO, TYPE_CHECKING

import structlog
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.pool import NullPool

from daemon.process.errors import LeadershipHeld, LeadershipRefused, PassFailed
from daemon.store.db import DATABASE_ERRORS
from daemon.store.instances import HEARTBEAT_SECONDS, LEADER, STANDBY
from daemon.text import one_line

if TYPE_CHECKING:
    from daemon.process.service import Service

log = structlog.get_logger("watchkeeper.leader")

# "WKLD": one lock per database; every instance of the desk on that database competes for it.
LOCK_KEY = 0x574B4C44
RETRY_SECONDS = 3.0  # a standby asks again this often: takeover well within 30 s


class Leadership:
    """The leader lock of one database: `acquire()` (never blocks), `is_leader`, `release()`."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.backend = "postgresql" if url.startswith("postgresql") else "sqlite"
        self._engine: Engine | None = None
        self._conn: Connection | None = None
        self._file: IO[str] | None = None
        self._leader = False

    @property
    def is_leader(self) -> bool:
        return self._leader

    def acquire(self) -> bool:
        """Try once to become the leader. On SQLite, raise `LeadershipRefused` when another
        instance holds the database; on PostgreSQL, return False while another instance
        leads (stand by and retry), and raise the database's error when it does not
        answer."""
        if self._leader:
            return True
        if self.backend == "sqlite":
            self._leader = self._lock_file()
            return True
        try:
            conn = self._connection()
            got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"),
                                    {"k": LOCK_KEY}).scalar())
        except Exception:  # no database, no leadership: the caller waits the outage out
            self._drop_connection()
            raise
        self._leader = got
        return got

    def check(self) -> bool:
        """Is the lock still ours? On PostgreSQL the lock lives as long as its connection."""
        if not self._leader or self.backend == "sqlite":
            return self._leader
        try:
            assert self._conn is not None
            self._conn.execute(text("SELECT 1")).scalar()
        except Exception as exc:  # the connection died: the server has dropped the lock
            log.error("leadership_lost", error=one_line(exc))
            self._leader = False
            self._drop_connection()
        return self._leader

    def release(self) -> None:
        if self.backend == "sqlite":
            if self._file is not None:
                fcntl.flock(self._file, fcntl.LOCK_UN)
                self._file.close()
                self._file = None
        else:
            if self._leader and self._conn is not None:
                try:
                    self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
                except Exception as exc:  # closing the connection releases it anyway
                    log.warning("leader_unlock_failed", error=one_line(exc))
            self._drop_connection()
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None
        self._leader = False

    # --- PostgreSQL ----------------------------------------------------------------------

    def _connection(self) -> Connection:
        if self._conn is None:
            if self._engine is None:
                url = self.url
                if url.startswith("postgresql://"):
                    url = "postgresql+psycopg://" + url[len("postgresql://"):]
                # Keepalives: a leader cut off from the database notices within seconds.
                self._engine = create_engine(
                    url, poolclass=NullPool, isolation_level="AUTOCOMMIT",
                    connect_args={"connect_timeout": 10, "keepalives": 1,
                                  "keepalives_idle": 10, "keepalives_interval": 3,
                                  "keepalives_count": 3,
                                  "application_name": "watchkeeper-leader"},
                )
            self._conn = self._engine.connect()
        return self._conn

    def _drop_connection(self) -> None:
        if self._conn is not None:
            # An already broken connection has nothing left to close cleanly.
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None

    # --- SQLite --------------------------------------------------------------------------

    def _lock_file(self) -> bool:
        database = make_url(self.url).database
        if not database or database == ":memory:":
            return True
        path = Path(database).with_name(Path(database).name + ".lock")
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise LeadershipRefused(
                f"another watchkeeper run ({holder}) already uses {database}; SQLite allows "
                "one daemon: stop it first, or use PostgreSQL for a standby") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} on {socket.gethostname()}")
        handle.flush()
        self._file = handle
        return True


def serve(service: Service, leadership: Leadership, *, once: bool = False) -> None:
    """Lead whenever this instance can, until the process is told to stop.

    While another instance leads, stand by; once leading, do the leader's work
    (`service.run_forever`) until the stop, or until the lock is lost: then stand down at
    once and try to lead again. A database that does not answer is waited out. Returns
    after a stop. Raises `LeadershipRefused` when SQLite is already held by another
    instance; with `once`, `LeadershipHeld` while another instance leads and `PassFailed`
    when the pass failed.
    """
    if once:
        _once(service, leadership)
        return
    refused = False
    try:
        while not service.shutdown.is_set():
            try:
                leading = leadership.acquire() or _stand_by(service, leadership)
            except DATABASE_ERRORS as exc:
                service.database.failed(exc, "leadership")
                service.database.recover(service.shutdown)
                continue
            if not leading:
                continue
            log.info("leadership_acquired", instance=service.instance_id,
                     backend=leadership.backend)
            service.run_forever(still_leading=leadership.check)
    except LeadershipRefused:
        refused = True  # nothing of this instance was written: nothing to mark stopped
        raise
    finally:
        leadership.release()
        if not refused:
            service.finish()


def _once(service: Service, leadership: Leadership) -> None:
    try:
        try:
            leading = leadership.acquire()
        except DATABASE_ERRORS as exc:
            raise PassFailed(f"database: {one_line(exc)}") from exc
        if not leading:
            raise LeadershipHeld("another instance leads this database: nothing to do with "
                                 "--once")
        service.role = LEADER
        log.info("leadership_acquired", instance=service.instance_id, backend=leadership.backend)
        service.run_once()
    finally:
        leadership.release()


def _stand_by(service: Service, leadership: Leadership) -> bool:
    """Wait as a standby until the lock is ours (True) or a stop signal came (False);
    a database error is raised to the caller."""
    log.info("standing_by", instance=service.instance_id, retry_s=RETRY_SECONDS)
    service.role = STANDBY
    next_beat = 0.0
    while True:
        if time.monotonic() >= next_beat:
            service.beat()
            next_beat = time.monotonic() + HEARTBEAT_SECONDS
        service.settle_unrecorded()  # a leader that stood down in an outage may hold some
        if service.shutdown.wait(RETRY_SECONDS):
            return False
        if leadership.acquire():
            return True
