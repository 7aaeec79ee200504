"""What a command needs from the outside world, built once from the settings."""

from __future__ import annotations

import argparse
import getpass
from dataclasses import dataclass, field
from functools import cached_property

import structlog
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings, load_settings
from daemon.process import logs
from daemon.process.clock import Clock, SystemClock
from daemon.store.db import DatabaseError, check_schema, make_engine, session_factory


class ContextError(Exception):
    """The command cannot run in this environment; the message is one line."""


@dataclass
class AppContext:
    settings: Settings
    clock: Clock = field(default_factory=SystemClock)

    @cached_property
    def engine(self) -> Engine:
        database = self.settings.database
        return make_engine(database.url, echo=database.echo,
                           busy_timeout=database.busy_timeout_seconds)

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        return session_factory(self.engine)

    def require_schema(self) -> None:
        try:
            check_schema(self.engine, self.settings.database.url)
        except DatabaseError as exc:
            raise ContextError(str(exc)) from exc

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()


def from_args(args: argparse.Namespace, *, configure_logging: bool = True) -> AppContext:
    """Load and validate the settings named on the command line, and set up logging."""
    settings = load_settings(getattr(args, "config", None))
    if configure_logging:
        logs.configure(
            fmt=settings.logging.format, level=settings.logging.level, file=settings.logging.file
        )
    return AppContext(settings=settings)


def operator_name(args: argparse.Namespace) -> str:
    """Who runs this command, for the audit trail (`--by`, else the OS user)."""
    by = getattr(args, "by", None)
    if by:
        return str(by)
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


log = structlog.get_logger("watchkeeper")
