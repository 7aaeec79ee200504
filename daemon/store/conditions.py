"""What is wrong with the desk right now: conditions raised and cleared where a fault is met,
read by `status`, by the alerts and by the digest.

A condition is a kind (one of the names below) and a subject: the server, the file, the
sender it is about ("" when there is only one). `report` starts an episode, or extends the
one that lasts; `clear` ends it. Both work in the caller's transaction; `report_safely` and
`clear_safely` open their own and never raise, for callers whose failure may be the
database itself. The start and the end of an episode are each an event and a log line; a
repeated report only moves `last_seen_at` and the detail (the caller logs its own line).

`reason` is the one line an operator reads in `status` and in the digest: what is wrong,
since when, and what to do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings
from daemon.store import audit
from daemon.store.audit import ACTOR
from daemon.store.db import transaction
from daemon.text import one_line
from models import Condition, OutboxMail

log = structlog.get_logger("watchkeeper.conditions")


# The SMTP server cannot be reached, refuses our login, or refuses mail (subject host:port;
# data: cause = unreachable | login | refused, error, waiting, held). Raised and cleared by
# the outbox delivery.
SMTP_UNAVAILABLE = "smtp_unavailable"
# The IMAP server refuses our login, or no credentials could be had (subject user@host;
# data: auth = password | xoauth2). Raised by the folder watchers, cleared by a login.
IMAP_LOGIN_REFUSED = "imap_login_refused"
# The configured directory file was refused at start or on SIGHUP (subject: its path;
# data: problems, contact_points kept). Cleared by the next good import of the file.
DIRECTORY_REFUSED = "directory_refused"
# Quarantined mail waits longer than its alert time (subject ""; data: count, oldest_at).
QUARANTINE_WAITING = "quarantine_waiting"
# A sender is over the limit of automatic answers (subject: the address; data: held).
SENDER_RATE_LIMITED = "sender_rate_limited"

KINDS = (SMTP_UNAVAILABLE, IMAP_LOGIN_REFUSED, DIRECTORY_REFUSED, QUARANTINE_WAITING,
         SENDER_RATE_LIMITED)

DETAIL_CHARS = 2000


# ---------------------------------------------------------------- raising and clearing


def report(session: Session, kind: str, subject: str, detail: str, *, now: datetime,
           **data: Any) -> Condition:
    """Say that `kind` holds for `subject` now. Starts an episode when none lasts (event
    `condition_raised`, one log line); `data` is merged into the episode's data."""
    row = _locked(session, kind, subject)
    if row is None:
        values = {"kind": kind, "subject": subject, "detail": "", "data": {}, "since": now,
                  "last_seen_at": now, "seen": 0}
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        # Two watchers may meet the same fault at once: the second insert does nothing.
        session.execute(insert(Condition).values(**values).on_conflict_do_nothing(
            index_elements=["kind", "subject"]))
        row = _locked(session, kind, subject)
        assert row is not None, "the row was inserted or already there"
    started = row.seen == 0 or row.cleared_at is not None
    if started:
        row.since, row.seen, row.data = now, 0, {}
        row.cleared_at = row.alerted_at = row.recovery_alerted_at = None
    row.seen += 1
    row.last_seen_at = now
    row.detail = " ".join(detail.split())[:DETAIL_CHARS]
    row.data = {**row.data, **data}
    if started:
        audit.record(session, "condition_raised", at=now, actor=ACTOR, condition=kind,
                     subject=subject, detail=row.detail, **data)
        log.warning("condition_raised", condition=kind, subject=subject, detail=row.detail)
    return row


