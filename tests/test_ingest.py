"""Mailbox ingest against the real Dovecot and both databases."""

from __future__ import annotations

import email.policy
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import structlog
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from structlog.testing import capture_logs as _capture_logs

from config.settings import Settings
from daemon.process.clock import ManualClock
from daemon.process.context import AppContext
from daemon.process.service import Service
from models import Case, Event, MailboxCheckpoint, Message, OutboxMail
from tests.conftest import run_cli
from tests.servers import Dovecot, SmtpSink
from tests.test_ingest_support import (
    OFFICIAL,
    PARTNERS,
    cli_env,
    count,
    reply_mail,
    request_mail,
    seed_directory,
    write_config,
)

FR, FR_OTHER = PARTNERS["FR"]


def capture_logs() -> Any:
    """Captured log events with the bound context (mailbox, uid, case) merged in."""
    return _capture_logs(processors=[structlog.contextvars.merge_contextvars])

LU = PARTNERS["LU"][0]


@pytest.fixture
def desk(db_url: str, sessions: sessionmaker[Session], dovecot: Dovecot,
         smtp_sink: SmtpSink) -> Iterator[Desk]:
    seed_directory(sessions)
    yield Desk(db_url, sessions, dovecot, smtp_sink)


class Desk:
    """The daemon's world for one test: mailbox, database, SMTP sink, a manual clock."""

    def __init__(self, url: str, sessions: sessionmaker[Session], dovecot: Dovecot,
                 sink: SmtpSink) -> None:
        self.url, self.sessions, self.dovecot, self.sink = url, sessions, dovecot, sink
        self.clock = ManualClock(datetime.now(UTC))

    def settings(self, **imap: object) -> Settings:
        return Settings(
            imap={"host": "127.0.0.1", "port": self.dovecot.port, "tls": "none",
                  "username": "desk", "password": "desk-secret", **imap},
            smtp={"host": "127.0.0.1", "port": self.sink.port, "tls": "none"},
            desk={"official_address": OFFICIAL},
            database={"url": self.url},
        )

    def once(self, **imap: object) -> None:
        ctx = AppContext(self.settings(**imap), self.clock)
        try:
            Service(ctx).run_once()  # raises PassFailed if the mailbox or database fails
        finally:
            ctx.close()

    def messages(self) -> list[Message]:
        with self.sessions() as s:
            return list(s.scalars(select(Message).order_by(Message.folder, Message.uid)))

    def cases(self) -> list[Case]:
        with self.sessions() as s:
            return list(s.scalars(select(Case).order_by(Case.id)))

    def case_of(self, msg: EmailMessage) -> Case | None:
        mid = msg["Message-ID"].strip("<>")
        with self.sessions() as s:
            row = s.scalar(select(Message).where(Message.message_id == mid))
            assert row is not None, f"message {mid} not stored"
            return s.get(Case, row.case_id) if row.case_id is not None else None


