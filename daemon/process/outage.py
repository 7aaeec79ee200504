"""Database outages: the daemon's view of its database (available, or out since when) and
the way back.

Whatever meets a database error (the watchers, the sender, the schedule, the heartbeat,
the leadership) reports it with `failed()`. The first report of an outage logs
`database_unavailable` once; from then on the watchers wait (`wait_available`), nothing is
sent and the schedule skips its runs, while the one thread that drives the process (the
leader's main loop, or the standby's) probes the database in `recover()` with a capped,
jittered backoff, logging `database_reconnecting attempt=N delay_s=...` before each try.
The first probe that succeeds logs `database_recovered` with how long the database was out,
and everything resumes. Nothing exits and nothing spins.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable

import structlog
from sqlalchemy.exc import DBAPIError, PendingRollbackError

from config.settings import DatabaseSettings
from daemon.store.db import DATABASE_ERRORS
from daemon.text import one_line

log = structlog.get_logger("watchkeeper.database")

# How often a waiting watcher looks at the stop flag and at the database's state.
WAIT_STEP_SECONDS = 0.5
# A database that fails again within this long of its recovery continues the backoff where
# it was, instead of starting over: an error that comes back at once is not asked every
# half second.
SETTLE_SECONDS = 60.0


def describe(exc: BaseException) -> str:
    """The database's own error, in one line: a session that could not roll back
    (`PendingRollbackError`) names the error that broke it, which says what happened."""
    seen = exc
    for _ in range(5):
        if isinstance(seen, DBAPIError):
            return one_line(seen)
        if not isinstance(seen, PendingRollbackError):
            break
        nxt = seen.__cause__ or seen.__context__
        if nxt is None:
            break
        seen = nxt
    return one_line(exc)


class DatabaseState:
    """Available, or unavailable since a moment; `probe` is a call that succeeds only when
    the database answers and takes writes (the daemon's heartbeat)."""

    def __init__(self, settings: DatabaseSettings, probe: Callable[[], object]) -> None:
        self.settings = settings
        self._probe = probe
        self._available = threading.Event()
        self._available.set()
        self._lock = threading.Lock()
        self._since = 0.0
        self._attempt = 0
        self._recovered_at: float | None = None
        self._error = ""

    @property
    def available(self) -> bool:
        return self._available.is_set()

    def failed(self, exc: BaseException, where: str) -> None:
        """A database error met by `where` (a watcher, the sender, ...): the first one of an
        outage makes the database unavailable and is logged."""
        now = time.monotonic()
        with self._lock:
            self._error = describe(exc)
            if not self._available.is_set():
                return
            self._available.clear()
            self._since = now
            if self._recovered_at is None or now - self._recovered_at > SETTLE_SECONDS:
                self._attempt = 0
        log.error("database_unavailable", where=where, error=self._error,
                  hint="fetching and sending wait until the database answers")

    def wait_available(self, stop: threading.Event) -> bool:
        """Until the database is back (True) or `stop` is set (False)."""
        while not stop.is_set():
            if self._available.wait(WAIT_STEP_SECONDS):
                return True
        return False

    def recover(self, stop: threading.Event) -> bool:
        """Probe the unavailable database with backoff until it answers (True) or `stop`
        is set (False); returns True at once when it is available."""
        while not self._available.is_set():
            self._attempt += 1
            delay = self.delay(self._attempt)
            log.warning("database_reconnecting", attempt=self._attempt,
                        delay_s=round(delay, 2), error=self._error)
            if stop.wait(delay):
                return False
            try:
                self._probe()
            except DATABASE_ERRORS as exc:
                with self._lock:
                    self._error = describe(exc)
                continue
            self._recovered()
        return True

    def delay(self, attempt: int) -> float:
        """Exponential, capped, with jitter so that several daemons do not ask in step."""
        ceiling = min(self.settings.reconnect_max_seconds,
                      self.settings.reconnect_initial_seconds * (2 ** min(attempt - 1, 30)))
        return random.uniform(ceiling / 2, ceiling)  # jitter, not cryptography

    def _recovered(self) -> None:
        now = time.monotonic()
        with self._lock:
            down = now - self._since
            attempts = self._attempt
            self._recovered_at = now
            self._available.set()
        log.info("database_recovered", down_s=round(down, 1), attempts=attempts)
