"""Delivery of the outbox through the SMTP adapter: claims, leases, results, retries.

Due rows are claimed in a short transaction that counts the attempt and writes a lease
before anything is sent: who sends (`host/pid/instance`) and until when. A crash after the
server accepted a mail and before the result is recorded leaves the row pending and
leased; the next sender takes it again, once, with the same bytes and the same
Message-ID — at once when the lease's holder is known to be gone (a process of this host
that no longer runs, a daemon instance that stopped or no longer beats), else when the
lease runs out. Each result is recorded in its own transaction right after its mail,
which also ends the lease, so a crash loses at most the result of the mail on the wire.

When the database fails instead (an outage, not a crash), what the server said is kept in
memory (`Unrecorded`): a mail it accepted keeps its lease, so nobody sends it again, and
is recorded as sent, with the time it left, before anything else is claimed once the
database answers; the mails of the burst that were not sent are given back.
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import structlog
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from config.settings import ConfigError, Settings, SmtpSettings
from daemon.adapters.imap import Mailbox, MailboxError
from daemon.adapters.smtp import PERMANENT, SENT, TEMPORARY, Connection, Outcome, SmtpUnavailable
from daemon.outbound.hooks import OnSent
from daemon.outbound.replies import alert_delivery_failure
from daemon.process.clock import Clock
from daemon.store import audit, conditions
from daemon.store.audit import ACTOR
from daemon.store.db import DATABASE_ERRORS, transaction
from daemon.store.instances import STALE_AFTER
from models import Case, DaemonInstance, Message, OutboxMail

log = structlog.get_logger("watchkeeper.sender")

# A safety bound on bursts per call, so that one call always returns.
MAX_BURSTS_PER_CALL = 100


@dataclass(frozen=True)
class Claimed:
    """A claimed outbox row: what is needed to send it, read in the claiming transaction."""

    id: int
    key: str
    purpose: str
    message_id: str
    mail_from: str
    recipients: tuple[str, ...]
    raw: bytes


def retry_delay(smtp: SmtpSettings, attempts: int) -> timedelta:
    """Exponential backoff: the initial delay, doubling per attempt, capped."""
    exponent = max(attempts - 1, 0)
    seconds = smtp.retry_initial_seconds * (2.0 ** min(exponent, 60))
    return timedelta(seconds=min(seconds, smtp.retry_max_seconds))


def give_up_at(smtp: SmtpSettings, created_at: datetime) -> datetime:
    return created_at + timedelta(hours=smtp.give_up_after_hours)


@dataclass(frozen=True)
class Claimer:
    """The process that sends: named in each lease it holds, so that a successor can tell a
    process that is gone from one still at work. A daemon passes its instance id; a command
    that sends once (`digest --send`) gets a name of its own."""

    instance: str = field(default_factory=lambda: f"cli-{uuid.uuid4().hex[:12]}")
    host: str = field(default_factory=lambda: socket.gethostname()[:200])
    pid: int = field(default_factory=os.getpid)

    @property
    def name(self) -> str:
        return f"{self.host}/{self.pid}/{self.instance}"


def claim_lease(smtp: SmtpSettings, count: int) -> timedelta:
    """How long a claim of `count` mails may take: connecting, then each mail, each within
    the SMTP timeout. Only a holder that may still be at work is waited for this long."""
    return timedelta(seconds=smtp.timeout_seconds * (count + 2))


def claim_due(settings: Settings, sessions: sessionmaker[Session], now: datetime,
              limit: int, claimer: Claimer | None = None) -> list[Claimed]:
    """Claim up to `limit` due rows: count the attempt and write the lease first."""
    who = claimer or Claimer()
    with transaction(sessions) as session:
        query = (
            select(OutboxMail)
            .where(OutboxMail.status == "pending", or_(
                and_(OutboxMail.claimed_by.is_(None), OutboxMail.next_attempt_at <= now),
                and_(OutboxMail.claimed_by.is_not(None), OutboxMail.claimed_until <= now),
            ))
            .order_by(OutboxMail.next_attempt_at, OutboxMail.id)
            .limit(limit)
        )
        if session.get_bind().dialect.name == "postgresql":
            # Two senders never take the same row (SQLite serialises writers at BEGIN).
            query = query.with_for_update(skip_locked=True)
        claimed: list[Claimed] = []
        until = now + claim_lease(settings.smtp, limit)
        for row in session.scalars(query):
            if row.claimed_by is not None:
                log.warning("outbox_lease_expired", key=row.key, claimed_by=row.claimed_by,
                            message_id=row.message_id)
            row.attempts += 1
            row.claimed_by, row.claimed_until = who.name, until
            claimed.append(Claimed(
                id=row.id, key=row.key, purpose=row.purpose, message_id=row.message_id,
                mail_from=row.mail_from, recipients=tuple(row.recipients), raw=row.raw,
            ))
        return claimed


def _gone(holder: str, me: Claimer, daemons: dict[str, DaemonInstance], now: datetime) -> bool:
    """Whether the process named in a lease can no longer be sending: a daemon instance that
    stopped or whose heartbeat is stale, or a process of this host that is not running (or
    whose pid is now ours). A daemon that still beats may hold a mail the server accepted
    while its database was out, to be recorded when the database answers: its lease
    stands, even though this process leads now."""
    host, _, rest = holder.partition("/")
    pid_text, _, instance = rest.partition("/")
    if instance == me.instance:
        return False
    daemon = daemons.get(instance)
    if daemon is not None and (daemon.stopped_at is not None
                               or now - daemon.heartbeat_at > STALE_AFTER):
        return True
    if host != me.host or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == me.pid:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, under another user
        return False
    return False


def release_stale_claims(sessions: sessionmaker[Session], me: Claimer, now: datetime) -> int:
    """At a daemon's start: end the leases of processes that are gone, so their mail leaves
    at once instead of when the lease runs out. Returns how many mails were released."""
    with transaction(sessions) as session:
        rows = list(session.scalars(select(OutboxMail).where(
            OutboxMail.status == "pending", OutboxMail.claimed_by.is_not(None))))
        if not rows:
            return 0
        daemons = {d.instance_id: d for d in session.scalars(select(DaemonInstance))}
        released: dict[str, int] = {}
        for row in rows:
            holder = row.claimed_by or ""
            if _gone(holder, me, daemons, now):
                row.claimed_by, row.claimed_until = None, None
                row.next_attempt_at = min(row.next_attempt_at, now)
                released[holder] = released.get(holder, 0) + 1
        if released:
            log.info("outbox_claims_released", count=sum(released.values()),
                     claimed_by=sorted(released),
                     reason="the process that claimed them is gone: sent again now")
        return sum(released.values())


def give_back(sessions: sessionmaker[Session], me: Claimer) -> int:
    """End this process's leases on mail it claimed and did not send (a burst the database
    cut short): the mail is due again at once, its attempt uncounted. Only while nothing of
    this process is on the wire, and after its accepted mails are recorded."""
    with transaction(sessions) as session:
        result = session.execute(
            update(OutboxMail)
            .where(OutboxMail.status == "pending", OutboxMail.claimed_by == me.name)
            .values(claimed_by=None, claimed_until=None, attempts=OutboxMail.attempts - 1)
            .execution_options(synchronize_session=False))
        return int(getattr(result, "rowcount", 0) or 0)


@dataclass
class Unrecorded:
    """What the database could not take when it happened, kept until it answers again:
    mails the server accepted (each with the time it did), whose leases stand meanwhile,
    and whether a burst was cut short, leaving claimed mail unsent."""

    sent: list[tuple[Claimed, Outcome, datetime]] = field(default_factory=list)
    interrupted: bool = False

    def __bool__(self) -> bool:
        return bool(self.sent) or self.interrupted

    def flush(self, settings: Settings, sessions: sessionmaker[Session], clock: Clock,
              me: Claimer, on_sent: OnSent) -> None:
        """Record the accepted mails as sent, then give back what was left unsent; raises
        the database's error (keeping the rest) while it is still away."""
        while self.sent:
            item, outcome, at = self.sent[0]
            record(settings, sessions, clock, item, outcome, on_sent=on_sent, at=at)
            self.sent.pop(0)
        if self.interrupted:
            given = give_back(sessions, me)
            self.interrupted = False
            if given:
                log.info("outbox_claims_released", count=given, claimed_by=[me.name],
                         reason="claimed before the database failed, not sent: due now")


