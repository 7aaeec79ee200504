"""The daemon's loops: mailbox watchers, outbox delivery, due jobs, heartbeat, signals."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

import structlog
from sqlalchemy.exc import SQLAlchemyError

from config.settings import Settings
from daemon import __version__
from daemon.adapters.imap import Mailbox, MailboxError
from daemon.inbound import login
from daemon.inbound.sync import Folder, record_error, record_idle, sync_folder
from daemon.outbound import delivery as sender
from daemon.outbound import templates
from daemon.process import jobs, scheduler
from daemon.process.context import AppContext
from daemon.store.db import transaction
from daemon.store.directory import load_directory, reload_from_file
from models import DaemonInstance
from parsers.directory import Directory

log = structlog.get_logger("watchkeeper.daemon")

HEARTBEAT_SECONDS = 15.0
DELIVERY_SECONDS = 2.0  # mail another process (a `case` command) planned goes out within this
# How often a waiting watcher looks at the stop flag: bounds the time to exit on SIGTERM.
STOP_CHECK_SECONDS = 1.0
# An orderly stop (watchers, scheduler, last heartbeat) still running after this long is
# cut short: a job or a call that never returns must not keep alive a daemon that was told
# to stop, or that lost its leadership and has to make way (and be restarted as a standby).
SHUTDOWN_GRACE_SECONDS = 12.0


def run_daemon(ctx: AppContext, once: bool) -> int:
    """`watchkeeper run`: returns the exit code (0 after SIGTERM/SIGINT or a --once pass)."""
    service = Service(ctx)
    with service.signals():
        # --- leadership (daemon/process/leader.py): only the leader ingests, sends, schedules;
        # other instances stand by until the leader's database lock is free.
        from daemon.process.leader import run_with_leadership

        return run_with_leadership(ctx, service, once)
        # --- end leadership


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def exit_if_stalled(grace: float) -> threading.Timer:
    """Arm a timer that ends the process with exit 1 if it is still alive `grace` seconds
    from now; an orderly stop finishes long before and the timer dies with the process."""

    def force() -> None:
        log.error("shutdown_stalled", grace_s=grace)
        print(f"watchkeeper: the stop did not finish within {grace:g} s: forced exit",
              file=sys.stderr, flush=True)
        sys.stdout.flush()
        os._exit(1)

    timer = threading.Timer(grace, force)
    timer.daemon = True
    timer.start()
    return timer


def backoff_delay(settings: Settings, attempt: int) -> float:
    """Exponential, capped, with jitter so that several daemons do not retry in step."""
    imap = settings.imap
    ceiling = min(imap.reconnect_max_seconds,
                  imap.reconnect_initial_seconds * (2 ** min(attempt - 1, 30)))
    return random.uniform(ceiling / 2, ceiling)  # jitter, not cryptography


class Service:
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.settings = ctx.settings
        self.sessions = ctx.sessions
        self.clock = ctx.clock
        self.stop = threading.Event()
        self.wake = threading.Event()  # a watcher committed mail: deliver what it planned
        self.reload = threading.Event()
        self.instance_id = uuid.uuid4().hex
        self.claimer = sender.Claimer(instance=self.instance_id)
        self._directory = Directory()
        self._lock = threading.Lock()

    # --- shared state --------------------------------------------------------------------

    def directory(self) -> Directory:
        with self._lock:
            return self._directory

    def refresh(self) -> None:
        """At start and on SIGHUP: import the configured directory file (a refused file
        leaves the directory as it was), read the directory, forget compiled templates."""
        path = self.settings.directory.path
        if path is not None:
            self._safely("directory_reload",
                         lambda: reload_from_file(self.sessions, path, "watchkeeper",
                                                  self.clock.now()))
        self.load_directory()
        templates.forget_compiled()

    def load_directory(self) -> None:
        with transaction(self.sessions) as session:
            loaded = load_directory(session)
        with self._lock:
            self._directory = loaded
        log.info("directory_loaded", contact_points=len(loaded.contact_points))

    # --- signals -------------------------------------------------------------------------

    @contextlib.contextmanager
    def signals(self) -> Iterator[None]:
        """SIGTERM/SIGINT stop the daemon, SIGHUP reloads. The handlers only write the
        signal's number to a pipe: a handler runs on the main thread between two of its
        bytecodes, possibly while that thread holds the log's or an Event's lock, so the
        logging and the Event calls happen on a relay thread that reads the pipe."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        read_fd, write_fd = os.pipe()
        os.set_blocking(write_fd, False)

        def _note(signum: int, _frame: FrameType | None) -> None:
            with contextlib.suppress(BlockingIOError):
                os.write(write_fd, bytes([signum]))

        relay = threading.Thread(target=self._relay_signals, args=(read_fd,),
                                 name="signal-relay", daemon=True)
        relay.start()
        previous: dict[signal.Signals, Any] = {}
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            previous[sig] = signal.signal(sig, _note)
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            os.close(write_fd)  # the relay reads end-of-file and returns
            relay.join(timeout=5)
            os.close(read_fd)

    def _relay_signals(self, read_fd: int) -> None:
        while True:
            try:
                data = os.read(read_fd, 64)
            except OSError:
                return
            if not data:
                return
            for signum in data:
                if signum == signal.SIGHUP:
                    self.reload.set()
                else:
                    log.info("stop_requested", signal=signal.Signals(signum).name)
                    self.stop.set()
                self.wake.set()

    # --- heartbeat -----------------------------------------------------------------------

    def heartbeat(self, *, stopping: bool = False) -> None:
        now = self.clock.now()
        with transaction(self.sessions) as session:
            row = session.get(DaemonInstance, self.instance_id)
            if row is None:
                row = DaemonInstance(
                    instance_id=self.instance_id, host=socket.gethostname()[:255],
                    pid=os.getpid(), role="active", version=__version__[:32],
                    started_at=now, heartbeat_at=now,
                )
                session.add(row)
            row.heartbeat_at = now
            if stopping:
                row.stopped_at = now

    def _safely(self, what: str, fn: Callable[[], object]) -> None:
        """Run one periodic duty; a failure is logged and retried on the next tick."""
        try:
            fn()
        except Exception as exc:  # the daemon must outlive any one duty
            log.error(f"{what}_failed", error=_one_line(exc))

    def release_claims(self) -> None:
        """Mail a dead process had claimed leaves now, not when its lease runs out."""
        sender.release_stale_claims(self.sessions, self.claimer, self.clock.now())

    def deliver(self) -> None:
        """Send what is due; then tell the operators what the conditions say (an outage
        that just ended, say) and send that too."""
        sent = asyncio.run(sender.deliver_pending(self.settings, self.sessions, self.clock,
                                                  self.claimer))
        if jobs.run_alerts(self.settings, self.sessions, self.clock):
            sent += asyncio.run(sender.deliver_pending(self.settings, self.sessions,
                                                       self.clock, self.claimer))
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

    def run_once(self) -> int:
        self.refresh()
        self.heartbeat()
        self._safely("outbox_release", self.release_claims)
        mailbox = Mailbox(self.settings.imap)
        try:
            mailbox.connect()
            login.succeeded(self.sessions, self.settings.imap, self.clock.now())
            for folder in self.folders(mailbox):
                if self.stop.is_set():
                    break
                self._sync(mailbox, folder)
        except MailboxError as exc:
            log.error("imap_failed", error=str(exc))
            login.failed(self.sessions, self.settings.imap, exc, self.clock.now())
            print(f"watchkeeper: {exc}", file=sys.stderr, flush=True)
            return 1
        except SQLAlchemyError as exc:
            log.error("database_failed", error=_one_line(exc))
            print(f"watchkeeper: database: {_one_line(exc)}", file=sys.stderr, flush=True)
            return 1
        finally:
            mailbox.close()
        if not self.stop.is_set():
            # Due work first: what it plans (a digest, a reminder) leaves in this pass too.
            self._safely("jobs", self.run_jobs)
            self._safely("outbox_delivery", self.deliver)
        self._safely("heartbeat", lambda: self.heartbeat(stopping=True))
        return 0

    # --- the daemon --------------------------------------------------------------------------

    def run_forever(self) -> int:
        self.refresh()
        self.heartbeat()
        self._safely("outbox_release", self.release_claims)
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
                self.wake.wait(timeout=min(tick, HEARTBEAT_SECONDS, DELIVERY_SECONDS))
                if self.stop.is_set():
                    break
                now = time.monotonic()
                if self.reload.is_set():
                    self.reload.clear()
                    log.info("reload_requested", signal="SIGHUP")
                    self._safely("reload", self.refresh)
                if self.wake.is_set() or now - last_delivery >= DELIVERY_SECONDS:
                    self.wake.clear()
                    self._safely("outbox_delivery", self.deliver)
                    last_delivery = now
                if now - last_beat >= HEARTBEAT_SECONDS:
                    self._safely("heartbeat", self.heartbeat)
                    last_beat = now
        finally:
            self.stop.set()
            exit_if_stalled(SHUTDOWN_GRACE_SECONDS)
            deadline = time.monotonic() + 8.0
            for t in watchers:
                t.join(timeout=max(0.1, deadline - time.monotonic()))
            self._safely("scheduler_stop", scheduler.stop)
            self._safely("heartbeat", lambda: self.heartbeat(stopping=True))
            log.info("daemon_stopped", instance=self.instance_id)
        return 0

    def watch(self, role: str) -> None:
        """One folder's watcher: connect, catch up, wait (IDLE or poll), again; on any
        failure wait with backoff and start over. Never returns before the stop flag."""
        attempt = 0
        while not self.stop.is_set():
            mailbox = Mailbox(self.settings.imap)
            folder: Folder | None = None
            try:
                mailbox.connect()
                login.succeeded(self.sessions, self.settings.imap, self.clock.now())
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
                login.failed(self.sessions, self.settings.imap, exc, self.clock.now())
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
