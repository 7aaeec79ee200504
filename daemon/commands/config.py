"""`watchkeeper config show|check`: the effective configuration, secrets masked."""

from __future__ import annotations

import argparse
import json

from config.settings import check_secrets, masked
from daemon.process.context import from_args


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("config", help="show or check the effective configuration")
    sub = p.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    show = sub.add_parser("show", help="print the effective configuration, secrets masked")
    show.add_argument("--json", action="store_true", help="as JSON instead of TOML-like text")
    show.set_defaults(handler=run_show)
    check = sub.add_parser("check", help="validate the configuration and read every secret")
    check.set_defaults(handler=run_check)


def run_show(args: argparse.Namespace) -> int:
    ctx = from_args(args, configure_logging=False)
    data = masked(ctx.settings)
    if args.json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return 0
    for section, values in data.items():
        print(f"[{section}]")
        for key, value in values.items():
            print(f"{key} = {json.dumps(value, ensure_ascii=False)}")
        print()
    return 0


def run_check(args: argparse.Namespace) -> int:
    ctx = from_args(args, configure_logging=False)
    check_secrets(ctx.settings)
    print("configuration ok")
    return 0
