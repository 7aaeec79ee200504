"""A process that has imported the `watchkeeper` command once and forks a fresh process
for each command a test runs.

Starting `python -m daemon.cli` costs about 1.5 s of CPU, nearly all of it importing
SQLAlchemy, pydantic and the parsers; the suite runs some 250 commands. Here that import
happens once per test worker: each command is then a forked child of this process, with
the test's environment, working directory, standard input and output files, and exit
code, exactly as `subprocess.run` would give them. The zygote itself runs nothing of the
desk's (no thread, no database connection, no configuration read), so a child starts
from the state right after import, as a new process would.

Protocol, one Unix-socket connection per command: the test sends one JSON line
(`args`, `env`, `cwd`, `stdin`, `stdout`, `stderr`: paths of files); the child answers
`pid <n>` at once and `exit <code>` when the command has finished. A child that dies
without saying `exit` (killed after a timeout, a crash) closes the connection: the test
reports it as killed.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import sys


def _child(conn: socket.socket) -> None:
    """Run one command in this forked process and leave with its exit code."""
    code = 1
    try:
        with conn.makefile("rb") as reader:
            request = json.loads(reader.readline())
        conn.sendall(f"pid {os.getpid()}\n".encode())
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        random.seed()  # not the zygote's sequence, shared by every child
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        for fd, path, mode in ((0, request["stdin"], os.O_RDONLY),
                               (1, request["stdout"], os.O_WRONLY),
                               (2, request["stderr"], os.O_WRONLY)):
            opened = os.open(path, mode)
            os.dup2(opened, fd)
            os.close(opened)
        sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115
        sys.stdout = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
        sys.argv = ["watchkeeper", *request["args"]]
        from daemon.cli import main

        try:
            code = main(request["args"])
        except SystemExit as stop:
            if stop.code is None or isinstance(stop.code, int):
                code = stop.code or 0
            else:
                print(stop.code, file=sys.stderr)
                code = 1
        except BaseException:
            import traceback

            traceback.print_exc()
            code = 1
        sys.stdout.flush()
        sys.stderr.flush()
        conn.sendall(f"exit {code}\n".encode())
    finally:
        os._exit(code)


def serve(path: str) -> None:
    import daemon.cli  # noqa: F401  # the import every child would otherwise repeat

    parent = os.getppid()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
        listener.bind(path)
        listener.listen(16)
        listener.settimeout(1.0)
        print("ready", flush=True)
        while os.getppid() == parent:  # the test worker is gone: so is this
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            conn.settimeout(None)
            if os.fork() == 0:
                listener.close()
                _child(conn)
            conn.close()


if __name__ == "__main__":
    serve(sys.argv[1])