def test_run_once_500_messages_exactly_once(
    tmp_path: Path, db_url: str, sessions: sessionmaker[Session], dovecot: Dovecot,
    smtp_sink: SmtpSink,
) -> None:
    """500 mails and three `run --once` passes: 500 rows, one case per request, replies threaded."""
    seed_directory(sessions)
    requests = [request_mail(i, sender=(FR, LU)[i % 2]) for i in range(450)]
    replies = [reply_mail(requests[i * 9], sender=(FR_OTHER, LU)[(i * 9) % 2])
               for i in range(50)]
    dovecot.append_many([m.as_bytes() for m in requests[:300]])
    config = write_config(tmp_path, imap_port=dovecot.port, smtp_port=smtp_sink.port,
                          db_url=db_url)
    first = run_cli("run", "--once", env=cli_env(config))
    assert first.returncode == 0, first.stderr[-2000:]
    dovecot.append_many([m.as_bytes() for m in (*requests[300:], *replies)])
    for _ in range(2):
        again = run_cli("run", "--once", env=cli_env(config))
        assert again.returncode == 0, again.stderr[-2000:]

    assert count(sessions, Message) == 500
    assert count(sessions, Case) == 450
    with sessions() as s:
        rows = {m.message_id: m for m in s.scalars(select(Message))}
        assert all(not m.quarantined for m in rows.values())
        for req in requests:
            row = rows[req["Message-ID"].strip("<>")]
            assert row.case_id is not None
        for i, rep in enumerate(replies):
            original = rows[requests[i * 9]["Message-ID"].strip("<>")]
            assert rows[rep["Message-ID"].strip("<>")].case_id == original.case_id
        roots = s.scalars(select(Case.root_message_id)).all()
        assert len(set(roots)) == 450
    events = [json.loads(line) for line in first.stderr.splitlines() if line.startswith("{")]
    opened = [e for e in events if e["event"] == "case_opened"]
    assert len(opened) == 300 and all(e["mailbox"] == "INBOX" and e["uid"] for e in opened)
    assert opened[0]["case"].startswith("WK-")


def test_request_opens_case_with_its_facts(desk: Desk) -> None:
    """A request from a directory address opens one verified incoming case with its facts."""
    req = request_mail(7, sender=FR)
    desk.dovecot.append(req.as_bytes())
    with capture_logs() as logs:
        desk.once()
    case = desk.case_of(req)
    assert case is not None
    assert (case.direction, case.country, case.counterpart_address) == ("incoming", "FR", FR)
    assert case.sender_verified and "unverified_sender" not in case.flags
    assert case.contact_point_id is not None and not case.historical
    assert case.root_message_id == req["Message-ID"].strip("<>")
    names = [e["event"] for e in logs]
    assert {"message_fetched", "case_opened"} <= set(names)
    [opened] = [e for e in logs if e["event"] == "case_opened"]
    assert opened["mailbox"] == "INBOX" and opened["uid"] and opened["case"] == case.reference
    assert opened["sender"] == FR and opened["message_id"] == case.root_message_id
    with desk.sessions() as s:
        kinds = set(s.scalars(select(Event.kind).where(Event.case_id == case.id)))
    assert "case_opened" in kinds


def test_stranger_request_flagged_unverified(desk: Desk) -> None:
    """A request from an address outside the directory opens a case flagged unverified_sender."""
    req = request_mail(8, sender="someone@freemail.example")
    desk.dovecot.append(req.as_bytes())
    desk.once()
    case = desk.case_of(req)
    assert case is not None and not case.sender_verified
    assert "unverified_sender" in case.flags


def test_forged_tag_from_stranger_is_candidate_and_flagged(desk: Desk) -> None:
    """A [WK-...] tag joins only from the counterpart; a stranger's is a flagged candidate."""
    req = request_mail(1, sender=FR)
    desk.dovecot.append(req.as_bytes())
    desk.once()
    case = desk.case_of(req)
    assert case is not None
    tag = f"[{case.reference}]"
    forged = request_mail(2, sender="intruder@attacker.example",
                          subject=f"Re: {tag} Preservation request - ref ABC-1")
    colleague = request_mail(3, sender=FR_OTHER, subject=f"Re: {tag} follow-up",
                             body="Please also preserve the mailbox logs.\n")
    desk.dovecot.append_many([forged.as_bytes(), colleague.as_bytes()])
    desk.once()
    assert desk.case_of(colleague) is not None
    assert desk.case_of(colleague).id == case.id  # type: ignore[union-attr]
    with desk.sessions() as s:
        row = s.scalar(select(Message).where(
            Message.message_id == forged["Message-ID"].strip("<>")))
        assert row is not None and row.candidate_case_id == case.id
        assert row.case_id != case.id
        tagged = s.get(Case, case.id)
        assert tagged is not None and "tag_hijack_suspected" in tagged.flags


