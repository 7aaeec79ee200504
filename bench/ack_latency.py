"""Time from a request appended to INBOX to its acknowledgement accepted by the SMTP server.

    .venv/bin/python bench/ack_latency.py [--messages 20] [--database sqlite|postgresql]

Starts a private Dovecot, an SMTP sink and the real `watchkeeper run` daemon (IMAP IDLE
on), appends the requests one at a time, waits for each acknowledgement at the sink, and
prints every latency and the median. Target: median under 2 s.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
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
from tests.test_ingest_support import OFFICIAL, PARTNERS, request_mail, seed_directory  # noqa: E402


def write_config(root: Path, imap_port: int, smtp_port: int, db_url: str) -> Path:
    path = root / "watchkeeper.toml"
    path.write_text(f"""
[database]
url = "{db_url}"

[imap]
host = "127.0.0.1"
port = {imap_port}
tls = "none"
username = "desk"
idle = true
poll_seconds = 60

[smtp]
host = "127.0.0.1"
port = {smtp_port}
tls = "none"
max_auto_replies_per_hour = 1000

[desk]
official_address = "{OFFICIAL}"

[logging]
format = "json"
level = "warning"
""", encoding="utf-8")
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--timeout", type=float, default=30.0, help="per message, seconds")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="wk-bench-"))
    db_url = (f"sqlite:///{root / 'watchkeeper.db'}" if args.database == "sqlite"
              else create_pg_database())
    upgrade(db_url)
    engine = make_engine(db_url)
    seed_directory(session_factory(engine))
    engine.dispose()
    sink = SmtpSink()
    sink.start()
    latencies: list[float] = []
    try:
        with running_dovecot() as dovecot:
            config = write_config(root, dovecot.port, sink.port, db_url)
            env = {k: v for k, v in os.environ.items() if not k.startswith("WATCHKEEPER_")}
            env.update(WATCHKEEPER_CONFIG=str(config), WATCHKEEPER_IMAP__PASSWORD="desk-secret")
            log = (root / "daemon.log").open("w")
            daemon = subprocess.Popen([sys.executable, "-m", "daemon.cli", "run"], cwd=REPO,
                                      env=env, stdout=log, stderr=subprocess.STDOUT)
            try:
                # Warm-up: the first request also waits for the daemon to start and IDLE.
                dovecot.append(request_mail(0, sender=PARTNERS["FR"][0]).as_bytes())
                if len(sink.handler.wait_for(1, timeout=60)) < 1:
                    print("no acknowledgement for the warm-up request; see", root / "daemon.log")
                    return 1
                time.sleep(1.0)  # let the watcher go back to IDLE
                for i in range(1, args.messages + 1):
                    before = len(sink.received)
                    sender = PARTNERS["FR"][i % 2]
                    raw = request_mail(1000 + i, sender=sender).as_bytes()
                    appended = datetime.now(UTC)
                    dovecot.append(raw)
                    got = sink.handler.wait_for(before + 1, timeout=args.timeout)
                    if len(got) <= before:
                        print(f"request {i}: no acknowledgement within {args.timeout:g} s")
                        return 1
                    latency = (got[before].at - appended).total_seconds()
                    latencies.append(latency)
                    print(f"request {i:3d}: {latency * 1000:7.0f} ms")
                    time.sleep(0.3)
            finally:
                daemon.send_signal(signal.SIGTERM)
                try:
                    daemon.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    daemon.kill()
                log.close()
    finally:
        sink.stop()
        if args.database == "postgresql":
            drop_pg_database(db_url)
    print(f"messages: {len(latencies)}  database: {args.database}")
    print(f"median append-to-ack latency: {statistics.median(latencies):.3f} s "
          f"(min {min(latencies):.3f} s, max {max(latencies):.3f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
