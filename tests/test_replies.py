"""Acknowledgements, resend requests, suppression and bounces, planned with the message."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from structlog.testing import capture_logs

from config.settings import Settings
from daemon.cases.transitions import move
from daemon.duties.ping import PING
from daemon.inbound.work import Env, Incoming
from daemon.outbound.outbox import (
    ACK,
    EXECUTION_STARTED,
    OPERATOR_ALERT,
    RESEND_REQUEST,
    Draft,
    enqueue,
)
from daemon.outbound.replies import plan_execution_started, plan_replies, reply_subject
from daemon.store.db import transaction
from models import Case, Event, Message, OutboxMail
from parsers.directory import Directory, load_toml
from parsers.headers import HeaderFacts
from parsers.message import parse_message
from parsers.result import BounceReport, Identifier, ParsedMessage

# 09:00 UTC: 10:00 in Paris and Brussels.
T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
OFFICIAL = "poc247@ncc.gov.example"
OPERATOR = "duty@ncc.gov.example"
FR = "sdlc-247@interieur.fr.example"
DE = "24-7-cyber@bka.de.example"

DIRECTORY_TOML = b"""
[[contact_points]]
country = "FR"
authority = "SDLC"
role = "primary"
emails = ["sdlc-247@interieur.fr.example"]
office_phone = "+33 1 49 00 00 11"
after_hours_phone = "+33 6 00 00 00 11"
timezone = "Europe/Paris"
office_hours = "Mon-Fri 09:00-18:00"
languages = ["fr", "en"]

