"""`watchkeeper case REF ACTION`: one case on one screen, and the operator's transitions."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from daemon.cases import transitions as casework
from daemon.cases.transitions import CaseError
from daemon.commands.cases import local
from daemon.process.context import AppContext, from_args, operator_name
from daemon.rules.intake import UNCLASSIFIED
from daemon.store.db import transaction
from daemon.store.directory import load_directory
from models import Case, Event, Identifier, Message, OutboxMail
from parsers.partners import number_to_call
from parsers.result import REQUEST_TYPES

ACTIONS = ("show", "start", "answer", "close", "reopen", "note", "called", "link", "type")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("case", help="show one case or change its state")
    p.add_argument("ref", metavar="REF", help="case reference, e.g. WK-2026-00042")
    by = argparse.ArgumentParser(add_help=False)
    # SUPPRESS: a --by given before the action is not overwritten by the action's default.
    by.add_argument("--by", metavar="NAME", default=argparse.SUPPRESS,
                    help="operator's name for the audit trail (default: the OS user)")
    p.add_argument("--by", metavar="NAME", help=argparse.SUPPRESS)
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    sub.add_parser("show", help="the whole case: parties, deadlines, timeline")
    sub.add_parser("start", parents=[by], help="execution started")
    sub.add_parser("answer", parents=[by], help="the request is answered")
    close = sub.add_parser("close", parents=[by], help="close the case")
    close.add_argument("--reason", help="why it is closed")
    sub.add_parser("reopen", parents=[by], help="reopen a closed case")
    note = sub.add_parser("note", parents=[by], help="add a note to the timeline")
    note.add_argument("text", metavar="TEXT", nargs="+", help="the note")
    called = sub.add_parser("called", parents=[by], help="log a phone call to the partner")
    called.add_argument("--note", help="what was said")
    link = sub.add_parser("link", parents=[by], help="this case follows an earlier one")
    link.add_argument("other", metavar="OTHER-REF", help="the earlier case")
    kind = sub.add_parser("type", parents=[by], help="set the request type (of an "
                          "unclassified case, or correct one)")
    kind.add_argument("type", metavar="TYPE", help=", ".join(REQUEST_TYPES))
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    ctx = from_args(args, configure_logging=args.action != "show")
    ctx.require_schema()
    try:
        if args.action == "show":
            with ctx.sessions() as session:
                print(show(session, casework.find_case(session, args.ref, lock=False), ctx))
            return 0
        print(change(ctx, args))
        return 0
    except CaseError as exc:
        print(f"watchkeeper: {exc}", file=sys.stderr)
        return 1
    finally:
        ctx.close()


def change(ctx: AppContext, args: argparse.Namespace) -> str:
    """Apply one transition in one transaction; a `CaseError` rolls all of it back."""
    actor = operator_name(args)
    now = ctx.clock.now()
    with transaction(ctx.sessions) as session:
        case = casework.find_case(session, args.ref)
        action = args.action
        if action == "start":
            casework.start(session, case, actor=actor, now=now, settings=ctx.settings)
            done = "started"
        elif action == "answer":
            casework.answer(session, case, actor=actor, now=now)
            done = "answered"
        elif action == "close":
            casework.close(session, case, actor=actor, now=now, reason=args.reason)
            done = "closed"
        elif action == "reopen":
            casework.reopen(session, case, actor=actor, now=now)
            done = f"reopened (status {case.status})"
        elif action == "note":
            casework.note(session, case, " ".join(args.text), actor=actor, now=now)
            done = "noted"
        elif action == "called":
            casework.called(session, case, actor=actor, now=now, note=args.note)
            done = "call logged"
        elif action == "type":
            casework.set_type(session, case, args.type, actor=actor, now=now,
                              settings=ctx.settings)
            done = f"type set to {case.request_type}"
        else:
            casework.link(session, case, args.other, actor=actor, now=now)
            done = f"linked to {args.other.strip().upper()}"
        return f"{case.reference} {done} by {actor}"


def show(session: Session, case: Case, ctx: AppContext) -> str:
    """The whole case on one screen, times in the desk's zone."""
    zone = ctx.settings.desk.zone
    now = ctx.clock.now()

    def t(at: datetime | None) -> str:
        return f"{local(at, zone)}" if at is not None else "-"

    title = case.request_type or "request type unknown"
    urgent = "  URGENT" if case.urgent else ""
    out = [f"{case.reference}  {case.direction} {title}{urgent}  status: {case.status}",
           f"  subject:          {case.subject or '-'}",
           f"  times in:         {zone.key} (the desk's zone)"]
    verified = "verified official address" if case.sender_verified else "NOT a verified address"
    out.append(f"  partner:          {case.country or '??'}  "
               f"{case.counterpart_address or '-'} ({verified})")
    if case.country:
        choice = number_to_call(load_directory(session), case.country, now)
        if choice is not None:
            inside = "in" if choice.in_office_hours else "outside"
            out.append(f"  partner now:      {choice.local_time:%a %H:%M} "
                       f"{choice.contact_point.timezone} ({inside} office hours "
                       f"{choice.office_hours}); call {choice.phone} ({choice.reason})")
    if case.request_type == UNCLASSIFIED:
        out.append(f"  type:             not set yet: watchkeeper case {case.reference} "
                   "type TYPE")
    out.append(f"  their reference:  {case.their_reference or '-'}")
    if case.previous_reference:
        out.append(f"  previous ref:     {case.previous_reference}")
    if case.previous_case_id is not None:
        prev = session.get(Case, case.previous_case_id)
        out.append(f"  follows case:     {prev.reference if prev else '?'}")
    followers = session.scalars(select(Case.reference).where(
        Case.previous_case_id == case.id)).all()
    if followers:
        out.append(f"  followed by:      {', '.join(followers)}")
    if case.provider:
        out.append(f"  provider:         {case.provider}")
    if case.language:
        out.append(f"  language:         {case.language}")
    if case.flags:
        out.append(f"  flags:            {', '.join(case.flags)}")
    out.append(f"  opened:           {t(case.opened_at)}" +
               ("   (imported history)" if case.historical else ""))
    for label, at in (("acknowledged", case.acknowledged_at), ("started", case.started_at),
                      ("answered", case.answered_at), ("partner acked", case.partner_acked_at),
                      ("closed", case.closed_at)):
        if at is not None:
            out.append(f"  {label + ':':<18}{t(at)}")
    if case.close_reason:
        out.append(f"  close reason:     {case.close_reason}")

    out.append("Deadlines:")
    deadlines = [("start by", case.start_due_at), ("answer by", case.answer_due_at),
                 ("partner ack by", case.partner_ack_due_at),
                 ("preservation expires", case.preservation_expires_at),
                 ("retention risk", case.retention_risk_at)]
    pending = {what for what, _ in casework.pending_deadlines(case)}
    shown = False
    for label, at in deadlines:
        if at is None:
            continue
        shown = True
        key = label.removesuffix(" by")
        mark = ""
        if key in pending and at < now:
            mark = "  OVERDUE" if key != "preservation expires" else "  LAPSED"
        out.append(f"  {label + ':':<22}{t(at)}{mark}")
    if not shown:
        out.append("  none")

    out.append("Identifiers:")
    idents = session.scalars(select(Identifier).where(Identifier.case_id == case.id)
                             .order_by(Identifier.id)).all()
    out += [f"  {i.type:<8} {i.value}" + (
        f"   at {i.timestamp:%Y-%m-%d %H:%M:%S} UTC ({local(i.timestamp, zone)} desk time)"
        if i.timestamp else "   (no instant given)") for i in idents] or ["  none"]

    out.append(f"Timeline ({zone.key}):")
    out += [f"  {t(at)}  {line}" for at, line in timeline(session, case, zone)] or ["  empty"]
    return "\n".join(out)