def record(settings: Settings, sessions: sessionmaker[Session], clock: Clock, item: Claimed,
           outcome: Outcome, *, on_sent: OnSent, at: datetime | None = None) -> None:
    """Write what happened to one mail (`at`, by default now), with its event, log line
    and alert; a mail of a case that left is reported to the case layer (`on_sent`)."""
    now = at if at is not None else clock.now()
    with transaction(sessions) as session:
        row = session.get(OutboxMail, item.id)
        if row is None or row.status != "pending":
            return
        row.claimed_by, row.claimed_until = None, None
        case = session.get(Case, row.case_id) if row.case_id is not None else None
        ref = case.reference if case is not None else None
        deadline = give_up_at(settings.smtp, row.created_at)
        if outcome.result == SENT:
            _record_sent(session, settings, now, row, case, outcome, on_sent)
        elif outcome.result == PERMANENT or now >= deadline:
            error = outcome.error or "unknown error"
            if outcome.result == TEMPORARY:
                error = f"gave up after {settings.smtp.give_up_after_hours:g} h: {error}"
            row.status = "failed"
            row.failed_at = now
            row.last_error = error
            audit.record(session, "mail_failed", at=now, actor=ACTOR, case=case, outbox=row.key,
                         purpose=row.purpose, error=error, attempts=row.attempts,
                         recipients=list(row.recipients))
            log.error("mail_failed", key=row.key, purpose=row.purpose, error=error,
                      attempts=row.attempts, to=list(row.recipients),
                      message_id=row.message_id, case=ref)
            alert_delivery_failure(session, settings, now, row, error, case=case)
        else:
            row.last_error = outcome.error
            row.next_attempt_at = min(now + retry_delay(settings.smtp, row.attempts), deadline)
            audit.record(session, "mail_retry_scheduled", at=now, actor=ACTOR, case=case,
                         outbox=row.key, error=outcome.error, attempts=row.attempts,
                         next_attempt_at=row.next_attempt_at.isoformat())
            log.warning("mail_retry_scheduled", key=row.key, purpose=row.purpose,
                        error=outcome.error, attempts=row.attempts,
                        next_attempt_at=row.next_attempt_at.isoformat(),
                        message_id=row.message_id, case=ref)