[[contact_points]]
country = "DE"
authority = "BKA"
role = "primary"
emails = ["24-7-cyber@bka.de.example"]
office_phone = "+49 611 55 1111"
timezone = "Europe/Berlin"
office_hours = "24/7"
languages = ["de", "en"]
"""


def request(**changes: Any) -> ParsedMessage:
    """A parse result as the message parser returns it, with the fields plan_replies reads
    set for a French preservation request unless `changes` says otherwise."""
    fields: dict[str, Any] = dict(
        kind="request", from_addr=FR, message_id="req-1@interieur.fr.example",
        subject="Demande de conservation - Helix Mail", should_acknowledge=True,
        sender_verified=True, country="FR", request_type="preservation",
        their_reference="SDLC-2026-118", provider="Helix Mail GmbH",
        identifiers=(Identifier("ipv4", "198.51.100.7"), Identifier("email", "x@helix.example")),
    )
    fields.update(changes)
    return ParsedMessage(**fields)


@pytest.fixture
def directory() -> Directory:
    return load_toml(DIRECTORY_TOML)


def make_settings(db_url: str, **desk: Any) -> Settings:
    return Settings(
        database={"url": db_url},
        smtp={"max_auto_replies_per_hour": 5},
        desk={"official_address": OFFICIAL, "operators": [OPERATOR], "timezone": "Europe/Brussels",
              "office_phone": "+32 2 000 00 00", "after_hours_phone": "+32 470 00 00 00",
              "name": "Belgian 24/7 contact point", **desk},
    )


class World:
    """Messages and cases written as the pipeline writes them, then `plan_replies`."""

    def __init__(self, sessions: sessionmaker[Session], settings: Settings,
                 directory: Directory) -> None:
        self.sessions, self.settings, self.directory = sessions, settings, directory
        self.uid = 0

    def receive(self, parsed: ParsedMessage, *, now: datetime = T0, open_case: bool = True,
                case_ref: str | None = None, live: bool = True, role: str = "inbox",
                raw: bytes = b"x") -> int:
        """Store one message (and its case), run plan_replies; returns the message row id."""
        self.uid += 1
        with transaction(self.sessions) as s:
            message = Message(folder="INBOX" if role == "inbox" else "Sent", uidvalidity=1,
                              uid=self.uid, direction="in", sha256=f"{self.uid:064x}", size=10,
                              raw=raw, message_id=parsed.message_id, subject=parsed.subject,
                              from_addr=parsed.from_addr, fetched_at=now, internal_date=now,
                              parsed={}, live=live)
            s.add(message)
            case = None
            if case_ref is not None:
                case = s.scalar(select(Case).where(Case.reference == case_ref))
            elif open_case:
                case = Case(reference=f"WK-2026-{self.uid:05d}", direction="incoming",
                            request_type=parsed.request_type, urgent=parsed.urgent,
                            country=parsed.country, counterpart_address=parsed.from_addr,
                            sender_verified=parsed.sender_verified, subject=parsed.subject,
                            root_message_id=parsed.message_id, opened_at=now, status="new",
                            their_reference=parsed.their_reference,
                            flags=[], rules=[], details={},
                            start_due_at=now + timedelta(hours=2))
                s.add(case)
            s.flush()
            message.case_id = case.id if case is not None else None
            env = Env(settings=self.settings, directory=self.directory, now=now)
            plan_replies(s, env, Incoming(message=message, parsed=parsed,
                                          case=case, opened=case is not None and case_ref is None,
                                          live=live, folder_role=role), move=move)
            return message.id

    def outbox(self) -> list[OutboxMail]:
        with self.sessions() as s:
            return list(s.scalars(select(OutboxMail).order_by(OutboxMail.id)))

    def events(self, kind: str) -> list[Event]:
        with self.sessions() as s:
            return list(s.scalars(select(Event).where(Event.kind == kind).order_by(Event.id)))

    def case(self, reference: str) -> Case:
        with self.sessions() as s:
            case = s.scalar(select(Case).where(Case.reference == reference))
            assert case is not None
            return case


@pytest.fixture
def world(db_url: str, sessions: sessionmaker[Session], directory: Directory) -> World:
    return World(sessions, make_settings(db_url), directory)


def mail_of(row: OutboxMail) -> EmailMessage:
    msg = email.message_from_bytes(row.raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def body_of(row: OutboxMail) -> str:
    part = mail_of(row).get_body(("plain",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


def test_request_from_official_address_gets_one_french_ack_in_its_thread(world: World) -> None:
    """A verified French request: one ack, threaded, from the official address, in French."""
    parsed = request(references=("earlier@interieur.fr.example",))
    with capture_logs() as logs:
        world.receive(parsed)
    [row] = world.outbox()
    assert row.purpose == ACK and row.key == "WK-2026-00001:ack:1" and row.auto
    assert row.status == "pending" and row.next_attempt_at == T0
    msg = mail_of(row)
    assert msg["Subject"] == "Re: [WK-2026-00001] Demande de conservation - Helix Mail"
    assert msg["From"].addresses[0].addr_spec == OFFICIAL
    assert [a.addr_spec for a in msg["To"].addresses] == [FR]
    assert msg["Cc"] is None
    assert msg["In-Reply-To"] == "<req-1@interieur.fr.example>"
    assert msg["References"] == "<earlier@interieur.fr.example> <req-1@interieur.fr.example>"
    assert msg["Auto-Submitted"] == "auto-replied"
    assert msg["X-Auto-Response-Suppress"] == "All"
    assert msg["Message-ID"] == f"<{row.message_id}>"
    body = body_of(row)
    for expected in ("2026-11-24 10:00 CET (UTC+01:00) (votre heure)",
                     "2026-11-24 10:00 CET (UTC+01:00) (notre heure)",
                     "Notre référence : WK-2026-00001",
                     "conservation de données stockées", "normale", "SDLC-2026-118",
                     "Identifiants :          2", "Helix Mail GmbH",
                     "+32 2 000 00 00", "+32 470 00 00 00", "2026-11-24 12:00 CET"):
        assert expected in body, expected
    [event] = world.events("ack_queued")
    assert event.data["outbox"] == row.key and event.data["language"] == "fr"
    assert [e["event"] for e in logs if e["event"] == "ack_queued"] == ["ack_queued"]


def test_partner_without_a_template_language_gets_english(world: World) -> None:
    """German is not among the templates: the German partner's next language, English, is used."""
    world.receive(request(from_addr=DE, country="DE", subject="Eilt: Sicherung", urgent=True,
                         message_id="r@bka.de.example"))
    [row] = world.outbox()
    body = body_of(row)
    assert "Our case reference: WK-2026-00001" in body
    assert "Urgency:           URGENT" in body
    assert "10:00 CET (UTC+01:00) (your time)" in body
    assert "handled as urgent" in body


