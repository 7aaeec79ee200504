"""How fast a fault shows: the seconds from the fault to `watchkeeper status` saying so.

    .venv/bin/python bench/fault_visibility.py [--rounds 3] [--database sqlite|postgresql]

Starts a private Dovecot, an SMTP sink and the real `watchkeeper run`, then, each round:
- SMTP down while mail waits: the sink is stopped, a request arrives; the figure is the time
  from the request's arrival to `status` exiting 1 (degraded) with the SMTP reason
  (target: within 30 s);
- the daemon killed: SIGKILL; the figure is the time to `status` exiting 2 (down)
  (target: within 60 s of the last heartbeat);
- IMAP connection lost without BYE: Dovecot and its children killed; the figure is the time
  to the daemon's `imap_reconnecting` line (target: within 5 s).
Prints each round and the worst of each. Not a test: a figure for the closing note.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from daemon.store.db import make_engine, session_factory, upgrade  # noqa: E402
from tests.servers import (  # noqa: E402
    SmtpSink,
    create_pg_database,
    drop_pg_database,
    running_dovecot,
)
from tests.test_ingest_support import (  # noqa: E402
    cli_env,
    daemon_process,
    request_mail,
    seed_directory,
    watching,
    write_config,
)


def _status(env: dict[str, str]) -> tuple[int, str]:
    full = {**{k: v for k, v in os.environ.items() if not k.startswith("WATCHKEEPER_")},
            **env, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-m", "daemon.cli", "status", "--json"],
                          capture_output=True, text=True, env=full, cwd=REPO, timeout=60)
    return done.returncode, done.stdout


def _degraded_by_smtp(env: dict[str, str]) -> bool:
    code, out = _status(env)
    return code == 1 and any("SMTP" in reason for reason in json.loads(out)["reasons"])


def _until(predicate: Callable[[], bool], limit: float) -> float:
    start = time.monotonic()
    while time.monotonic() - start < limit:
        if predicate():
            return time.monotonic() - start
        time.sleep(0.2)
    return float("inf")


def _logged(log: Path, event: str, after: int) -> bool:
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()[after:]
    for line in lines:
        try:
            if json.loads(line).get("event") == event:
                return True
        except ValueError:
            continue
    return False


def one_round(url: str, root: Path, n: int) -> dict[str, float]:
    figures: dict[str, float] = {}
    sink = SmtpSink()
    sink.start()
    with running_dovecot() as dovecot:
        engine = make_engine(url, pooled=False)
        sessions = session_factory(engine)
        seed_directory(sessions)
        config = write_config(root, imap_port=dovecot.port, smtp_port=sink.port, db_url=url,
                              poll_seconds=60)
        env = cli_env(config)
        log = root / f"daemon-{n}.log"
        proc = daemon_process(config, log=log)
        try:
            _until(lambda: watching(sessions), 60)
            # SMTP down while a request waits for its acknowledgement.
            sink.stop()
            dovecot.append(request_mail(900 + n).as_bytes())
            figures["smtp_down_to_degraded_s"] = _until(lambda: _degraded_by_smtp(env), 120)
            sink.start()
            # IMAP lost without BYE.
            mark = len(log.read_text(encoding="utf-8", errors="replace").splitlines())
            dovecot.stop()
            figures["imap_cut_to_noticed_s"] = _until(
                lambda: _logged(log, "imap_reconnecting", mark), 60)
            dovecot.restart()
            # The daemon killed.
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
            figures["daemon_killed_to_down_s"] = _until(lambda: _status(env)[0] == 2, 180)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
            sink.stop()
            engine.dispose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    results: list[dict[str, float]] = []
    for n in range(args.rounds):
        root = Path(tempfile.mkdtemp(prefix="wk-faults-"))
        url = (f"sqlite:///{root / 'watchkeeper.db'}" if args.database == "sqlite"
               else create_pg_database())
        try:
            upgrade(url)
            figures = one_round(url, root, n)
        finally:
            if args.database == "postgresql":
                drop_pg_database(url)
            shutil.rmtree(root, ignore_errors=True)
        results.append(figures)
        print(f"round {n + 1}: " + ", ".join(f"{k} {v:.1f}" for k, v in figures.items()),
              flush=True)
    for key, target in (("smtp_down_to_degraded_s", 30), ("imap_cut_to_noticed_s", 5),
                        ("daemon_killed_to_down_s", 60)):
        worst = max(r[key] for r in results)
        print(f"{key}: worst {worst:.1f} s over {len(results)} rounds (target {target} s)")


if __name__ == "__main__":
    main()
