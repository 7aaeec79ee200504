"""The `watchkeeper` command: argument parsing, logging set-up, exit codes. Nothing else."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import structlog

from config.settings import ConfigError
from daemon.commands import (
    case,
    cases,
    config,
    db,
    demo,
    digest,
    directory,
    parse,
    ping,
    quarantine,
    run,
    status,
    triage,
)
from daemon.process import logs
from daemon.process.context import ContextError

# Each module in daemon/commands registers its own subcommand, in this order in --help.
COMMANDS = (run, demo, parse, db, directory, cases, case, triage, digest, ping, quarantine,
            status, config)

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"watchkeeper: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="watchkeeper", description="Duty desk of a 24/7 cybercrime contact point."
    )
    parser.add_argument("--config", metavar="PATH", help="TOML configuration file "
                        "(default: $WATCHKEEPER_CONFIG, else built-in defaults)")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module in COMMANDS:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version:
        from daemon import __version__

        print(f"watchkeeper {__version__}")
        return EXIT_OK
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    logs.configure()
    try:
        code: int = handler(args)
    except (ConfigError, ContextError) as exc:
        print(f"watchkeeper: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_FAILED
    finally:
        structlog.contextvars.clear_contextvars()
    return code


if __name__ == "__main__":
    sys.exit(main())
