"""A realistic mailbox through the real daemon: after `run --once`, every partner mail has a
case, every reply is in its thread's case, strangers' requests are cases and their other
mail triage items, robots are neither. SQLite and PostgreSQL, real Dovecot and SMTP sink."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from daemon.outbound.outbox import ACK
from daemon.store.db import transaction
from daemon.store.directory import apply as apply_directory
from models import Case, Message, OutboxMail, TriageItem
from parsers.directory import load_toml
from tests.conftest import run_cli
from tests.data.mailbox.generate import DIRECTORY, OUTCOMES, US_ADDR, Item, generate
from tests.servers import Dovecot, SmtpSink
from tests.test_ingest_support import OFFICIAL, cli_env, write_config

EXTENSION = "preservation_extension"


def run_once(config: Path) -> None:
    # The mailbox spans weeks: a partner's many requests are each acknowledged.
    result = run_cli("run", "--once", env={**cli_env(config),
                                           "WATCHKEEPER_SMTP__MAX_AUTO_REPLIES_PER_HOUR": "1000"},
                     timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]


def test_realistic_mailbox_every_partner_mail_a_case_replies_in_their_threads(
    tmp_path: Path, db_url: str, sessions: sessionmaker[Session], dovecot: Dovecot,
    smtp_sink: SmtpSink,
) -> None:
    """About 300 generated mails (partners' requests of every kind in many languages,
    mail that asks for nothing, strangers, robots, then the partners' replies answering our
    real acknowledgements): every partner mail is a case and acknowledged once, each reply
    is in its thread's case (an extension or a new request in a linked one, with its own
    acknowledgement), a stranger's request is an unverified case, a stranger's other mail
    an open triage item, robots are neither, and no case is flagged for a hijacked tag."""
    items = generate(seed=2026, size=300)
    with transaction(sessions) as session:
        apply_directory(session, load_toml(DIRECTORY.read_bytes()), "test",
                        datetime.now(UTC), source="generated mailbox directory")
    assert US_ADDR == OFFICIAL  # the generated mail is addressed to the desk configured here
    config = write_config(tmp_path, imap_port=dovecot.port, smtp_port=smtp_sink.port,
                          db_url=db_url)
    first = [it for it in items if it.answers is None]
    dovecot.append_many([it.raw for it in first])
    run_once(config)

    # The robots and replies answer the acknowledgements the desk really sent.
    acks: dict[int, tuple[str, str]] = {}
    with sessions() as s:
        for it in first:
            row = _row(s, it)
            if row.case_id is None:
                continue
            ack = s.scalar(select(OutboxMail).where(OutboxMail.case_id == row.case_id,
                                                    OutboxMail.purpose == ACK))
            case = s.get_one(Case, row.case_id)
            if ack is not None:
                acks[it.index] = (ack.message_id, case.reference)
    later = [it for it in items if it.answers is not None]
    assert all(it.answers in acks for it in later), "every answered request was acknowledged"
    dovecot.append_many([it.rethreaded(*acks[it.answers]) if it.answers is not None else it.raw
                         for it in later])
    run_once(config)

    with sessions() as s:
        rows = {it.index: _row(s, it) for it in items}
        assert all(not r.quarantined for r in rows.values())
        cases = {c.id: c for c in s.scalars(select(Case))}
        triaged = {t.message_id: t for t in s.scalars(select(TriageItem))}
        acks_by_message = Counter(o.key.rsplit(":", 1)[1]
                                  for o in s.scalars(select(OutboxMail).where(
                                      OutboxMail.purpose == ACK)))

    def where(it: Item) -> str:
        return f"#{it.index} {it.outcome} {it.shape} from {it.sender}"

    def acknowledged(row: Message) -> int:
        return acks_by_message.get(str(row.id), 0)

    for it in items:
        row = rows[it.index]
        case = cases.get(row.case_id) if row.case_id is not None else None
        opened_here = case is not None and case.root_message_id == it.message_id
        if it.outcome == "partner_request" and it.topic == "mla_notice" and it.answers is not None:
            # "The MLA request follows" about an earlier preservation of the partner's: news of
            # that case (its reference or our tag names it), not a case of its own.
            about = rows[it.answers].case_id
            assert case is not None and case.id == about and not opened_here, where(it)
            assert acknowledged(row) == 0, where(it)
        elif it.outcome in ("partner_request", "partner_other"):
            assert case is not None and opened_here, where(it)
            assert case.sender_verified and case.direction == "incoming", where(it)
            if it.outcome == "partner_other":
                assert case.request_type == "unclassified", where(it)
            elif it.kind == "request":
                assert case.request_type == it.request_type, where(it)
            assert acknowledged(row) == 1, where(it)
        elif it.outcome == "stranger_request":
            assert case is not None and opened_here, where(it)
            assert not case.sender_verified and "unverified_sender" in case.flags, where(it)
            assert row.id not in triaged, where(it)
        elif it.outcome == "stranger_other":
            assert case is None, where(it)
            item = triaged.get(row.id)
            assert item is not None and item.status == "open", where(it)
            assert acknowledged(row) == 0, where(it)
        elif it.outcome == "robot":
            assert not opened_here and row.id not in triaged, where(it)
            assert acknowledged(row) == 0, where(it)
            if case is not None:  # joined by a Message-ID of ours it returned or quoted
                answered = rows[it.answers].case_id if it.answers is not None else None
                assert case.id == answered, where(it)
        else:  # a partner's reply in the thread of one of its requests
            thread = rows[it.answers].case_id
            assert thread is not None and case is not None, where(it)
            thread_type = cases[thread].request_type
            new_request = it.kind == "request" and (
                thread_type != EXTENSION if it.request_type == EXTENSION
                else thread_type not in ("unclassified", it.request_type))
            if new_request:  # a linked case, acknowledged on its own
                assert opened_here and case.previous_case_id == thread, where(it)
                assert case.request_type == it.request_type, where(it)
                assert acknowledged(row) == 1, where(it)
            else:  # a follow-up: in its thread's case, not acknowledged again
                assert case.id == thread, where(it)
                assert acknowledged(row) == 0, where(it)
    assert not any("tag_hijack_suspected" in c.flags for c in cases.values())
    outcomes = Counter(it.outcome for it in items)
    assert set(outcomes) == set(OUTCOMES)
    assert len(triaged) == outcomes["stranger_other"]


def _row(session: Session, item: Item) -> Message:
    row = session.scalar(select(Message).where(Message.message_id == item.message_id,
                                               Message.folder == "INBOX"))
    assert row is not None, f"#{item.index} {item.shape} was not stored"
    return row
