"""`watchkeeper parse`: classify .eml files offline and print one result per file."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from parsers.directory import Directory, DirectoryError, load_file, load_toml
from parsers.message import parse_message
from parsers.result import ParsedMessage


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("parse", help="classify .eml files and print what was found")
    p.add_argument("--json", action="store_true",
                   help="one JSON object per line, as in the parse output contract")
    p.add_argument("--directory", dest="directory_file", metavar="FILE",
                   help="contact-point directory (TOML, or CSV by its .csv name) to verify "
                        "senders against")
    p.add_argument("--case-prefix", default="WK", metavar="PREFIX",
                   help="prefix of our case tags (default: WK)")
    p.add_argument("files", nargs="+", metavar="FILE", help=".eml files to parse")
    p.set_defaults(handler=run)


def _directory(args: argparse.Namespace) -> Directory | None:
    path = getattr(args, "directory_file", None)
    if path:
        data = Path(path).read_bytes()
        if path.lower().endswith(".csv"):
            return load_file(path, data)
        return load_toml(data)
    given = getattr(args, "directory", None)
    return given if isinstance(given, Directory) else None


def summary(name: str, r: ParsedMessage) -> str:
    """A short readable account of one parse result."""
    head = f"{name}: {r.kind}"
    if r.request_type:
        head += f" {r.request_type}"
    if r.urgent:
        head += " URGENT"
    head += f" ({r.topic})" if r.topic else ""
    facts = [
        f"country={r.country or '-'}",
        "verified" if r.sender_verified else "unverified",
    ]
    if r.case_ref:
        facts.append(f"case={r.case_ref}")
    if r.their_reference:
        facts.append(f"ref={r.their_reference}")
    if r.previous_reference:
        facts.append(f"previous={r.previous_reference}")
    if r.provider:
        facts.append(f"provider={r.provider}")
    if r.language:
        facts.append(f"lang={r.language}")
    lines = [head + "  " + " ".join(facts)]
    for i in r.identifiers:
        when = f" @ {i.timestamp.isoformat()}" if i.timestamp else ""
        lines.append(f"    {i.type:<8} {i.value}{when}")
    if r.error:
        lines.append(f"    error: {r.error}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    try:
        directory = _directory(args)
    except (OSError, DirectoryError) as exc:
        print(f"watchkeeper: cannot use directory {args.directory_file}: {exc}", file=sys.stderr)
        return 1
    prefix = getattr(args, "case_prefix", "WK") or "WK"
    failed = False
    for f in args.files:
        path = Path(f)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            print(f"watchkeeper: cannot read {f}: {exc.strerror or exc}", file=sys.stderr)
            failed = True
            continue
        result = parse_message(raw, directory, case_prefix=prefix)
        if result.error:
            print(f"watchkeeper: cannot parse {f}: {result.error}", file=sys.stderr)
            failed = True
        if args.json:
            print(json.dumps(result.to_contract(path.name), ensure_ascii=False), flush=False)
        else:
            print(summary(path.name, result))
    sys.stdout.flush()
    return 1 if failed else 0
