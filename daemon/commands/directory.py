"""`watchkeeper directory validate|import|list|show|export`: the contact-point directory."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import phonenumbers
from sqlalchemy.exc import SQLAlchemyError

from daemon.process.context import AppContext, from_args, operator_name
from daemon.store import directory as directory_store
from daemon.store.db import transaction
from daemon.text import one_line
from parsers import partners
from parsers.directory import ContactPoint, Directory, DirectoryError, dump_csv, dump_toml

AUTHORITY_WIDTH = 40


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("directory", help="the contact-point directory")
    sub = p.add_subparsers(dest="directory_command", metavar="ACTION", required=True)

    validate = sub.add_parser("validate", help="check a directory file without importing it")
    validate.add_argument("file", type=Path, metavar="FILE", help="a .toml or .csv file")
    validate.set_defaults(handler=run_validate)

    imp = sub.add_parser("import", help="show the differences with a file, then apply them")
    imp.add_argument("file", type=Path, metavar="FILE", help="a .toml or .csv file")
    imp.add_argument("--by", metavar="NAME", help="who imports (default: the OS user)")
    imp.add_argument("--dry-run", action="store_true",
                     help="show the differences and change nothing")
    imp.set_defaults(handler=run_import)

    lst = sub.add_parser("list", help="one line per contact point, open or closed now")
    lst.add_argument("--at", metavar="INSTANT", type=_instant,
                     help="answer for this instant (ISO 8601 with offset) instead of now")
    lst.add_argument("--to-confirm", action="store_true",
                     help="only contact points unchanged for more than a year")
    lst.set_defaults(handler=run_list)

    show = sub.add_parser("show", help="every field of a country's contact points")
    show.add_argument("country", metavar="CC", help="ISO 3166 country code")
    show.add_argument("--at", metavar="INSTANT", type=_instant,
                      help="answer for this instant (ISO 8601 with offset) instead of now")
    show.set_defaults(handler=run_show)

    export = sub.add_parser("export", help="print the directory as a file")
    export.add_argument("--format", choices=("toml", "csv"), default="toml")
    export.add_argument("--output", type=Path, metavar="FILE",
                        help="write to this file instead of standard output")
    export.set_defaults(handler=run_export)


def _instant(text: str) -> datetime:
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO 8601 instant such as 2026-07-01T09:00+02:00"
        ) from None
    if at.tzinfo is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} has no UTC offset; write it as 2026-07-01T09:00+02:00 or ...Z"
        )
    return at.astimezone(UTC)


def _read(path: Path, consequence: str = "") -> Directory | None:
    """The file's directory, or None after printing one line per problem."""
    try:
        return directory_store.read_file(path)
    except DirectoryError as exc:
        for problem in exc.problems:
            print(problem)
        count = len(exc.problems)
        print(f"watchkeeper: {path} refused: {count} problem{'s' if count != 1 else ''},"
              " nothing imported", file=sys.stderr)
        return None


def run_validate(args: argparse.Namespace) -> int:
    directory = _read(args.file)
    if directory is None:
        return 1
    print(f"{args.file}: valid, {len(directory.contact_points)} contact points in"
          f" {len(directory.countries())} countries")
    return 0


def run_import(args: argparse.Namespace) -> int:
    directory = _read(args.file, ", nothing imported")
    if directory is None:
        return 1
    ctx = from_args(args)
    try:
        ctx.require_schema()
        actor = operator_name(args)
        now = ctx.clock.now()
        with transaction(ctx.sessions) as session:
            if args.dry_run:
                result = directory_store.diff(directory_store.load_directory(session), directory)
            else:
                result = directory_store.apply(session, directory, actor, now,
                                               source=str(args.file))
    except SQLAlchemyError as exc:
        print(f"watchkeeper: import failed, nothing changed: {one_line(exc, named=False)}",
              file=sys.stderr)
        return 1
    finally:
        ctx.close()
    for line in result.lines():
        print(line)
    if result.empty:
        print(f"no differences: {result.unchanged} contact points unchanged")
    if args.dry_run:
        print(f"dry run, nothing imported: {result.summary()}")
    else:
        print(f"imported by {actor}: {result.summary()}")
    configured = ctx.settings.directory.path
    if configured is not None and configured.resolve() != args.file.resolve():
        print(f"note: the daemon imports {configured} at start and on SIGHUP;"
              " update that file too or this import will be undone", file=sys.stderr)
    return 0


def _context(args: argparse.Namespace) -> AppContext:
    ctx = from_args(args, configure_logging=False)
    ctx.require_schema()
    return ctx