@pytest.mark.parametrize(("theirs", "expected"), [
    ("RE: AW: Preservation", "Re: [WK-2026-00042] Preservation"),
    ("Re: [WK-2026-00042] Preservation", "Re: [WK-2026-00042] Preservation"),
    ("Fwd: request", "Re: [WK-2026-00042] request"),
    ("", "Re: [WK-2026-00042]"),
    ("Re : Re: URGENT  preservation", "Re: [WK-2026-00042] URGENT preservation"),
    ("Ref: ABC-12 preservation", "Re: [WK-2026-00042] Ref: ABC-12 preservation"),
    ("Re: [WK-2026-00007] copied subject", "Re: [WK-2026-00042] copied subject"),
    ("AW: [wk-2026-00042] Nachtrag [WK-2026-00001]", "Re: [WK-2026-00042] Nachtrag"),
    ("Preservation [WK-2026-00042]", "Re: [WK-2026-00042] Preservation"),
])
def test_reply_subject_never_doubles_re_or_the_tag(theirs: str, expected: str) -> None:
    """Their reply prefixes collapse into one "Re:", our tag appears once, first, and a
    copied tag of another case is dropped rather than stacked beside ours."""
    assert reply_subject("WK-2026-00042", theirs) == expected


def test_unverified_sender_is_acknowledged_flagged_and_the_official_address_copied(
    world: World,
) -> None:
    """accept_and_flag: an officer's own address at the partner's domain gets the ack, the
    official address a copy, and the case is flagged."""
    officer = "j.martin@interieur.fr.example"
    world.receive(request(from_addr=officer, sender_verified=False))
    [row] = world.outbox()
    msg = mail_of(row)
    assert [a.addr_spec for a in msg["To"].addresses] == [officer]
    assert [a.addr_spec for a in msg["Cc"].addresses] == [FR]
    assert row.recipients == [officer, FR] and row.first_recipient == officer
    assert "Une copie de cet accusé\nde réception est envoyée à sdlc-247@interieur.fr.example" in (
        body_of(row))
    case = world.case("WK-2026-00001")
    assert "unverified_sender" in case.flags and case.status == "new"


def test_ask_resend_policy_holds_the_case_and_names_the_official_address(
    db_url: str, sessions: sessionmaker[Session], directory: Directory,
) -> None:
    """ask_resend: no ack; a request to resend from the official address; the case is held."""
    world = World(sessions, make_settings(db_url, unverified_sender="ask_resend"), directory)
    officer = "j.martin@interieur.fr.example"
    world.receive(request(from_addr=officer, sender_verified=False, subject="Conservation"))
    [row] = world.outbox()
    assert row.purpose == RESEND_REQUEST and row.key == "WK-2026-00001:resend_request:1"
    assert row.recipients == [officer, FR]
    msg = mail_of(row)
    assert msg["Subject"] == "Re: [WK-2026-00001] Conservation"
    assert msg["In-Reply-To"] == "<req-1@interieur.fr.example>"
    body = body_of(row)
    assert "renvoyer la demande depuis votre adresse officielle" in body
    assert "  sdlc-247@interieur.fr.example" in body
    case = world.case("WK-2026-00001")
    assert case.status == "held" and "unverified_sender" in case.flags
    assert len(world.events("case_held")) == 1 and len(world.events("resend_requested")) == 1


SUPPRESSED = [
    ("auto_reply", request(kind="auto_reply", should_acknowledge=False,
                          auto_signals=("auto-submitted",))),
    ("bounce", request(kind="bounce", should_acknowledge=False,
                      from_addr="notifications@mx.fr.example")),
    ("list_mail", request(is_list=True)),
    ("own_mail", request(headers=HeaderFacts(x_loop=(OFFICIAL,)))),
    ("own_mail", request(message_id="wk.0123abcd@ncc.gov.example")),
    ("own_mail", request(from_addr=OFFICIAL)),
    ("robot_sender", request(from_addr="noreply@interieur.fr.example")),
    ("robot_sender", request(from_addr="MAILER-DAEMON@mx.fr.example")),
    ("robot_sender", request(from_addr="postmaster@interieur.fr.example")),
    ("no_sender", request(from_addr=None)),
]


