"""`watchkeeper status [--json]`: is the desk healthy? Exit 0 healthy, 1 degraded, 2 down."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from config.settings import Settings
from daemon import __version__
from daemon.cases.transitions import pending_deadlines
from daemon.outbound.outbox import OPERATOR_PURPOSES
from daemon.process.context import ContextError, from_args
from daemon.rules.intake import UNCLASSIFIED
from daemon.store import conditions
from daemon.store.db import DATABASE_ERRORS, DatabaseUnreachable
from daemon.store.instances import DOWN_AFTER
from daemon.text import one_line
from models import Case, DaemonInstance, MailboxCheckpoint, Message, OutboxMail, TriageItem

HEALTHY, DEGRADED, DOWN = "healthy", "degraded", "down"
EXIT = {HEALTHY: 0, DEGRADED: 1, DOWN: 2}
LEADER_ROLES = ("leader", "active")
# Mail still unsent this long after it was planned means sending is stuck.
STUCK_OUTBOX = timedelta(minutes=30)
FAILED_WINDOW = timedelta(hours=24)
POLL_GRACE_SECONDS = 30
# Mail to the desk's own staff that `status` lists while it cannot be delivered.
STAFF_PURPOSES = (*sorted(OPERATOR_PURPOSES), "call_prompt", "reminder", "escalation",
                  "preservation_warning")
ALERTS_SHOWN = 10


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "status", help="health of the desk (exit 0 healthy, 1 degraded, 2 down)")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.set_defaults(handler=run)


@dataclass
class Health:
    state: str = HEALTHY
    reasons: list[str] = field(default_factory=list)
    version: str = __version__
    checked_at: str = ""
    role: str = "none"
    instances: list[dict[str, Any]] = field(default_factory=list)
    folders: list[dict[str, Any]] = field(default_factory=list)
    outbox: dict[str, Any] = field(default_factory=dict)
    quarantined: int = 0
    triage_open: int = 0  # mail from unknown addresses waiting for an operator
    unclassified_cases: int = 0  # open cases whose type an operator must set
    conditions: list[dict[str, Any]] = field(default_factory=list)
    alerts_waiting: list[dict[str, Any]] = field(default_factory=list)
    next: list[dict[str, str]] = field(default_factory=list)
    command_auth: list[str] = field(default_factory=list)  # empty: command-by-mail is off

    def worse(self, state: str, reason: str) -> None:
        self.reasons.append(reason)
        if EXIT[state] > EXIT[self.state]:
            self.state = state


def poll_overdue_after(settings: Settings) -> timedelta:
    """A watcher catches its folder up at least every `imap.poll_seconds`, IDLE or not; a
    pass may take a little while, hence the grace."""
    return timedelta(seconds=settings.imap.poll_seconds + POLL_GRACE_SECONDS)


# Each check reads one part of the desk's state, fills its part of `Health`, and returns
# the reasons it found, each (state, line). `collect` runs them in order.
Reason = tuple[str, str]
Check = Callable[[Session, Settings, datetime, Health], list[Reason]]


def collect(session: Session, settings: Settings, now: datetime) -> Health:
    """Read the desk's state from the database; the database is the only source."""
    health = Health(checked_at=now.isoformat())
    for check in CHECKS:
        for state, reason in check(session, settings, now, health):
            health.worse(state, reason)
    return health


