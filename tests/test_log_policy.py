"""The log an operator follows: the real `watchkeeper run` on one partner request, its
JSON log read line by line."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from models import Case, Message
from tests.servers import Dovecot, SmtpSink
from tests.test_ingest_support import (
    OFFICIAL,
    PARTNERS,
    daemon_process,
    request_mail,
    seed_directory,
    wait_until,
    watching,
    write_config,
)

FR = PARTNERS["FR"][0]


def _lines(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()
            if line.startswith("{")]


def test_one_acknowledged_request_costs_at_most_three_info_lines_each_with_its_case(
    tmp_path: Path, db_url: str, sessions: sessionmaker[Session], dovecot: Dovecot,
    smtp_sink: SmtpSink,
) -> None:
    """A request acknowledged by the running daemon: at most three info lines are about it
    (its folder and uid, or its case), each naming folder, uid and case; `case_opened`
    names the sender and the Message-ID, and the routine lines are not at info level."""
    seed_directory(sessions)
    config = write_config(tmp_path, imap_port=dovecot.port, smtp_port=smtp_sink.port,
                          db_url=db_url, poll_seconds=60)
    log = tmp_path / "daemon.log"
    proc = daemon_process(config, log=log)
    try:
        wait_until(lambda: watching(sessions), 30, "both watchers in IDLE")
        request = request_mail(950, sender=FR)
        dovecot.append(request.as_bytes())
        [ack] = smtp_sink.handler.wait_for(1, timeout=30)
        assert ack.rcpt_tos == [FR] and ack.mail_from == OFFICIAL
        wait_until(lambda: any(e["event"] == "mail_sent" for e in _lines(log)), 30,
                   "the mail_sent line")
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    mid = request["Message-ID"].strip("<>")
    with sessions() as s:
        row = s.scalar(select(Message).where(Message.message_id == mid))
        assert row is not None and row.case_id is not None
        case = s.get(Case, row.case_id)
        assert case is not None
        where, ref = (row.folder, row.uid), case.reference
    lines = _lines(log)
    about = [e for e in lines
             if (e.get("mailbox"), e.get("uid")) == where or e.get("case") == ref]
    info = [e for e in about if e["level"] == "info"]
    assert [e["event"] for e in info] == ["case_opened", "ack_queued", "mail_sent"], info
    for e in info:
        assert (e.get("mailbox"), e.get("uid"), e.get("case")) == (*where, ref), e
    [opened] = [e for e in info if e["event"] == "case_opened"]
    assert opened["sender"] == FR and opened["message_id"] == mid
    routine = {"message_fetched", "folder_synced", "outbox_delivered", "sent_copied"}
    assert not [e for e in lines if e["event"] in routine and e["level"] != "debug"]
