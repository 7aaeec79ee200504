"""The six-monthly ping test of the directory: rounds, replies, reminders, results.

A round sends every contact point one short mail whose subject carries the round's token
(`PING-2026-H2-7F3A`) and asks for a reply. A reply carrying the token, from an address of
the contact point pinged, records the response time. After `ping.deadline_hours` the
contact points that did not answer get one reminder; when the same time has passed again
(or everyone answered) the results go to the supervisors, once. Every step reads and writes
the database only, so a restart repeats nothing.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from config.settings import Settings
from daemon.duties import ping_results
from daemon.duties.ping_results import show_time
from daemon.duties.reminders import render_mail
from daemon.outbound.outbox import Draft, enqueue
from daemon.store import audit
from daemon.store.audit import ACTOR
from daemon.store.directory import load_directory
from models import ContactEmail, Message, OutboxMail, PingRound, PingTarget
from parsers.directory import ContactPoint, Directory

log = structlog.get_logger("watchkeeper.ping")

PING, PING_REMINDER, PING_RESULTS = "ping", "ping_reminder", "ping_results"
TOKEN_PATTERN = re.compile(r"\bPING-(\d{4})-H([12])-([0-9A-F]{4})\b", re.IGNORECASE)

# A round missed on its date (the daemon was down) still starts this long after it; a desk
# set up later in the half-year waits for the next date instead of pinging on its first day.
CATCH_UP = timedelta(days=30)

# Any constant shared by every instance: PostgreSQL serialises the automatic start on it.
_START_LOCK = 0x574B5047  # "WKPG"


class PingError(Exception):
    """A round that cannot start; the message is one line for the operator."""


def half_year(day: date) -> tuple[int, int]:
    """(year, 1 or 2): the half-year a calendar day belongs to."""
    return day.year, 1 if day.month <= 6 else 2


def _half_start(year: int, half: int, zone: ZoneInfo) -> datetime:
    return datetime(year, 1 if half == 1 else 7, 1, tzinfo=zone)


def new_token(session: Session, year: int, half: int) -> str:
    """A token not used by any round: `PING-YYYY-H1-XXXX`, four random hex digits."""
    while True:
        token = f"PING-{year}-H{half}-{secrets.token_hex(2).upper()}"
        if session.scalar(select(PingRound.id).where(PingRound.token == token)) is None:
            return token


def open_round(session: Session) -> PingRound | None:
    """The latest round whose results have not gone to the supervisors yet."""
    return session.scalars(
        select(PingRound).where(PingRound.reported_at.is_(None))
        .order_by(PingRound.started_at.desc(), PingRound.id.desc())
    ).first()


# ---------------------------------------------------------------- starting a round


def start_round(session: Session, settings: Settings, directory: Directory, now: datetime,
                actor: str) -> PingRound:
    """Start a round: one ping mail per contact point, planned in the caller's transaction.

    Refused (PingError) when the directory is empty or a round is still open.
    """
    if not directory.contact_points:
        raise PingError("the directory is empty: import one before starting a ping round")
    running = open_round(session)
    if running is not None:
        raise PingError(f"round {running.token} is still open: its results are due after"
                        f" {_desk_time(settings, _report_due(settings, running))}")
    year, half = half_year(now.astimezone(settings.desk.zone).date())
    deadline = now + timedelta(hours=settings.ping.deadline_hours)
    ping_round = PingRound(token=new_token(session, year, half), started_at=now,
                           started_by=actor, deadline_at=deadline)
    session.add(ping_round)
    session.flush()
    for cp in directory.contact_points:
        _ping(session, settings, ping_round, cp, now)
    count = len(directory.contact_points)
    audit.record(session, "ping_round_started", at=now, actor=actor, token=ping_round.token,
                 targets=count, deadline_at=deadline.isoformat())
    log.info("ping_round_started", ping_token=ping_round.token, actor=actor, targets=count,
             deadline_at=deadline.isoformat())
    return ping_round


def _ping(session: Session, settings: Settings, ping_round: PingRound, cp: ContactPoint,
          now: datetime) -> PingTarget:
    address = cp.emails[0]
    target = session.scalar(select(PingTarget).where(
        PingTarget.round_id == ping_round.id, PingTarget.address == address))
    if target is None:
        target = PingTarget(round_id=ping_round.id, country=cp.country, address=address,
                            contact_point_id=_contact_point_id(session, address), sent_at=now)
        session.add(target)
    desk = settings.desk
    subject, text = _ping_mail(settings, ping_round, cp)
    enqueue(session, Draft(
        key=f"ping:{ping_round.token}:{address.lower()}",
        purpose=PING,
        to=cp.emails,
        subject=subject,
        text=text,
        auto=True,
        auto_submitted="auto-generated",
    ), official_address=desk.official_address, from_name=desk.name, now=now)
    return target


def _contact_point_id(session: Session, address: str) -> int | None:
    return session.scalar(select(ContactEmail.contact_point_id).where(
        func.lower(ContactEmail.address) == address.lower()))


def _desk_context(settings: Settings) -> dict[str, object]:
    desk = settings.desk
    return {"desk_name": desk.name, "official_address": desk.official_address,
            "office_phone": desk.office_phone, "after_hours_phone": desk.after_hours_phone}


def _ping_mail(settings: Settings, ping_round: PingRound, cp: ContactPoint) -> tuple[str, str]:
    desk = settings.desk
    return render_mail(
        settings, "ping.txt", token=ping_round.token, cp=cp,
        sender=f"{desk.name} ({desk.country})" if desk.country else desk.name,
        deadline_desk=_desk_time(settings, ping_round.deadline_at),
        deadline_utc=ping_round.deadline_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M"),
        **_desk_context(settings),
    )


# ---------------------------------------------------------------- replies


def record_ping_reply(session: Session, message: Message, token: str, now: datetime) -> bool:
    """Match a reply carrying a ping token to its round; True when it matched a target.

    The sender must be the address pinged or another address of the same contact point.
    The first reply counts; later ones are recognised (True) and change nothing.
    """
    token = token.strip().upper()
    sender = (message.from_addr or "").strip().strip("<>").lower()
    ping_round = session.scalar(select(PingRound).where(PingRound.token == token))
    if ping_round is None:
        log.warning("ping_reply_unmatched", ping_token=token, sender=sender, reason="unknown token",
                    message_id=message.message_id)
        return False
    targets = session.scalars(select(PingTarget).where(PingTarget.round_id == ping_round.id)
                              .order_by(PingTarget.id)).all()
    target = next((t for t in targets if t.address.lower() == sender), None)
    if target is None and sender:
        cp_id = _contact_point_id(session, sender)
        target = next((t for t in targets
                       if cp_id is not None and t.contact_point_id == cp_id), None)
    if target is None:
        log.warning("ping_reply_unmatched", ping_token=token, sender=sender,
                    reason="sender is not an address of a contact point pinged",
                    message_id=message.message_id)
        return False
    if target.replied_at is not None:
        log.info("ping_reply_repeated", ping_token=token, country=target.country, sender=sender,
                 message_id=message.message_id)
        return True
    if message.id is None:
        session.flush()
    target.replied_at = now
    target.reply_message_id = message.id
    response = now - _sent_at(session, ping_round, target)
    audit.record(session, "ping_replied", at=now, actor=ACTOR, message=message, token=token,
                 country=target.country, address=target.address, sender=sender,
                 response_seconds=int(response.total_seconds()))
    log.info("ping_replied", ping_token=token, country=target.country, sender=sender,
             response_seconds=int(response.total_seconds()), message_id=message.message_id)
    return True


def _sent_at(session: Session, ping_round: PingRound, target: PingTarget) -> datetime:
    """When the ping left: the outbox row's sending time, else when it was planned."""
    sent = session.scalar(select(OutboxMail.sent_at).where(
        OutboxMail.key == f"ping:{ping_round.token}:{target.address.lower()}"))
    if sent is not None:
        return sent
    return target.sent_at if target.sent_at is not None else ping_round.started_at


