"""Command-by-mail: operators' `#start`, `#called`, `#close`, `#note` lines about a case."""

from __future__ import annotations

import email.utils
import signal
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings
from daemon.inbound import pipeline
from daemon.inbound.mail_commands import Command, read_commands
from daemon.inbound.work import Env, Fetched
from daemon.store.directory import load_directory
from models import Case, Event, Message, OutboxMail
from tests.servers import Dovecot, SmtpSink
from tests.test_ingest_support import (
    OFFICIAL,
    PARTNERS,
    daemon_process,
    request_mail,
    seed_directory,
    wait_until,
    write_config,
)

OPERATOR = "duty.officer@ncc.gov.example"
PARTNER = PARTNERS["FR"][0]
# Command mail must prove its origin: these tests use the `received` way, the operator's
# mail arriving from the desk's own network.
INTERNAL_RELAYS = ["192.0.2.0/24"]
INTERNAL_HOP = ("from desk-pc.ncc.gov.example (desk-pc.ncc.gov.example [192.0.2.10]) "
                "by mail.ncc.gov.example with ESMTPSA id 1A2B3C; Sat, 28 Nov 2026 09:00:00 +0000")
_uid = iter(range(1, 10_000))


def settings_for(db_url: str) -> Settings:
    return Settings(database={"url": db_url},
                    desk={"official_address": OFFICIAL, "operators": [OPERATOR],
                          "command_auth": ["received"], "internal_relays": INTERNAL_RELAYS})


def deliver(db_url: str, sessions: sessionmaker[Session], msg: EmailMessage) -> Message:
    """The real pipeline on one INBOX message, as the mailbox watcher runs it."""
    raw = msg.as_bytes()
    fetched = Fetched(folder="INBOX", role="inbox", uidvalidity=5, uid=next(_uid),
                               raw=raw, size=len(raw), internal_date=datetime.now(UTC),
                               truncated=False, live=True)
    with sessions.begin() as session:
        env = Env(settings_for(db_url), load_directory(session), datetime.now(UTC))
        work = pipeline.run(session, env, fetched)
        assert work is not None and work.message is not None
    return work.message


def mail_about(case_ref: str, sender: str, body: str, subject: str | None = None,
               received: tuple[str, ...] = (INTERNAL_HOP,)) -> EmailMessage:
    """A mail about a case, as the desk's mail server delivers it (`received`, topmost
    first: by default sent from inside the desk's network)."""
    msg = EmailMessage()
    for hop in received:
        msg["Received"] = hop
    msg["From"] = sender
    msg["To"] = OFFICIAL
    msg["Subject"] = subject or f"Re: [{case_ref}] Preservation request"
    msg["Date"] = email.utils.format_datetime(datetime.now(UTC))
    msg["Message-ID"] = email.utils.make_msgid("cmd", sender.rpartition("@")[2])
    msg.set_content(body)
    return msg


def open_case(db_url: str, sessions: sessionmaker[Session]) -> Case:
    seed_directory(sessions)
    message = deliver(db_url, sessions, request_mail(sender=PARTNER))
    with sessions() as session:
        case = session.get_one(Case, message.case_id)
    assert case.status != "closed"
    return case


def state(sessions: sessionmaker[Session], case_id: int) -> tuple[str, list[str]]:
    with sessions() as session:
        case = session.get_one(Case, case_id)
        kinds = session.scalars(select(Event.kind).where(Event.case_id == case_id)
                                .order_by(Event.id)).all()
    return case.status, list(kinds)


def test_read_commands_only_leading_command_lines() -> None:
    """Commands are the first lines of the text; prose or unknown #words end the list."""
    assert read_commands("\n#start\n#called spoke to the duty officer\n#close: done\n\nThanks"
                         ) == [Command("start", ""), Command("called", "spoke to the duty officer"),
                               Command("close", "done")]
    assert read_commands("Hello\n#close") == []
    assert read_commands("#hashtag\n#close") == []
    assert read_commands("#NOTE Partner  asked again") == [Command("note", "Partner  asked again")]


