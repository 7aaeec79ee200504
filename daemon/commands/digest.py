"""`watchkeeper digest --print|--send`: the supervisors' daily digest, now."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from config.settings import ConfigError
from daemon.duties import digest
from daemon.process.context import AppContext, from_args
from daemon.store.db import transaction


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("digest", help="print or send the supervisors' daily digest now")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--print", dest="print_", action="store_true",
                      help="show the digest in the terminal (plain text)")
    what.add_argument("--send", action="store_true",
                      help="send the digest now to desk.supervisors")
    p.add_argument("--html", metavar="FILE", type=Path,
                   help="with --print: also write the HTML version to FILE")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    ctx = from_args(args)
    try:
        ctx.require_schema()
        now = ctx.clock.now()
        if args.print_:
            with transaction(ctx.sessions) as session:
                built = digest.build(session, ctx.settings, now)
            sys.stdout.write(built.text)
            if args.html is not None:
                try:
                    args.html.write_text(built.html, encoding="utf-8")
                except OSError as exc:
                    print(f"watchkeeper: cannot write {args.html}: {exc.strerror}",
                          file=sys.stderr)
                    return 1
            return 0
        if not ctx.settings.desk.supervisors:
            raise ConfigError("configuration error: desk.supervisors is empty: "
                              "nobody to send the digest to")
        key = f"digest:manual:{now.isoformat(timespec='microseconds')}"
        with transaction(ctx.sessions) as session:
            row = digest.plan(session, ctx.settings, now, key)
            assert row is not None
            recipients = ", ".join(row.recipients)
        delivered = _deliver(ctx)
        state = "sent" if delivered else "queued (the daemon delivers it)"
        print(f"digest {state} to {recipients}")
        return 0
    finally:
        ctx.close()


def _deliver(ctx: AppContext) -> int:
    """Hand the outbox to the sender now when an SMTP server is configured."""
    from daemon.cases.transitions import mail_sent
    from daemon.outbound.delivery import deliver_pending

    if not ctx.settings.smtp.host:
        return 0
    return asyncio.run(deliver_pending(ctx.settings, ctx.sessions, ctx.clock, on_sent=mail_sent))
