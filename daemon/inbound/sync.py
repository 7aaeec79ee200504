"""One pass over one folder: fetch what is new, one transaction per message, then flag.

Exactly once: a message becomes a row in the transaction that also moves the folder's
checkpoint, so a crash anywhere repeats at most the fetch, never the row. The row key is
(folder, UIDVALIDITY, UID); when the server rebuilds a folder (new UIDVALIDITY) the
pipeline also matches Message-ID + sha256 so nothing is imported twice.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings
from daemon.adapters.imap import Envelope, Mailbox
from daemon.inbound import pipeline
from daemon.inbound.work import Env, Fetched, Work
from daemon.process.clock import Clock
from daemon.store.db import transaction
from models import MailboxCheckpoint, Message
from parsers.directory import Directory

log = structlog.get_logger("watchkeeper.ingest")

# Bodies fetched per round trip are bounded in bytes too, so memory stays flat.
FETCH_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class Folder:
    """A watched folder and its role: "inbox" (mail to us) or "sent" (mail from us)."""

    name: str
    role: str


@dataclass(frozen=True)
class Checkpoint:
    """The folder's checkpoint as read at the start of a pass."""

    uidvalidity: int
    last_uid: int
    live_from_uid: int | None
    backlog_total: int
    identity_fallback: bool


@dataclass(frozen=True)
class PassResult:
    fetched: int = 0
    stored: int = 0
    quarantined: int = 0
    cases_opened: int = 0
    stopped: bool = False


def open_checkpoint(
    sessions: sessionmaker[Session], folder: str, uidvalidity: int, uidnext: int,
    backlog: int, now: datetime,
) -> Checkpoint:
    """Read the folder's checkpoint; create it on the first run; reset it when the server
    rebuilt the folder (new UIDVALIDITY)."""
    with transaction(sessions) as session:
        cp = session.get(MailboxCheckpoint, folder)
        if cp is None:
            cp = MailboxCheckpoint(
                folder=folder, uidvalidity=uidvalidity, last_uid=0, live_from_uid=uidnext,
                backlog_total=backlog, updated_at=now,
            )
            session.add(cp)
            if backlog:
                log.info("backlog_import_started", mailbox=folder, total=backlog)
        elif cp.uidvalidity != uidvalidity:
            log.warning("uidvalidity_changed", mailbox=folder, old=cp.uidvalidity,
                        new=uidvalidity)
            # Every UID is new; rows already stored are recognised by Message-ID + sha256,
            # and mail that arrived meanwhile is live only within the backlog window.
            cp.uidvalidity, cp.last_uid, cp.live_from_uid = uidvalidity, 0, uidnext
            cp.updated_at = now
        fallback = session.scalar(
            select(Message.id).where(Message.folder == folder,
                                     Message.uidvalidity != uidvalidity).limit(1)
        ) is not None
        return Checkpoint(
            uidvalidity=cp.uidvalidity, last_uid=cp.last_uid, live_from_uid=cp.live_from_uid,
            backlog_total=cp.backlog_total, identity_fallback=fallback,
        )


def is_live(cp: Checkpoint, uid: int, internal_date: datetime | None, cutoff: datetime) -> bool:
    """Mail that arrived after the first start, or recently enough to still answer."""
    if cp.live_from_uid is None or uid >= cp.live_from_uid:
        return True
    return internal_date is not None and internal_date >= cutoff