def test_dmarc_failure_flags_spoofing(desk: Desk) -> None:
    """A directory sender failing DMARC at our server is unverified and the case flagged."""
    req = request_mail(4, sender=FR, headers={
        "Authentication-Results": "mx.ncc.gov.example; spf=fail smtp.mailfrom=police.fr.example;"
                                  " dkim=none; dmarc=fail header.from=police.fr.example",
    })
    desk.dovecot.append(req.as_bytes())
    desk.once()
    case = desk.case_of(req)
    assert case is not None and not case.sender_verified
    assert "spoofing_suspected" in case.flags


def test_sent_mail_opens_outgoing_case_and_partner_ack(desk: Desk) -> None:
    """Sent mail to a directory address opens an outgoing case; the partner's reply acks it."""
    ours = request_mail(5, sender=OFFICIAL)
    del ours["To"]
    ours["To"] = LU
    desk.dovecot.append(ours.as_bytes(), folder="Sent")
    desk.once()
    case = desk.case_of(ours)
    assert case is not None
    assert (case.direction, case.counterpart_address, case.country) == ("outgoing", LU, "LU")
    assert case.partner_acked_at is None
    desk.dovecot.append(reply_mail(ours, sender=LU, text="We confirm receipt.\n").as_bytes())
    desk.once()
    cases = desk.cases()
    assert len(cases) == 1 and cases[0].partner_acked_at is not None


def test_operator_reply_in_sent_sets_first_response(desk: Desk) -> None:
    """An operator's reply in Sent joins the incoming case and records the first response time."""
    req = request_mail(6, sender=FR)
    desk.dovecot.append(req.as_bytes())
    desk.once()
    answer = reply_mail(req, sender=OFFICIAL, to=FR, text="Preservation executed.\n")
    desk.dovecot.append(answer.as_bytes(), folder="Sent")
    desk.once()
    cases = desk.cases()
    assert len(cases) == 1
    assert cases[0].first_response_at is not None
    assert desk.case_of(answer).id == cases[0].id  # type: ignore[union-attr]


def test_first_run_imports_backlog_as_history(desk: Desk) -> None:
    """A full mailbox on the first run becomes closed historical cases, and nothing is planned."""
    old = datetime.now(UTC) - timedelta(days=400)
    client = desk.dovecot.client()
    try:
        for i in range(12):
            client.append("INBOX", request_mail(100 + i).as_bytes(), msg_time=old)
    finally:
        client.logout()
    with capture_logs() as logs:
        desk.once(batch_size=5)
    cases = desk.cases()
    assert len(cases) == 12
    assert all(c.historical and c.status == "closed" and c.start_due_at is None for c in cases)
    with desk.sessions() as s:
        assert s.scalar(select(func.count()).select_from(OutboxMail).where(
            OutboxMail.case_id.is_not(None))) == 0
        assert not any(m.live for m in s.scalars(select(Message)))
    progress = [e for e in logs if e["event"] == "backlog_progress"]
    assert [e["done"] for e in progress] == [5, 10, 12]
    fresh = request_mail(200)
    desk.dovecot.append(fresh.as_bytes())
    desk.once()
    case = desk.case_of(fresh)
    assert case is not None and not case.historical and case.status != "closed"


