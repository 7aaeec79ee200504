"""Planning outgoing mail: idempotent keys, fixed Message-IDs, loop-stopping headers, rules."""

from __future__ import annotations

import dataclasses
import email
import email.policy
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from structlog.testing import capture_logs

from config.settings import Settings
from daemon.outbound.outbox import (
    Draft,
    enqueue,
    notify_operators,
)
from daemon.outbound.outbox import render as render_mail
from daemon.outbound.templates import (
    TemplateError,
    candidate_languages,
    choose,
    format_local,
    render,
)
from daemon.rules.own import is_our_message_id
from daemon.rules.suppression import (
    AUTO_REPLY,
    LIST_MAIL,
    OWN_MAIL,
    RATE_LIMITED,
    ROBOT_SENDER,
    MailFacts,
    over_rate_limit,
    sender_is_robot,
    suppression_reason,
)
from daemon.store.db import transaction
from models import OutboxMail
from parsers.directory import load_toml
from parsers.message import parse_message

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
OFFICIAL = "poc247@ncc.gov.example"


OUTLOOK_ID = ("AM9PR07MB71870F3D2C1E4B6A8F9D0C1B2A3E4F5D6C7B8A9E0F1D2C3B4A5E6F7A8B9C0D1E2F3"
              "@AM9PR07MB7187.eurprd07.prod.outlook.example")


def _header_lines(raw: bytes, name: str) -> list[bytes]:
    """The physical lines of one header field in raw bytes, continuation lines included."""
    lines = raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    start = next(i for i, line in enumerate(lines) if line.lower().startswith(
        name.lower().encode() + b":"))
    end = start + 1
    while end < len(lines) and lines[end][:1] in (b" ", b"\t"):
        end += 1
    return lines[start:end]


def test_long_message_ids_are_written_as_msg_ids_folded_only_between_ids() -> None:
    """A 120-character Outlook Message-ID answered keeps In-Reply-To and References as plain
    msg-ids in the raw bytes: never RFC 2047 encoded words, never split inside an id."""
    assert len(OUTLOOK_ID) >= 120
    refs = ["root@fr.example", "x" * 40 + "@fr.example", OUTLOOK_ID]
    raw = render_mail(Draft(key="k", purpose="ack", to=["a@fr.example"], subject="Re: x",
                       text="hi\n", in_reply_to=OUTLOOK_ID, references=refs),
                 message_id="wk.0123@ncc.gov.example", mail_from=OFFICIAL, from_name="Desk",
                 at=T0)
    assert b"=?" not in raw.split(b"\r\n\r\n", 1)[0]
    assert _header_lines(raw, "In-Reply-To") == [b"In-Reply-To: <" + OUTLOOK_ID.encode() + b">"]
    folded = _header_lines(raw, "References")
    assert len(folded) > 1  # too long for one line: folded, and only between ids
    tokens = b" ".join(line.strip() for line in folded).removeprefix(b"References: ").split()
    assert tokens == [f"<{r}>".encode() for r in refs]
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg["In-Reply-To"] == f"<{OUTLOOK_ID}>"


@pytest.mark.parametrize("bad", ["a b@x.example", "a\r\nBcc: victim@x.example", "a<b>@x", ""])
def test_message_ids_that_are_not_msg_ids_are_never_written(bad: str) -> None:
    """An id with blanks, angle brackets or a line break (a header injection from a forged
    Message-ID) is left out of In-Reply-To and References instead of being written."""
    raw = render_mail(Draft(key="k", purpose="ack", to=["a@fr.example"], subject="Re: x",
                       text="hi\n", in_reply_to=bad, references=[bad, "ok@fr.example"]),
                 message_id="wk.0123@ncc.gov.example", mail_from=OFFICIAL, from_name="Desk",
                 at=T0)
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert b"Bcc" not in head and b"In-Reply-To" not in head
    assert _header_lines(raw, "References") == [b"References: <ok@fr.example>"]


def test_enqueue_is_idempotent_on_the_key_and_fixes_the_message_id(
    sessions: sessionmaker[Session],
) -> None:
    """Planning the same key twice keeps the first row: same Message-ID, same bytes."""
    draft = Draft(key="WK-2026-00001:ack:7", purpose="ack", to=["a@fr.example"],
                  subject="Re: x", text="hello\n", in_reply_to="their@fr.example",
                  references=["root@fr.example"])
    with transaction(sessions) as s:
        first = enqueue(s, draft, official_address=OFFICIAL, from_name="Desk", now=T0)
        first_id, first_raw = first.message_id, first.raw
    with transaction(sessions) as s:
        again = enqueue(s, draft, official_address=OFFICIAL, from_name="Desk", now=T0)
        assert again.message_id == first_id and again.raw == first_raw
    with sessions() as s:
        assert len(s.scalars(select(OutboxMail)).all()) == 1
    msg = email.message_from_bytes(first_raw, policy=email.policy.default)
    assert msg["Message-ID"] == f"<{first_id}>"
    assert is_our_message_id(first_id, OFFICIAL)
    assert msg["In-Reply-To"] == "<their@fr.example>"
    assert msg["References"] == "<root@fr.example> <their@fr.example>"
    assert msg["Auto-Submitted"] == "auto-replied"
    assert msg["X-Auto-Response-Suppress"] == "All"
    assert msg["X-Loop"] == OFFICIAL


