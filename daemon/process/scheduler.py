"""The daemon's schedule: thin APScheduler jobs that wake up `jobs.run_due`.

Jobs hold no state of their own. Each one asks the database what is due at the clock's
instant, so the schedule can be stopped and started (or the daemon restarted) at any time
without losing or repeating anything. While the database is unavailable the runs are
skipped; a database error in a run is reported to the daemon's `DatabaseState`.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import structlog
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from daemon.process import jobs
from daemon.process.context import AppContext
from daemon.process.outage import DatabaseState
from daemon.store.db import DATABASE_ERRORS

log = structlog.get_logger("watchkeeper.scheduler")

_scheduler: BackgroundScheduler | None = None
# The interval job and the digest job never run due work at the same time.
_running = threading.Lock()


def tick(ctx: AppContext, database: DatabaseState | None = None) -> None:
    """Run whatever is due now; skipped when the previous run has not finished or the
    database is unavailable."""
    if database is not None and not database.available:
        return
    if not _running.acquire(blocking=False):
        log.info("due_work_skipped", reason="previous run still busy")
        return
    try:
        jobs.run_due(ctx.settings, ctx.sessions, ctx.clock)
    except DATABASE_ERRORS as exc:
        if database is None:
            raise
        database.failed(exc, "scheduler")
    finally:
        _running.release()


def start(ctx: AppContext, database: DatabaseState | None = None) -> BackgroundScheduler:
    """Start the schedule in a background thread: due work every `schedule.tick_seconds`
    (the first run at once) and at `schedule.digest_at` in the desk's zone.

    The triggers follow the wall clock; what is due is decided by `ctx.clock`, so a test
    with a `ManualClock` sees the jobs wake up and act at the clock's instant."""
    global _scheduler
    if _scheduler is not None:
        return _scheduler
    settings = ctx.settings
    zone = settings.desk.zone
    scheduler = BackgroundScheduler(timezone=zone)
    scheduler.add_job(
        tick, "interval", args=(ctx, database), id="due_work",
        seconds=settings.schedule.tick_seconds, next_run_time=datetime.now(UTC),
        max_instances=1, coalesce=True, misfire_grace_time=None,
    )
    at = settings.schedule.digest_at
    scheduler.add_job(
        tick, CronTrigger(hour=at.hour, minute=at.minute, second=at.second, timezone=zone),
        args=(ctx, database), id="digest", max_instances=1, coalesce=True,
        misfire_grace_time=3600,
    )
    scheduler.start()
    _scheduler = scheduler
    log.info("scheduler_started", tick_seconds=settings.schedule.tick_seconds,
             digest_at=at.isoformat(), timezone=zone.key)
    return scheduler


def stop() -> None:
    """Stop the schedule, waiting for a run in progress to finish."""
    global _scheduler
    scheduler, _scheduler = _scheduler, None
    if scheduler is None:
        return
    scheduler.shutdown(wait=True)
    log.info("scheduler_stopped")
