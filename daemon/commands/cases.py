"""`watchkeeper cases`: the desk's cases as a table (or JSON), with what is due next."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from daemon.cases.transitions import is_overdue, pending_deadlines
from daemon.process.context import from_args
from daemon.rules.intake import UNCLASSIFIED
from models import Case


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("cases", help="list cases with their next deadline")
    p.add_argument("--open", action="store_true", help="only cases that are not closed")
    p.add_argument("--overdue", action="store_true",
                   help="only cases with a start, answer or partner-ack deadline passed")
    p.add_argument("--urgent", action="store_true", help="only urgent cases")
    p.add_argument("--unclassified", action="store_true",
                   help="only cases whose type an operator must set (case REF type TYPE)")
    p.add_argument("--country", metavar="CC", help="only cases with this partner country")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    ctx = from_args(args, configure_logging=False)
    country = (args.country or "").strip().upper()
    if args.country is not None and (len(country) != 2 or not country.isalpha()):
        print(f"watchkeeper: --country {args.country!r}: expected a two-letter country code",
              file=sys.stderr)
        return 1
    ctx.require_schema()
    try:
        now = ctx.clock.now()
        zone = ctx.settings.desk.zone
        with ctx.sessions() as session:
            query = select(Case).order_by(Case.opened_at, Case.id)
            if args.open or args.overdue:
                query = query.where(Case.status != "closed")
            if args.urgent:
                query = query.where(Case.urgent.is_(True))
            if args.unclassified:
                query = query.where(Case.request_type == UNCLASSIFIED)
            if country:
                query = query.where(Case.country == country)
            cases = [c for c in session.scalars(query)
                     if not args.overdue or is_overdue(c, now)]
        if args.json:
            print(json.dumps([as_json(c, now) for c in cases], indent=2, ensure_ascii=False))
        else:
            print(table(cases, now, zone))
    finally:
        ctx.close()
    return 0


def as_json(case: Case, now: datetime) -> dict[str, Any]:
    due = pending_deadlines(case)
    return {
        "reference": case.reference,
        "direction": case.direction,
        "status": case.status,
        "request_type": case.request_type,
        "urgent": case.urgent,
        "country": case.country,
        "counterpart": case.counterpart_address,
        "their_reference": case.their_reference,
        "subject": case.subject,
        "opened_at": case.opened_at.isoformat(),
        "overdue": is_overdue(case, now),
        "next_due": {"what": due[0][0], "at": due[0][1].isoformat()} if due else None,
        "deadlines": [{"what": what, "at": at.isoformat()} for what, at in due],
    }


def local(at: datetime, zone: ZoneInfo) -> str:
    return at.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def table(cases: list[Case], now: datetime, zone: ZoneInfo) -> str:
    if not cases:
        return "no cases"
    head = ("REFERENCE", "STATUS", "TYPE", "CC", "URG", "OPENED", "NEXT DUE", "WHAT",
            "SUBJECT")
    rows: list[tuple[str, ...]] = []
    for c in cases:
        due = pending_deadlines(c)
        when, what = ("-", "-")
        if due:
            when = local(due[0][1], zone)
            what = due[0][0] + (" OVERDUE" if due[0][1] < now and due[0][0] != "preservation "
                                "expires" else "")
        subject = c.subject if len(c.subject) <= 40 else c.subject[:39] + "…"
        rows.append((c.reference, c.status, c.request_type or "-", c.country or "-",
                     "yes" if c.urgent else "", local(c.opened_at, zone), when, what,
                     subject))
    widths = [max(len(r[i]) for r in (head, *rows)) for i in range(len(head))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip()
             for r in (head, *rows)]
    lines.append(f"{len(cases)} case{'s' if len(cases) != 1 else ''}; times in "
                 f"{zone.key}")
    return "\n".join(lines)