def check_daemons(session: Session, settings: Settings, now: datetime,
                  health: Health) -> list[Reason]:
    """A daemon with a fresh heartbeat, and one of them leading. A daemon beats every 15 s:
    down 45 s after its last beat (three beats missed), so within a minute of dying, whether
    it stopped cleanly, was killed, or cannot reach the database."""
    stale = DOWN_AFTER
    live = []
    for d in session.scalars(select(DaemonInstance).where(DaemonInstance.stopped_at.is_(None))
                             .order_by(DaemonInstance.started_at)):
        age = (now - d.heartbeat_at).total_seconds()
        fresh = age <= stale.total_seconds()
        health.instances.append({
            "instance": d.instance_id, "host": d.host, "pid": d.pid, "role": d.role,
            "version": d.version, "started_at": d.started_at.isoformat(),
            "heartbeat_age_s": round(age, 1), "alive": fresh})
        if fresh:
            live.append(d)
    leaders = [d for d in live if d.role in LEADER_ROLES]
    health.role = "leader" if leaders else ("standby" if live else "none")
    if not live:
        return [(DOWN, f"no daemon heartbeat in the last {int(stale.total_seconds())} s")]
    if not leaders:
        return [(DEGRADED, "no leader: every running daemon is on standby")]
    return []


def check_folders(session: Session, settings: Settings, now: datetime,
                  health: Health) -> list[Reason]:
    """Each watched folder polled within its interval, without an error. While the IMAP
    login is refused, that condition speaks for the folders (after its grace)."""
    overdue = poll_overdue_after(settings)
    login_refused = bool(conditions.active(session, [conditions.IMAP_LOGIN_REFUSED]))
    leading = health.role == "leader"
    reasons: list[Reason] = []
    for cp in session.scalars(select(MailboxCheckpoint).order_by(MailboxCheckpoint.folder)):
        poll_age = (now - cp.last_poll_at).total_seconds() if cp.last_poll_at else None
        # A long catch-up moves the checkpoint with every message before the pass ends.
        active = max(a for a in (cp.last_poll_at, cp.updated_at) if a is not None)
        health.folders.append({
            "folder": cp.folder, "last_poll_at": _iso(cp.last_poll_at),
            "last_poll_age_s": round(poll_age, 1) if poll_age is not None else None,
            "idle": cp.idle, "last_uid": cp.last_uid, "last_error": cp.last_error})
        if login_refused:
            continue
        if cp.last_error:
            reasons.append((DEGRADED, f"folder {cp.folder}: {cp.last_error} (the watcher "
                            "reconnects by itself; check the IMAP server if this lasts)"))
        elif leading and (poll_age is None or now - active > overdue):
            when = "ever" if poll_age is None else f"{int(poll_age)} s"
            reasons.append((DEGRADED, f"folder {cp.folder} not polled for {when} (every "
                            f"{settings.imap.poll_seconds} s expected): is the watcher stuck? "
                            "Look at the daemon's log, restart it if this lasts"))
    if leading and not health.folders and not login_refused:
        reasons.append((DEGRADED, "no folder polled yet"))
    return reasons


def check_outbox(session: Session, settings: Settings, now: datetime,
                 health: Health) -> list[Reason]:
    """Mail leaves: nothing unsent for long, nothing failed lately."""
    pending = session.execute(
        select(func.count(OutboxMail.id), func.min(OutboxMail.created_at),
               func.min(OutboxMail.next_attempt_at))
        .where(OutboxMail.status == "pending")).one()
    since = now - FAILED_WINDOW
    failed = session.scalar(
        select(func.count(OutboxMail.id)).where(
            OutboxMail.status == "failed", OutboxMail.failed_at >= since)) or 0
    bounced = session.scalar(
        select(func.count(OutboxMail.id)).where(
            OutboxMail.status == "bounced", OutboxMail.failed_at >= since)) or 0
    # A delay notice is news, not a fault: shown, never a reason.
    delayed = session.scalar(
        select(func.count(OutboxMail.id)).where(
            OutboxMail.status == "sent", OutboxMail.delayed_at >= since)) or 0
    health.outbox = {"pending": pending[0], "oldest_unsent_at": _iso(pending[1]),
                     "failed_last_24h": failed, "bounced_last_24h": bounced,
                     "delayed_last_24h": delayed}
    if pending[2] is not None:
        health.next.append({"job": "outbox delivery", "at": _local(pending[2], settings)})
    for row in session.scalars(
            select(OutboxMail).where(OutboxMail.status == "pending",
                                     OutboxMail.purpose.in_(STAFF_PURPOSES),
                                     OutboxMail.attempts > 0)
            .order_by(OutboxMail.created_at).limit(ALERTS_SHOWN)):
        health.alerts_waiting.append({"subject": row.subject, "to": list(row.recipients),
                                      "planned_at": row.created_at.isoformat(),
                                      "attempts": row.attempts, "last_error": row.last_error})
    reasons: list[Reason] = []
    if pending[1] is not None and now - pending[1] > STUCK_OUTBOX:
        reasons.append((DEGRADED, f"outbox: {pending[0]} unsent, the oldest since "
                        f"{_local(pending[1], settings)}"))
    if failed:
        reasons.append((DEGRADED, f"{failed} mail{'s' if failed > 1 else ''} could not be "
                        "delivered in the last 24 h"))
    if bounced:
        reasons.append((DEGRADED, f"{bounced} mail{'s were' if bounced > 1 else ' was'} "
                        "returned by the partner's mail system (bounced) in the last 24 h: "
                        "the partner never got it; call them (the alert gives the number) and "
                        "check the directory address"))
    return reasons


