"""structlog configured once: console on a TTY, JSON lines otherwise; secrets never printed."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any, TextIO

import structlog

_SECRET_KEY = re.compile(r"pass(word)?|secret|token|credential", re.IGNORECASE)
# Keys that look secret and are not: a ping token is printed in the mail it tests and in
# the partner's answer, and the operator must see it to follow a ping round in the log.
PUBLIC_KEYS = frozenset({"ping_token"})
_URL_PASSWORD = re.compile(r"(://[^:/@\s]+):[^@\s]+@")


def redact_secrets(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Mask values of secret-looking keys and passwords embedded in URLs."""
    for key, value in list(event_dict.items()):
        if _SECRET_KEY.search(key) and key not in PUBLIC_KEYS:
            event_dict[key] = "********"
        elif isinstance(value, str) and "://" in value:
            event_dict[key] = _URL_PASSWORD.sub(r"\1:********@", value)
    return event_dict


def configure(
    *, fmt: str = "auto", level: str = "info", file: Path | None = None,
    stream: TextIO | None = None,
) -> None:
    """Configure structlog for the whole process (called once, from the CLI)."""
    out: TextIO = stream if stream is not None else sys.stderr
    as_json = fmt == "json" or (fmt == "auto" and not out.isatty())
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redact_secrets,
        structlog.processors.format_exc_info,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if as_json
        else structlog.dev.ConsoleRenderer(colors=out.isatty())
    )
    logger_factory: Any = structlog.PrintLoggerFactory(out)
    if file is not None:
        logger_factory = _TeeLoggerFactory(out, file)
    structlog.configure(
        processors=[*shared, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(
            getattr(logging, level.upper(), logging.INFO)
        ),
        logger_factory=logger_factory,
        cache_logger_on_first_use=False,
    )


class _TeeLogger:
    def __init__(self, stream: TextIO, file: TextIO) -> None:
        self._stream = stream
        self._file = file

    def msg(self, message: str) -> None:
        for target in (self._stream, self._file):
            target.write(message + "\n")
            target.flush()

    log = debug = info = warning = warn = error = critical = exception = fatal = msg


class _TeeLoggerFactory:
    def __init__(self, stream: TextIO, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._logger = _TeeLogger(stream, path.open("a", encoding="utf-8"))

    def __call__(self, *args: Any) -> _TeeLogger:
        return self._logger