def _record_sent(session: Session, settings: Settings, now: datetime, row: OutboxMail,
                 case: Case | None, outcome: Outcome, on_sent: OnSent) -> None:
    row.status = "sent"
    row.sent_at = now
    accepted = [a for a in row.recipients if a not in dict(outcome.refused)]
    row.last_error = ("refused: " + "; ".join(f"{a}: {e}" for a, e in outcome.refused)
                      if outcome.refused else None)
    ref = case.reference if case is not None else None
    if case is not None:
        on_sent(session, row, case, now)
    audit.record(session, "mail_sent", at=now, actor=ACTOR, case=case, outbox=row.key,
                 purpose=row.purpose, message_id=row.message_id, to=accepted,
                 attempts=row.attempts)
    log.info("mail_sent", key=row.key, purpose=row.purpose, to=accepted,
             message_id=row.message_id, attempts=row.attempts, case=ref,
             **_answered(session, row))
    if outcome.refused:
        error = row.last_error or "refused"
        audit.record(session, "mail_failed", at=now, actor=ACTOR, case=case, outbox=row.key,
                     purpose=row.purpose, error=error, recipients=[a for a, _ in outcome.refused])
        log.error("mail_failed", key=row.key, purpose=row.purpose, error=error,
                  to=[a for a, _ in outcome.refused], message_id=row.message_id, case=ref)
        alert_delivery_failure(session, settings, now, row, error, case=case)