def timeline(session: Session, case: Case, zone: ZoneInfo) -> list[tuple[datetime, str]]:
    """Messages, sent mail and events of the case in time order."""
    items: list[tuple[datetime, int, str]] = []
    for m in session.scalars(select(Message).where(Message.case_id == case.id)):
        arrow = "mail in " if m.direction == "in" else "mail out"
        at = m.sent_date or m.internal_date or m.fetched_at
        items.append((at, 0, f"{arrow}  {m.from_addr or '?'}  {m.subject or ''}".rstrip()))
    for o in session.scalars(select(OutboxMail).where(OutboxMail.case_id == case.id)):
        state = o.status + (f" {local(o.sent_at, zone)}" if o.sent_at else "")
        if o.delayed_at is not None:
            state += f", delayed {local(o.delayed_at, zone)}"
        if o.status in ("failed", "bounced") and o.last_error:
            state += f": {o.last_error}"
        items.append((o.created_at, 1,
                      f"queued   {o.purpose} to {', '.join(o.recipients)} ({state})"))
    for e in session.scalars(select(Event).where(Event.case_id == case.id)):
        detail = " ".join(f"{k}={v}" for k, v in e.data.items() if v not in (None, "", [], {}))
        items.append((e.at, 2, f"event    {e.kind} by {e.actor}" +
                      (f": {detail}" if detail else "")))
    items.sort(key=lambda i: (i[0], i[1]))
    return [(at, line) for at, _, line in items]
