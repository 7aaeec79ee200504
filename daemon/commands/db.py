"""`watchkeeper db upgrade|current`: the schema, only ever through Alembic migrations."""

from __future__ import annotations

import argparse

import structlog

from daemon.process.context import from_args
from daemon.store.db import current_revision, head_revision, make_engine, upgrade

log = structlog.get_logger("watchkeeper.db")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("db", help="database schema")
    sub = p.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    up = sub.add_parser("upgrade", help="migrate the database to the code's schema")
    up.add_argument("--revision", default="head", help="target revision (default: head)")
    up.set_defaults(handler=run_upgrade)
    cur = sub.add_parser("current", help="print the database's and the code's revisions")
    cur.set_defaults(handler=run_current)


def run_upgrade(args: argparse.Namespace) -> int:
    ctx = from_args(args)
    url = ctx.settings.database.url
    try:
        upgrade(url, args.revision)
    except Exception as exc:  # driver errors differ per backend; the operator needs one line
        print(f"watchkeeper: database upgrade failed: {str(exc).splitlines()[0]}")
        return 1
    engine = make_engine(url, pooled=False)
    log.info("database_upgraded", revision=current_revision(engine))
    engine.dispose()
    return 0


def run_current(args: argparse.Namespace) -> int:
    ctx = from_args(args, configure_logging=False)
    url = ctx.settings.database.url
    engine = make_engine(url, pooled=False)
    try:
        print(f"database: {current_revision(engine) or 'empty'}")
    finally:
        engine.dispose()
    print(f"code:     {head_revision(url)}")
    return 0