def copy_to_sent(settings: Settings, mails: list[Claimed]) -> int:
    """Append a copy of each sent mail to the Sent folder (`imap.append_sent`), so that
    operators see in their mail client what the desk sent. Best effort: a failure is logged
    and never changes what was delivered. Returns how many copies were stored."""
    if not mails:
        return 0
    mailbox = Mailbox(settings.imap)
    stored = 0
    try:
        mailbox.connect()
        folder = settings.imap.sent_folder or mailbox.find_sent()
        if not folder:
            log.warning("sent_copy_failed", reason="no Sent folder (set imap.sent_folder)",
                        keys=[m.key for m in mails])
            return 0
        for item in mails:
            mailbox.append(folder, item.raw)
            stored += 1
        log.debug("sent_copied", mailbox=folder, count=stored)
    except (MailboxError, ConfigError) as exc:
        log.warning("sent_copy_failed", error=str(exc), keys=[m.key for m in mails[stored:]])
    finally:
        mailbox.close()
    return stored


async def _deliver_burst(settings: Settings, sessions: sessionmaker[Session], clock: Clock,
                         batch: list[Claimed], unrecorded: Unrecorded,
                         on_sent: OnSent) -> tuple[int, bool]:
    """Send a claimed batch over one connection, then copy what went to the Sent folder
    when configured. Returns (sent, server reachable)."""
    delivered: list[Claimed] = []
    try:
        return await _send_burst(settings, sessions, clock, batch, delivered, unrecorded,
                                 on_sent)
    finally:
        if settings.imap.append_sent and settings.imap.host and delivered:
            await asyncio.to_thread(copy_to_sent, settings, delivered)


def _record_or_keep(settings: Settings, sessions: sessionmaker[Session], clock: Clock,
                    item: Claimed, outcome: Outcome, unrecorded: Unrecorded,
                    on_sent: OnSent) -> None:
    """Record a mail the server accepted; if the database fails, keep it (and its lease)
    to be recorded when the database answers, and stop the burst with the error."""
    at = clock.now()
    try:
        record(settings, sessions, clock, item, outcome, on_sent=on_sent, at=at)
    except DATABASE_ERRORS:
        unrecorded.sent.append((item, outcome, at))
        log.warning("mail_sent_unrecorded", key=item.key, purpose=item.purpose,
                    message_id=item.message_id,
                    reason="database unavailable: recorded as sent when it answers")
        raise


async def _send_burst(settings: Settings, sessions: sessionmaker[Session], clock: Clock,
                      batch: list[Claimed], delivered: list[Claimed],
                      unrecorded: Unrecorded, on_sent: OnSent) -> tuple[int, bool]:
    secret = settings.smtp.secret() if settings.smtp.username else ""
    try:
        async with Connection(settings.smtp, secret) as smtp:
            sent = 0
            refusals: list[Outcome] = []
            for position, item in enumerate(batch):
                outcome = await smtp.send(item.mail_from, item.recipients, item.raw)
                if outcome.result == SENT:
                    sent += 1
                    delivered.append(item)
                    _record_or_keep(settings, sessions, clock, item, outcome, unrecorded,
                                    on_sent)
                    if sent == 1:
                        smtp_answered(settings, sessions, clock.now())
                else:
                    record(settings, sessions, clock, item, outcome, on_sent=on_sent)
                    if outcome.result == TEMPORARY and outcome.whole_mail:
                        refusals.append(outcome)
                if outcome.connection_lost or not smtp.connected:
                    # The rest of the burst waits for its retry, on a fresh connection.
                    lost = Outcome(TEMPORARY, f"connection lost: {outcome.error}",
                                   connection_lost=True)
                    for rest in batch[position + 1:]:
                        record(settings, sessions, clock, rest, lost, on_sent=on_sent)
                    smtp_failed(settings, sessions, clock.now(), UNREACHABLE,
                                lost.error or "connection lost")
                    return sent, False
            if not sent and len(refusals) == len(batch):
                # Every mail refused for now at MAIL or DATA: the server takes none.
                smtp_failed(settings, sessions, clock.now(), REFUSED,
                            refusals[-1].error or "refused")
            return sent, True
    except SmtpUnavailable as exc:
        outcome = Outcome(TEMPORARY, str(exc), connection_lost=True)
        if exc.login_refused:
            # A configuration problem, not an outage: say so loudly, keep the mail.
            log.error("smtp_login_failed", host=settings.smtp.host,
                      username=settings.smtp.username, error=outcome.error, pending=len(batch))
        else:
            log.warning("smtp_unavailable", host=settings.smtp.host, port=settings.smtp.port,
                        error=outcome.error, pending=len(batch))
        for item in batch:
            record(settings, sessions, clock, item, outcome, on_sent=on_sent)
        smtp_failed(settings, sessions, clock.now(), LOGIN if exc.login_refused else UNREACHABLE,
                    str(exc))
        return 0, False


