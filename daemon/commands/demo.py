"""`watchkeeper demo`: the whole desk on embedded mail servers, with no configuration."""

from __future__ import annotations

import argparse
import sys

from daemon.process import logs


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "demo", help="play a day of the desk on embedded mail servers (no configuration)")
    p.add_argument("--log-format", choices=("console", "json"), default="console",
                   help="how the daemon's log lines are shown (default: console)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    # The daemon's log goes to stderr, the scenes and the summary to stdout.
    logs.configure(fmt=args.log_format, level="info")
    from daemon.demo.play import run_demo

    return run_demo(sys.stdout)