def test_mail_without_recipient_is_refused_with_its_key(sessions: sessionmaker[Session]) -> None:
    """A draft with no address is an error naming the mail, and nothing is planned."""
    with pytest.raises(ValueError, match="WK-2026-00001:ack:1"), transaction(sessions) as s:
        enqueue(s, Draft(key="WK-2026-00001:ack:1", purpose="ack", to=[""], subject="s",
                         text="t"), official_address=OFFICIAL, from_name="Desk", now=T0)
    with sessions() as s:
        assert s.scalars(select(OutboxMail)).all() == []


def test_operator_alerts_go_to_the_operators_as_auto_generated(
    sessions: sessionmaker[Session],
) -> None:
    """notify_operators plans one auto-generated mail to `desk.operators`, once per key."""
    settings = Settings(desk={"official_address": OFFICIAL,
                              "operators": ["a@ncc.gov.example", "b@ncc.gov.example"]})
    for _ in range(2):
        with transaction(sessions) as s:
            notify_operators(s, settings, T0, key="quarantine:12", subject="Quarantined",
                             text="Message 12 could not be read.\n")
    with sessions() as s:
        [row] = s.scalars(select(OutboxMail)).all()
    assert row.recipients == ["a@ncc.gov.example", "b@ncc.gov.example"]
    assert row.purpose == "operator_alert"
    msg = email.message_from_bytes(row.raw, policy=email.policy.default)
    assert msg["Auto-Submitted"] == "auto-generated"


@pytest.mark.parametrize(("mid", "ours"), [
    ("wk.0f3a@ncc.gov.example", True),
    ("<WK.0F3A@NCC.GOV.EXAMPLE>", True),
    ("wk.0f3a@ncc.gov.example.evil.example", False),
    ("0f3a@ncc.gov.example", False),
    (None, False),
])
def test_our_message_ids_are_recognised(mid: str | None, ours: bool) -> None:
    """Only `wk.<hex>@<our domain>` counts as ours, with or without brackets, any case."""
    assert is_our_message_id(mid, OFFICIAL) is ours


@pytest.mark.parametrize(("facts", "reason"), [
    (MailFacts(kind="request", from_addr="a@fr.example"), None),
    (MailFacts(kind="auto_reply", from_addr="a@fr.example"), AUTO_REPLY),
    (MailFacts(kind="request", from_addr="a@fr.example", header_auto_signals=("precedence",)),
     AUTO_REPLY),
    (MailFacts(kind="request", from_addr="a@fr.example", auto_signals=("body: automatic",)),
     None),
    (MailFacts(kind="request", from_addr="a@fr.example", is_list=True), LIST_MAIL),
    (MailFacts(kind="request", from_addr="a@fr.example", x_loop=f"<{OFFICIAL}>"), OWN_MAIL),
    (MailFacts(kind="request", from_addr="listname-bounces@lists.example"), ROBOT_SENDER),
    (MailFacts(kind="request", from_addr="do-not-reply@fr.example"), ROBOT_SENDER),
    (MailFacts(kind="request", from_addr="noreply+x@fr.example"), ROBOT_SENDER),
    (MailFacts(kind="request", from_addr="norbert@fr.example"), None),
])
def test_suppression_rules_in_table_order(facts: MailFacts, reason: str | None) -> None:
    """The routing table answers the first reason that forbids an automatic answer."""
    assert suppression_reason(facts, OFFICIAL) == reason


def test_rate_limit_rule_and_robot_rule_are_pure() -> None:
    """The rate limit fires at the limit, not before; a person's name is not a robot."""
    assert over_rate_limit(4, 5) is None
    assert over_rate_limit(5, 5) == RATE_LIMITED
    assert sender_is_robot(MailFacts(from_addr="postmaster@x.example"), OFFICIAL) == ROBOT_SENDER
    assert sender_is_robot(MailFacts(from_addr="post.master@x.example"), OFFICIAL) is None