# Causes of the SMTP condition (`conditions.SMTP_UNAVAILABLE`, data "cause").
UNREACHABLE, LOGIN, REFUSED = "unreachable", "login", "refused"


def smtp_subject(smtp: SmtpSettings) -> str:
    return f"{smtp.host}:{smtp.port}"


def smtp_failed(settings: Settings, sessions: sessionmaker[Session], now: datetime, cause: str,
                error: str) -> None:
    """The server cannot be reached, refuses our login or refuses every mail: raise (or
    extend) the SMTP condition with how much mail waits now and the most that waited."""
    try:
        with transaction(sessions) as session:
            waiting = int(session.scalar(select(func.count(OutboxMail.id)).where(
                OutboxMail.status == "pending")) or 0)
            row = conditions.report(session, conditions.SMTP_UNAVAILABLE,
                                    smtp_subject(settings.smtp), error, now=now, cause=cause,
                                    waiting=waiting)
            row.data = {**row.data, "held": max(int(row.data.get("held") or 0), waiting)}
    except Exception as exc:  # the outage must not stop the delivery loop
        log.warning("condition_not_recorded", condition=conditions.SMTP_UNAVAILABLE,
                    error=f"{type(exc).__name__}: {exc}".splitlines()[0])


def smtp_answered(settings: Settings, sessions: sessionmaker[Session], now: datetime) -> None:
    """The server took a mail: an SMTP outage, if one was recorded, is over."""
    conditions.clear_safely(sessions, conditions.SMTP_UNAVAILABLE, now=now)


async def deliver_pending(settings: Settings, sessions: sessionmaker[Session], clock: Clock,
                          claimer: Claimer | None = None,
                          unrecorded: Unrecorded | None = None, *, on_sent: OnSent) -> int:
    """Send every outbox mail that is due; returns how many were accepted by the server.
    What a sent mail means for its case is the case layer's to say (`on_sent`, given
    `daemon.cases.transitions.mail_sent` by the service and the commands).

    A database error ends the call (raised). What it left unrecorded is kept in
    `unrecorded` and written first by the next call, before anything else is claimed: a
    daemon passes the same one each time."""
    who = claimer or Claimer()
    pending = unrecorded if unrecorded is not None else Unrecorded()
    total = 0
    try:
        pending.flush(settings, sessions, clock, who, on_sent)
        for _ in range(MAX_BURSTS_PER_CALL):
            batch = claim_due(settings, sessions, clock.now(), settings.smtp.burst_size, who)
            if not batch:
                break
            sent, reachable = await _deliver_burst(settings, sessions, clock, batch, pending,
                                                   on_sent)
            total += sent
            if not reachable:
                break
    except DATABASE_ERRORS:
        pending.interrupted = True
        raise
    return total


def _answered(session: Session, row: OutboxMail) -> dict[str, object]:
    """The folder and uid of the mail this one answers, so that the line about sending an
    acknowledgement sits with the lines about the request it acknowledges."""
    if not row.in_reply_to:
        return {}
    found = session.execute(
        select(Message.folder, Message.uid).where(
            Message.message_id == row.in_reply_to.strip("<>"), Message.direction == "in")
        .order_by(Message.id).limit(1)).first()
    return {"mailbox": found[0], "uid": found[1]} if found is not None else {}