def clear(session: Session, kind: str, subject: str | None = None, *, now: datetime,
          **data: Any) -> list[Condition]:
    """End the episode of `kind` for `subject` (every subject when None), if one lasts.
    Returns the conditions cleared, each with an event and a log line."""
    query = select(Condition).where(Condition.kind == kind, Condition.cleared_at.is_(None))
    if subject is not None:
        query = query.where(Condition.subject == subject)
    cleared = []
    for row in session.scalars(query.with_for_update()):
        if row.seen == 0:
            continue  # inserted by a report still in progress elsewhere
        row.cleared_at = now
        row.data = {**row.data, **data}
        lasted = round((now - row.since).total_seconds())
        audit.record(session, "condition_cleared", at=now, actor=ACTOR, condition=kind,
                     subject=row.subject, lasted_s=lasted, **data)
        log.info("condition_cleared", condition=kind, subject=row.subject, lasted_s=lasted)
        cleared.append(row)
    return cleared


def report_safely(sessions: sessionmaker[Session], kind: str, subject: str, detail: str, *,
                  now: datetime, **data: Any) -> None:
    """`report` in a transaction of its own; a failure is logged, never raised."""
    _safely("report", kind, lambda s: report(s, kind, subject, detail, now=now, **data),
            sessions)


def clear_safely(sessions: sessionmaker[Session], kind: str, subject: str | None = None, *,
                 now: datetime, **data: Any) -> None:
    """`clear` in a transaction of its own; a failure is logged, never raised."""
    _safely("clear", kind, lambda s: clear(s, kind, subject, now=now, **data), sessions)


def _safely(what: str, kind: str, fn: Callable[[Session], object],
            sessions: sessionmaker[Session]) -> None:
    try:
        with transaction(sessions) as session:
            fn(session)
    except Exception as exc:  # the database may be what failed; the caller goes on
        log.warning("condition_not_recorded", action=what, condition=kind, error=one_line(exc))


def _locked(session: Session, kind: str, subject: str) -> Condition | None:
    return session.scalars(
        select(Condition).where(Condition.kind == kind, Condition.subject == subject)
        .with_for_update()
    ).first()


# ---------------------------------------------------------------- reading


def active(session: Session, kinds: Iterable[str] | None = None) -> list[Condition]:
    """Conditions that hold now, oldest first."""
    query = select(Condition).where(Condition.cleared_at.is_(None), Condition.seen > 0)
    if kinds is not None:
        query = query.where(Condition.kind.in_(tuple(kinds)))
    return list(session.scalars(query.order_by(Condition.since, Condition.id)))


def grace(kind: str, settings: Settings) -> timedelta:
    """How long a condition may hold before the desk counts as degraded and the operators
    are told: at once, except a refused IMAP login (`imap.login_alert_minutes`), which a
    token renewed a minute late or a server restart can explain."""
    if kind == IMAP_LOGIN_REFUSED:
        return timedelta(minutes=settings.imap.login_alert_minutes)
    return timedelta(0)


def is_due(condition: Condition, settings: Settings, now: datetime) -> bool:
    """Whether the condition holds and has held longer than its grace."""
    return (condition.cleared_at is None and condition.seen > 0
            and now - condition.since >= grace(condition.kind, settings))


@dataclass(frozen=True)
class Standing:
    """A condition that holds, as `status` and the digest show it: whether it counts
    (past its grace; SMTP only while mail waits) and the line an operator reads."""

    condition: Condition
    counts: bool
    reason: str


def standing(session: Session, settings: Settings, now: datetime) -> list[Standing]:
    """Every condition that holds now, oldest first, with its reason."""
    found = active(session)
    waiting = int(session.scalar(select(func.count(OutboxMail.id)).where(
        OutboxMail.status == "pending")) or 0) if found else 0
    out = []
    for c in found:
        counts = is_due(c, settings, now) and (c.kind != SMTP_UNAVAILABLE or waiting > 0)
        out.append(Standing(c, counts, reason(c, settings, waiting=waiting)))
    return out


def needing_attention(session: Session, settings: Settings, now: datetime) -> list[str]:
    """The reasons of the conditions that count now: what `status` says is wrong, and what
    the digest opens with."""
    return [s.reason for s in standing(session, settings, now) if s.counts]


# ---------------------------------------------------------------- the line an operator reads


def local_text(at: datetime, settings: Settings) -> str:
    return at.astimezone(settings.desk.zone).strftime("%Y-%m-%d %H:%M %Z")


def plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def reason(condition: Condition, settings: Settings, **live: Any) -> str:
    """One line: what is wrong, since when, what to do. `live` carries figures the caller
    has just counted (`waiting` for SMTP), which win over those recorded."""
    since = local_text(condition.since, settings)
    oldest = condition.data.get("oldest_at")  # what waits longest, when the data says
    if isinstance(oldest, str):
        since = local_text(datetime.fromisoformat(oldest), settings)
    describe = _REASONS.get(condition.kind, _generic)
    return describe(condition, since, {**condition.data, **live})


def _smtp(c: Condition, since: str, data: dict[str, Any]) -> str:
    waiting = plural(int(data.get("waiting") or 0), "mail waits", "mails wait")
    cause = data.get("cause")
    if cause == "login":
        return (f"SMTP server {c.subject} refuses our login since {since} ({c.detail}): "
                f"{waiting} to be sent. Check smtp.username and its password.")
    if cause == "refused":
        return (f"SMTP server {c.subject} refuses mail since {since} ({c.detail}): {waiting} "
                "to be sent. Check the mail server's log; the mail is retried and leaves by "
                "itself once the server accepts it.")
    return (f"SMTP server {c.subject} cannot be reached since {since} ({c.detail}): "
            f"{waiting} to be sent. Check the mail server and smtp.host/smtp.port; the mail "
            "leaves by itself once the server answers.")


def _imap_login(c: Condition, since: str, data: dict[str, Any]) -> str:
    if data.get("auth") == "xoauth2":
        advice = ("Renew the access token (what writes imap.oauth_token_file or answers "
                  "imap.oauth_token_command) and check the application's access to the "
                  "mailbox")
    else:
        advice = "Check imap.username and its password"
    return (f"IMAP login refused since {since}: {c.detail}. {advice}; no mail is read "
            "until the login works.")


def _directory(c: Condition, since: str, data: dict[str, Any]) -> str:
    problems = data.get("problems") or [c.detail]
    more = len(problems) - 1
    kept = int(data.get("contact_points") or 0)
    head = f"directory file {c.subject} refused since {since}: {problems[0]}"
    if more:
        head += f" (and {plural(more, 'more problem', 'more problems')})"
    if kept:
        state = (f"The desk works with the directory it had "
                 f"({plural(kept, 'contact point', 'contact points')})")
    else:
        state = "The directory is empty: every sender is treated as a stranger"
    return (f"{head}. {state}; fix the file (watchkeeper directory validate FILE), then "
            "reload the daemon (SIGHUP, systemctl reload watchkeeper).")


def _quarantine(c: Condition, since: str, data: dict[str, Any]) -> str:
    count = int(data.get("count") or 1)
    return (f"{plural(count, 'quarantined message waits', 'quarantined messages wait')} for "
            f"an operator since {since}: read them with 'watchkeeper quarantine list', then "
            "release or dismiss each one.")


def _rate_limited(c: Condition, since: str, data: dict[str, Any]) -> str:
    held = int(data.get("held") or 0)
    return (f"sender {c.subject} is rate-limited since {since}: "
            f"{plural(held, 'mail was', 'mails were')} not acknowledged "
            "(smtp.max_auto_replies_per_hour). A flood or a mail loop? Look at this sender's "
            "cases (watchkeeper cases --open) and answer the real requests by hand.")


def _generic(c: Condition, since: str, data: dict[str, Any]) -> str:
    what = c.kind.replace("_", " ")
    return f"{what}{' ' + c.subject if c.subject else ''} since {since}: {c.detail}"


_REASONS: dict[str, Callable[[Condition, str, dict[str, Any]], str]] = {
    SMTP_UNAVAILABLE: _smtp,
    IMAP_LOGIN_REFUSED: _imap_login,
    DIRECTORY_REFUSED: _directory,
    QUARANTINE_WAITING: _quarantine,
    SENDER_RATE_LIMITED: _rate_limited,
}
