"""`watchkeeper triage`, `triage open`, `triage dismiss` and `case REF type TYPE` as real
commands, on mail the real pipeline stored, on both databases."""

from __future__ import annotations

import email.policy
import email.utils
import itertools
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings
from daemon.duties import digest
from daemon.inbound import pipeline
from daemon.inbound.work import Env, Fetched
from daemon.store.db import transaction
from daemon.store.directory import load_directory
from models import Case, Event, Message, OutboxMail, TriageItem
from tests.conftest import run_cli
from tests.test_ingest_support import OFFICIAL, PARTNERS, request_mail, seed_directory

FR = PARTNERS["FR"][0]
VENDOR = "sales@desktools.example"
LAWYER = "m.dupont@cabinet-avocats.example"
_uid = itertools.count(1)


def mail(sender: str, subject: str, text: str, *, reply_to: EmailMessage | None = None
         ) -> EmailMessage:
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = sender
    msg["To"] = OFFICIAL
    msg["Subject"] = subject
    msg["Date"] = email.utils.format_datetime(datetime.now(UTC))
    msg["Message-ID"] = email.utils.make_msgid("t", sender.rpartition("@")[2])
    if reply_to is not None:
        msg["In-Reply-To"] = reply_to["Message-ID"]
        msg["References"] = reply_to["Message-ID"]
    msg.set_content(text)
    return msg


def vendor_mail() -> EmailMessage:
    return mail(VENDOR, "Your licence renewal for DeskTools Pro",
                "Dear customer,\n\nYour annual licence for DeskTools Pro expires on 15 "
                "January. You can renew it online.\n\nKind regards,\nThe sales team\n")


def lawyer_mail() -> EmailMessage:
    return mail(LAWYER, "Our client Mr X",
                "Dear Sir or Madam,\n\nWe act for Mr X and would like to speak with the "
                "person in charge of his matter.\n\nYours faithfully,\nM. Dupont\n")


def settings_for(db_url: str) -> Settings:
    return Settings(database={"url": db_url}, desk={"official_address": OFFICIAL})


def ingest(db_url: str, sessions: sessionmaker[Session], msg: EmailMessage,
           at: datetime | None = None) -> Message:
    """Run the real pipeline on one INBOX message, as the mailbox watcher would."""
    raw = msg.as_bytes()
    now = at or datetime.now(UTC)
    fetched = Fetched(folder="INBOX", role="inbox", uidvalidity=3, uid=next(_uid), raw=raw,
                      size=len(raw), internal_date=now, truncated=False, live=True)
    with transaction(sessions) as session:
        env = Env(settings_for(db_url), load_directory(session), now)
        work = pipeline.run(session, env, fetched)
        assert work is not None and work.message is not None
        session.expunge(work.message)
        return work.message


def env_for(db_url: str) -> dict[str, str]:
    return {"WATCHKEEPER_DATABASE__URL": db_url, "WATCHKEEPER_LOGGING__FORMAT": "json",
            "WATCHKEEPER_DESK__OFFICIAL_ADDRESS": OFFICIAL}


def cli(db_url: str, *args: str) -> Any:
    return run_cli(*args, env=env_for(db_url))


def snapshot(sessions: sessionmaker[Session]) -> tuple[Any, ...]:
    """Every triage item, case, event, message link and planned mail: to prove a refused
    command changed nothing."""
    def rows(model: Any) -> list[tuple[Any, ...]]:
        return [tuple(getattr(r, c.key) for c in model.__table__.columns)
                for r in session.scalars(select(model).order_by(model.id))]

    with sessions() as session:
        return (rows(TriageItem), rows(Case), [(e.kind, e.actor, e.data) for e in
                session.scalars(select(Event).order_by(Event.id))],
                [(m.id, m.case_id) for m in session.scalars(select(Message).order_by(Message.id))],
                rows(OutboxMail))


def item_of(sessions: sessionmaker[Session], message: Message) -> TriageItem:
    with sessions() as session:
        item = session.scalars(select(TriageItem).where(
            TriageItem.message_id == message.id)).one()
        session.expunge(item)
        return item