@pytest.mark.parametrize(("reason", "parsed"), SUPPRESSED,
                         ids=[f"{r}-{i}" for i, (r, _) in enumerate(SUPPRESSED)])
def test_no_automatic_mail_to_robots_lists_or_ourselves(
    world: World, reason: str, parsed: ParsedMessage
) -> None:
    """Auto-replies, bounces, list mail, our own mail and robot senders get nothing; the
    suppression is an event and a log line with its reason."""
    with capture_logs() as logs:
        world.receive(parsed)
    assert world.outbox() == []
    [event] = world.events("ack_suppressed")
    assert event.data["reason"] == reason
    lines = [e for e in logs if e["event"] == "ack_suppressed"]
    assert len(lines) == 1 and lines[0]["reason"] == reason


def test_rate_limit_per_address_and_hour(world: World) -> None:
    """At most `smtp.max_auto_replies_per_hour` automatic mails to one address in an hour."""
    for i in range(7):
        world.receive(request(message_id=f"burst-{i}@interieur.fr.example"),
                      now=T0 + timedelta(minutes=i))
    assert len(world.outbox()) == 5
    reasons = [e.data["reason"] for e in world.events("ack_suppressed")]
    assert reasons == ["rate_limited", "rate_limited"]
    world.receive(request(message_id="later@interieur.fr.example"),
                  now=T0 + timedelta(minutes=60, seconds=1))
    assert len(world.outbox()) == 6  # the first ack left the window


def test_pings_and_reminders_do_not_use_up_a_partners_reply_allowance(world: World) -> None:
    """Mail the desk plans by itself (a ping round) is not counted against the limit."""
    with transaction(world.sessions) as s:
        for i in range(5):
            enqueue(s, Draft(key=f"ping:{i}", purpose=PING, to=[FR], subject="Ping",
                             text="ping", auto_submitted="auto-generated"),
                    official_address=OFFICIAL, from_name="Desk", now=T0)
    world.receive(request(), now=T0 + timedelta(minutes=1))
    acks = [row for row in world.outbox() if row.purpose == ACK]
    assert len(acks) == 1
    assert world.events("ack_suppressed") == []


def test_human_reply_history_and_sent_mail_get_nothing_and_no_event(world: World) -> None:
    """A follow-up in a case, history imported on a first run, and the Sent folder are silent."""
    world.receive(request())  # opens WK-2026-00001: its one acknowledgement
    world.receive(request(kind="reply", should_acknowledge=False,
                         message_id="re@interieur.fr.example"), case_ref="WK-2026-00001")
    world.receive(request(message_id="old@interieur.fr.example"), live=False)
    world.receive(request(from_addr=OPERATOR, message_id="s@ncc.gov.example"), role="sent")
    assert [row.purpose for row in world.outbox()] == [ACK]
    assert world.events("ack_suppressed") == []


def test_request_without_a_case_is_recorded_as_suppressed(world: World) -> None:
    """A request the pipeline could not attach to a case gets no ack, with reason no_case."""
    world.receive(request(), open_case=False)
    assert world.outbox() == []
    assert [e.data["reason"] for e in world.events("ack_suppressed")] == ["no_case"]


def test_planning_twice_for_one_message_plans_one_mail(
    world: World, sessions: sessionmaker[Session],
) -> None:
    """The ack's key is per message: planning again (a retried transaction) adds nothing."""
    message_id = world.receive(request())
    with transaction(sessions) as s:
        message = s.get(Message, message_id)
        case = s.scalar(select(Case))
        assert message is not None and case is not None
        plan_replies(s, Env(world.settings, world.directory, T0 + timedelta(seconds=5)),
                     Incoming(message=message, parsed=request(), case=case,
                              opened=False, live=True, folder_role="inbox"), move=move)
    assert len(world.outbox()) == 1


