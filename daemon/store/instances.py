"""The rows of the running daemons: who runs where, in which role, and the heartbeat.

Each `watchkeeper run` writes its own row every `HEARTBEAT_SECONDS` (the role it has now,
the time) and marks it stopped when it ends. Whoever reads the rows (`status`, the outbox
deciding whether a lease's holder is gone) takes a row whose heartbeat is older than
`DOWN_AFTER` (status) or `STALE_AFTER` (the outbox) for a daemon that no longer runs.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from daemon import __version__
from daemon.store.db import transaction
from models import DaemonInstance

HEARTBEAT_SECONDS = 15.0
# `status` reports a daemon down once three beats are missed: at most 45 s after its last
# beat, so within a minute of its death whenever between two beats it died.
DOWN_AFTER = timedelta(seconds=3 * HEARTBEAT_SECONDS)
# A lease's holder is taken for gone only after four missed beats: releasing the mail of a
# daemon that is only slow could send it twice, so this waits longer than `status` does.
STALE_AFTER = timedelta(seconds=4 * HEARTBEAT_SECONDS)
LEADER, STANDBY = "leader", "standby"


def beat(sessions: sessionmaker[Session], instance_id: str, role: str, now: datetime, *,
         stopping: bool = False) -> None:
    """Write this process's row: its role and a fresh heartbeat; `stopping` marks it stopped
    (the row is created on the first beat)."""
    with transaction(sessions) as session:
        row = session.get(DaemonInstance, instance_id)
        if row is None:
            row = DaemonInstance(
                instance_id=instance_id, host=socket.gethostname()[:255], pid=os.getpid(),
                role=role, version=__version__[:32], started_at=now, heartbeat_at=now,
            )
            session.add(row)
        row.role = role
        row.heartbeat_at = now
        row.stopped_at = now if stopping else None
