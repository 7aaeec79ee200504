"""`watchkeeper config show|check`: the effective configuration, secrets masked."""

from __future__ import annotations

import argparse
import json

from config.settings import DeskSettings, check_secrets, masked
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
    for line in command_auth_report(ctx.settings.desk):
        print(line)
    print("configuration ok")
    return 0


def command_auth_report(desk: DeskSettings) -> list[str]:
    """How command mail must prove its origin, as `config check` prints it (token sources
    are named, tokens never shown)."""
    ways = desk.command_auth
    if not ways:
        return ["command-by-mail: OFF (desk.command_auth names no way): operators' #start, "
                "#close ... lines are kept as ordinary mail"]
    out = [f"command-by-mail: on; a command mail is applied when one of these proves it: "
           f"{', '.join(ways)}"]
    if not desk.operators:
        out.append("  warning: desk.operators is empty, so no mail is a command mail")
    relays = ", ".join(desk.internal_relays) or "none"
    for way in ways:
        if way == "dmarc":
            out.append(f"  dmarc: dmarc=pass for the From domain in an Authentication-Results "
                       f"header of {desk.trusted_authserv_id} above the Received header where "
                       "the mail came in")
        elif way == "dkim":
            out.append(f"  dkim: dkim=pass with header.d aligned with the From domain, in an "
                       f"Authentication-Results header of {desk.trusted_authserv_id} above the "
                       "Received header where the mail came in")
        elif way == "received":
            out.append(f"  received: every Received hop from inside {relays}")
        elif way == "secret":
            out.append("  secret: '#auth <token>' as the first line, the operator's own token")
            for operator in desk.operators:
                entry = desk.operator_tokens.get(operator.strip().lower())
                if entry is None:
                    source = "no token (this way never proves its mail)"
                elif entry.token_file is not None:
                    source = f"token from file {entry.token_file}"
                else:
                    source = f"token from environment variable {entry.token_env}"
                out.append(f"    {operator}: {source}")
    if desk.internal_relays and "received" not in ways:
        out.append(f"  internal relays (the Received headers believed): {relays}")
    return out