def test_bounce_of_our_ack_marks_it_bounced_links_the_case_and_alerts_once(world: World) -> None:
    """A DSN about our acknowledgement: the mail is `bounced`, the DSN joins the case, and
    the operators are told once which partner's address bounced, why, and the number to
    call at the partner's hour (22:00 in Paris: the after-hours number)."""
    world.receive(request())
    [ack] = world.outbox()
    evening = T0 + timedelta(hours=12)
    report = BounceReport(action="failed", status="5.1.1", diagnostic="550 5.1.1 mailbox unknown",
                          recipients=(FR,), reporting_mta="mx.interieur.fr.example")
    bounce = request(kind="bounce", should_acknowledge=False, from_addr="mailer-daemon@mx.example",
                    message_id="dsn-1@mx.example", subject="Undelivered Mail Returned to Sender",
                    bounced_message_id=ack.message_id,
                    bounce_status="550 5.1.1 mailbox unknown", bounce=report)
    with capture_logs() as logs:
        message_id = world.receive(bounce, open_case=False, now=evening)
    ack, alert = world.outbox()
    assert ack.status == "bounced" and ack.last_error == "bounced: 550 5.1.1 mailbox unknown"
    assert ack.delivery_report is not None and ack.delivery_report["status"] == "5.1.1"
    assert alert.purpose == OPERATOR_ALERT and alert.recipients == [OPERATOR]
    assert alert.subject == ("[watchkeeper] acknowledgement to FR bounced: "
                             "550 5.1.1 mailbox unknown [WK-2026-00001]")
    assert mail_of(alert)["Auto-Submitted"] == "auto-generated"
    text = " ".join(body_of(alert).split())
    assert ("CALL FR about WK-2026-00001 now: +33 6 00 00 00 11 (after-hours number; "
            "22:00 in Paris, outside office hours Mon-Fri 09:00-18:00)") in text
    assert "Partner: FR: SDLC (primary contact point)" in text
    assert f"To: {FR}" in text and "Remote status: 5.1.1" in text
    assert "Diagnostic: 550 5.1.1 mailbox unknown" in text
    assert "Returned by: mx.interieur.fr.example" in text and "SDLC-2026-118" in text
    with world.sessions() as s:
        dsn = s.get(Message, message_id)
        assert dsn is not None and dsn.case_id == ack.case_id
    [event] = world.events("mail_bounced")
    assert event.case_id == ack.case_id and event.data["status"] == "550 5.1.1 mailbox unknown"
    [alerted] = world.events("operator_alerted")
    assert alerted.data["alert"] == "mail_bounced" and alerted.case_id == ack.case_id
    assert [e.data["reason"] for e in world.events("ack_suppressed")] == ["bounce"]
    assert any(e["event"] == "mail_bounced" for e in logs)
    # A second notice about the same mail changes nothing and alerts nobody again.
    world.receive(request(kind="bounce", should_acknowledge=False,
                          from_addr="postmaster@mx.example", message_id="dsn-2@mx.example",
                          in_reply_to=ack.message_id, bounce=report),
                  open_case=False, now=evening + timedelta(hours=2))
    assert len(world.outbox()) == 2
    assert len(world.events("mail_bounced")) == 1 and len(world.events("operator_alerted")) == 1