def test_folder_recreated_nothing_duplicated(desk: Desk) -> None:
    """A folder rebuilt (new UIDVALIDITY) with the same mail: no duplicate, new mail imported."""
    # Dovecot refuses to delete INBOX, so the watched Sent folder is the one rebuilt.
    mails = []
    for i in range(5):
        mail = request_mail(300 + i, sender=OFFICIAL)
        del mail["To"]
        mail["To"] = LU
        mails.append(mail.as_bytes())
    desk.dovecot.append_many(mails, folder="Sent")
    desk.once()
    with desk.sessions() as s:
        before = s.get(MailboxCheckpoint, "Sent")
        assert before is not None
        old_validity = before.uidvalidity
    desk.dovecot.recreate_folder("Sent")
    extra = request_mail(399, sender=OFFICIAL)
    del extra["To"]
    extra["To"] = LU
    desk.dovecot.append_many([*mails, extra.as_bytes()], folder="Sent")
    with capture_logs() as logs:
        desk.once()
    desk.once()
    rows = desk.messages()
    assert len(rows) == 6 and len(desk.cases()) == 6
    with desk.sessions() as s:
        after = s.get(MailboxCheckpoint, "Sent")
        assert after is not None and after.uidvalidity != old_validity
    assert {m.uidvalidity for m in rows} == {after.uidvalidity}
    assert any(e["event"] == "uidvalidity_changed" for e in logs)


def test_poison_mail_quarantined_and_ingest_goes_on(desk: Desk) -> None:
    """Mail the pipeline cannot record is kept raw and quarantined; the next one goes through."""
    poison = request_mail(500)
    del poison["Message-ID"]
    poison["Message-ID"] = "<" + "x" * 1200 + "@poison.example>"
    good = request_mail(501)
    desk.dovecot.append_many([poison.as_bytes(), good.as_bytes()])
    with capture_logs() as logs:
        desk.once()
    rows = desk.messages()
    assert len(rows) == 2
    bad = rows[0]
    assert bad.quarantined and bad.raw is not None and b"@poison.example>" in bad.raw
    assert bad.error and "\n" not in bad.error and "998" in bad.error
    assert bad.case_id is None
    assert desk.case_of(good) is not None
    assert any(e["event"] == "message_quarantined" and e["uid"] == 1 for e in logs)
    with desk.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Event).where(
            Event.kind == "message_quarantined")) == 1


def _broken_mime() -> bytes:
    return (
        b"From: cp247@police.fr.example\r\nTo: poc247@ncc.gov.example\r\n"
        b"Subject: Preservation request - ref BRK-1\r\nMessage-ID: <broken@police.fr.example>\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"AAA\"\r\n\r\n"
        b"--AAA\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        b"this is =not base64 at all!!\r\n--BBB\r\nContent-Type: application/pdf\r\n\r\n%PDF-1."
    )


def _wrong_charset() -> bytes:
    body = ("Veuillez conserver les données du compte élodie@mail.example, article 29.\r\n"
            "Réf. WCS-2\r\n").encode("iso-8859-1")
    return (
        b"From: cp247@police.fr.example\r\nTo: poc247@ncc.gov.example\r\n"
        b"Subject: Demande de conservation - ref WCS-2\r\n"
        b"Message-ID: <charset@police.fr.example>\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n" + body
    )


def test_broken_mime_and_wrong_charset_stored_once(desk: Desk) -> None:
    """Broken MIME and a lying charset label are stored once with their bytes and ingest goes on."""
    after = request_mail(600)
    desk.dovecot.append_many([_broken_mime(), _wrong_charset(), after.as_bytes()])
    desk.once()
    desk.once()
    rows = desk.messages()
    assert len(rows) == 3
    assert rows[0].raw is not None and b"not base64" in rows[0].raw
    assert rows[1].raw is not None and "données".encode("iso-8859-1") in rows[1].raw
    assert all(r.kind for r in rows if not r.quarantined)
    assert desk.case_of(after) is not None