def run_list(args: argparse.Namespace) -> int:
    ctx = _context(args)
    try:
        now = args.at or ctx.clock.now()
        with ctx.sessions() as session:
            points = directory_store.stored_points(session)
    finally:
        ctx.close()
    if args.to_confirm:
        points = [p for p in points if p.to_confirm(now)]
    if not points:
        print("no contact points to confirm" if args.to_confirm else
              "the directory is empty: import one with 'watchkeeper directory import FILE'")
        return 0
    header = ("COUNTRY", "ROLE", "AUTHORITY", "EMAILS", "LOCAL TIME", "OFFICE HOURS", "NOW",
              "NOTE")
    rows = []
    for p in points:
        cp = p.contact_point
        local = partners.local_time(cp, now)
        rows.append((
            cp.country,
            cp.role,
            _shorten(cp.authority, AUTHORITY_WIDTH),
            ", ".join(cp.emails),
            local.strftime("%a %H:%M %Z"),
            cp.hours.describe(),
            "open" if partners.is_office_hours(cp, now) else "closed",
            "to confirm" if p.to_confirm(now) else "",
        ))
    _table(header, rows)
    return 0


def run_show(args: argparse.Namespace) -> int:
    country = args.country.strip().upper()
    ctx = _context(args)
    try:
        now = args.at or ctx.clock.now()
        with ctx.sessions() as session:
            points = [p for p in directory_store.stored_points(session)
                      if p.contact_point.country == country]
            directory = directory_store.load_directory(session)
        default_days = ctx.settings.sla.preservation_days
    finally:
        ctx.close()
    if not points:
        print(f"watchkeeper: no contact point for {country} in the directory", file=sys.stderr)
        return 1
    points.sort(key=lambda p: p.contact_point.role != "primary")
    for p in points:
        _show_point(p, now, default_days)
        print()
    choice = partners.number_to_call(directory, country, now)
    if choice is None:
        print(f"call now: no phone number for {country}")
    else:
        cp = choice.contact_point
        state = "in office hours" if choice.in_office_hours else "outside office hours"
        fallback = ", the other number is missing" if choice.fallback else ""
        print(f"call now: {_phone(choice.phone)} ({choice.reason} of the {cp.role} contact point,"
              f" {state} at {choice.local_time.strftime('%H:%M %Z')}{fallback})")
    return 0


def _show_point(p: directory_store.StoredPoint, now: datetime, default_days: int) -> None:
    cp: ContactPoint = p.contact_point
    local = partners.local_time(cp, now)
    open_now = "open now" if partners.is_office_hours(cp, now) else "closed now"
    days = (f"{cp.preservation_days}" if cp.preservation_days is not None
            else f"{default_days} (the desk's default)")
    confirm = " (to confirm: unchanged for more than a year)" if p.to_confirm(now) else ""
    print(f"{cp.country} {cp.role}: {cp.authority}")
    fields = [
        ("emails", ", ".join(cp.emails)),
        ("office phone", _phone(cp.office_phone)),
        ("after-hours phone", _phone(cp.after_hours_phone)),
        ("time zone", cp.timezone),
        ("local time", f"{local.strftime('%a %Y-%m-%d %H:%M %Z')}"
                       f" (UTC{local.strftime('%z')[:3]}:{local.strftime('%z')[3:]})"),
        ("office hours", f"{cp.hours.describe()}, {open_now}"),
        ("languages", ", ".join(cp.languages) or "-"),
        ("preservation days", days),
    ]
    for name, value in fields:
        print(f"  {name + ':':<19}{value}")
    if not cp.retention:
        print(f"  {'retention:':<19}-")
    else:
        print("  retention:")
        for category, text in cp.retention:
            print(f"    {category}: {text} ({_duration(partners.parse_retention(text))})")
    print(f"  {'added:':<19}{p.created_at.strftime('%Y-%m-%d %H:%M UTC')}")
    print(f"  {'last changed:':<19}{p.changed_at.strftime('%Y-%m-%d %H:%M UTC')}{confirm}")


def _duration(r: partners.Retention) -> str:
    if r.none:
        return "no retention"
    if r.months is not None:
        return f"{r.months} months"
    if r.days is not None:
        return f"{r.days} days"
    return "not a duration"


def _phone(number: str | None) -> str:
    if not number:
        return "-"
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def run_export(args: argparse.Namespace) -> int:
    ctx = _context(args)
    try:
        with ctx.sessions() as session:
            directory = directory_store.load_directory(session)
    finally:
        ctx.close()
    text = dump_toml(directory) if args.format == "toml" else dump_csv(directory)
    if not directory.contact_points:
        print("watchkeeper: the directory is empty", file=sys.stderr)
    if args.output is None:
        sys.stdout.write(text)
        return 0
    try:
        args.output.write_text(text, encoding="utf-8")
    except OSError as exc:
        print(f"watchkeeper: cannot write {args.output}: {exc.strerror}", file=sys.stderr)
        return 1
    print(f"{len(directory.contact_points)} contact points written to {args.output}")
    return 0


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> None:
    widths = [max(len(r[n]) for r in (header, *rows)) for n in range(len(header))]
    for row in (header, *rows):
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