def test_a_delay_is_recorded_alerts_nobody_and_a_later_failure_alerts(world: World) -> None:
    """A delay notice leaves our mail `sent` with the delay written on it (when, status,
    reporting system), one `mail_delayed` event and info line, no alert; the final failure
    that follows marks it bounced and alerts once."""
    world.receive(request())
    [ack] = world.outbox()
    with transaction(world.sessions) as s:
        row = s.get(OutboxMail, ack.id)
        assert row is not None
        row.status, row.sent_at = "sent", T0
    delay = BounceReport(action="delayed", status="4.4.1",
                         diagnostic="connect to mx.interieur.fr.example: Connection timed out",
                         recipients=(FR,), reporting_mta="relay.ncc.gov.example")
    with capture_logs() as logs:
        world.receive(request(kind="bounce", should_acknowledge=False,
                             from_addr="mailer-daemon@relay.ncc.gov.example",
                             message_id="delay-1@relay.example", bounced_message_id=ack.message_id,
                             bounce_status="4.4.1", bounce=delay),
                      open_case=False, now=T0 + timedelta(hours=4))
    [ack] = world.outbox()
    assert ack.status == "sent" and ack.delayed_at == T0 + timedelta(hours=4)
    assert ack.delivery_report is not None
    assert ack.delivery_report["status"] == "4.4.1"
    assert ack.delivery_report["reporting_mta"] == "relay.ncc.gov.example"
    [event] = world.events("mail_delayed")
    assert event.case_id == ack.case_id and event.data["status"] == "4.4.1"
    assert world.events("mail_bounced") == [] and world.events("operator_alerted") == []
    assert [e["log_level"] for e in logs if e["event"] == "mail_delayed"] == ["info"]
    failure = BounceReport(action="failed", status="4.4.7", diagnostic="delivery time expired",
                           recipients=(FR,), reporting_mta="relay.ncc.gov.example")
    world.receive(request(kind="bounce", should_acknowledge=False,
                         from_addr="mailer-daemon@relay.ncc.gov.example",
                         message_id="fail-1@relay.example", bounced_message_id=ack.message_id,
                         bounce_status="4.4.7 delivery time expired", bounce=failure),
                  open_case=False, now=T0 + timedelta(days=5))
    ack, alert = world.outbox()
    assert ack.status == "bounced" and alert.purpose == OPERATOR_ALERT
    assert "4.4.7" in alert.subject
    assert len(world.events("operator_alerted")) == 1


def test_bounce_of_an_operator_alert_is_not_alerted_about(world: World) -> None:
    """A bounced alert is marked bounced but never causes another alert (no loop)."""
    world.receive(request())
    [ack] = world.outbox()
    robot = "mailer-daemon@x.example"
    world.receive(request(kind="bounce", should_acknowledge=False, from_addr=robot,
                         message_id="dsn-1@x.example", bounced_message_id=ack.message_id,
                         bounce_status="550 no"), open_case=False)
    alert = world.outbox()[1]
    world.receive(request(kind="bounce", should_acknowledge=False, from_addr=robot,
                         message_id="dsn-2@x.example", references=(alert.message_id,),
                         bounce_status="550 no such operator"), open_case=False)
    rows = world.outbox()
    assert len(rows) == 2 and rows[1].status == "bounced"


def test_execution_started_confirmation_threads_after_the_ack(world: World) -> None:
    """`case start` plans one confirmation to the partner, In-Reply-To our ack, once."""
    world.receive(request(message_id="root@interieur.fr.example"))
    [ack] = world.outbox()
    started = T0 + timedelta(hours=1)
    for _ in range(2):
        with transaction(world.sessions) as s:
            case = s.scalar(select(Case))
            assert case is not None
            case.started_at = started
            case.preservation_expires_at = started + timedelta(days=90)
            plan_execution_started(s, world.settings, world.directory, case, started, "alice")
    rows = world.outbox()
    assert len(rows) == 2
    row = rows[1]
    assert row.key == "WK-2026-00001:execution_started:1" and row.purpose == EXECUTION_STARTED
    msg = mail_of(row)
    assert msg["Subject"] == "Re: [WK-2026-00001] Demande de conservation - Helix Mail"
    assert msg["In-Reply-To"] == f"<{ack.message_id}>"
    assert msg["References"] == f"<root@interieur.fr.example> <{ack.message_id}>"
    assert msg["Auto-Submitted"] == "auto-generated"
    assert row.recipients == [FR]
    body = body_of(row)
    assert "votre demande SDLC-2026-118 (notre référence WK-2026-00001)" in body
    assert "2026-11-24 11:00 CET (UTC+01:00) (votre heure)" in body
    assert "2027-02-22 11:00 CET" in body  # preserved until, in the partner's time
    [event] = world.events("confirmation_queued")
    assert event.actor == "alice"


