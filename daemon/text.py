"""How the daemon turns an error into text: one line, the same way everywhere.

Every part of the daemon may import this module (the protocol adapters too), so it imports
nothing of the project itself.
"""

from __future__ import annotations


def one_line(exc: BaseException, *, named: bool = True) -> str:
    """An exception as one line for a log or an operator: `Type: first line of its text`
    (only the text with `named=False`), or the type's name when the text is empty."""
    lines = str(exc).strip().splitlines()
    if not lines:
        return type(exc).__name__
    return f"{type(exc).__name__}: {lines[0]}" if named else lines[0]
