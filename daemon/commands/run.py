"""`watchkeeper run [--once]`: the daemon itself."""

from __future__ import annotations

import argparse

from config.settings import ConfigError, Settings, check_secrets
from daemon.process.context import from_args


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("run", help="watch the mailbox, send mail, run the schedule")
    p.add_argument("--once", action="store_true",
                   help="one full pass over every folder, deliver what is due, then exit")
    p.set_defaults(handler=run)


def require_for_run(settings: Settings) -> None:
    """Keys without which the daemon cannot do its job."""
    for key, value in (
        ("imap.host", settings.imap.host),
        ("imap.username", settings.imap.username),
        ("smtp.host", settings.smtp.host),
        ("desk.official_address", settings.desk.official_address),
    ):
        if not value:
            raise ConfigError(f"configuration error: {key} is required to run the daemon")


def run(args: argparse.Namespace) -> int:
    ctx = from_args(args)
    require_for_run(ctx.settings)
    check_secrets(ctx.settings, tokens=False)
    ctx.require_schema()
    from daemon.process.service import run_daemon

    try:
        return run_daemon(ctx, once=args.once)
    finally:
        ctx.close()
