"""Why `watchkeeper run` refuses to start or ends early: the process layer's exceptions.

The service and the leadership raise them; they never print and never choose an exit
code. `daemon/commands/run.py` alone maps each one to its line and its exit code (listed
in `watchkeeper run --help`). `str(exc)` is that line, without the `watchkeeper: ` prefix.
"""

from __future__ import annotations


class RunError(Exception):
    """The daemon cannot start, or cannot go on, doing its job (one line)."""


class LeadershipRefused(RunError):
    """Another `watchkeeper run` already uses this SQLite database: SQLite allows one."""


class LeadershipHeld(RunError):
    """`run --once` while another instance leads: its pass would do the leader's work twice."""


class PassFailed(RunError):
    """`run --once` could not finish its pass: the mailbox or the database failed."""
