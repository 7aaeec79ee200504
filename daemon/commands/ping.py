"""`watchkeeper ping start|status|rounds`: the six-monthly ping test of the directory."""

from __future__ import annotations

import argparse
import json
import sys

from daemon.duties import ping, ping_results
from daemon.process.context import AppContext, from_args, operator_name
from daemon.store.db import transaction
from daemon.store.directory import load_directory


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("ping", help="the six-monthly ping test of the directory")
    sub = p.add_subparsers(dest="ping_command", metavar="ACTION", required=True)

    start = sub.add_parser("start", help="ping every contact point now")
    start.add_argument("--by", metavar="NAME", help="who starts the round (default: OS user)")
    start.set_defaults(handler=run_start)

    st = sub.add_parser("status", help="per contact point: sent, replied, response time")
    st.add_argument("--round", metavar="TOKEN", help="an earlier round (default: the latest)")
    st.add_argument("--json", action="store_true", help="as JSON")
    st.set_defaults(handler=run_status)

    rounds = sub.add_parser("rounds", help="every round so far, the latest first")
    rounds.add_argument("--json", action="store_true", help="as JSON")
    rounds.set_defaults(handler=run_rounds)


def _context(args: argparse.Namespace, *, logging: bool = False) -> AppContext:
    ctx = from_args(args, configure_logging=logging)
    ctx.require_schema()
    return ctx


def run_start(args: argparse.Namespace) -> int:
    ctx = _context(args, logging=True)
    actor = operator_name(args)
    try:
        with transaction(ctx.sessions) as session:
            directory = load_directory(session)
            started = ping.start_round(session, ctx.settings, directory, ctx.clock.now(), actor)
            token, deadline = started.token, started.deadline_at
    except ping.PingError as exc:
        print(f"watchkeeper: ping round not started: {exc}", file=sys.stderr)
        return 1
    finally:
        ctx.close()
    zone = ctx.settings.desk.zone
    print(f"ping round {token} started by {actor}: {len(directory.contact_points)} pings"
          f" queued; reminders to non-responders after {ping_results.show_time(deadline, zone)}")
    return 0


def run_status(args: argparse.Namespace) -> int:
    ctx = _context(args)
    try:
        with ctx.sessions() as session:
            result = ping_results.status(session, args.round)
    finally:
        ctx.close()
    if result is None:
        if args.round:
            print(f"watchkeeper: no ping round {args.round}", file=sys.stderr)
            return 1
        print("no ping round yet: start one with 'watchkeeper ping start'")
        return 0
    if args.json:
        print(json.dumps(result.as_json(), indent=2, ensure_ascii=False))
        return 0
    zone = ctx.settings.desk.zone
    show = ping_results.show_time
    state = ("results sent " + show(result.reported_at, zone) if result.reported_at
             else "reminders sent " + show(result.reminders_sent_at, zone)
             if result.reminders_sent_at else
             "waiting for answers until " + show(result.deadline_at, zone))
    print(f"round {result.token}, started {show(result.started_at, zone)}"
          f" by {result.started_by}: {state}")
    print(f"sent {len(result.targets)}, replied {result.replied}, reminded {result.reminded},"
          f" no answer {result.no_answer}")
    print()
    for line in ping_results.status_table(result, zone):
        print(line)
    return 0


def run_rounds(args: argparse.Namespace) -> int:
    ctx = _context(args)
    try:
        with ctx.sessions() as session:
            found = ping_results.rounds(session)
    finally:
        ctx.close()
    if args.json:
        print(json.dumps([r.as_json() | {"targets": len(r.targets)} for r in found],
                         indent=2, ensure_ascii=False))
        return 0
    if not found:
        print("no ping round yet: start one with 'watchkeeper ping start'")
        return 0
    zone = ctx.settings.desk.zone
    header = ("TOKEN", "STARTED", "BY", "SENT", "REPLIED", "REMINDED", "NO ANSWER", "RESULTS")
    rows = [header] + [(
        r.token, ping_results.show_time(r.started_at, zone), r.started_by, str(len(r.targets)),
        str(r.replied), str(r.reminded), str(r.no_answer),
        ping_results.show_time(r.reported_at, zone) if r.reported_at else "not yet",
    ) for r in found]
    widths = [max(len(row[n]) for row in rows) for n in range(len(header))]
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    return 0
