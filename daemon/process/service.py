"""The leader's work: mailbox watchers, outbox delivery, due jobs, heartbeat.

The service knows nothing of how its process is run: it never prints, exits or handles
signals. `daemon/commands/run.py` builds it, relays the signals to it and turns what ends
it into an exit code; `daemon/process/leader.py` decides when it leads. A database outage
is waited out here (`self.database`, see `daemon/process/outage.py`): the watchers, the
sender and the schedule pause, the main loop asks the database again until it answers.
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
from daemon.cases.transitions import mail_sent
from daemon.inbound import login
from daemon.inbound.sync import Folder, PassResult, record_error, record_idle, sync_folder
from daemon.outbound import delivery as sender
from daemon.outbound import templates
from daemon.process import jobs, scheduler
from daemon.process.context import AppContext
from daemon.process.errors import PassFailed
from daemon.process.outage import DatabaseState
from daemon.store import instances
from daemon.store.audit import ACTOR
from daemon.store.db import DATABASE_ERRORS, is_outage, transaction
from daemon.store.directory import load_directory, reload_from_file
from daemon.text import one_line as _one_line
from parsers.directory import Directory

log = structlog.get_logger("watchkeeper.daemon")

DELIVERY_SECONDS = 2.0  # mail another process (a `case` command) planned goes out within this
# How often a waiting watcher looks at the stop flag: bounds the time to exit on SIGTERM.
STOP_CHECK_SECONDS = 1.0
LEAD_CHECK_SECONDS = 2.0  # the leader checks this often that its lock is still its own
# A server that answers IDLE and then ends it at once, or wakes it for nothing, again and
# again, is given IDLE again only after a growing pause (up to this), not in a tight loop.
IDLE_REISSUE_MAX_SECONDS = 5.0
IDLE_SHORT_SECONDS = 1.0  # an IDLE that ended this soon, with nothing new, counts as empty

# Why a watcher stopped waiting: the server pushed a change, the IDLE period (or the poll
# interval) ran out, a NOOP before IDLE found mail, or a new connection.
PUSHED, TIMED_OUT, NOTICED, CONNECTED = "pushed", "timed_out", "noticed", "connected"


class Cancellable(Protocol):
    def cancel(self) -> None: ...


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
    """What the leader does. `shutdown`: the process is to stop; `stop`: the current turn
    as leader ends (at a shutdown, or when the leader lock is lost); `wake` sends planned
    mail now; `reload` (SIGHUP) re-reads the directory. `on_stopping` is called as an
    orderly stop begins: the run command arms there the timer that forces an exit if the
    stop hangs (cancelled when a leader steps down in time and lives on as a standby)."""

    def __init__(self, ctx: AppContext, *,
                 on_stopping: Callable[[], Cancellable | None] | None = None) -> None:
        self.ctx = ctx
        self.settings = ctx.settings
        self.sessions = ctx.sessions
        self.clock = ctx.clock
        self.shutdown = threading.Event()
        self.stop = threading.Event()
        self.wake = threading.Event()  # a watcher committed mail: deliver what it planned
        self.reload = threading.Event()
        self.instance_id = uuid.uuid4().hex
        self.role = instances.STANDBY
        self.claimer = sender.Claimer(instance=self.instance_id)
        self.database = DatabaseState(self.settings.database, probe=self.beat)
        self.unrecorded = sender.Unrecorded()  # results the database could not take yet
        self._on_stopping = on_stopping
        self._directory = Directory()
        self._lock = threading.Lock()
        self._sent_missing_logged = False

    def request_stop(self) -> None:
        """End the process: watchers finish their message, the main loop its round."""
        self.shutdown.set()
        self.stop.set()
        self.wake.set()

    def stand_down(self) -> None:
        """The leader lock is lost: stop fetching, sending and scheduling at once, so that
        another instance can lead safely; the process lives on and may lead again."""
        self.role = instances.STANDBY
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
        """Run one periodic duty; a failure is logged and retried on the next tick, a
        database error makes the database unavailable until it answers again."""
        try:
            fn()
        except DATABASE_ERRORS as exc:
            self.database.failed(exc, what)
        except Exception as exc:  # the daemon must outlive any one duty
            log.error(f"{what}_failed", error=_one_line(exc))

    def settle_unrecorded(self) -> None:
        """Record as sent what the SMTP server accepted while the database was out, and
        give back the rest of that burst. A leader does it before its next delivery; one
        that lost the lock in the outage does it as a standby: the mails keep this
        process's lease, so nobody else would record or send them until it ran out.
        Raises the database's error while it is still away."""
        if self.unrecorded:
            self.unrecorded.flush(self.settings, self.sessions, self.clock, self.claimer,
                                  mail_sent)

    def release_claims(self) -> None:
        """Mail a dead process had claimed leaves now, not when its lease runs out."""
        sender.release_stale_claims(self.sessions, self.claimer, self.clock.now())

    def deliver(self) -> None:
        """Send what is due; then tell the operators what the conditions say (an outage
        that just ended, say) and send that too."""
        sent = asyncio.run(sender.deliver_pending(self.settings, self.sessions, self.clock,
                                                  self.claimer, self.unrecorded,
                                                  on_sent=mail_sent))
        if jobs.run_alerts(self.settings, self.sessions, self.clock):
            sent += asyncio.run(sender.deliver_pending(self.settings, self.sessions,
                                                       self.clock, self.claimer,
                                                       self.unrecorded, on_sent=mail_sent))
        if sent:  # routine: each mail has its `mail_sent` line
            log.debug("outbox_delivered", sent=sent)

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
        if result.fetched:  # routine: each message has its own lines
            log.debug("folder_synced", mailbox=folder.name, fetched=result.fetched,
                     stored=result.stored, quarantined=result.quarantined,
                     cases_opened=result.cases_opened)
        return result

    # --- --once ----------------------------------------------------------------------------

    def run_once(self) -> None:
        """One pass over every folder, then due work and delivery; raises `PassFailed` when
        the mailbox or the database fails (a pass does not wait for either)."""
        mailbox = Mailbox(self.settings.imap)
        try:
            self.refresh()
            self.beat()
            self.duty("outbox_release", self.release_claims)
            mailbox.connect()
            login.succeeded(self.sessions, self.settings.imap, self.clock.now())
            for folder in self.folders(mailbox):
                if self.stop.is_set():
                    break
                self._sync(mailbox, folder)
        except MailboxError as exc:
            log.error("imap_failed", error=str(exc))
            login.failed(self.sessions, self.settings.imap, exc, self.clock.now())
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

    def run_forever(self, still_leading: Callable[[], bool] = lambda: True) -> None:
        """Lead until `stop`: watchers, schedule, delivery and heartbeat, then an orderly
        stop (watchers joined, schedule stopped). `still_leading` is asked every
        `LEAD_CHECK_SECONDS`; when it says no, the leader stands down at once."""
        self.stop.clear()
        if self.shutdown.is_set():
            return
        self.role = instances.LEADER
        watchdog = threading.Thread(target=self._check_lead, args=(still_leading,),
                                    name="leader-watchdog", daemon=True)
        watchdog.start()
        try:
            self._lead()
        finally:
            self.stop.set()
            watchdog.join()  # then the lock is not used by two threads at once

    def _lead(self) -> None:
        while not self._start():
            if not self.database.recover(self.stop):
                return
        scheduler.start(self.ctx, self.database)
        watchers = [
            threading.Thread(target=self.watch, args=(role,), name=f"watch-{role}", daemon=True)
            for role in ("inbox", "sent")
        ]
        for t in watchers:
            t.start()
        log.info("daemon_started", instance=self.instance_id, pid=os.getpid())
        try:
            self._main_loop()
        finally:
            self.stop.set()
            timer = self._on_stopping() if self._on_stopping is not None else None
            deadline = time.monotonic() + 8.0
            for t in watchers:
                # A leader that stands down waits for its watchers whatever it takes (the
                # stop timer forces an exit if they hang): none may fetch once another leads.
                t.join(timeout=None if not self.shutdown.is_set()
                       else max(0.1, deadline - time.monotonic()))
            self.duty("scheduler_stop", scheduler.stop)
            if not self.shutdown.is_set():
                log.warning("leadership_stepped_down", instance=self.instance_id,
                            reason="the leader lock was lost: lead again when it is free")
                if timer is not None:
                    timer.cancel()

    def _start(self) -> bool:
        """The leader's first steps: heartbeat, directory, leases of the dead; False (the
        database reported unavailable) when the database failed."""
        try:
            self.beat()
            self.refresh()
        except DATABASE_ERRORS as exc:
            self.database.failed(exc, "start")
            return False
        self.duty("outbox_release", self.release_claims)
        return True

    def _main_loop(self) -> None:
        tick = float(self.settings.schedule.tick_seconds)
        last_beat = last_delivery = time.monotonic()
        while not self.stop.is_set():
            self.wake.wait(timeout=min(tick, instances.HEARTBEAT_SECONDS, DELIVERY_SECONDS))
            if self.stop.is_set():
                break
            if not self.database.available:
                # The heartbeat is the probe: the database is back once it takes one.
                if self.database.recover(self.stop):
                    last_beat = time.monotonic()
                    self.wake.set()  # what waited for the database leaves now
                continue
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

    def _check_lead(self, still_leading: Callable[[], bool]) -> None:
        while not self.stop.wait(LEAD_CHECK_SECONDS):
            if not still_leading():
                self.stand_down()
                return

    def finish(self) -> None:
        """The process stops: a last try to record what the server accepted while the
        database was out, then this instance's row marked stopped. With the database
        still out, neither is tried (a stop must not wait for it): `status` sees the
        heartbeat go stale instead."""
        error = "the database is unavailable"
        if self.unrecorded and self.database.available:
            try:
                self.settle_unrecorded()
            except DATABASE_ERRORS as exc:
                error = _one_line(exc)
        if self.unrecorded.sent:  # leases alone need nothing: the next start ends them
            log.error("mail_sent_unrecorded", count=len(self.unrecorded.sent),
                      message_ids=[i.message_id for i, _, _ in self.unrecorded.sent],
                      error=error, hint="the database did not answer before the stop: "
                      "these mails may be sent a second time after the next start")
        if self.database.available:
            self.duty("heartbeat", lambda: self.beat(stopping=True))
        log.info("daemon_stopped", instance=self.instance_id)

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
            except DATABASE_ERRORS as exc:
                if not is_outage(exc):  # a statement refused: a fault, reported as such
                    attempt, resumed = self._watcher_failed(name, attempt, exc)
                else:  # the database's, not the mailbox's: wait it out
                    self.database.failed(exc, f"watch-{role}")
                    self.database.wait_available(self.stop)
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
                attempt, resumed = self._watcher_failed(name, attempt, exc)
            finally:
                mailbox.close()

    def _watcher_failed(self, name: str, attempt: int, exc: Exception) -> tuple[int, str]:
        """A watcher's failure that is neither the mailbox's nor a database outage (a bug,
        a statement the database refused): logged as what it is, retried with backoff."""
        attempt += 1
        delay = backoff_delay(self.settings, attempt)
        cause = "database" if isinstance(exc, SQLAlchemyError) else "internal"
        log.error("watcher_failed", mailbox=name, cause=cause, attempt=attempt,
                  delay_s=round(delay, 2), error=_one_line(exc))
        record_error(self.sessions, name, f"{cause}: {_one_line(exc)}")
        self.stop.wait(delay)
        return attempt, "watcher_resumed"

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
