"""The leader's work: mailbox watchers, outbox delivery, due jobs, heartbeat.

The service knows nothing of how its process is run: it never prints, exits or handles
signals. `daemon/commands/run.py` builds it, relays the signals to it and turns what ends
it into an exit code; `daemon/process/leader.py` decides when it leads.
"""

from __future__ import annotations

import asyncio
import os
import random
import threading
import time
import uuid
from collections.abc import Callable
from typing import Protocol

import structlog
from sqlalchemy.exc import SQLAlchemyError

from config.settings import Settings
from daemon.adapters.imap import Mailbox, MailboxError
from daemon.inbound.sync import Folder, record_error, record_idle, sync_folder
from daemon.outbound import delivery as sender
from daemon.outbound import templates
from daemon.process import jobs, scheduler
from daemon.process.context import AppContext
from daemon.process.errors import PassFailed
from daemon.store import instances
from daemon.store.audit import ACTOR
from daemon.store.db import transaction
from daemon.store.directory import load_directory, reload_from_file
from daemon.text import one_line as _one_line
from parsers.directory import Directory

log = structlog.get_logger("watchkeeper.daemon")

DELIVERY_SECONDS = 2.0  # mail another process (a `case` command) planned goes out within this
# How often a waiting watcher looks at the stop flag: bounds the time to exit on SIGTERM.
STOP_CHECK_SECONDS = 1.0


class Cancellable(Protocol):
    def cancel(self) -> None: ...


def backoff_delay(settings: Settings, attempt: int) -> float:
    """Exponential, capped, with jitter so that several daemons do not retry in step."""
    imap = settings.imap
    ceiling = min(imap.reconnect_max_seconds,
                  imap.reconnect_initial_seconds * (2 ** min(attempt - 1, 30)))
    return random.uniform(ceiling / 2, ceiling)  # jitter, not cryptography


