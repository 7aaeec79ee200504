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
from daemon.inbound.sync import Folder, PassResult, record_error, record_idle, sync_folder
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
# A server that answers IDLE and then ends it at once, or wakes it for nothing, again and
# again, is given IDLE again only after a growing pause (up to this), not in a tight loop.
IDLE_REISSUE_MAX_SECONDS = 5.0
IDLE_SHORT_SECONDS = 1.0  # an IDLE that ended this soon, with nothing new, counts as empty

# Why a watcher stopped waiting: the server pushed a change, the IDLE period (or the poll
# interval) ran out, a NOOP before IDLE found mail, or a new connection.
PUSHED, TIMED_OUT, NOTICED, CONNECTED = "pushed", "timed_out", "noticed", "connected"


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


class IdleWatch:
    """What one folder's watcher learned about the server's IDLE, kept across reconnects:
    a poll that found mail IDLE had not reported, twice in a row, means this server's IDLE
    does not push (Cyrus with its default `imapidlepoll`); the folder is then polled every
    `imap.idle_fallback_seconds` while IDLE stays on for the servers that do push late."""

    def __init__(self) -> None:
        self.fallback = False
        self.missed = 0
        self.empty_wakes = 0

    def period(self, settings: Settings) -> float:
        imap = settings.imap
        limit = float(min(imap.poll_seconds, imap.idle_renew_seconds))
        return min(limit, float(imap.idle_fallback_seconds)) if self.fallback else limit

    def learn(self, settings: Settings, folder: str, wake: str, waited: float,
              result: PassResult) -> None:
        """After the pass that followed a wake-up: did IDLE tell us about that mail?"""
        if wake == PUSHED:
            if result.fetched:
                self.missed = self.empty_wakes = 0
            elif waited < IDLE_SHORT_SECONDS:
                self.empty_wakes += 1
            return
        self.empty_wakes = 0
        fallback_s = settings.imap.idle_fallback_seconds
        # Only an IDLE that lasted longer than the fallback poll is evidence: with a short
        # poll interval, mail landing just before it runs out is not a silent server.
        if wake != TIMED_OUT or not result.fetched or waited < fallback_s or self.fallback:
            return
        self.missed += 1
        if self.missed >= 2:
            self.fallback = True
            log.warning("idle_not_pushing", mailbox=folder, fallback_s=fallback_s,
                        hint=f"the server's IDLE did not report mail that a poll found, "
                             f"twice: this folder is now also polled every {fallback_s} s")


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
        self._sent_missing_logged = False

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
        found = [Folder(self.settings.imap.inbox, "inbox")]
        sent = self.sent_folder(mailbox)
        if sent is not None:
            found.append(sent)
        return found

    def sent_folder(self, mailbox: Mailbox) -> Folder | None:
        """The configured Sent folder, else the one the server marks or names so; when
        there is none, say once per start what to configure."""
        imap = self.settings.imap
        name = imap.sent_folder or mailbox.find_sent()
        if name:
            return Folder(name, "sent")
        with self._lock:
            logged, self._sent_missing_logged = self._sent_missing_logged, True
        if not logged:
            log.warning("sent_folder_not_found",
                        hint="no folder is marked \\Sent or has a usual Sent name: set "
                             "imap.sent_folder to the folder the desk's mail client files "
                             "sent mail in, or outgoing requests are not tracked")
        return None

    def _folder_for(self, role: str, mailbox: Mailbox) -> Folder | None:
        if role == "inbox":
            return Folder(self.settings.imap.inbox, "inbox")
        return self.sent_folder(mailbox)

    def _sync(self, mailbox: Mailbox, folder: Folder) -> PassResult:
        result = sync_folder(
            mailbox, folder, settings=self.settings, sessions=self.sessions,
            directory=self.directory, clock=self.clock, stop=self.stop,
            on_commit=self.wake.set,
        )
        if result.fetched:
            log.info("folder_synced", mailbox=folder.name, fetched=result.fetched,
                     stored=result.stored, quarantined=result.quarantined,
                     cases_opened=result.cases_opened)
        return result

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
        """One folder's watcher: connect, catch up, wait (IDLE or poll), catch up again; on
        any failure wait with backoff and start over. Never returns before the stop flag
        (or when the server has no Sent folder, which is logged).

        A lost or refused IMAP connection is `imap_reconnecting` with its real cause; any
        other failure (the database, a bug) is `watcher_failed` with its own: both retried
        with the same capped backoff, so that neither can spin."""
        attempt = 0
        resumed = "imap_reconnected"  # or "watcher_resumed" after a failure not IMAP's
        idle = IdleWatch()
        # The folder's name once known (the Sent folder is found after login), for the log.
        name = self.settings.imap.inbox if role == "inbox" else role
        while not self.stop.is_set():
            mailbox = Mailbox(self.settings.imap)
            try:
                mailbox.connect()
                login.succeeded(self.sessions, self.settings.imap, self.clock.now())
                folder = self._folder_for(role, mailbox)
                if folder is None:
                    return  # no Sent folder on this server; already logged
                name = folder.name
                with structlog.contextvars.bound_contextvars(mailbox=folder.name):
                    if attempt and resumed == "imap_reconnected":
                        log.info(resumed, attempt=attempt)
                    wake, waited = CONNECTED, 0.0
                    while not self.stop.is_set():
                        result = self._sync(mailbox, folder)
                        if attempt and resumed == "watcher_resumed":  # the pass went through
                            log.info(resumed, attempt=attempt)
                        attempt = 0
                        idle.learn(self.settings, folder.name, wake, waited, result)
                        started = time.monotonic()
                        wake = self._wait_for_mail(mailbox, folder.name, idle)
                        waited = time.monotonic() - started
            except MailboxError as exc:
                attempt += 1
                resumed = "imap_reconnected"
                delay = backoff_delay(self.settings, attempt)
                log.warning("imap_reconnecting", mailbox=name, attempt=attempt,
                            delay_s=round(delay, 2), error=str(exc))
                record_error(self.sessions, name, str(exc))
                login.failed(self.sessions, self.settings.imap, exc, self.clock.now())
                self.stop.wait(delay)
            except Exception as exc:  # not IMAP's: reported as what it is, then retried
                attempt += 1
                resumed = "watcher_resumed"
                delay = backoff_delay(self.settings, attempt)
                cause = "database" if isinstance(exc, SQLAlchemyError) else "internal"
                log.error("watcher_failed", mailbox=name, cause=cause, attempt=attempt,
                          delay_s=round(delay, 2), error=_one_line(exc))
                record_error(self.sessions, name, f"{cause}: {_one_line(exc)}")
                self.stop.wait(delay)
            finally:
                mailbox.close()

    def _wait_for_mail(self, mailbox: Mailbox, folder: str, idle: IdleWatch) -> str:
        """Until the server reports a change, the IDLE period or poll interval passes, or
        we must stop; returns why (the caller looks at the folder again in every case)."""
        imap = self.settings.imap
        started = time.monotonic()
        use_idle = mailbox.can_idle()
        record_idle(self.sessions, folder, use_idle)
        if not use_idle:
            while not self.stop.is_set() and time.monotonic() - started < imap.poll_seconds:
                self.stop.wait(min(STOP_CHECK_SECONDS, imap.poll_seconds))
            return TIMED_OUT
        if idle.empty_wakes:
            # The last IDLE ended at once with nothing new: do not ask again in a tight loop.
            pause = min(IDLE_REISSUE_MAX_SECONDS, 0.05 * 2 ** min(idle.empty_wakes, 10))
            if self.stop.wait(pause):
                return TIMED_OUT
        if mailbox.arrived():
            return NOTICED  # mail came in during the catch-up: catch up again before idling
        period = idle.period(self.settings)
        mailbox.idle_start()
        wake = TIMED_OUT
        try:
            while not self.stop.is_set():
                left = period - (time.monotonic() - started)
                if left <= 0:
                    break
                if mailbox.idle_wait(min(STOP_CHECK_SECONDS, left)):
                    wake = PUSHED
                    break
        finally:
            # DONE only on a connection in step with the server: after a lost connection
            # the error that ended IDLE is the one reported, and DONE is never sent.
            if not mailbox.broken:
                mailbox.idle_stop()
        # The watchdog: a timed-out IDLE ends with a round trip (DONE), then the caller's
        # pass and the NOOP before the next IDLE ask the server directly, so an IDLE that
        # went silent costs one period at most, and a dead connection is found then.
        return wake
