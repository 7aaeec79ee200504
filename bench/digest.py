"""Build time of the daily digest over 10,000 cases in a fresh PostgreSQL database.

    .venv/bin/python bench/digest.py [--cases 10000] [--runs 5] [--keep]

Seeds a year of desk history (incoming and outgoing, urgent and normal, started,
answered, closed, preserved, flagged at risk, quarantined mail, directory changes), then
prints the time of each `digest.build` and the median. Target: under 2 s.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, insert, select

from config.settings import Settings
from daemon.cases import deadlines
from daemon.duties import digest, reminders
from daemon.process import jobs, logs
from daemon.process.clock import ManualClock
from daemon.store.db import make_engine, session_factory, transaction, upgrade
from models import Case, Event, Identifier, Message, OutboxMail
from parsers.directory import Directory
from tests.servers import create_pg_database, drop_pg_database

NOW = datetime(2026, 11, 27, 6, 30, tzinfo=UTC)
TYPES = ("preservation", "preservation_extension", "stored_data", "traffic_disclosure",
         "emergency_disclosure", "information")
COUNTRIES = ("FR", "DE", "LU", "CH", "JP", "US", "PL", "PT", "RO", "EE")


def _cases(count: int, settings: Settings, rnd: random.Random) -> list[dict[str, Any]]:
    rows = []
    for n in range(1, count + 1):
        opened = NOW - timedelta(seconds=rnd.uniform(0, 365 * 86400))
        direction = "incoming" if rnd.random() < 0.7 else "outgoing"
        request_type = rnd.choice(TYPES)
        case = Case(direction=direction, request_type=request_type,
                    urgent=rnd.random() < 0.15, opened_at=opened, historical=False)
        deadlines.apply_deadlines(case, settings, Directory())
        age = NOW - opened
        row: dict[str, Any] = {
            "reference": f"WK-{opened.year}-{n:05d}",
            "direction": direction, "request_type": request_type, "urgent": case.urgent,
            "status": "new", "historical": False, "country": rnd.choice(COUNTRIES),
            "counterpart_address": f"desk{rnd.randrange(40)}@police.example",
            "sender_verified": rnd.random() < 0.9,
            "subject": f"Request {n} <{request_type}> & follow-up",
            "flags": [], "rules": [], "details": {},
            "opened_at": opened,
            "start_due_at": case.start_due_at, "answer_due_at": case.answer_due_at,
            "partner_ack_due_at": case.partner_ack_due_at,
            "acknowledged_at": None, "started_at": None, "answered_at": None,
            "closed_at": None, "partner_acked_at": None,
            "preservation_expires_at": None, "retention_risk_at": None,
        }
        if direction == "incoming":
            row["acknowledged_at"] = opened + timedelta(minutes=rnd.uniform(0.5, 15))
            row["status"] = "acknowledged"
            if age > timedelta(hours=6) and rnd.random() < 0.95:
                row["started_at"] = opened + timedelta(hours=rnd.uniform(0.2, 40))
                row["status"] = "started"
            if row["started_at"] and age > timedelta(days=5) and rnd.random() < 0.9:
                row["answered_at"] = row["started_at"] + timedelta(hours=rnd.uniform(2, 200))
                row["status"] = "answered"
            if request_type.startswith("preservation") and row["started_at"]:
                row["preservation_expires_at"] = row["started_at"] + timedelta(days=90)
        else:
            if rnd.random() < 0.9 and age > timedelta(hours=2):
                row["partner_acked_at"] = opened + timedelta(hours=rnd.uniform(0.1, 30))
                if request_type.startswith("preservation"):
                    row["preservation_expires_at"] = row["partner_acked_at"] + timedelta(days=90)
            if rnd.random() < 0.01:
                row["retention_risk_at"] = NOW + timedelta(days=rnd.uniform(-5, 30))
                row["flags"] = ["retention_at_risk"]
        if age > timedelta(days=60) and rnd.random() < 0.8:
            row["closed_at"] = opened + timedelta(days=rnd.uniform(20, 59))
            row["status"] = "closed"
        rows.append(row)
    return rows


def seed(url: str, count: int) -> None:
    settings = Settings(database={"url": url}, desk={"timezone": "Europe/Paris"})
    rnd = random.Random(20261127)
    engine = make_engine(url)
    sessions = session_factory(engine)
    rows = _cases(count, settings, rnd)
    with transaction(sessions) as session:
        for start in range(0, len(rows), 2000):
            session.execute(insert(Case), rows[start:start + 2000])
        ids = list(range(1, count + 1))
        session.execute(insert(Identifier), [
            {"case_id": i, "type": "ipv4", "value": f"192.0.2.{i % 250}",
             "timestamp": NOW - timedelta(days=rnd.uniform(1, 400))}
            for i in ids
        ])
        session.execute(insert(Event), [
            {"at": NOW - timedelta(hours=rnd.uniform(0, 24 * 365)), "kind": "case_opened",
             "actor": "watchkeeper", "case_id": i, "data": {}} for i in ids
        ] + [
            {"at": NOW - timedelta(hours=k), "kind": "directory_changed", "actor": "anna",
             "case_id": None, "data": {"change": "changed", "country": "FR",
                                       "role": "primary", "address": "a@fr.example",
                                       "fields": []}} for k in range(1, 30)
        ])
        session.execute(insert(Message), [
            {"folder": "INBOX", "uidvalidity": 1, "uid": k, "direction": "in",
             "sha256": hashlib.sha256(str(k).encode()).hexdigest(), "size": 10,
             "raw": b"x", "truncated": False, "fetched_at": NOW - timedelta(hours=k),
             "parsed": {}, "live": True, "ours": False, "quarantined": k % 10 == 0,
             "from_addr": f"s{k}@partner.example", "subject": f"mail {k}",
             "error": "undecodable" if k % 10 == 0 else None}
            for k in range(1, 2001)
        ])
    engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="do not drop the database")
    args = parser.parse_args()
    logs.configure(fmt="console", level="error")  # a backlog of reminders logs a line each
    url = create_pg_database()
    try:
        upgrade(url)
        started = time.perf_counter()
        seed(url, args.cases)
        print(f"seeded {args.cases} cases in {time.perf_counter() - started:.1f} s")
        settings = Settings(database={"url": url},
                            desk={"timezone": "Europe/Paris", "supervisors": ["chief@x.example"],
                                  "operators": ["duty@x.example"]})
        engine = make_engine(url)
        sessions = session_factory(engine)
        times = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            with transaction(sessions) as session:
                built = digest.build(session, settings, NOW)
            times.append(time.perf_counter() - t0)
        engine.dispose()
        d = built.data
        print(f"digest: {d.open} open, {d.overdue_count} overdue, {d.urgent} urgent, "
              f"{d.lapsing.total} lapsing, {d.unacknowledged.total} unacknowledged, "
              f"{d.retention_risks.total} at risk; html {len(built.html)} bytes")
        print("build times: " + ", ".join(f"{t:.3f} s" for t in times))
        print(f"median digest build time over {args.cases} cases on PostgreSQL: "
              f"{statistics.median(times):.3f} s (target < 2 s)")
        # The scheduler's tick over the same data: the first plans every overdue reminder,
        # the next finds them planned (the steady state of a running daemon).
        engine = make_engine(url)
        sessions = session_factory(engine)
        clock = ManualClock(NOW)
        planned, ticks = -1, list[float]()
        while len(ticks) < 50:
            t0 = time.perf_counter()
            jobs.run_due(settings, sessions, clock)
            ticks.append(time.perf_counter() - t0)
            with transaction(sessions) as session:
                now_planned = session.scalar(select(func.count(OutboxMail.id))) or 0
            if now_planned == planned:
                break
            planned = now_planned
        engine.dispose()
        print(f"scheduler ticks: first {ticks[0]:.3f} s, backlog of {planned} mails planned "
              f"over {len(ticks) - 1} ticks (at most {reminders.MAX_PER_TICK} per kind "
              f"each), then steady state {ticks[-1]:.3f} s per tick")
        return 0 if statistics.median(times) < 2 else 1
    finally:
        if args.keep:
            print(f"database kept: {url}")
        else:
            drop_pg_database(url)


if __name__ == "__main__":
    raise SystemExit(main())