@pytest.fixture
def override_dir(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "templates"
    folder.mkdir()
    yield folder


def test_templates_dir_overrides_one_file_and_keeps_the_others(
    db_url: str, sessions: sessionmaker[Session], directory: Directory, override_dir: Path,
) -> None:
    """A file in `desk.templates_dir` replaces the built-in one of the same name only."""
    (override_dir / "ack.en.txt").write_text(
        "Subject: Received [{{ ref }}]\n\nLocal wording for {{ ref }} & <{{ provider }}>\n")
    world = World(sessions, make_settings(db_url, templates_dir=str(override_dir)), directory)
    world.receive(request(from_addr=DE, country="DE", message_id="a@bka.de.example"))
    world.receive(request(message_id="b@interieur.fr.example"))
    de_ack, fr_ack = world.outbox()
    assert mail_of(de_ack)["Subject"] == "Received [WK-2026-00001]"
    assert body_of(de_ack) == "Local wording for WK-2026-00001 & <Helix Mail GmbH>\n"
    assert "Notre référence : WK-2026-00002" in body_of(fr_ack)


def test_request_in_an_outgoing_case_is_not_acknowledged(world: World) -> None:
    """A partner's request-like answer inside our own outgoing case gets no ack, with a reason."""
    world.receive(request(message_id="first@interieur.fr.example"))
    with transaction(world.sessions) as s:
        case = s.scalar(select(Case))
        assert case is not None
        case.direction = "outgoing"
        reference = case.reference
    world.receive(request(message_id="second@interieur.fr.example"), case_ref=reference)
    assert len(world.outbox()) == 1
    assert [e.data["reason"] for e in world.events("ack_suppressed")] == ["outgoing_case"]


def test_official_resend_releases_a_held_case(
    db_url: str, sessions: sessionmaker[Session], directory: Directory,
) -> None:
    """ask_resend: when the request comes again from the official address into the held case,
    the hold ends and the official address gets the acknowledgement."""
    world = World(sessions, make_settings(db_url, unverified_sender="ask_resend"), directory)
    world.receive(request(from_addr="j.martin@interieur.fr.example", sender_verified=False))
    assert world.case("WK-2026-00001").status == "held"
    world.receive(request(message_id="again@interieur.fr.example"), case_ref="WK-2026-00001")
    resend, ack = world.outbox()
    assert resend.purpose == RESEND_REQUEST and ack.purpose == ACK
    assert ack.recipients == [FR] and ack.key == "WK-2026-00001:ack:2"
    assert world.case("WK-2026-00001").status == "new"
    assert len(world.events("case_released")) == 1


# --- messages parsed by the real parser from .eml files in tests/data/replies ---------

DATA = Path(__file__).parent / "data" / "replies"


def receive(world: World, name: str) -> None:
    raw = (DATA / name).read_bytes()
    world.receive(parse_message(raw, world.directory), raw=raw)


def test_parsed_official_request_gets_a_french_urgent_ack(world: World) -> None:
    """A French urgent preservation request from the official address: one ack in French
    stating the type, urgency, their reference, two identifiers and the provider."""
    receive(world, "request-fr-official.eml")
    [row] = world.outbox()
    assert row.purpose == ACK and row.recipients == [FR]
    msg = mail_of(row)
    assert msg["Subject"] == ("Re: [WK-2026-00001] URGENT - Demande de conservation de données"
                              " - Réf. SDLC-2026-118")
    assert msg["In-Reply-To"] == "<sdlc-118@interieur.fr.example>"
    body = body_of(row)
    for expected in ("Urgence :               URGENT", "Votre référence :       SDLC-2026-118",
                     "Identifiants :          2", "Fournisseur de service : Helix Mail GmbH",
                     "conservation de données stockées"):
        assert expected in body, expected


def test_parsed_request_from_an_officer_copies_the_official_address(world: World) -> None:
    """From an officer's own address at the partner's domain: ack to the officer, copy to
    the official address, case flagged."""
    receive(world, "request-fr-officer.eml")
    [row] = world.outbox()
    assert row.recipients == ["j.martin@interieur.fr.example", FR]
    assert "unverified_sender" in world.case("WK-2026-00001").flags


@pytest.mark.parametrize(("name", "reason"), [
    ("out-of-office.eml", "auto_reply"),
    ("newsletter.eml", "list_mail"),
])
def test_parsed_robot_mail_is_not_answered(world: World, name: str, reason: str) -> None:
    """Out-of-office and list mail, as parsed, get no mail and one suppression event."""
    receive(world, name)
    assert world.outbox() == []
    assert [e.data["reason"] for e in world.events("ack_suppressed")] == [reason]