# ---------------------------------------------------------------- due work


def run_due_ping_work(session: Session, settings: Settings, now: datetime) -> int:
    """Start the round due on a ping date, send reminders and results that are due.

    Returns how many mails were planned. Called on every scheduler tick.
    """
    planned = _start_if_due(session, settings, now)
    for ping_round in session.scalars(select(PingRound).where(PingRound.reported_at.is_(None))
                                      .order_by(PingRound.id)).all():
        targets = list(session.scalars(select(PingTarget)
                                       .where(PingTarget.round_id == ping_round.id)
                                       .order_by(PingTarget.country, PingTarget.id)))
        silent = [t for t in targets if t.replied_at is None]
        if ping_round.reminders_sent_at is None and silent and now >= ping_round.deadline_at:
            planned += _remind(session, settings, ping_round, silent, now)
        elif not silent or (ping_round.reminders_sent_at is not None
                            and now >= _report_due(settings, ping_round)):
            planned += _report(session, settings, ping_round, now)
    return planned


def _report_due(settings: Settings, ping_round: PingRound) -> datetime:
    reminded = ping_round.reminders_sent_at or ping_round.deadline_at
    return reminded + timedelta(hours=settings.ping.deadline_hours)


def _start_if_due(session: Session, settings: Settings, now: datetime) -> int:
    zone = settings.desk.zone
    today = now.astimezone(zone).date()
    year, half = half_year(today)
    due = False
    for item in settings.schedule.ping_dates:
        month, day = (int(part) for part in item.split("-"))
        try:
            ping_date = date(year, month, day)
        except ValueError:  # 02-30 and the like: no such day this year
            continue
        due = due or (half_year(ping_date) == (year, half)
                      and ping_date <= today < ping_date + CATCH_UP)
    if not due:
        return 0
    if session.get_bind().dialect.name == "postgresql":
        # Two instances ticking at once would otherwise both start a round.
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _START_LOCK})
    since = _half_start(year, half, zone)
    if session.scalar(select(PingRound.id).where(PingRound.started_at >= since)) is not None:
        return 0
    directory = load_directory(session)
    if not directory.contact_points:
        log.debug("ping_round_not_started", reason="the directory is empty")
        return 0
    if open_round(session) is not None:
        log.debug("ping_round_not_started", reason="an earlier round is still open")
        return 0
    ping_round = start_round(session, settings, directory, now, ACTOR)
    return int(session.scalar(select(func.count(PingTarget.id))
                              .where(PingTarget.round_id == ping_round.id)) or 0)