def _huge(n_bytes: int) -> bytes:
    msg = request_mail(700, sender=FR)
    chunk = os.urandom(3 * 1024 * 1024)
    msg.add_attachment(chunk * (n_bytes // len(chunk) + 1), maintype="application",
                       subtype="octet-stream", filename="disk-image.bin")
    raw = msg.as_bytes()
    assert len(raw) > n_bytes
    return raw


def test_oversized_message_recorded_from_headers(desk: Desk) -> None:
    """A 60 MB message is recorded from its headers, flagged truncated, and not fetched whole."""
    raw = _huge(45 * 1024 * 1024)  # 45 MB of data is 60 MB once base64-encoded
    assert len(raw) > 60 * 1000 * 1000
    after = request_mail(701)
    desk.dovecot.append_many([raw, after.as_bytes()])
    with capture_logs() as logs:
        desk.once()
    rows = desk.messages()
    assert len(rows) == 2
    big = rows[0]
    assert big.truncated and big.size >= 60 * 1000 * 1000
    assert big.raw is not None and len(big.raw) < 10_000 and b"Subject:" in big.raw
    assert any(e["event"] == "message_oversized" for e in logs)
    assert desk.case_of(after) is not None
    with desk.sessions() as s:
        case = s.get(Case, big.case_id) if big.case_id is not None else None
    assert case is not None and "oversized_message" in case.flags



def test_flags_and_moves_only_after_commit(desk: Desk) -> None:
    """With mark_seen and a processed folder, committed mail is flagged and moved, never lost."""
    mails = [request_mail(800 + i) for i in range(3)]
    desk.dovecot.append_many([m.as_bytes() for m in mails])
    desk.once(mark_seen=True, processed_folder="Trash")
    client = desk.dovecot.client()
    try:
        assert client.select_folder("INBOX")[b"EXISTS"] == 0
        client.select_folder("Trash")
        moved = client.search(["ALL"])
        assert len(moved) == 3
        assert all(b"\\Seen" in flags for flags in client.get_flags(moved).values())
    finally:
        client.logout()
    desk.once(mark_seen=True, processed_folder="Trash")
    assert len(desk.messages()) == 3 and len(desk.cases()) == 3


def test_extension_links_previous_case(desk: Desk) -> None:
    """An extension naming an earlier request's reference opens a case linked to that case."""
    first = request_mail(10, sender=PARTNERS["DE"][0], subject="Preservation request", body=(
        "Under Article 29 please preserve the data of account a@mail.example held by "
        "Example Mail Ltd.\n\nOur reference: BKA-CC-2026-1120\n"))
    extension = request_mail(11, sender=PARTNERS["DE"][0],
                             subject="Preservation extension request", body=(
        "Request status: extension\nPrevious reference: BKA-CC-2026-1120\n"
        "Reference: BKA-CC-2026-1577\n\nPlease extend the preservation of account "
        "a@mail.example (Article 29).\n"))
    desk.dovecot.append_many([first.as_bytes(), extension.as_bytes()])
    desk.once()
    original, later = desk.case_of(first), desk.case_of(extension)
    assert original is not None and later is not None and original.id != later.id
    assert original.their_reference == "BKA-CC-2026-1120"
    assert (later.request_type, later.previous_reference) == (
        "preservation_extension", "BKA-CC-2026-1120")
    assert later.previous_case_id == original.id


def test_reply_to_our_acknowledgement_joins_the_case(desk: Desk) -> None:
    """A partner answering our acknowledgement (its outbox Message-ID, no tag) joins the case."""
    req = request_mail(20, sender=FR)
    desk.dovecot.append(req.as_bytes())
    desk.once()
    case = desk.case_of(req)
    assert case is not None
    with desk.sessions() as s:
        ack = s.scalar(select(OutboxMail).where(OutboxMail.case_id == case.id))
    assert ack is not None
    answer = EmailMessage(policy=email.policy.SMTP)
    answer["From"] = FR_OTHER
    answer["To"] = OFFICIAL
    answer["Subject"] = "Thanks"
    answer["Message-ID"] = "<thanks-20@police.fr.example>"
    answer["In-Reply-To"] = f"<{ack.message_id}>"
    answer.set_content("Thank you for the quick confirmation.\n")
    desk.dovecot.append(answer.as_bytes())
    desk.once()
    joined = desk.case_of(answer)
    assert joined is not None and joined.id == case.id
