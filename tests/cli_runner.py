"""The test side of tests/cli_zygote.py: start the zygote once per test worker, and run
a `watchkeeper` command in a fork of it as `subprocess.run` would."""

from __future__ import annotations

import atexit
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def process_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a command a test runs: the test's, without WATCHKEEPER_
    settings, with this checkout first on PYTHONPATH (from another working directory,
    `-m daemon.cli` would import whatever is installed), and `env` on top."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("WATCHKEEPER_")}
    full_env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), full_env.get("PYTHONPATH"))
                                             if p)
    full_env.update(env or {})
    return full_env


class Zygote:
    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="wk-cli-"))
        self.path = str(self.dir / "zygote.sock")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.cli_zygote", self.path], cwd=REPO, env=process_env(),
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        )
        assert self.proc.stdout is not None
        ready = self.proc.stdout.readline()
        if ready.strip() != b"ready":
            raise RuntimeError(f"the CLI zygote did not start (exit {self.proc.poll()})")
        atexit.register(self.close)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)

    def run(self, args: list[str], *, env: dict[str, str], cwd: Path, timeout: float,
            input: str | None) -> subprocess.CompletedProcess[str]:
        """One command in a forked child: its exit code and what it wrote, like
        `subprocess.run(..., capture_output=True, text=True)`; TimeoutExpired (the child
        killed) after `timeout` seconds."""
        with tempfile.TemporaryDirectory(dir=self.dir) as tmp:
            files = {name: Path(tmp) / name for name in ("stdin", "stdout", "stderr")}
            files["stdin"].write_text(input or "", encoding="utf-8")
            files["stdout"].touch()
            files["stderr"].touch()
            request = {"args": args, "env": env, "cwd": str(cwd),
                       **{name: str(path) for name, path in files.items()}}
            deadline = time.monotonic() + timeout
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
                conn.connect(self.path)
                conn.sendall(json.dumps(request).encode() + b"\n")
                reader = conn.makefile("rb")
                pid = _said(reader.readline(), b"pid")
                code = self._wait(conn, reader, pid, deadline, args, timeout)
            out = files["stdout"].read_text(encoding="utf-8", errors="replace")
            err = files["stderr"].read_text(encoding="utf-8", errors="replace")
        return subprocess.CompletedProcess(["watchkeeper", *args], code, out, err)

    @staticmethod
    def _wait(conn: socket.socket, reader: io.BufferedReader, pid: int, deadline: float,
              args: list[str], timeout: float) -> int:
        conn.settimeout(max(deadline - time.monotonic(), 0.01))
        try:
            line = reader.readline()
        except TimeoutError:
            os.kill(pid, signal.SIGKILL)
            raise subprocess.TimeoutExpired(["watchkeeper", *args], timeout) from None
        if not line:
            return -signal.SIGKILL  # died without saying its exit code
        return _said(line, b"exit")


def _said(line: bytes, word: bytes) -> int:
    parts = line.split()
    if len(parts) != 2 or parts[0] != word:
        raise RuntimeError(f"the CLI zygote said {line!r}, expected {word.decode()} <n>")
    return int(parts[1])


_zygote: Zygote | None = None
_lock = threading.Lock()


def cli_zygote() -> Zygote:
    """This process's zygote, started at the first command."""
    global _zygote
    with _lock:
        if _zygote is None or _zygote.proc.poll() is not None:
            _zygote = Zygote()
        return _zygote