def check_conditions(session: Session, settings: Settings, now: datetime,
                     health: Health) -> list[Reason]:
    """What the daemon found wrong and has not seen mended (store/conditions.py), each
    once it has held past its grace. SMTP counts while mail waits."""
    reasons: list[Reason] = []
    for item in conditions.standing(session, settings, now):
        c = item.condition
        health.conditions.append({
            "condition": c.kind, "subject": c.subject, "since": c.since.isoformat(),
            "last_seen_at": c.last_seen_at.isoformat(), "seen": c.seen, "detail": c.detail,
            "counts": item.counts, "reason": item.reason})
        if item.counts:
            reasons.append((DEGRADED, item.reason))
    return reasons


def check_intake(session: Session, settings: Settings, now: datetime,
                 health: Health) -> list[Reason]:
    """Mail waiting for an operator's decision: quarantined mail, triage items and
    unclassified cases (counted here; quarantined mail that waits too long is a condition,
    each triage item and unclassified case is prompted for by the reminders)."""
    health.quarantined = session.scalar(
        select(func.count(Message.id)).where(Message.quarantined.is_(True),
                                             Message.released_at.is_(None))) or 0
    health.triage_open = session.scalar(
        select(func.count(TriageItem.id)).where(TriageItem.status == "open")) or 0
    health.unclassified_cases = session.scalar(
        select(func.count(Case.id)).where(Case.status != "closed",
                                          Case.request_type == UNCLASSIFIED)) or 0
    return []


def check_upcoming(session: Session, settings: Settings, now: datetime,
                   health: Health) -> list[Reason]:
    """What is due next: a deadline, the digest, the ping test (information only)."""
    zone = settings.desk.zone
    soonest: tuple[datetime, str] | None = None
    for case in session.scalars(select(Case).where(Case.status != "closed")):
        for what, at in pending_deadlines(case):
            if at >= now and (soonest is None or at < soonest[0]):
                soonest = (at, f"{case.reference} {what}")
    if soonest is not None:
        health.next.append({"job": f"deadline {soonest[1]}", "at": _local(soonest[0],
                                                                          settings)})
    if settings.desk.supervisors:
        local_now = now.astimezone(zone)
        digest = datetime.combine(local_now.date(), settings.schedule.digest_at, tzinfo=zone)
        if digest <= local_now:
            digest = datetime.combine(local_now.date() + timedelta(days=1),
                                      settings.schedule.digest_at, tzinfo=zone)
        health.next.append({"job": "digest", "at": _local(digest, settings)})
    ping = _next_ping(settings, now)
    if ping is not None:
        health.next.append({"job": "ping test", "at": ping.isoformat()})
    return []


# The causes the daemon found come first: the first reason is the one a short report shows.
CHECKS: tuple[Check, ...] = (
    check_daemons,
    check_conditions,
    check_folders,
    check_outbox,
    check_intake,
    check_upcoming,
)


