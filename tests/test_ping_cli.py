"""`watchkeeper ping start|status|rounds` run as the real command: refusals and listings."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from daemon.store import directory as directory_store
from daemon.store.db import transaction
from models import OutboxMail, PingRound
from parsers.directory import load_toml
from tests.conftest import run_cli

SAMPLE = Path(__file__).resolve().parent / "data" / "corpus" / "directory.toml"


def config(tmp_path: Path, db_url: str) -> Path:
    path = tmp_path / "watchkeeper.toml"
    path.write_text(f'[database]\nurl = "{db_url}"\n[desk]\ntimezone = "Europe/Brussels"\n'
                    '[logging]\nformat = "json"\n', encoding="utf-8")
    return path


def test_ping_commands(tmp_path: Path, db_url: str, sessions: sessionmaker[Session]) -> None:
    """start refuses an empty directory and an open round; status and rounds list every round,
    the earlier ones by token."""
    cfg = str(config(tmp_path, db_url))
    empty = run_cli("--config", cfg, "ping", "start")
    assert empty.returncode == 1 and "the directory is empty" in empty.stderr

    with transaction(sessions) as s:
        directory_store.apply(s, load_toml(SAMPLE.read_bytes()), "alice", datetime.now(UTC))
    first = run_cli("--config", cfg, "ping", "start", "--by", "alice")
    assert first.returncode == 0, first.stderr
    again = run_cli("--config", cfg, "ping", "start", "--by", "bob")
    assert again.returncode == 1 and "is still open" in again.stderr
    with sessions() as s:
        assert len(s.scalars(select(OutboxMail).where(OutboxMail.purpose == "ping")).all()) == 12
        old = s.scalars(select(PingRound)).one()
    with transaction(sessions) as s:
        # The first round is over: move it back a year and mark it reported.
        row = s.get(PingRound, old.id)
        assert row is not None
        row.started_at -= timedelta(days=365)
        row.reported_at = row.started_at + timedelta(days=6)
    second = run_cli("--config", cfg, "ping", "start", "--by", "bob")
    assert second.returncode == 0, second.stderr

    latest = json.loads(run_cli("--config", cfg, "ping", "status", "--json").stdout)
    assert latest["started_by"] == "bob" and latest["token"] != old.token
    assert latest["sent"] == 12 and latest["replied"] == 0
    assert {t["state"] for t in latest["targets"]} == {"waiting"}
    earlier = json.loads(run_cli("--config", cfg, "ping", "status", "--round", old.token,
                                 "--json").stdout)
    assert earlier["token"] == old.token and earlier["started_by"] == "alice"
    assert {t["state"] for t in earlier["targets"]} == {"no answer"}
    unknown = run_cli("--config", cfg, "ping", "status", "--round", "PING-2020-H1-0000")
    assert unknown.returncode == 1 and "no ping round PING-2020-H1-0000" in unknown.stderr

    listed = run_cli("--config", cfg, "ping", "rounds").stdout.splitlines()
    assert listed[0].split()[:3] == ["TOKEN", "STARTED", "BY"]
    assert [line.split()[0] for line in listed[1:]] == [latest["token"], old.token]
    assert "not yet" in listed[1]
