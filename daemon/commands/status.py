"""`watchkeeper status [--json]`: is the desk healthy? Exit 0 healthy, 1 degraded, 2 down."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from config.settings import Settings
from daemon import __version__
from daemon.cases.transitions import pending_deadlines
from daemon.process.context import ContextError, from_args
from daemon.store.db import DATABASE_ERRORS, DatabaseUnreachable
from daemon.store.instances import STALE_AFTER
from daemon.text import one_line
from models import Case, DaemonInstance, MailboxCheckpoint, Message, OutboxMail

HEALTHY, DEGRADED, DOWN = "healthy", "degraded", "down"
EXIT = {HEALTHY: 0, DEGRADED: 1, DOWN: 2}
LEADER_ROLES = ("leader", "active")
# Mail still unsent this long after it was planned means sending is stuck.
STUCK_OUTBOX = timedelta(minutes=30)
FAILED_WINDOW = timedelta(hours=24)


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
    next: list[dict[str, str]] = field(default_factory=list)

    def worse(self, state: str, reason: str) -> None:
        self.reasons.append(reason)
        if EXIT[state] > EXIT[self.state]:
            self.state = state


def poll_stale_after(settings: Settings) -> timedelta:
    """A folder not polled for a few poll intervals (never under a minute) is stale."""
    return timedelta(seconds=max(60, 3 * settings.imap.poll_seconds))


def collect(session: Session, settings: Settings, now: datetime) -> Health:
    """Read the desk's state from the database; the database is the only source."""
    health = Health(checked_at=now.isoformat())
    # A daemon is alive while it beats (every 15 s): down within a minute of its last beat,
    # whether it stopped cleanly, was killed, or cannot reach the database.
    stale = STALE_AFTER
    poll_stale = poll_stale_after(settings)
    zone = settings.desk.zone

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
    if not live:
        health.worse(DOWN, "no daemon heartbeat in the last "
                     f"{int(stale.total_seconds())} s")
    elif not any(d.role in LEADER_ROLES for d in live):
        health.worse(DEGRADED, "no leader: every running daemon is on standby")
    leaders = [d for d in live if d.role in LEADER_ROLES]
    health.role = "leader" if leaders else ("standby" if live else "none")

    checkpoints = session.scalars(select(MailboxCheckpoint).order_by(MailboxCheckpoint.folder))
    polled_any = False
    for cp in checkpoints:
        polled_any = True
        poll_age = (now - cp.last_poll_at).total_seconds() if cp.last_poll_at else None
        health.folders.append({
            "folder": cp.folder, "last_poll_at": _iso(cp.last_poll_at),
            "last_poll_age_s": round(poll_age, 1) if poll_age is not None else None,
            "idle": cp.idle, "last_uid": cp.last_uid, "last_error": cp.last_error})
        if cp.last_error:
            health.worse(DEGRADED, f"folder {cp.folder}: {cp.last_error}")
        elif leaders and (poll_age is None or poll_age > poll_stale.total_seconds()):
            health.worse(DEGRADED, f"folder {cp.folder} not polled for "
                         f"{'ever' if poll_age is None else f'{int(poll_age)} s'}")
    if leaders and not polled_any:
        health.worse(DEGRADED, "no folder polled yet")

    pending = session.execute(
        select(func.count(OutboxMail.id), func.min(OutboxMail.created_at),
               func.min(OutboxMail.next_attempt_at))
        .where(OutboxMail.status == "pending")).one()
    failed = session.scalar(
        select(func.count(OutboxMail.id)).where(
            OutboxMail.status.in_(("failed", "undelivered")),
            OutboxMail.failed_at >= now - FAILED_WINDOW)) or 0
    health.outbox = {"pending": pending[0], "oldest_unsent_at": _iso(pending[1]),
                     "failed_last_24h": failed}
    if pending[1] is not None and now - pending[1] > STUCK_OUTBOX:
        health.worse(DEGRADED, f"outbox: {pending[0]} unsent, the oldest since "
                     f"{_local(pending[1], settings)}")
    if failed:
        health.worse(DEGRADED, f"{failed} mail{'s' if failed > 1 else ''} could not be "
                     "delivered in the last 24 h")
    if pending[2] is not None:
        health.next.append({"job": "outbox delivery", "at": _local(pending[2], settings)})

    health.quarantined = session.scalar(
        select(func.count(Message.id)).where(Message.quarantined.is_(True),
                                             Message.released_at.is_(None))) or 0
    if health.quarantined:
        health.worse(DEGRADED, f"{health.quarantined} quarantined message"
                     f"{'s' if health.quarantined > 1 else ''} wait for an operator "
                     "(watchkeeper quarantine list)")

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
    return health


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
               f"{ob.get('failed_last_24h', 0)} failed in 24 h")
    out.append(f"quarantined: {health.quarantined}")
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
    if args.json:
        print(json.dumps(asdict(health), indent=2, ensure_ascii=False))
    else:
        print(render(health, ctx.settings))
    if health.state != HEALTHY and not args.json:
        print(f"watchkeeper: {health.state}: {health.reasons[0]}", file=sys.stderr)
    return EXIT[health.state]
