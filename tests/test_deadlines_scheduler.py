"""The schedule inside `watchkeeper run`: thin APScheduler jobs that run the due work."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from daemon.process import scheduler
from daemon.process.clock import ManualClock
from daemon.process.context import AppContext
from tests.test_deadlines_support import desk_settings, open_case, outbox


def _wait_until(check: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Poll for the background thread's work (the clock itself is never slept on)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return check()


def test_scheduler_runs_due_work_at_start_and_on_the_digest_schedule(
        db_url: str, sessions: sessionmaker[Session]) -> None:
    """`start` runs due work at once (the reminder and the day's digest appear), schedules
    the digest at digest_at in the desk's zone, and `stop` ends the jobs."""
    settings = desk_settings(db_url).model_copy(
        update={"schedule": desk_settings(db_url).schedule.model_copy(
            update={"tick_seconds": 3600})})
    now = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
    ref = open_case(sessions, settings, now - timedelta(hours=3), urgent=True)
    ctx = AppContext(settings, clock=ManualClock(now))
    try:
        running = scheduler.start(ctx)
        assert scheduler.start(ctx) is running  # a second start is the same schedule
        jobs = {job.id: job for job in running.get_jobs()}
        assert set(jobs) == {"due_work", "digest"}
        digest_trigger = str(jobs["digest"].trigger)
        assert "hour='7'" in digest_trigger and "minute='30'" in digest_trigger
        assert str(jobs["digest"].trigger.timezone) == "Europe/Paris"
        assert _wait_until(lambda: len(outbox(sessions, "reminder")) == 1)
        assert _wait_until(lambda: len(outbox(sessions, "digest")) == 1)
        assert [r.key for r in outbox(sessions, "reminder")] == [f"reminder:start:{ref}"]
    finally:
        scheduler.stop()
        ctx.close()
    assert not running.running
    scheduler.stop()  # stopping twice is harmless