def test_facts_are_read_from_the_typed_parse_result() -> None:
    """MailFacts takes the parser's fields and header facts as they are: the sender in
    lower case, msg-ids as the parser cleaned them, the identifiers counted."""
    raw = (b"From: A@FR.example\r\nTo: poc247@ncc.gov.example\r\nSubject: Preservation\r\n"
           b"Message-ID: <x@fr.example>\r\nReferences: <r@fr.example>\r\n"
           b"X-Loop: someone@fr.example\r\n\r\nPlease preserve 198.51.100.7.\r\n")
    parsed = parse_message(raw)
    facts = MailFacts.of(parsed)
    assert facts.from_addr == "a@fr.example" and facts.message_id == "x@fr.example"
    assert facts.references == ("r@fr.example",) and facts.x_loop == "someone@fr.example"
    assert facts.kind == parsed.kind and facts.identifier_count == len(parsed.identifiers)
    assert not facts.is_list and facts.header_auto_signals == () and not facts.null_return_path


def test_language_is_the_partners_first_available_then_the_default() -> None:
    """French partner: French file; German-speaking partner: English; unknown: default."""
    directory = load_toml(b"""
[[contact_points]]
country = "FR"
authority = "A"
role = "primary"
emails = ["a@fr.example"]
office_phone = "+33 1 49 00 00 11"
timezone = "Europe/Paris"
office_hours = "24/7"
languages = ["fr", "en"]

[[contact_points]]
country = "AT"
authority = "B"
role = "primary"
emails = ["b@at.example"]
office_phone = "+43 1 000 00 00"
timezone = "Europe/Vienna"
office_hours = "24/7"
languages = ["de"]
""")
    settings = Settings(desk={"default_language": "en"})
    assert candidate_languages(settings, directory, "FR") == ("fr", "en")
    assert choose(settings, "ack", candidate_languages(settings, directory, "FR")) == (
        "ack.fr.txt", "fr")
    assert choose(settings, "ack", candidate_languages(settings, directory, "AT")) == (
        "ack.en.txt", "en")
    assert choose(settings, "ack", candidate_languages(settings, directory, None)) == (
        "ack.en.txt", "en")
    with pytest.raises(TemplateError, match="no template 'nothing'"):
        render(settings, "nothing")


def test_local_times_name_the_zone_and_offset() -> None:
    """Times are shown in the reader's zone with its abbreviation and UTC offset."""
    from zoneinfo import ZoneInfo

    assert format_local(T0, ZoneInfo("Europe/Paris")) == "2026-11-28 10:00 CET (UTC+01:00)"
    assert format_local(T0, ZoneInfo("America/Santiago")) == "2026-11-28 06:00 UTC-03:00"
    assert format_local(T0, ZoneInfo("UTC")) == "2026-11-28 09:00 UTC (UTC+00:00)"


@pytest.mark.parametrize(("headers", "reason"), [
    ("Auto-Submitted: auto-replied\n", AUTO_REPLY),
    ("Auto-Submitted: no\n", None),
    ("Precedence: bulk\n", AUTO_REPLY),
    ("X-Autoreply: yes\n", AUTO_REPLY),
    ("List-Id: <cyber.lists.example>\n", LIST_MAIL),
    ("Precedence: list\n", LIST_MAIL),
    (f"X-Loop: {OFFICIAL}\n", OWN_MAIL),
    ("Return-Path: <>\n", ROBOT_SENDER),
    ("Return-Path: <a@fr.example>\n", None),
])
def test_loop_headers_count_even_when_the_classifier_missed_them(
    headers: str, reason: str | None,
) -> None:
    """RFC 3834 header fields in the raw message suppress the answer whatever the parser said."""
    raw = (f"From: a@fr.example\nTo: {OFFICIAL}\nSubject: Preservation\n{headers}\nBody\n"
           ).encode()
    # What a classifier that missed every signal would say of it.
    missed = dataclasses.replace(parse_message(raw), kind="request", auto_signals=(),
                                 is_list=False)
    assert suppression_reason(MailFacts.of(missed), OFFICIAL) == reason


def test_a_broken_override_falls_back_to_the_built_in_template(tmp_path: Path) -> None:
    """A syntax error in `desk.templates_dir` is logged with the file and line, and the
    built-in template answers instead."""
    (tmp_path / "ack.en.txt").write_text("Hello {{ ref \n")
    settings = Settings(desk={"templates_dir": str(tmp_path)})
    with capture_logs() as logs:
        rendered = render(settings, "ack", ["en"], ref="WK-2026-00001")
    assert "Our case reference: WK-2026-00001" in rendered.text
    [line] = [e for e in logs if e["event"] == "template_failed"]
    assert "ack.en.txt line 1" in line["error"]
