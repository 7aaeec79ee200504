"""Exactly once through SIGKILL: a `watchkeeper run` process killed again and again mid-import."""

from __future__ import annotations

import random
import signal
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from models import Case, Event, MailboxCheckpoint, Message, OutboxMail
from tests.conftest import run_cli
from tests.servers import Dovecot, SmtpSink
from tests.test_ingest_support import (
    PARTNERS,
    cli_env,
    count,
    daemon_process,
    reply_mail,
    request_mail,
    seed_directory,
    write_config,
)

TOTAL, REQUESTS = 1000, 900


# PostgreSQL only, to keep the suite within its time budget (parsing 1,000 mails dominates);
# the per-message transaction is the same code on SQLite, which the SIGTERM-mid-import and
# 500-mail tests exercise on both databases.
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_sigkill_during_import_exactly_once(
    tmp_path: Path, db_url: str, sessions: sessionmaker[Session], dovecot: Dovecot,
    smtp_sink: SmtpSink,
) -> None:
    """Killed with SIGKILL at random points of a 1,000-mail import, then restarted: each mail
    is one row, each request one case, each reply in its request's case."""
    seed_directory(sessions)
    senders = (*PARTNERS["FR"], PARTNERS["LU"][0], PARTNERS["DE"][0])
    requests = [request_mail(i, sender=senders[i % 4]) for i in range(REQUESTS)]
    replies = [reply_mail(requests[i * 7], sender=senders[(i * 7) % 4])
               for i in range(TOTAL - REQUESTS)]
    mails = []
    for j, req in enumerate(requests):  # reply i follows request 7i a few mails later
        mails.append(req)
        if j >= 5 and (j - 5) % 7 == 0 and (j - 5) // 7 < len(replies):
            mails.append(replies[(j - 5) // 7])
    assert len(mails) == TOTAL
    dovecot.append_many([m.as_bytes() for m in mails])
    config = write_config(tmp_path, imap_port=dovecot.port, smtp_port=smtp_sink.port,
                          db_url=db_url, extra="batch_size = 20")
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    log = tmp_path / "daemon.log"
    kills, seen = 0, [0]
    while kills < 6:
        proc = daemon_process(config, log=log)
        # Let the process start and import a little; then kill it at a random instant.
        deadline = time.monotonic() + 30
        while count(sessions, Message) <= seen[-1] and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(rng.uniform(0.0, 0.6))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        kills += 1
        seen.append(count(sessions, Message))
        if seen[-1] >= TOTAL:
            break
    assert kills >= 5, f"seed {seed}: the import finished before five kills ({seen})"
    done = run_cli("run", "--once", env=cli_env(config), timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]

    assert count(sessions, Message) == TOTAL, f"seed {seed}"
    assert count(sessions, Case) == REQUESTS, f"seed {seed}"
    with sessions() as s:
        rows = {m.message_id: m for m in s.scalars(select(Message))}
        assert len(rows) == TOTAL
        assert not any(m.quarantined for m in rows.values())
        for i, rep in enumerate(replies):
            request_row = rows[requests[i * 7]["Message-ID"].strip("<>")]
            assert request_row.case_id is not None
            assert rows[rep["Message-ID"].strip("<>")].case_id == request_row.case_id
        roots = s.scalars(select(Case.root_message_id)).all()
        assert len(set(roots)) == REQUESTS
        opened = s.scalar(select(func.count()).select_from(Event).where(
            Event.kind == "case_opened"))
        assert opened == REQUESTS
        acks_per_case = s.execute(
            select(OutboxMail.case_id, func.count()).where(OutboxMail.purpose == "ack")
            .group_by(OutboxMail.case_id).having(func.count() > 1)
        ).all()
        assert acks_per_case == []
        cp = s.get(MailboxCheckpoint, "INBOX")
        assert cp is not None and cp.last_uid == TOTAL