def _remind(session: Session, settings: Settings, ping_round: PingRound,
            silent: Sequence[PingTarget], now: datetime) -> int:
    desk = settings.desk
    directory = load_directory(session)
    subject, text = render_mail(
        settings, "ping_reminder.txt", token=ping_round.token,
        started=ping_round.started_at.strftime("%Y-%m-%d"), **_desk_context(settings))
    for target in silent:
        key = f"ping:{ping_round.token}:{target.address.lower()}"
        first = session.scalar(select(OutboxMail).where(OutboxMail.key == key))
        cp = directory.owner_of(target.address)
        to = cp.emails if cp is not None else (target.address,)
        enqueue(session, Draft(
            key=f"ping-reminder:{ping_round.token}:{target.address.lower()}",
            purpose=PING_REMINDER,
            to=to,
            subject=subject,
            text=text,
            in_reply_to=first.message_id if first is not None else None,
            auto=True,
            auto_submitted="auto-generated",
        ), official_address=desk.official_address, from_name=desk.name, now=now)
        target.reminder_sent_at = now
    ping_round.reminders_sent_at = now
    countries = sorted({t.country for t in silent})
    audit.record(session, "ping_reminders_sent", at=now, actor=ACTOR, token=ping_round.token,
                 reminders=len(silent), countries=countries)
    log.info("ping_reminders_sent", ping_token=ping_round.token, reminders=len(silent),
             countries=countries)
    return len(silent)


def _report(session: Session, settings: Settings, ping_round: PingRound,
            now: datetime) -> int:
    result = ping_results.status(session, ping_round.token)
    assert result is not None
    ping_round.reported_at = now
    supervisors = tuple(settings.desk.supervisors)
    audit.record(session, "ping_round_reported", at=now, actor=ACTOR, token=ping_round.token,
                 targets=len(result.targets), replied=result.replied,
                 no_answer=result.silent(),
                 sent_to=list(supervisors))
    if not supervisors:
        log.warning("ping_results_not_sent", ping_token=ping_round.token,
                    reason="desk.supervisors is empty")
        return 0
    desk = settings.desk
    subject, text = render_mail(
        settings, "ping_results.txt", token=result.token, replied=result.replied,
        pinged=len(result.targets), reminded=result.reminded, silent=result.silent(),
        started=show_time(result.started_at, desk.zone), started_by=result.started_by,
        median=ping_results.format_response(ping_results.median_response(result)),
        table=ping_results.status_table(result, desk.zone))
    enqueue(session, Draft(
        key=f"ping-results:{ping_round.token}",
        purpose=PING_RESULTS,
        to=supervisors,
        subject=subject,
        text=text,
        auto=True,
        auto_submitted="auto-generated",
    ), official_address=desk.official_address, from_name=desk.name, now=now)
    log.info("ping_round_reported", ping_token=ping_round.token, replied=result.replied,
             targets=len(result.targets))
    return 1


def _desk_time(settings: Settings, at: datetime) -> str:
    return show_time(at, settings.desk.zone)
