"""`watchkeeper triage [open|dismiss]`: human mail from unknown addresses that is not a case.

Such mail is never acknowledged, but it stays on the list (and in the digest, and in a
prompt to the duty officer) until an operator opens a case for it or dismisses it.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from daemon.cases import triage as triage_items
from daemon.cases.triage import TriageError
from daemon.commands.cases import local
from daemon.duties.digest import duration_text
from daemon.process.context import from_args, operator_name
from daemon.rules.intake import TRIAGE_REASONS
from daemon.store.db import transaction
from daemon.store.directory import load_directory
from models import Case, Message, TriageItem
from parsers.result import REQUEST_TYPES


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("triage", help="mail from unknown addresses waiting for an "
                              "operator: list, open a case, dismiss")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--all", action="store_true", help="closed items too")
    sub = p.add_subparsers(dest="triage_command", metavar="ACTION")
    by = argparse.ArgumentParser(add_help=False)
    by.add_argument("--by", metavar="NAME",
                    help="operator's name for the audit trail (default: the OS user)")
    opened = sub.add_parser("open", parents=[by], help="turn the message into a case")
    opened.add_argument("message", metavar="MSG", help="the message number in the list")
    opened.add_argument("--type", metavar="TYPE", dest="request_type",
                        help="request type: " + ", ".join(REQUEST_TYPES)
                        + " (default: as the parser reads it, else unclassified)")
    dismiss = sub.add_parser("dismiss", parents=[by], help="close it without a case")
    dismiss.add_argument("message", metavar="MSG", help="the message number in the list")
    dismiss.add_argument("--reason", required=True, help="why (spam, a vendor, answered by "
                         "phone, ...)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    command = args.triage_command
    ctx = from_args(args, configure_logging=command is not None)
    ctx.require_schema()
    try:
        if command is None:
            now = ctx.clock.now()
            with ctx.sessions() as session:
                items = listing(session, include_closed=args.all)
                if args.json:
                    print(json.dumps([as_json(m, i, c) for m, i, c in items], indent=2,
                                     ensure_ascii=False))
                else:
                    print(table(items, now, ctx.settings.desk.zone))
            return 0
        actor = operator_name(args)
        now = ctx.clock.now()
        with transaction(ctx.sessions) as session:
            if command == "open":
                case = triage_items.open_case(
                    session, args.message, request_type=args.request_type, actor=actor,
                    now=now, settings=ctx.settings, directory=load_directory(session))
                done = f"message {args.message.strip()} opened as {case.reference} " \
                       f"({case.request_type}) by {actor}"
            else:
                triage_items.dismiss(session, args.message, reason=args.reason, actor=actor,
                                     now=now)
                done = f"message {args.message.strip()} dismissed by {actor}"
        print(done)
        return 0
    except TriageError as exc:
        print(f"watchkeeper: {exc}", file=sys.stderr)
        return 1
    finally:
        ctx.close()


def listing(session: Session, *, include_closed: bool
            ) -> list[tuple[Message, TriageItem, Case | None]]:
    query = (select(Message, TriageItem, Case)
             .join(TriageItem, TriageItem.message_id == Message.id)
             .outerjoin(Case, Case.id == TriageItem.case_id)
             .order_by(TriageItem.received_at, TriageItem.id))
    if not include_closed:
        query = query.where(TriageItem.status == "open")
    return [(m, i, c) for m, i, c in session.execute(query)]


def reason_text(item: TriageItem) -> str:
    return TRIAGE_REASONS.get(item.reason, item.reason.replace("_", " "))


def as_json(m: Message, item: TriageItem, case: Case | None) -> dict[str, Any]:
    return {
        "message": m.id,
        "sender": m.from_addr,
        "subject": m.subject or "",
        "received_at": item.received_at.isoformat(),
        "reason": item.reason,
        "why": reason_text(item),
        "status": item.status,
        "prompted_at": item.prompted_at.isoformat() if item.prompted_at else None,
        "resolution": item.resolution,
        "closed_by": item.closed_by,
        "closed_at": item.closed_at.isoformat() if item.closed_at else None,
        "close_reason": item.close_reason,
        "case": case.reference if case is not None else None,
    }


def table(items: list[tuple[Message, TriageItem, Case | None]], now: datetime,
          zone: ZoneInfo) -> str:
    if not items:
        return "nothing waits for triage"
    head = ("MSG", "RECEIVED", "WAITING", "SENDER", "SUBJECT", "WHY")
    rows: list[tuple[str, ...]] = []
    for m, item, case in items:
        subject = m.subject or ""
        subject = subject if len(subject) <= 40 else subject[:39] + "…"
        if item.status == "open":
            waiting = duration_text(now - item.received_at)
            why = reason_text(item)
        else:
            waiting = "-"
            done = {"case": f"case {case.reference if case else '?'}",
                    "dismissed": f"dismissed: {item.close_reason}",
                    "historical": "history"}.get(item.resolution or "", "closed")
            why = f"{reason_text(item)}; closed ({done})"
        rows.append((str(m.id), local(item.received_at, zone), waiting,
                     m.from_addr or "-", subject, why))
    widths = [max(len(r[i]) for r in (head, *rows)) for i in range(len(head))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip()
             for r in (head, *rows)]
    open_count = sum(1 for _, i, _ in items if i.status == "open")
    lines.append(f"{open_count} waiting; times in {zone.key}. "
                 "watchkeeper triage open MSG [--type TYPE] | dismiss MSG --reason TEXT")
    return "\n".join(lines)