def test_triage_lists_waiting_mail_with_sender_subject_received_and_why(
    db_url: str, sessions: sessionmaker[Session],
) -> None:
    """The table and the JSON list each waiting mail, oldest first; closed ones only with
    --all."""
    seed_directory(sessions)
    early = ingest(db_url, sessions, lawyer_mail(), datetime.now(UTC) - timedelta(hours=2))
    late = ingest(db_url, sessions, vendor_mail())
    table = cli(db_url, "triage")
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["MSG", "RECEIVED", "WAITING", "SENDER", "SUBJECT", "WHY"]
    assert lines[1].startswith(str(early.id)) and LAWYER in lines[1] and "2 h 00" in lines[1]
    assert lines[2].startswith(str(late.id)) and "unknown sender, does not read as a" in lines[2]
    assert lines[-1].startswith("2 waiting")
    listed = json.loads(cli(db_url, "triage", "--json").stdout)
    assert [(i["message"], i["sender"], i["subject"], i["reason"], i["status"])
            for i in listed] == [
        (early.id, LAWYER, "Our client Mr X", "stranger_mail", "open"),
        (late.id, VENDOR, "Your licence renewal for DeskTools Pro", "stranger_mail", "open")]
    assert datetime.fromisoformat(listed[0]["received_at"]) < datetime.fromisoformat(
        listed[1]["received_at"])
    done = cli(db_url, "triage", "dismiss", str(late.id), "--reason", "advertising",
               "--by", "alice")
    assert done.returncode == 0, done.stderr
    assert [i["message"] for i in json.loads(cli(db_url, "triage", "--json").stdout)] == [
        early.id]
    everything = json.loads(cli(db_url, "triage", "--json", "--all").stdout)
    assert [(i["message"], i["status"], i["resolution"]) for i in everything] == [
        (early.id, "open", None), (late.id, "closed", "dismissed")]
    assert "dismissed: advertising" in cli(db_url, "triage", "--all").stdout


def test_triage_open_makes_a_case_its_thread_follows_and_nothing_is_sent(
    db_url: str, sessions: sessionmaker[Session],
) -> None:
    """`triage open MSG --type TYPE` opens an unverified incoming case of that type, with an
    event naming the operator; the rest of the thread waiting in triage joins it, later
    mail of the thread follows it, and no mail is planned."""
    seed_directory(sessions)
    first = lawyer_mail()
    stored = ingest(db_url, sessions, first)
    follow = mail(LAWYER, "Re: Our client Mr X", "We have not heard from you yet.\n",
                  reply_to=first)
    follow_row = ingest(db_url, sessions, follow)
    assert item_of(sessions, follow_row).status == "open"
    result = cli(db_url, "triage", "open", str(stored.id), "--type", "information",
                 "--by", "alice")
    assert result.returncode == 0, result.stderr
    reference = result.stdout.split()[4]
    assert result.stdout.strip() == (f"message {stored.id} opened as {reference} "
                                     "(information) by alice")
    with sessions() as session:
        case = session.scalars(select(Case).where(Case.reference == reference)).one()
        assert (case.direction, case.request_type, case.counterpart_address) == (
            "incoming", "information", LAWYER)
        assert not case.sender_verified and "unverified_sender" in case.flags
        assert case.root_message_id == first["Message-ID"].strip("<>")
        assert case.start_due_at is not None and not case.historical
        linked = {m.id: m.case_id for m in session.scalars(select(Message))}
        assert linked[stored.id] == case.id and linked[follow_row.id] == case.id
        [opened] = session.scalars(select(Event).where(Event.kind == "triage_opened")).all()
        assert opened.actor == "alice" and opened.case_id == case.id
        assert opened.data["reason"] == "stranger_mail"
        assert session.scalars(select(OutboxMail)).all() == []
    for message in (stored, follow_row):
        item = item_of(sessions, message)
        assert (item.status, item.resolution, item.closed_by, item.case_id) == (
            "closed", "case", "alice", case.id)
    later = mail(LAWYER, "Re: Re: Our client Mr X", "Thank you.\n", reply_to=follow)
    later_row = ingest(db_url, sessions, later)
    assert later_row.case_id == case.id
    with sessions() as session:
        assert session.scalars(select(TriageItem).where(
            TriageItem.message_id == later_row.id)).first() is None
        assert session.scalars(select(OutboxMail)).all() == []


def test_triage_open_without_type_takes_the_parsers_or_unclassified(
    db_url: str, sessions: sessionmaker[Session],
) -> None:
    """Without --type the case is typed as the parser reads the mail, else unclassified."""
    seed_directory(sessions)
    stored = ingest(db_url, sessions, vendor_mail())
    result = cli(db_url, "triage", "open", str(stored.id))
    assert result.returncode == 0, result.stderr
    assert "(unclassified)" in result.stdout


def test_triage_dismiss_closes_the_item_with_reason_and_operator(
    db_url: str, sessions: sessionmaker[Session],
) -> None:
    """`triage dismiss MSG --reason TEXT` closes the item: who, when, why; an event."""
    stored = ingest(db_url, sessions, vendor_mail())
    result = cli(db_url, "triage", "dismiss", str(stored.id), "--reason", "sales mail",
                 "--by", "bob")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"message {stored.id} dismissed by bob"
    item = item_of(sessions, stored)
    assert (item.status, item.resolution, item.closed_by, item.close_reason) == (
        "closed", "dismissed", "bob", "sales mail")
    assert item.closed_at is not None and item.case_id is None
    with sessions() as session:
        [event] = session.scalars(select(Event).where(Event.kind == "triage_dismissed")).all()
        assert (event.actor, event.message_id, event.data["reason"]) == ("bob", stored.id,
                                                                         "sales mail")


