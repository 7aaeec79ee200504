"""`watchkeeper run [--once]`: the daemon itself, put together here.

This command is the daemon's composition root: it builds the service and the leadership,
relays the signals to the service, forces an exit when a stop hangs, and alone turns what
ends the daemon (the exceptions of `daemon/process/errors.py`) into one line and an exit
code.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator
from types import FrameType
from typing import TYPE_CHECKING, Any

import structlog

from config.settings import ConfigError, Settings, check_secrets
from daemon.process.context import from_args
from daemon.process.errors import (
    LeadershipHeld,
    LeadershipRefused,
    PassFailed,
    RunError,
)

if TYPE_CHECKING:
    from daemon.process.service import Service

log = structlog.get_logger("watchkeeper.daemon")

# An orderly stop (watchers, scheduler, last heartbeat) still running after this long is
# cut short: a job or a call that never returns must not keep alive a daemon that was told
# to stop, nor keep a leader that lost its lock at work while another instance leads.
SHUTDOWN_GRACE_SECONDS = 12.0
EXIT_OK, EXIT_FAILED, EXIT_REFUSED = 0, 1, 2
EXIT_CODES: dict[type[RunError], int] = {
    LeadershipRefused: EXIT_REFUSED,
    LeadershipHeld: EXIT_FAILED,
    PassFailed: EXIT_FAILED,
}
EPILOG = f"""\
exit codes:
  0  stopped by SIGTERM or SIGINT, or the --once pass is done
  1  the --once pass failed (mailbox or database), or another instance leads (--once);
     a stop that did not finish within {SHUTDOWN_GRACE_SECONDS:g} s was forced
  (a database outage or a lost leader lock never ends the daemon: it waits, then goes on)
  2  a configuration error, a database whose schema is not the code's, or another
     watchkeeper run already on this SQLite database (not worth restarting)
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("run", help="watch the mailbox, send mail, run the schedule",
                              epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
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
    # Imported here: the other commands start without the daemon's libraries.
    from daemon.process.leader import Leadership, serve
    from daemon.process.service import Service

    service = Service(ctx, on_stopping=lambda: exit_if_stalled(SHUTDOWN_GRACE_SECONDS))
    leadership = Leadership(ctx.settings.database.url)
    try:
        with relayed_signals(service):
            serve(service, leadership, once=args.once)
    except RunError as exc:
        if isinstance(exc, LeadershipRefused):
            log.error("daemon_refused", reason=str(exc))
        print(f"watchkeeper: {exc}", flush=True, file=sys.stderr)
        return EXIT_CODES[type(exc)]
    finally:
        ctx.close()
    return EXIT_OK


def exit_if_stalled(grace: float) -> threading.Timer:
    """Arm a timer that ends the process with exit 1 if it is still alive `grace` seconds
    from now; an orderly stop finishes long before and the timer dies with the process."""

    def force() -> None:
        log.error("shutdown_stalled", grace_s=grace)
        print(f"watchkeeper: the stop did not finish within {grace:g} s: forced exit",
              file=sys.stderr, flush=True)
        sys.stdout.flush()
        os._exit(EXIT_FAILED)

    timer = threading.Timer(grace, force)
    timer.daemon = True
    timer.start()
    return timer


@contextlib.contextmanager
def relayed_signals(service: Service) -> Iterator[None]:
    """SIGTERM/SIGINT stop the daemon, SIGHUP reloads. The handlers only write the
    signal's number to a pipe: a handler runs on the main thread between two of its
    bytecodes, possibly while that thread holds the log's or an Event's lock, so the
    logging and the Event calls happen on a relay thread that reads the pipe."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)

    def _note(signum: int, _frame: FrameType | None) -> None:
        with contextlib.suppress(BlockingIOError):
            os.write(write_fd, bytes([signum]))

    relay = threading.Thread(target=_relay, args=(service, read_fd),
                             name="signal-relay", daemon=True)
    relay.start()
    previous: dict[signal.Signals, Any] = {}
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        previous[sig] = signal.signal(sig, _note)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        os.close(write_fd)  # the relay reads end-of-file and returns
        relay.join(timeout=5)
        os.close(read_fd)


def _relay(service: Service, read_fd: int) -> None:
    while True:
        try:
            data = os.read(read_fd, 64)
        except OSError:
            return
        if not data:
            return
        for signum in data:
            if signum == signal.SIGHUP:
                service.reload.set()
                service.wake.set()
            else:
                log.info("stop_requested", signal=signal.Signals(signum).name)
                service.request_stop()