def test_operator_commands_change_the_case_and_are_confirmed(
    db_url: str, sessions: sessionmaker[Session]
) -> None:
    """An operator's #start, #called and #note apply to the case, confirmed to them only."""
    case = open_case(db_url, sessions)
    message = deliver(db_url, sessions, mail_about(
        case.reference, f"Duty Officer <{OPERATOR}>",
        "#start\n#called spoke to the duty officer\n#note data is with the provider\n\n"
        "Regards\n"))
    status, kinds = state(sessions, case.id)
    assert status == "started"
    assert kinds[-4:] == ["case_started", "call_logged", "note_added", "mail_commands"] or \
        kinds[-5:] == ["case_started", "confirmation_queued", "call_logged", "note_added",
                       "mail_commands"]
    with sessions() as session:
        events = session.scalars(select(Event).where(
            Event.case_id == case.id, Event.kind.in_(("case_started", "call_logged")))).all()
        mails = session.scalars(select(OutboxMail).where(OutboxMail.case_id == case.id)
                                .order_by(OutboxMail.id)).all()
        stored = session.get_one(Message, message.id)
        flags = session.get_one(Case, case.id).flags
    assert {e.actor for e in events} == {OPERATOR}
    assert [e.data.get("note") for e in events if e.kind == "call_logged"] == [
        "spoke to the duty officer"]
    confirmations = [m for m in mails if m.purpose == "command_confirmation"]
    assert [m.recipients for m in confirmations] == [[OPERATOR]]
    assert b"#start: done" in confirmations[0].raw
    # Nothing addressed to anyone but the operator comes out of the command mail itself.
    assert all(OPERATOR not in m.recipients for m in mails if m.purpose != "command_confirmation")
    assert stored.case_id == case.id and not stored.quarantined
    assert "tag_hijack_suspected" not in flags


def test_refused_command_is_reported_and_others_applied(
    db_url: str, sessions: sessionmaker[Session]
) -> None:
    """A command that does not apply is refused in the confirmation; the rest still apply."""
    case = open_case(db_url, sessions)
    deliver(db_url, sessions, mail_about(case.reference, OPERATOR, "#reopen\n#close duplicate\n"))
    status, _ = state(sessions, case.id)
    assert status == "closed"
    with sessions() as session:
        confirmation = session.scalars(select(OutboxMail).where(
            OutboxMail.purpose == "command_confirmation")).one()
    text = confirmation.raw.decode()
    assert "#reopen: refused:" in text and "is not closed" in text
    assert "#close duplicate: done (status closed)" in text


def test_same_lines_from_partner_or_quoted_change_nothing(
    db_url: str, sessions: sessionmaker[Session]
) -> None:
    """Command lines from a partner, or only in quoted history, are ordinary text."""
    case = open_case(db_url, sessions)
    before = state(sessions, case.id)[0]
    deliver(db_url, sessions, mail_about(case.reference, PARTNER, "#close\n#note forged\n"))
    quoted = ("Please see the history below.\n\n"
              "On Sat, 28 Nov 2026 at 09:00, Duty Officer <duty.officer@ncc.gov.example> wrote:\n"
              "> #close\n> #note old\n")
    deliver(db_url, sessions, mail_about(case.reference, OPERATOR, quoted))
    deliver(db_url, sessions, mail_about(case.reference, OPERATOR, "> #close\n> quoted only\n"))
    status, kinds = state(sessions, case.id)
    assert status == before
    assert not {"case_closed", "note_added", "mail_commands"} & set(kinds)
    with sessions() as session:
        assert session.scalar(select(OutboxMail.id).where(
            OutboxMail.purpose == "command_confirmation")) is None


def test_command_mail_through_dovecot_and_smtp(
    db_url: str, sessions: sessionmaker[Session], tmp_path: Path, dovecot: Dovecot,
    smtp_sink: SmtpSink,
) -> None:
    """End to end: an operator's #close in the INBOX closes the case; the confirmation
    reaches the operator over SMTP and nothing goes to the partner."""
    case = open_case(db_url, sessions)
    config = write_config(tmp_path, imap_port=dovecot.port, smtp_port=smtp_sink.port,
                          db_url=db_url, poll_seconds=1)
    config.write_text(config.read_text().replace(
        f'official_address = "{OFFICIAL}"',
        f'official_address = "{OFFICIAL}"\noperators = ["{OPERATOR}"]\n'
        f'command_auth = ["received"]\ninternal_relays = {INTERNAL_RELAYS!r}'.replace("'", '"')))
    dovecot.append(mail_about(case.reference, OPERATOR, "#close answered by phone\n").as_bytes())
    proc = daemon_process(config, log=tmp_path / "daemon.log")
    try:
        wait_until(lambda: state(sessions, case.id)[0] == "closed", 60, "the case is closed")
        wait_until(lambda: any(OPERATOR in r.rcpt_tos for r in smtp_sink.received), 30,
                   "the confirmation is sent")
        received = smtp_sink.received
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=15)
    to_operator = [r for r in received if OPERATOR in r.rcpt_tos]
    assert len(to_operator) == 1
    assert "commands: done" in str(to_operator[0].message["Subject"])
    assert to_operator[0].message["Auto-Submitted"] == "auto-replied"
    assert not [r for r in received if PARTNER in r.rcpt_tos and
                "commands" in str(r.message["Subject"])]
    with sessions() as session:
        reason = session.get_one(Case, case.id).close_reason
    assert reason == "answered by phone"