def test_triage_wrong_uses_are_one_line_and_change_nothing(
    db_url: str, sessions: sessionmaker[Session],
) -> None:
    """Unknown message, a message that is a case, already a case, already dismissed, bad
    type, empty reason: one line each, exit 1, nothing changed."""
    seed_directory(sessions)
    opened = ingest(db_url, sessions, lawyer_mail())
    dismissed = ingest(db_url, sessions, vendor_mail())
    waiting = ingest(db_url, sessions, mail("x@somewhere.example", "Hello", "Hello there.\n"))
    request = ingest(db_url, sessions, request_mail(sender=FR))
    assert cli(db_url, "triage", "open", str(opened.id), "--by", "alice").returncode == 0
    assert cli(db_url, "triage", "dismiss", str(dismissed.id), "--reason", "spam",
               "--by", "bob").returncode == 0
    with sessions() as session:
        case_ref = session.scalars(select(Case.reference).where(
            Case.id == session.get_one(Message, opened.id).case_id)).one()
        request_ref = session.scalars(select(Case.reference).where(
            Case.id == session.get_one(Message, request.id).case_id)).one()
    uses = [
        (("open", "99999"), "watchkeeper: no message '99999' (give the number shown by"),
        (("dismiss", "abc", "--reason", "x"), "watchkeeper: no message 'abc'"),
        (("open", str(request.id)), f"watchkeeper: message {request.id} is already in case "
                                    f"{request_ref}"),
        (("open", str(opened.id)), f"watchkeeper: message {opened.id} is already a case: "
                                   f"{case_ref} (opened by alice on "),
        (("dismiss", str(opened.id), "--reason", "x"), f"watchkeeper: message {opened.id} is "
                                                       f"already a case: {case_ref}"),
        (("dismiss", str(dismissed.id), "--reason", "x"),
         f"watchkeeper: message {dismissed.id} was already dismissed by bob on "),
        (("open", str(dismissed.id)), f"watchkeeper: message {dismissed.id} was already "
                                      "dismissed by bob"),
        (("open", str(waiting.id), "--type", "bogus"), "watchkeeper: unknown request type "
                                                       "'bogus': expected one of preservation, "),
        (("open", str(waiting.id), "--type", "unclassified"), "watchkeeper: unknown request "
                                                              "type 'unclassified'"),
        (("dismiss", str(waiting.id), "--reason", "  "), "watchkeeper: give the reason: "
                                                         "--reason TEXT"),
    ]
    before = snapshot(sessions)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda use: cli(db_url, "triage", *use[0]), uses))
    for (args, message), result in zip(uses, results, strict=True):
        assert result.returncode == 1, (args, result.stdout, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(message), (args, lines)
        assert result.stdout == "", args
    assert snapshot(sessions) == before
    assert item_of(sessions, waiting).status == "open"


def test_case_type_sets_the_type_with_an_event_and_moves_deadlines(
    db_url: str, sessions: sessionmaker[Session],
) -> None:
    """`case REF type TYPE` types an unclassified case (event with the operator's name);
    an emergency counts its deadlines again from the opening; `cases --unclassified`
    lists only the cases still waiting for a type."""
    seed_directory(sessions)
    notices = [ingest(db_url, sessions, mail(FR, f"Office closure {i}",
                                             "Our office is closed on Friday.\n"))
               for i in range(2)]
    ingest(db_url, sessions, request_mail(sender=FR))
    with sessions() as session:
        first, second = (session.get_one(Case, session.get_one(Message, n.id).case_id)
                         for n in notices)
        refs = (first.reference, second.reference)
        assert first.request_type == second.request_type == "unclassified"
        start_before = first.start_due_at
    listed = json.loads(cli(db_url, "cases", "--json", "--unclassified").stdout)
    assert [c["reference"] for c in listed] == list(refs)
    result = cli(db_url, "case", refs[0], "type", "emergency_disclosure", "--by", "carol")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{refs[0]} type set to emergency_disclosure by carol"
    with sessions() as session:
        case = session.scalars(select(Case).where(Case.reference == refs[0])).one()
        assert case.request_type == "emergency_disclosure"
        assert start_before is not None and case.start_due_at is not None
        assert case.start_due_at - case.opened_at == timedelta(minutes=30)
        assert case.start_due_at < start_before
        [event] = session.scalars(select(Event).where(Event.kind == "case_typed")).all()
        assert (event.actor, event.case_id) == ("carol", case.id)
        assert (event.data["previous"], event.data["request_type"]) == (
            "unclassified", "emergency_disclosure")
        assert event.data["start_due_at"] == case.start_due_at.isoformat()
    listed = json.loads(cli(db_url, "cases", "--json", "--unclassified").stdout)
    assert [c["reference"] for c in listed] == [refs[1]]
    table = cli(db_url, "cases", "--unclassified").stdout
    assert refs[1] in table and refs[0] not in table
    assert f"not set yet: watchkeeper case {refs[1]} type TYPE" in cli(
        db_url, "case", refs[1], "show").stdout


def test_case_type_wrong_uses_are_one_line_and_change_nothing(
    db_url: str, sessions: sessionmaker[Session],
) -> None:
    """Bad type, the same type, a closed case, an unknown case: one line, exit 1, no change."""
    seed_directory(sessions)
    notice = ingest(db_url, sessions, mail(FR, "Office closure", "Closed on Friday.\n"))
    old = ingest(db_url, sessions, mail(FR, "Office closure 2", "Closed on Monday.\n"))
    with sessions() as session:
        ref = session.scalars(select(Case.reference).where(
            Case.id == session.get_one(Message, notice.id).case_id)).one()
        closed = session.get_one(Case, session.get_one(Message, old.id).case_id)
        closed_ref = closed.reference
    assert cli(db_url, "case", closed_ref, "close", "--by", "x").returncode == 0
    assert cli(db_url, "case", ref, "type", "information").returncode == 0
    uses = [
        ((ref, "type", "bogus"), "watchkeeper: unknown request type 'bogus': expected one of "
                                 "preservation, preservation_extension, traffic_disclosure, "
                                 "stored_data, emergency_disclosure, information"),
        ((ref, "type", "unclassified"), "watchkeeper: unknown request type 'unclassified'"),
        ((ref, "type", "information"), f"watchkeeper: {ref} is already of type information"),
        ((closed_ref, "type", "preservation"), f"watchkeeper: {closed_ref} is closed: reopen "
                                               "it before you change its type"),
        (("WK-2026-09999", "type", "preservation"), "watchkeeper: no case 'WK-2026-09999'"),
    ]
    before = snapshot(sessions)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda use: cli(db_url, "case", *use[0]), uses))
    for (args, message), result in zip(uses, results, strict=True):
        assert result.returncode == 1, (args, result.stdout, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(message), (args, lines)
    assert snapshot(sessions) == before


def test_digest_and_status_count_triage_and_unclassified(
    db_url: str, sessions: sessionmaker[Session],
) -> None:
    """The digest has a "Waiting for triage" section and counts unclassified cases (text and
    HTML, subject too); `status --json` counts open triage items and unclassified cases."""
    seed_directory(sessions)
    now = datetime.now(UTC)
    waiting = ingest(db_url, sessions, vendor_mail(), now - timedelta(hours=3))
    gone = ingest(db_url, sessions, lawyer_mail(), now - timedelta(hours=1))
    notice = ingest(db_url, sessions, mail(FR, "Office closure", "Closed on Friday.\n"))
    ingest(db_url, sessions, request_mail(sender=FR))
    assert cli(db_url, "triage", "dismiss", str(gone.id), "--reason", "x").returncode == 0
    settings = Settings(database={"url": db_url},
                        desk={"official_address": OFFICIAL, "supervisors": ["s@x.example"]})
    with transaction(sessions) as session:
        built = digest.build(session, settings, now + timedelta(minutes=1))
        ref = session.get_one(Case, session.get_one(Message, notice.id).case_id).reference
    data = built.data
    assert data.triage_count == 1 and data.unclassified.total == 1
    [row] = data.triage
    assert (row.message, row.sender, row.why) == (
        waiting.id, VENDOR, "unknown sender, does not read as a request")
    assert [r.reference for r in data.unclassified.rows] == [ref]
    assert built.subject.endswith(", 1 waiting for triage, 1 unclassified")
    assert "WAITING FOR TRIAGE (1)" in built.text and VENDOR in built.text
    assert "Waiting for triage: 1    Unclassified: 1" in built.text
    assert "UNCLASSIFIED CASES (1)" in built.text and ref in built.text
    assert "Waiting for triage (1)" in built.html and "Unclassified cases (1)" in built.html
    assert "Your licence renewal for DeskTools Pro" in built.html
    result = cli(db_url, "status", "--json")
    health = json.loads(result.stdout)
    assert (health["triage_open"], health["unclassified_cases"]) == (1, 1)
    assert "triage: 1 waiting; unclassified cases: 1" in cli(db_url, "status").stdout
