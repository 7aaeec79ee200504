"""The parser over a realistic generated mailbox, read with the directory and without it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import pytest

from parsers.directory import Directory, load_toml
from parsers.message import parse_message
from parsers.result import TOPICS, ParsedMessage
from tests.data.mailbox.generate import DIRECTORY, OUTCOMES, Item, generate


@dataclass(frozen=True)
class Read:
    """One generated message and the parser's two answers for it."""

    item: Item
    with_directory: ParsedMessage
    without: ParsedMessage

    def both(self) -> tuple[ParsedMessage, ParsedMessage]:
        return self.with_directory, self.without


@pytest.fixture(scope="module")
def directory() -> Directory:
    return load_toml(DIRECTORY.read_bytes())


@pytest.fixture(scope="module")
def mailbox(directory: Directory) -> list[Read]:
    return [Read(it, parse_message(it.raw, directory), parse_message(it.raw))
            for it in generate(seed=2026, size=300)]


def of(mailbox: list[Read], *outcomes: str) -> list[Read]:
    return [r for r in mailbox if r.item.outcome in outcomes]


def where(read: Read) -> str:
    return f"#{read.item.index} {read.item.shape} from {read.item.sender}"


def test_the_mailbox_is_varied_and_deterministic() -> None:
    """The same seed gives the same mailbox; it holds a few hundred messages of every outcome,
    in many languages and every MIME shape, and a different seed gives different mail."""
    items = generate(seed=2026, size=300)
    assert [i.raw for i in items] == [i.raw for i in generate(seed=2026, size=300)]
    assert [i.raw for i in items] != [i.raw for i in generate(seed=2027, size=300)]
    assert 250 <= len(items) <= 350
    assert set(Counter(i.outcome for i in items)) == set(OUTCOMES)
    requests = [i for i in items if i.outcome == "partner_request"]
    assert {"en", "fr", "de", "es", "it", "pl", "pt", "nl"} <= {i.language for i in requests}
    assert len({i.language for i in requests}) >= 12
    shapes = {i.shape.split("/")[2] for i in requests}
    assert {"8bit", "quoted-printable", "base64", "html", "alternative", "forward", "rfc822",
            "pdf"} <= shapes
    assert any(s.startswith("iso-8859") for s in shapes)
    assert len({i.raw.split(b"\r\n\r\n", 1)[0].split(b"Subject: ")[1][:30]
                for i in requests}) > len(requests) * 0.6  # subjects differ


def test_every_request_is_seen(mailbox: list[Read]) -> None:
    """Every request, a partner's or a stranger's, is a request or at least reads like one,
    with the directory and without it; where the request's type is known it is found, with
    its urgency and topic."""
    for read in of(mailbox, "partner_request", "stranger_request"):
        it = read.item
        for r in read.both():
            assert r.kind == "request" or r.reads_as_request, where(read)
            if it.kind == "request":
                assert (r.kind, r.request_type, r.urgent, r.topic) == (
                    "request", it.request_type, it.urgent, it.topic), where(read)
                assert r.should_acknowledge and r.reads_as_request


def test_emergencies_in_many_languages(mailbox: list[Read]) -> None:
    """Emergencies from partners and from strangers (parents, schools, helplines), in at
    least eight languages, are urgent emergency disclosure requests without any directory."""
    emergencies = [r for r in of(mailbox, "partner_request", "stranger_request")
                   if r.item.topic == "emergency"]
    assert len({r.item.language for r in emergencies}) >= 8
    assert any(r.item.outcome == "stranger_request" for r in emergencies)
    for read in emergencies:
        for r in read.both():
            assert (r.kind, r.request_type, r.urgent) == (
                "request", "emergency_disclosure", True), where(read)


def test_strangers_other_mail_is_not_a_request(mailbox: list[Read]) -> None:
    """Victims, law firms, journalists, vendors, students, newsletters, invitations and spam
    neither are nor read like requests."""
    others = of(mailbox, "stranger_other")
    assert len({r.item.shape.split("/")[0] for r in others}) >= 10
    for read in others:
        for r in read.both():
            assert r.kind != "request" and not r.reads_as_request, where(read)
            assert r.identifiers == () and r.request_type is None


