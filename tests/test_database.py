"""The database layer on SQLite and PostgreSQL: migrations, settings, references, times."""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import stat
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError, OperationalError, PendingRollbackError, ProgrammingError
from sqlalchemy.orm import Session, sessionmaker

from daemon.cases.references import allocate_reference
from daemon.store.db import (
    alembic_config,
    current_revision,
    downgrade,
    is_outage,
    make_engine,
    session_factory,
    transaction,
    upgrade,
)
from models import Base, Case, Event
from tests.conftest import run_cli
from tests.servers import create_pg_database, drop_pg_database


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
    else:
        url = create_pg_database()
        yield url
        drop_pg_database(url)


def test_migrations_walk_down_and_up(empty_url: str) -> None:
    """An empty database upgrades to head, every revision walks down and back up."""
    upgrade(empty_url)
    engine = make_engine(empty_url, pooled=False)
    script = ScriptDirectory.from_config(alembic_config(empty_url))
    revisions = [r.revision for r in script.walk_revisions()]  # head first
    assert current_revision(engine) == revisions[0]
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    for rev in revisions:
        down = script.get_revision(rev).down_revision
        downgrade(empty_url, down if isinstance(down, str) else "base")
    assert current_revision(engine) is None
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(empty_url)
    assert current_revision(engine) == revisions[0]
    engine.dispose()


def test_schema_matches_models(empty_url: str) -> None:
    """The migrations produce exactly the models' schema (no drift)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    upgrade(empty_url)
    engine = make_engine(empty_url, pooled=False)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == []


def test_sqlite_file_mode_wal_and_foreign_keys(tmp_path: Path) -> None:
    """The default SQLite file is created with mode 0600, in WAL mode, foreign keys on."""
    url = f"sqlite:///{tmp_path / 'var' / 'wk.db'}"
    upgrade(url)
    mode = stat.S_IMODE(os.stat(tmp_path / "var" / "wk.db").st_mode)
    assert mode == 0o600
    engine = make_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


def test_default_database_relative_to_working_directory(tmp_path: Path) -> None:
    """`db upgrade` with no configuration creates var/watchkeeper.db in the working directory."""
    out = run_cli("db", "upgrade", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "var" / "watchkeeper.db").exists()
    assert stat.S_IMODE((tmp_path / "var" / "watchkeeper.db").stat().st_mode) == 0o600


def test_run_refuses_a_database_behind(tmp_path: Path) -> None:
    """`run` on a database that is not migrated says which command to run, exit code 2."""
    cfg = tmp_path / "wk.toml"
    cfg.write_text('[imap]\nhost = "127.0.0.1"\nusername = "desk"\ntls = "none"\n'
                   '[smtp]\nhost = "127.0.0.1"\ntls = "none"\n')
    out = run_cli("--config", str(cfg), "run", "--once", cwd=tmp_path,
                  env={"WATCHKEEPER_IMAP__PASSWORD": "x"})
    assert out.returncode == 2
    assert "run 'watchkeeper db upgrade'" in out.stderr
    assert out.stderr.count("\n") == 1


def test_times_come_back_aware_utc(sessions: sessionmaker[Session]) -> None:
    """A time stored with any offset comes back as the same instant, aware, in UTC."""
    paris = timezone(timedelta(hours=1))
    with transaction(sessions) as s:
        s.add(Event(at=datetime(2026, 11, 5, 9, 12, 44, tzinfo=paris), kind="note",
                    actor="test", data={}))
    with sessions() as s:
        at = s.scalar(select(Event.at))
    assert at == datetime(2026, 11, 5, 8, 12, 44, tzinfo=UTC)
    assert at is not None and at.utcoffset() == timedelta(0)


def test_naive_time_is_refused(sessions: sessionmaker[Session]) -> None:
    """A naive datetime never reaches the database."""
    with pytest.raises(Exception, match="naive datetime"), transaction(sessions) as s:
        s.add(Event(at=datetime(2026, 11, 5, 9, 0), kind="note", actor="t", data={}))
        s.flush()


def test_references_are_sequential_per_year(sessions: sessionmaker[Session]) -> None:
    """References count up from 00001 per prefix and year."""
    with transaction(sessions) as s:
        refs = [allocate_reference(s, "WK", 2026) for _ in range(3)]
        refs.append(allocate_reference(s, "WK", 2027))
    assert refs == ["WK-2026-00001", "WK-2026-00002", "WK-2026-00003", "WK-2027-00001"]


def test_rolled_back_reference_is_reused(sessions: sessionmaker[Session]) -> None:
    """A reference taken in a transaction that rolls back is handed out again: no gaps."""
    with pytest.raises(RuntimeError), transaction(sessions) as s:
        allocate_reference(s, "WK", 2026)
        raise RuntimeError("abort")
    with transaction(sessions) as s:
        assert allocate_reference(s, "WK", 2026) == "WK-2026-00001"


def _open_cases(url: str, count: int, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    engine = make_engine(url)
    factory = session_factory(engine)
    got = []
    now = datetime.now(UTC)
    for _ in range(count):
        with transaction(factory) as s:
            ref = allocate_reference(s, "WK", 2026)
            s.add(Case(reference=ref, direction="incoming", status="new", opened_at=now,
                       flags=[], rules=[], details={}))
        got.append(ref)
    engine.dispose()
    queue.put(got)


def test_concurrent_processes_never_share_a_reference(db_url: str) -> None:
    """Two processes opening cases at the same time never get the same reference."""
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_open_cases, args=(db_url, 60, queue)) for _ in range(2)]
    for p in procs:
        p.start()
    results = [queue.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(30)
        assert p.exitcode == 0
    refs = results[0] + results[1]
    assert len(refs) == len(set(refs)) == 120
    assert sorted(refs)[-1] == "WK-2026-00120"


@pytest.mark.parametrize(("error", "outage"), [
    (OperationalError("SELECT 1", {}, sqlite3.OperationalError("database is locked")), True),
    (OperationalError("SELECT 1", {}, sqlite3.OperationalError("disk I/O error")), True),
    (OperationalError("SELECT 1", {}, sqlite3.OperationalError("no such table: messages")),
     False),
    (ProgrammingError("SELECT 1", {}, Exception('relation "messages" does not exist')), False),
    (IntegrityError("INSERT", {}, Exception("duplicate key")), False),
    (PendingRollbackError("rolled back"), True),
    (ValueError("not the database's"), False),
])
def test_an_outage_is_told_from_a_refused_statement(error: Exception, outage: bool) -> None:
    """A locked, unreachable or broken database is an outage to wait out; a statement the
    schema refuses (a missing table, a constraint) is a fault, reported as such."""
    assert is_outage(error) is outage
