"""`watchkeeper quarantine list|show|retry|release`: mail the pipeline could not process."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from daemon.commands.cases import local
from daemon.inbound import pipeline
from daemon.inbound.work import Env, Fetched, Work
from daemon.process.context import AppContext, from_args, operator_name
from daemon.store import audit
from daemon.store.db import transaction
from daemon.store.directory import load_directory
from models import Event, Message

log = structlog.get_logger("watchkeeper.quarantine")


class QuarantineError(Exception):
    """The operation does not apply to this message; one line for the operator."""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("quarantine", help="mail that could not be processed")
    sub = p.add_subparsers(dest="quarantine_command", metavar="ACTION", required=True)
    lst = sub.add_parser("list", help="quarantined messages waiting for an operator")
    lst.add_argument("--all", action="store_true", help="released ones too")
    lst.set_defaults(handler=run)
    show = sub.add_parser("show", help="one quarantined message: headers, error, history")
    show.add_argument("id", metavar="ID", type=int)
    show.add_argument("--raw", action="store_true", help="print the stored raw message")
    show.set_defaults(handler=run)
    for name, text in (("retry", "run the pipeline again on the stored raw bytes"),
                       ("release", "mark handled by hand; it leaves the quarantine")):
        action = sub.add_parser(name, help=text)
        action.add_argument("id", metavar="ID", type=int)
        action.add_argument("--by", metavar="NAME", help="operator's name (default: OS user)")
        if name == "release":
            action.add_argument("--reason", help="what was done with it")
        action.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    command = args.quarantine_command
    ctx = from_args(args, configure_logging=command in ("retry", "release"))
    ctx.require_schema()
    try:
        if command == "list":
            with ctx.sessions() as session:
                print(listing(session, ctx, include_released=args.all))
        elif command == "show":
            with ctx.sessions() as session:
                message = _get(session, args.id)
                if args.raw:
                    sys.stdout.buffer.write(message.raw or b"")
                    sys.stdout.flush()
                else:
                    print(show(session, message, ctx))
        elif command == "retry":
            print(retry(ctx, args.id, operator_name(args)))
        else:
            print(release(ctx, args.id, operator_name(args), args.reason))
    except QuarantineError as exc:
        print(f"watchkeeper: {exc}", file=sys.stderr)
        return 1
    finally:
        ctx.close()
    return 0


def _get(session: Session, message_id: int, *, waiting: bool = False) -> Message:
    message = session.get(Message, message_id)
    if message is None:
        raise QuarantineError(f"no message {message_id}")
    if not message.quarantined:
        raise QuarantineError(f"message {message_id} is not quarantined")
    if waiting and message.released_at is not None:
        raise QuarantineError(f"message {message_id} was released on "
                              f"{message.released_at:%Y-%m-%d %H:%M} UTC: nothing to do")
    return message


def listing(session: Session, ctx: AppContext, *, include_released: bool) -> str:
    query = select(Message).where(Message.quarantined.is_(True)).order_by(Message.id)
    if not include_released:
        query = query.where(Message.released_at.is_(None))
    rows = session.scalars(query).all()
    if not rows:
        return "no quarantined mail"
    zone = ctx.settings.desk.zone
    out = []
    for m in rows:
        state = " released" if m.released_at else ""
        out.append(f"{m.id:>6}  {local(m.fetched_at, zone)}  {m.folder}/{m.uid}  "
                   f"{m.from_addr or '?'}  {(m.subject or '')[:40]}{state}")
        out.append(f"        {m.error or 'no error recorded'}")
    out.append(f"{len(rows)} message{'s' if len(rows) != 1 else ''}")
    return "\n".join(out)


def show(session: Session, m: Message, ctx: AppContext) -> str:
    zone = ctx.settings.desk.zone
    out = [f"message {m.id}: {m.folder} uid {m.uid} (uidvalidity {m.uidvalidity}), "
           f"{m.size} bytes{' (truncated)' if m.truncated else ''}",
           f"  from:       {m.from_addr or '?'}",
           f"  subject:    {m.subject or ''}",
           f"  message-id: {m.message_id or '-'}",
           f"  fetched:    {local(m.fetched_at, zone)} ({zone.key})",
           f"  error:      {m.error or '-'}"]
    if m.released_at:
        out.append(f"  released:   {local(m.released_at, zone)}")
    if m.raw:
        head = m.raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
        out.append("Headers:")
        out += ["  " + line.decode("utf-8", "backslashreplace")
                for line in head.splitlines()[:40]]
    out.append("History:")
    for e in session.scalars(select(Event).where(Event.message_id == m.id).order_by(Event.id)):
        out.append(f"  {local(e.at, zone)}  {e.kind} by {e.actor}"
                   + (f": {e.data.get('error') or e.data.get('reason') or ''}".rstrip(": ")))
    return "\n".join(out)


def retry(ctx: AppContext, message_id: int, actor: str) -> str:
    """Run the pipeline's steps again on the stored bytes, in one transaction.

    Success takes the message out of the quarantine (it may open or join a case and plan
    mail exactly as on arrival); a new failure keeps it there with the new error.
    """
    now = ctx.clock.now()
    with transaction(ctx.sessions) as session:
        message = _get(session, message_id, waiting=True)
        if not message.raw:
            raise QuarantineError(f"message {message_id} has no stored raw bytes to retry")
        env = Env(settings=ctx.settings, directory=load_directory(session), now=now)
        fetched = Fetched(
            folder=message.folder, role="sent" if message.direction == "out" else "inbox",
            uidvalidity=message.uidvalidity, uid=message.uid, raw=message.raw,
            size=message.size, internal_date=message.internal_date,
            truncated=message.truncated, live=message.live,
        )
        old_error = message.error
        work, failed = pipeline.run_steps(
            session, Work(env=env, fetched=fetched, message=message))
        outcome = ""
        if failed is not None:  # the same poison as on arrival, or a new one
            message.error = failed
            audit.record(session, "quarantine_retry_failed", at=now, actor=actor,
                         message=message, error=message.error, previous_error=old_error)
            log.warning("quarantine_retry_failed", message=message_id, error=message.error)
        else:
            message.quarantined = False
            message.error = None
            case = work.case
            audit.record(session, "quarantine_retried", at=now, actor=actor, message=message,
                         case=case, previous_error=old_error)
            log.info("quarantine_retried", message=message_id,
                     case=case.reference if case is not None else None)
            outcome = (f"message {message_id} processed"
                       + (f": case {case.reference}" + (" opened" if work.opened else "")
                          if case is not None else ": no case"))
    if failed is not None:
        # Committed above: the new error is kept for the next operator.
        raise QuarantineError(f"message {message_id} failed again: {failed}")
    return outcome


def release(ctx: AppContext, message_id: int, actor: str, reason: str | None) -> str:
    """The operator dealt with the message by hand: it leaves the quarantine, kept raw."""
    now: datetime = ctx.clock.now()
    with transaction(ctx.sessions) as session:
        message = _get(session, message_id, waiting=True)
        message.released_at = now
        audit.record(session, "quarantine_released", at=now, actor=actor, message=message,
                     reason=(reason or "").strip() or None, error=message.error)
        log.info("quarantine_released", message=message_id, actor=actor)
    return f"message {message_id} released by {actor}"