def test_partners_notices_are_not_requests(mailbox: list[Read]) -> None:
    """A partner's invitation or notice is not a request (the desk tracks it unclassified)."""
    for read in of(mailbox, "partner_other"):
        for r in read.both():
            assert r.kind == "other", where(read)
        assert read.with_directory.sender_verified


def test_robots_are_robots(mailbox: list[Read]) -> None:
    """Out-of-office notices, ticket systems, read receipts, bounces (Exchange NDRs quoting
    our tag included) and list mail are auto-replies, bounces or list mail, never requests."""
    robots = of(mailbox, "robot")
    assert {"ooo", "ooo_bare", "ticket", "read", "dsn", "delay", "qmail", "ndr", "list"} <= {
        r.item.shape.split("/")[0] for r in robots}
    for read in robots:
        for r in read.both():
            if read.item.is_list:
                assert r.is_list and r.kind == "other", where(read)
            else:
                assert r.kind == read.item.kind, where(read)
            assert not r.reads_as_request and r.topic is None


def test_replies_in_a_thread(mailbox: list[Read]) -> None:
    """A partner's thanks, status, question, correction or addendum in the thread of its
    request is a reply (with the topic of a correction or an addendum); an extension or a
    new request sent as a reply stays a request of its type."""
    replies = of(mailbox, "reply_in_thread")
    assert {"thanks", "status", "question", "correction", "addendum", "extension", "new"} <= {
        r.item.shape.split("/")[0] for r in replies}
    for read in replies:
        it = read.item
        assert it.answers is not None and it.answers < it.index
        assert mailbox[it.answers].item.outcome == "partner_request"
        for r in read.both():
            assert r.kind == it.kind, where(read)
            assert r.in_reply_to == mailbox[it.answers].item.ack_message_id
            if it.kind == "request":
                assert r.request_type == it.request_type, where(read)
            else:
                assert r.topic == it.topic and r.identifiers == (), where(read)


def test_the_directory_changes_only_verification(mailbox: list[Read],
                                                directory: Directory) -> None:
    """With and without the directory every message has the same kind, type, urgency, topic
    and reads-like-a-request verdict; a directory address is verified only with it."""
    for read in mailbox:
        a, b = read.both()
        assert (a.kind, a.request_type, a.urgent, a.topic, a.reads_as_request) == (
            b.kind, b.request_type, b.urgent, b.topic, b.reads_as_request), where(read)
        listed = directory.owner_of(read.item.sender) is not None
        assert a.sender_verified is listed and b.sender_verified is False, where(read)
        if read.item.outcome in ("partner_request", "partner_other", "reply_in_thread"):
            assert listed, where(read)
        assert a.topic is None or a.topic in TOPICS


def test_a_reply_can_answer_the_real_acknowledgement(mailbox: list[Read]) -> None:
    """A reply rebuilt for the acknowledgement the desk really sent points at it (In-Reply-To,
    References, the tag in its subject when it has one) and keeps no placeholder."""
    read = next(r for r in of(mailbox, "reply_in_thread")
                if r.item.shape.endswith("/tag") and r.item.kind == "reply")
    request = mailbox[read.item.answers or 0].item
    assert request.ack_message_id and request.case_tag
    raw = read.item.rethreaded("ack-7@ncc.gov.example", "WK-2026-00007")
    assert request.ack_message_id.encode() not in raw and request.case_tag.encode() not in raw
    r = parse_message(raw)
    assert r.in_reply_to == "ack-7@ncc.gov.example" and "ack-7@ncc.gov.example" in r.references
    assert r.case_ref == "WK-2026-00007" and r.kind == "reply"
    assert read.item.rethreaded(request.ack_message_id, request.case_tag) == read.item.raw