def _next_ping(settings: Settings, now: datetime) -> date | None:
    today = now.astimezone(settings.desk.zone).date()
    found = []
    for item in settings.schedule.ping_dates:
        month, day = (int(x) for x in item.split("-"))
        for year in (today.year, today.year + 1):
            try:
                candidate = date(year, month, day)
            except ValueError:  # 02-29 outside a leap year
                continue
            if candidate > today:
                found.append(candidate)
                break
    return min(found) if found else None


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def _local(at: datetime, settings: Settings) -> str:
    return at.astimezone(settings.desk.zone).strftime("%Y-%m-%d %H:%M %Z")


def render(health: Health, settings: Settings) -> str:
    out = [f"watchkeeper {health.version}: {health.state.upper()}"]
    out += [f"  reason: {r}" for r in health.reasons]
    out.append(f"role: {health.role}")
    for d in health.instances:
        out.append(f"  {d['role']:<8} {d['host']} pid {d['pid']}  heartbeat "
                   f"{d['heartbeat_age_s']:.0f} s ago{'' if d['alive'] else ' (stale)'}")
    out.append("folders:")
    for f in health.folders:
        when = (_local(datetime.fromisoformat(f["last_poll_at"]), settings)
                if f["last_poll_at"] else "never")
        out.append(f"  {f['folder']:<12} last poll {when}  IDLE {'on' if f['idle'] else 'off'}"
                   + (f"  error: {f['last_error']}" if f["last_error"] else ""))
    if not health.folders:
        out.append("  none polled yet")
    ob = health.outbox
    oldest = (_local(datetime.fromisoformat(ob["oldest_unsent_at"]), settings)
              if ob.get("oldest_unsent_at") else "-")
    out.append(f"outbox: {ob.get('pending', 0)} unsent (oldest {oldest}), "
               f"{ob.get('failed_last_24h', 0)} failed, {ob.get('bounced_last_24h', 0)} "
               f"bounced, {ob.get('delayed_last_24h', 0)} delayed in 24 h")
    out.append(f"quarantined: {health.quarantined}")
    out.append("command-by-mail: " + (", ".join(health.command_auth) or "off"))
    out.append(f"triage: {health.triage_open} waiting; unclassified cases: "
               f"{health.unclassified_cases}")
    if health.alerts_waiting:
        out.append("alerts not delivered yet:")
        out += [f"  {_local(datetime.fromisoformat(a['planned_at']), settings)}  "
                f"{a['subject']}" for a in health.alerts_waiting]
    out.append("next:")
    out += [f"  {n['at']}  {n['job']}" for n in health.next] or ["  nothing scheduled"]
    return "\n".join(out)


def run(args: argparse.Namespace) -> int:
    ctx = from_args(args, configure_logging=False)
    try:
        try:
            ctx.require_schema()
            with ctx.sessions() as session:
                health = collect(session, ctx.settings, ctx.clock.now())
        except ContextError as exc:
            health = Health(checked_at=ctx.clock.now().isoformat())
            cause = exc.__cause__
            health.worse(DOWN, f"database unreachable: {cause.detail}"
                         if isinstance(cause, DatabaseUnreachable) else str(exc))
        except DATABASE_ERRORS as exc:  # it went away between the two questions
            health = Health(checked_at=ctx.clock.now().isoformat())
            health.worse(DOWN, f"database unreachable: {one_line(exc, named=False)}")
    finally:
        ctx.close()
    health.command_auth = list(ctx.settings.desk.command_auth)
    if args.json:
        print(json.dumps(asdict(health), indent=2, ensure_ascii=False))
    else:
        print(render(health, ctx.settings))
    if health.state != HEALTHY and not args.json:
        print(f"watchkeeper: {health.state}: {health.reasons[0]}", file=sys.stderr)
    return EXIT[health.state]
