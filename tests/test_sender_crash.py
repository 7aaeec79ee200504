"""SIGKILL of the real daemon in the middle of a burst of acknowledgements."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from models import OutboxMail
from tests.conftest import REPO, run_cli
from tests.servers import Dovecot, SinkHandler, SmtpSink
from tests.test_ingest_support import OFFICIAL, PARTNERS, request_mail, seed_directory

FR = PARTNERS["FR"][0]


class SlowHandler(SinkHandler):
    """The sink's handler, taking a moment per mail so that a burst lasts long enough to kill."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(0.15)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def slow_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.handler = SlowHandler()
    sink.start()
    try:
        yield sink
    finally:
        sink.stop()


def config(tmp_path: Path, dovecot: Dovecot, sink: SmtpSink, db_url: str) -> dict[str, str]:
    path = tmp_path / "watchkeeper.toml"
    path.write_text(f"""
[database]
url = "{db_url}"

[imap]
host = "127.0.0.1"
port = {dovecot.port}
tls = "none"
username = "desk"
poll_seconds = 1
reconnect_initial_seconds = 0.2
reconnect_max_seconds = 1.0

[smtp]
host = "127.0.0.1"
port = {sink.port}
tls = "none"
retry_initial_seconds = 600.0
max_auto_replies_per_hour = 100

[desk]
official_address = "{OFFICIAL}"

[logging]
format = "json"
""", encoding="utf-8")
    return {"WATCHKEEPER_CONFIG": str(path), "WATCHKEEPER_IMAP__PASSWORD": "desk-secret"}


def test_sigkill_mid_burst_every_ack_delivered_duplicates_only_with_the_same_message_id(
    tmp_path: Path, db_url: str, sessions: sessionmaker[Session], dovecot: Dovecot,
    slow_sink: SmtpSink,
) -> None:
    """Kill -9 while acks are on the wire: one restarted pass sends every ack the dead
    process had claimed at once (one log line says so), and a mail that arrived twice
    carries the same Message-ID and bytes both times."""
    seed_directory(sessions)
    env = config(tmp_path, dovecot, slow_sink, db_url)
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("WATCHKEEPER_")}
    full_env.update(env)
    log = (tmp_path / "daemon.log").open("w")
    daemon = subprocess.Popen([sys.executable, "-m", "daemon.cli", "run"], cwd=REPO,
                              env=full_env, stdout=log, stderr=subprocess.STDOUT)
    try:
        dovecot.append_many([request_mail(500 + i, sender=FR).as_bytes() for i in range(20)])
        deadline = time.monotonic() + 60
        while len(slow_sink.received) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(slow_sink.received) >= 3, (tmp_path / "daemon.log").read_text()[-2000:]
        daemon.send_signal(signal.SIGKILL)
        daemon.wait(timeout=10)
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait(timeout=10)
        log.close()
    at_kill = len(slow_sink.received)
    assert at_kill < 20, "the burst ended before the kill: nothing was tested"

    # Restart: the mails the dead process had claimed leave in this very pass (its lease is
    # released because the process is gone), not after the 600 s retry delay.
    done = run_cli("run", "--once", env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    output = done.stdout + done.stderr
    released = [line for line in output.splitlines() if "outbox_claims_released" in line]
    assert len(released) == 1, output[-3000:]
    with sessions() as s:
        rows = list(s.scalars(select(OutboxMail)))
    assert len(rows) == 20 and all(r.purpose == "ack" for r in rows)
    assert [r.status for r in rows] == ["sent"] * 20
    planned = {r.message_id: r.raw for r in rows}
    received = slow_sink.handler.wait_for(20)
    seen = Counter(str(m.message["Message-ID"]).strip("<>") for m in received)
    assert set(seen) == set(planned)
    assert all(n <= 2 for n in seen.values())
    twice = sum(1 for n in seen.values() if n == 2)
    print(f"kill -9 with {at_kill} of 20 acks delivered: {twice} delivered a second time")
    for m in received:
        mid = str(m.message["Message-ID"]).strip("<>")
        assert m.data.replace(b"\r\n", b"\n") == planned[mid].replace(b"\r\n", b"\n")