class Service:
    """What the leader does; `stop` ends it, `wake` sends planned mail now, `reload` (SIGHUP)
    re-reads the directory. `on_stopping` is called as the orderly stop begins: the run
    command arms there the timer that forces an exit if the stop hangs."""

    def __init__(self, ctx: AppContext, *,
                 on_stopping: Callable[[], Cancellable | None] | None = None) -> None:
        self.ctx = ctx
        self.settings = ctx.settings
        self.sessions = ctx.sessions
        self.clock = ctx.clock
        self.stop = threading.Event()
        self.wake = threading.Event()  # a watcher committed mail: deliver what it planned
        self.reload = threading.Event()
        self.instance_id = uuid.uuid4().hex
        self.role = instances.STANDBY
        self.claimer = sender.Claimer(instance=self.instance_id)
        self._on_stopping = on_stopping
        self._directory = Directory()
        self._lock = threading.Lock()

    def request_stop(self) -> None:
        """End the service: watchers finish their message, the main loop its round."""
        self.stop.set()
        self.wake.set()

    # --- shared state --------------------------------------------------------------------

    def directory(self) -> Directory:
        with self._lock:
            return self._directory

    def refresh(self) -> None:
        """At start and on SIGHUP: import the configured directory file (a refused file
        leaves the directory as it was), read the directory, forget compiled templates."""
        path = self.settings.directory.path
        if path is not None:
            self.duty("directory_reload",
                      lambda: reload_from_file(self.sessions, path, ACTOR, self.clock.now()))
        self.load_directory()
        templates.forget_compiled()

    def load_directory(self) -> None:
        with transaction(self.sessions) as session:
            loaded = load_directory(session)
        with self._lock:
            self._directory = loaded
        log.info("directory_loaded", contact_points=len(loaded.contact_points))

    # --- heartbeat and periodic duties ----------------------------------------------------

    def beat(self, *, stopping: bool = False) -> None:
        """This instance's row: its role and a fresh heartbeat (`stopping`: marked stopped)."""
        instances.beat(self.sessions, self.instance_id, self.role, self.clock.now(),
                       stopping=stopping)

    def duty(self, what: str, fn: Callable[[], object]) -> None:
        """Run one periodic duty; a failure is logged and retried on the next tick."""
        try:
            fn()
        except Exception as exc:  # the daemon must outlive any one duty
            log.error(f"{what}_failed", error=_one_line(exc))

    def release_claims(self) -> None:
        """Mail a dead process had claimed leaves now, not when its lease runs out."""
        sender.release_stale_claims(self.sessions, self.claimer, self.clock.now())

    def deliver(self) -> None:
        sent = asyncio.run(sender.deliver_pending(self.settings, self.sessions, self.clock,
                                                  self.claimer))
        if sent:
            log.info("outbox_delivered", sent=sent)

    def run_jobs(self) -> None:
        jobs.run_due(self.settings, self.sessions, self.clock)

    # --- folders -------------------------------------------------------------------------

    def folders(self, mailbox: Mailbox) -> list[Folder]:
        imap = self.settings.imap
        found = [Folder(imap.inbox, "inbox")]
        sent = imap.sent_folder or mailbox.find_sent()
        if sent:
            found.append(Folder(sent, "sent"))
        else:
            log.warning("sent_folder_not_found",
                        hint="set imap.sent_folder: the server marks no folder \\Sent")
        return found

    def _sync(self, mailbox: Mailbox, folder: Folder) -> None:
        result = sync_folder(
            mailbox, folder, settings=self.settings, sessions=self.sessions,
            directory=self.directory, clock=self.clock, stop=self.stop,
            on_commit=self.wake.set,
        )
        if result.fetched:
            log.info("folder_synced", mailbox=folder.name, fetched=result.fetched,
                     stored=result.stored, quarantined=result.quarantined,
                     cases_opened=result.cases_opened)

    # --- --once ----------------------------------------------------------------------------

    def run_once(self) -> None:
        """One pass over every folder, then due work and delivery; raises `PassFailed` when
        the mailbox or the database fails."""
        self.refresh()
        self.beat()
        self.duty("outbox_release", self.release_claims)
        mailbox = Mailbox(self.settings.imap)
        try:
            mailbox.connect()
            for folder in self.folders(mailbox):
                if self.stop.is_set():
                    break
                self._sync(mailbox, folder)
        except MailboxError as exc:
            log.error("imap_failed", error=str(exc))
            raise PassFailed(str(exc)) from exc
        except SQLAlchemyError as exc:
            log.error("database_failed", error=_one_line(exc))
            raise PassFailed(f"database: {_one_line(exc)}") from exc
        finally:
            mailbox.close()
        if not self.stop.is_set():
            # Due work first: what it plans (a digest, a reminder) leaves in this pass too.
            self.duty("jobs", self.run_jobs)
            self.duty("outbox_delivery", self.deliver)
        self.duty("heartbeat", lambda: self.beat(stopping=True))

    # --- the daemon --------------------------------------------------------------------------

    def run_forever(self) -> None:
        """Lead until `stop`: watchers, schedule, delivery and heartbeat, then an orderly
        stop (watchers joined, schedule stopped, the row marked stopped)."""
        self.refresh()
        self.beat()
        self.duty("outbox_release", self.release_claims)
        scheduler.start(self.ctx)
        watchers = [
            threading.Thread(target=self.watch, args=(role,), name=f"watch-{role}", daemon=True)
            for role in ("inbox", "sent")
        ]
        for t in watchers:
            t.start()
        log.info("daemon_started", instance=self.instance_id, pid=os.getpid())
        tick = float(self.settings.schedule.tick_seconds)
        last_beat = last_delivery = time.monotonic()
        try:
            while not self.stop.is_set():
                self.wake.wait(timeout=min(tick, instances.HEARTBEAT_SECONDS, DELIVERY_SECONDS))
                if self.stop.is_set():
                    break
                now = time.monotonic()
                if self.reload.is_set():
                    self.reload.clear()
                    log.info("reload_requested", signal="SIGHUP")
                    self.duty("reload", self.refresh)
                if self.wake.is_set() or now - last_delivery >= DELIVERY_SECONDS:
                    self.wake.clear()
                    self.duty("outbox_delivery", self.deliver)
                    last_delivery = now
                if now - last_beat >= instances.HEARTBEAT_SECONDS:
                    self.duty("heartbeat", self.beat)
                    last_beat = now
        finally:
            self.stop.set()
            if self._on_stopping is not None:
                self._on_stopping()
            deadline = time.monotonic() + 8.0
            for t in watchers:
                t.join(timeout=max(0.1, deadline - time.monotonic()))
            self.duty("scheduler_stop", scheduler.stop)
            self.duty("heartbeat", lambda: self.beat(stopping=True))
            log.info("daemon_stopped", instance=self.instance_id)

    def watch(self, role: str) -> None:
        """One folder's watcher: connect, catch up, wait (IDLE or poll), again; on any
        failure wait with backoff and start over. Never returns before the stop flag."""
        attempt = 0
        while not self.stop.is_set():
            mailbox = Mailbox(self.settings.imap)
            folder: Folder | None = None
            try:
                mailbox.connect()
                folder = next((f for f in self.folders(mailbox) if f.role == role), None)
                if folder is None:
                    return  # no Sent folder on this server; already logged
                with structlog.contextvars.bound_contextvars(mailbox=folder.name):
                    if attempt:
                        log.info("imap_reconnected", attempt=attempt)
                    while not self.stop.is_set():
                        self._sync(mailbox, folder)
                        attempt = 0
                        self._wait_for_mail(mailbox, folder.name)
            except Exception as exc:  # reconnect whatever failed
                attempt += 1
                delay = backoff_delay(self.settings, attempt)
                name = folder.name if folder is not None else role
                log.warning("imap_reconnecting", mailbox=name, attempt=attempt,
                            delay_s=round(delay, 2), error=_one_line(exc))
                record_error(self.sessions, name, _one_line(exc))
                self.stop.wait(delay)
            finally:
                mailbox.close()

    def _wait_for_mail(self, mailbox: Mailbox, folder: str) -> None:
        """Until the server reports a change, the poll interval passes, or we must stop."""
        imap = self.settings.imap
        limit = float(min(imap.poll_seconds, imap.idle_renew_seconds))
        started = time.monotonic()
        idle = mailbox.can_idle()
        record_idle(self.sessions, folder, idle)
        if not idle:
            while not self.stop.is_set() and time.monotonic() - started < imap.poll_seconds:
                self.stop.wait(min(STOP_CHECK_SECONDS, imap.poll_seconds))
            return
        if mailbox.arrived():
            return  # mail came in during the catch-up: catch up again before idling
        mailbox.idle_start()
        try:
            while not self.stop.is_set():
                left = limit - (time.monotonic() - started)
                if left <= 0:
                    break
                if mailbox.idle_check(min(STOP_CHECK_SECONDS, left)):
                    break
        finally:
            mailbox.idle_stop()