def _chunks(items: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _by_bytes(envs: Sequence[Envelope], limit: int) -> Iterator[list[Envelope]]:
    group: list[Envelope] = []
    total = 0
    for env in envs:
        if group and total + env.size > limit:
            yield group
            group, total = [], 0
        group.append(env)
        total += env.size
    if group:
        yield group


def sync_folder(
    mailbox: Mailbox,
    folder: Folder,
    *,
    settings: Settings,
    sessions: sessionmaker[Session],
    directory: Callable[[], Directory],
    clock: Clock,
    stop: threading.Event | None = None,
    on_commit: Callable[[], None] | None = None,
) -> PassResult:
    """Import every message above the folder's checkpoint; returns what was done."""
    imap = settings.imap
    state = mailbox.select(folder.name)
    uidnext = state.uidnext
    if uidnext is None:
        known = mailbox.uids_after(0)
        uidnext = (known[-1] + 1) if known else 1
    now = clock.now()
    cp = open_checkpoint(sessions, folder.name, state.uidvalidity, uidnext, state.exists, now)
    uids = mailbox.uids_after(cp.last_uid)
    result = PassResult()
    if not uids:
        _touch(sessions, folder.name, clock.now())
        return result
    backlog = {u for u in uids if cp.live_from_uid is not None and u < cp.live_from_uid}
    done_backlog = 0
    for chunk in _chunks(uids, imap.batch_size):
        envs = mailbox.envelopes(chunk)
        for group in _by_bytes(envs, FETCH_BYTES):
            small = [e.uid for e in group if e.size <= imap.max_message_bytes]
            large = [e.uid for e in group if e.size > imap.max_message_bytes]
            raws = mailbox.bodies(small)
            raws.update(mailbox.headers(large))
            committed: list[int] = []
            for env in group:
                if stop is not None and stop.is_set():
                    _after_commit(mailbox, settings, committed, on_commit)
                    return _plus(result, stopped=True)
                raw = raws.get(env.uid)
                if raw is None:
                    log.warning("message_vanished", mailbox=folder.name, uid=env.uid)
                    continue
                now = clock.now()
                fetched = Fetched(
                    folder=folder.name, role=folder.role, uidvalidity=cp.uidvalidity,
                    uid=env.uid, raw=raw, size=env.size, internal_date=env.internal_date,
                    truncated=env.uid in large,
                    live=is_live(cp, env.uid, env.internal_date,
                                 now - timedelta(hours=imap.ack_backlog_hours)),
                    identity_fallback=cp.identity_fallback,
                )
                work = _ingest_one(sessions, settings, directory(), now, fetched)
                committed.append(env.uid)
                result = _plus(
                    result, fetched=1, stored=int(work is not None),
                    quarantined=int(work is not None and work.message is not None
                                    and work.message.quarantined),
                    cases_opened=int(work is not None and work.opened),
                )
            _after_commit(mailbox, settings, committed, on_commit)
        done_backlog += sum(1 for u in chunk if u in backlog)
        if backlog:
            log.info("backlog_progress", mailbox=folder.name, done=done_backlog,
                     total=len(backlog))
    _touch(sessions, folder.name, clock.now())
    return result


def _ingest_one(
    sessions: sessionmaker[Session], settings: Settings, directory: Directory,
    now: datetime, fetched: Fetched,
) -> Work | None:
    """Message, case changes, events, planned mail and checkpoint: one transaction."""
    # Every line about this message carries its folder and uid, and its case once the
    # pipeline knows it (bound there; unbound again when the message is done).
    with structlog.contextvars.bound_contextvars(mailbox=fetched.folder, uid=fetched.uid,
                                                 case=None):
        log.debug("message_fetched", size=fetched.size, live=fetched.live)
        with transaction(sessions) as session:
            env = Env(settings=settings, directory=directory, now=now)
            work = pipeline.run(session, env, fetched)
            session.execute(
                update(MailboxCheckpoint)
                .where(MailboxCheckpoint.folder == fetched.folder,
                       MailboxCheckpoint.uidvalidity == fetched.uidvalidity,
                       MailboxCheckpoint.last_uid < fetched.uid)
                .values(last_uid=fetched.uid, updated_at=now, last_error=None)
            )
        return work


def _after_commit(
    mailbox: Mailbox, settings: Settings, uids: list[int], on_commit: Callable[[], None] | None,
) -> None:
    """Flag or move only what is committed; the rows are safe whatever happens here."""
    if not uids:
        return
    if settings.imap.mark_seen:
        mailbox.mark_seen(uids)
    if settings.imap.processed_folder:
        mailbox.move(uids, settings.imap.processed_folder)
    if on_commit is not None:
        on_commit()


def _touch(sessions: sessionmaker[Session], folder: str, now: datetime) -> None:
    with transaction(sessions) as session:
        cp = session.get(MailboxCheckpoint, folder)
        if cp is not None:
            cp.last_poll_at = now
            cp.last_error = None  # a whole pass worked: an earlier error is over


def _plus(r: PassResult, *, fetched: int = 0, stored: int = 0, quarantined: int = 0,
          cases_opened: int = 0, stopped: bool = False) -> PassResult:
    return PassResult(
        fetched=r.fetched + fetched, stored=r.stored + stored,
        quarantined=r.quarantined + quarantined, cases_opened=r.cases_opened + cases_opened,
        stopped=r.stopped or stopped,
    )


def record_idle(sessions: sessionmaker[Session], folder: str, idle: bool) -> None:
    """Whether the folder's watcher waits in IDLE (True) or polls, for `status`."""
    with transaction(sessions) as session:
        cp = session.get(MailboxCheckpoint, folder)
        if cp is not None and cp.idle != idle:
            cp.idle = idle


def record_error(sessions: sessionmaker[Session], folder: str, error: str) -> None:
    """Keep the last connection or database error on the checkpoint for `status`."""
    try:
        with transaction(sessions) as session:
            cp = session.get(MailboxCheckpoint, folder)
            if cp is not None:
                cp.last_error = error[:1000]
    except Exception:  # the database itself may be what failed
        pass
