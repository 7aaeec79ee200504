"""parsers/headers.py and parsers/msgids.py: the Received chain, Authentication-Results,
the signals of automatic and list mail and the msg-ids, read from raw headers."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parsers import msgids
from parsers.headers import (
    HeaderFacts,
    ReceivedHop,
    parse_authentication_results,
    parse_received,
    read_headers,
)

DATA = Path(__file__).parent / "data" / "headers"

# file -> Received hops, topmost first: (position, from_helo, from_host, from_ip, by_host)
RECEIVED = {
    "postfix_opendmarc.eml": [
        (3, "smtp-out.ncc.gov.example", "smtp-out.ncc.gov.example", "198.51.100.25",
         "mx.ncc.gov.example")],
    "dovecot_lmtp.eml": [
        (2, "mx.ncc.gov.example", None, "192.0.2.2", "imap.ncc.gov.example"),
        (4, "localhost", "localhost", "127.0.0.1", "mx.ncc.gov.example"),
        (5, "smtp.attacker.example", None, "2001:db8:66::9", "mx.ncc.gov.example")],
    "exim.eml": [
        (0, "relay.police.lu.example", "mail.police.lu.example", "198.51.100.40",
         "mx.ncc.gov.example"),
        (2, "[192.0.2.7]", None, "203.0.113.17", "mail.police.lu.example")],
    "gmail_style.eml": [
        (1, None, None, None, "2001:db8:a05::1"),
        (3, "mail-sor-f41.mail.example", "mail-sor-f41.mail.example", "203.0.113.41",
         "mx.google.example")],
    "forged_below.eml": [
        (0, "relay.outside.example", "relay.outside.example", "203.0.113.5",
         "mx.ncc.gov.example"),
        (1, "helo.claims.ncc.gov.example", "attacker.example", "203.0.113.66",
         "relay.outside.example"),
        (3, "desk-pc.ncc.gov.example", "desk-pc.ncc.gov.example", "192.0.2.10",
         "mail.ncc.gov.example")],
    "exchange_and_qmail.eml": [
        (0, "exhub01.corp.ncc.gov.example", None, "2001:db8:20::11",
         "exmbx02.corp.ncc.gov.example"),
        (2, None, None, None, None),
        (3, "mail.partner.example", None, "203.0.113.200", "exhub01.corp.ncc.gov.example"),
        (4, None, None, None, "mail.partner.example")],
    "no_trace.eml": [],
    "broken.eml": [
        (0, "broken", None, None, None),
        (3, "[not.an.ip]", None, None, None)],
}

# file -> Authentication-Results: (position, authserv-id, ((method, result, {property: value})))
AUTH_RESULTS = {
    "postfix_opendmarc.eml": [
        (1, "mx.ncc.gov.example", (
            ("dkim", "pass", {"header.d": "ncc.gov.example", "header.i": "@ncc.gov.example",
                              "header.b": "bX9+/Qz="}),
            ("dmarc", "pass", {"header.from": "ncc.gov.example"}))),
        (2, "mx.ncc.gov.example", (("spf", "pass", {"smtp.mailfrom": "ncc.gov.example"}),))],
    "dovecot_lmtp.eml": [
        (3, "mx.ncc.gov.example", (
            ("dkim", "fail", {"header.d": "ncc.gov.example"}),
            ("dmarc", "fail", {"header.from": "ncc.gov.example"})))],
    "exim.eml": [(1, "mx.ncc.gov.example", (("spf", "pass", {}),))],
    "gmail_style.eml": [
        (4, "mx.google.example", (
            ("dkim", "pass", {"header.i": "@mail.example", "header.s": "20230601"}),
            ("spf", "pass", {"smtp.mailfrom": "someone@mail.example"}),
            ("dmarc", "pass", {"header.from": "mail.example"})))],
    "forged_below.eml": [
        (2, "mx.ncc.gov.example", (
            ("dmarc", "pass", {"header.from": "ncc.gov.example"}),
            ("dkim", "pass", {"header.d": "ncc.gov.example"})))],
    "exchange_and_qmail.eml": [
        (1, "", (("spf", "pass", {}), ("dkim", "pass", {"header.d": "partner.example"}),
                 ("dmarc", "pass", {"header.from": "partner.example"}),
                 ("compauth", "pass", {})))],
    "no_trace.eml": [],
    "broken.eml": [
        (1, "", ()),
        (2, "mx.ncc.gov.example", (("dmarc", "pass", {"header.from": "ncc.gov.example"}),))],
}


def _hops(facts: HeaderFacts) -> list[tuple[object, ...]]:
    return [(h.position, h.from_helo, h.from_host, h.from_ip, h.by_host) for h in facts.received]


@pytest.mark.parametrize("name", sorted(RECEIVED))
def test_received_chain_of_each_file(name: str) -> None:
    """Each file's Received fields are read topmost first, with what each server saw."""
    assert _hops(read_headers((DATA / name).read_bytes())) == RECEIVED[name]


@pytest.mark.parametrize("name", sorted(AUTH_RESULTS))
def test_authentication_results_of_each_file(name: str) -> None:
    """Each file's Authentication-Results fields give authserv-id, results and properties."""
    facts = read_headers((DATA / name).read_bytes())
    found = facts.authentication_results
    assert [(ar.position, ar.authserv_id) for ar in found] == [
        (p, a) for p, a, _ in AUTH_RESULTS[name]]
    for ar, (_, _, expected) in zip(found, AUTH_RESULTS[name], strict=True):
        assert [(r.method, r.result) for r in ar.results] == [(m, r) for m, r, _ in expected]
        for result, (_, _, props) in zip(ar.results, expected, strict=True):
            for key, value in props.items():
                assert result.prop(key) == value, (name, result.method, key)


def test_every_field_kept_in_order_and_unfolded() -> None:
    """All fields are kept in their written order with their folding removed."""
    facts = read_headers((DATA / "postfix_opendmarc.eml").read_bytes())
    assert [f.key for f in facts.fields] == [
        "return-path", "authentication-results", "authentication-results", "received",
        "dkim-signature", "from", "to", "subject", "message-id"]
    assert "\n" not in facts.fields[3].value and "(Postfix) with ESMTPS" in facts.fields[3].value
    assert facts.values("FROM") == ("Duty Officer <duty.officer@ncc.gov.example>",)


@pytest.mark.parametrize("value,authserv,version,results", [
    ("mx.ncc.gov.example; none", "mx.ncc.gov.example", None, []),
    ("mx.ncc.gov.example 1; dkim=pass header.d=a.example", "mx.ncc.gov.example", 1,
     [("dkim", "pass", "header.d", "a.example")]),
    ('"mx.ncc.gov.example"; dmarc = pass header.from = "ncc.gov.example"',
     "mx.ncc.gov.example", None, [("dmarc", "pass", "header.from", "ncc.gov.example")]),
    ("MX.NCC.gov.example (our MX; comment) ; DKIM=Pass (good; key) header.d=B.example",
     "mx.ncc.gov.example", None, [("dkim", "pass", "header.d", "B.example")]),
    ('mx.example; dkim/1=pass reason="good; sig" header.i=@c.example',
     "mx.example", None, [("dkim", "pass", "header.i", "@c.example")]),
    ("spf=pass smtp.mailfrom=x.example; dmarc=fail header.from=x.example", "", None,
     [("spf", "pass", "smtp.mailfrom", "x.example"),
      ("dmarc", "fail", "header.from", "x.example")]),
    ("mx.example; dmarc; =pass; dkim=", "mx.example", None, []),
    ("", "", None, []),
])
def test_authentication_results_values(
    value: str, authserv: str, version: int | None, results: list[tuple[str, str, str, str]]
) -> None:
    """RFC 8601 values: comments and quotes, version, missing authserv-id, junk parts."""
    found = parse_authentication_results(value, 7)
    assert (found.position, found.authserv_id, found.version) == (7, authserv, version)
    assert [(r.method, r.result, k, r.prop(k)) for r, (_, _, k, _) in
            zip(found.results, results, strict=True)] == results


@pytest.mark.parametrize("value,expected", [
    # Postfix: the HELO name, then the name it looked up and the address in parentheses.
    ("from helo.example (mail.example [192.0.2.1]) by mx.example with ESMTPS id A; date",
     ("helo.example", "mail.example", "192.0.2.1", "mx.example", "ESMTPS")),
    ("from helo.example (unknown [IPv6:2001:db8::7]) by mx.example",
     ("helo.example", None, "2001:db8::7", "mx.example", None)),
    # A comment glued to the HELO name is the sending host's text, not the server's.
    ("from x([192.0.2.10])y (unknown [203.0.113.66]) by mx.example",
     ("x([192.0.2.10])y", None, "203.0.113.66", "mx.example", None)),
    ("from [192.0.2.10] (unknown [203.0.113.66]) by mx.example",
     ("[192.0.2.10]", None, "203.0.113.66", "mx.example", None)),
    # Sendmail's doubt about the looked-up name drops the name.
    ("from h.example (n.example [203.0.113.4] (may be forged)) by mx.example",
     ("h.example", None, "203.0.113.4", "mx.example", None)),
    # Exim: its name for the host first, the HELO name last inside the parentheses.
    ("from n.example ([203.0.113.66] helo=x)([192.0.2.10]) by mx.example with esmtp",
     ("x", "n.example", "203.0.113.66", "mx.example", "esmtp")),
    ("from [203.0.113.17] (port=52114 helo=[192.0.2.7]) by mx.example",
     ("[192.0.2.7]", None, "203.0.113.17", "mx.example", None)),
    # qmail: the address is the last comment, whatever the HELO name holds.
    ("from unknown (HELO x) ([192.0.2.10]) (203.0.113.200) by mx.example with SMTP; d",
     ("x", None, "203.0.113.200", "mx.example", "SMTP")),
    # Exchange writes the address bare.
    ("from EX1.example (2001:db8::1) by EX2.example (2001:db8::2) with Microsoft SMTP",
     ("ex1.example", None, "2001:db8::1", "ex2.example", "Microsoft")),
    # Without an address in parentheses nothing is believed about the sending host.
    ("from [192.0.2.10] by mx.example", ("[192.0.2.10]", None, None, "mx.example", None)),
    ("by mx.example (Postfix, from userid 0) id 3; Sat, 28 Nov 2026",
     (None, None, None, "mx.example", None)),
    ("(qmail 4242 invoked from network); 28 Nov 2026", (None, None, None, None, None)),
    ("", (None, None, None, None, None)),
])
def test_received_values(value: str, expected: tuple[str | None, ...]) -> None:
    """Received values in each server's dialect give HELO name, looked-up name, address."""
    hop = parse_received(value, 0)
    assert (hop.from_helo, hop.from_host, hop.from_ip, hop.by_host, hop.protocol) == expected


def test_hop_without_from_is_inside_one_server() -> None:
    """A hop with no from part says so, and every hop describes itself in one line."""
    assert not parse_received("by mx.example id 3; date").has_from
    hop = ReceivedHop(position=0, from_helo="h", from_host="n.example", from_ip="192.0.2.1",
                      by_host="mx.example")
    assert hop.has_from and hop.describe() == "from n.example [192.0.2.1] at mx.example"


def test_header_facts_come_from_the_header_section_only() -> None:
    """Field values and msg-ids are read from the header section, never from the body."""
    raw = b"Message-ID: <a@x.example>\r\nSubject: s\r\n\r\nMessage-ID: <body@x.example>\r\n"
    facts = read_headers(raw)
    assert facts.values("message-id") == ("<a@x.example>",)
    assert facts.message_id == "a@x.example"
    assert read_headers(b"").values("Message-ID") == () and read_headers(b"").message_id is None


# header lines -> (auto_signals, is_list, x_loop, null_return_path)
MAIL_FACTS = [
    ("Auto-Submitted: auto-replied\n", ("auto-submitted: auto-replied",), False, (), False),
    ("Auto-Submitted: Auto-Generated; owner-email=x@y.example\n",
     ("auto-submitted: auto-generated; owner-email=x@y.example",), False, (), False),
    ("Auto-Submitted: no\n", (), False, (), False),
    ("Precedence: bulk\n", ("precedence: bulk",), False, (), False),
    ("Precedence: junk\n", ("precedence: junk",), False, (), False),
    ("Precedence: auto_reply\n", ("precedence: auto_reply",), False, (), False),
    ("Precedence: list\n", (), True, (), False),
    ("X-Autoreply: yes\nX-Autorespond: x\n", ("x-autoreply", "x-autorespond"), False, (),
     False),
    ("X-Auto-Reply: \nX-Autogenerated: Reply\n", ("x-auto-reply", "x-autogenerated"), False,
     (), False),
    ("List-Id: Cyber <cyber.lists.example>\n", (), True, (), False),
    ("List-Unsubscribe: <mailto:u@lists.example>\n", (), True, (), False),
    ("X-Loop: poc247@ncc.gov.example\nX-Loop:  other@x.example \n", (), False,
     ("poc247@ncc.gov.example", "other@x.example"), False),
    ("Return-Path: <>\n", (), False, (), True),
    ("Return-Path: <a@fr.example>\n", (), False, (), False),
    ("", (), False, (), False),
]


@pytest.mark.parametrize(("lines", "signals", "is_list", "x_loop", "null_path"), MAIL_FACTS)
def test_automatic_and_list_mail_signals(lines: str, signals: tuple[str, ...], is_list: bool,
                                         x_loop: tuple[str, ...], null_path: bool) -> None:
    """RFC 3834 signals, list fields, X-Loop and a null Return-Path are read as the desk
    records them."""
    facts = read_headers(f"From: a@fr.example\nSubject: s\n{lines}\nbody\n".encode())
    assert facts.auto_signals == signals
    assert facts.is_list is is_list
    assert facts.x_loop == x_loop
    assert facts.null_return_path is null_path


def test_list_and_suppress_fields_are_named() -> None:
    """The list fields present, the List-Id and X-Auto-Response-Suppress are kept as facts."""
    facts = read_headers(b"List-Id: Cyber <cyber.lists.example>\nList-Post: <mailto:p@l.example>\n"
                         b"X-Auto-Response-Suppress: DR, OOF, AutoReply\n\nbody\n")
    assert facts.list_fields == ("list-id", "list-post")
    assert facts.list_id == "Cyber <cyber.lists.example>"
    assert facts.auto_response_suppress == ("dr, oof, autoreply",)


def test_an_abuse_report_is_known_by_its_content_type() -> None:
    """multipart/report with report-type=feedback-report is an abuse report; another report
    type is not."""
    arf = b'Content-Type: multipart/report; report-type="feedback-report"; boundary=b\n\n--b--\n'
    dsn = arf.replace(b"feedback-report", b"delivery-status")
    assert read_headers(arf).feedback_report
    assert not read_headers(dsn).feedback_report
    assert not read_headers(b"Content-Type: multipart/report; report-type=(\n\n").feedback_report


def test_threading_msg_ids_are_cleaned() -> None:
    """Message-ID, In-Reply-To and References lose their brackets and folding; several
    References fields are read as one list."""
    facts = read_headers(b"Message-ID:\r\n <m@x.example>\r\n"
                         b"In-Reply-To: <p@x.example> (a comment)\r\n"
                         b"References: <r1@x.example>\r\n\t<r2@x.example>\r\n"
                         b"References: <r3@x.example>\r\n\r\n")
    assert facts.message_id == "m@x.example" and facts.in_reply_to == "p@x.example"
    assert facts.references == ("r1@x.example", "r2@x.example", "r3@x.example")


@pytest.mark.parametrize(("value", "cleaned"), [
    (" <a@x> ", ("a@x",)),
    ("<a@x> <b@y>", ("a@x", "b@y")),
    ("a@x", ("a@x",)),
    ("<a@x", ("a@x",)),
    ("two words", ()),
    ("", ()),
    (None, ()),
])
def test_one_msg_id_cleaner(value: str | None, cleaned: tuple[str, ...]) -> None:
    """Every msg-id in a value without brackets; one bare word counts, prose does not."""
    assert msgids.all_in(value) == cleaned
    assert msgids.clean(value) == (cleaned[0] if cleaned else None)


def test_quoted_msg_ids_of_one_domain_anywhere_in_the_message() -> None:
    """The scan finds each msg-id at the domain once, in lower case, in header or body,
    and none of other domains or of a domain that only ends the same way."""
    raw = (b"Subject: x\r\nIn-Reply-To: <WK.0123@NCC.gov.example>\r\n\r\n"
           b"> Message-ID: <wk.0123@ncc.gov.example>\r\n<a@other.example> <b@xncc.gov.example>"
           b" <c@ncc.gov.example>\r\n")
    assert msgids.quoted(raw, "ncc.gov.example") == ("wk.0123@ncc.gov.example",
                                                       "c@ncc.gov.example")
    assert msgids.quoted(raw, "") == () and msgids.quoted(None, "ncc.gov.example") == ()


def test_bytes_that_are_not_utf8_become_replacement_characters() -> None:
    """Bytes that are not UTF-8 in a header never reach a fact as lone surrogates."""
    facts = read_headers((DATA / "broken.eml").read_bytes())
    junk = facts.values("X-Junk")[0]
    assert "\ufffd" in junk and "\U0001f600" in junk
    assert all(ord(c) < 0xD800 or ord(c) > 0xDFFF for f in facts.fields for c in f.value)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.binary(max_size=2000))
def test_read_headers_never_raises_on_random_bytes(raw: bytes) -> None:
    """Any bytes give header facts, never an exception."""
    assert isinstance(read_headers(raw), HeaderFacts)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.text(alphabet=st.sampled_from(list('()[]";=\\. \t@:abcfromby0123456789')),
               max_size=300))
def test_field_parsers_never_raise_on_hostile_text(value: str) -> None:
    """Unbalanced comments, quotes and brackets give an emptier fact, never an exception."""
    assert parse_received(value, 1).position == 1
    assert parse_authentication_results(value, 2).position == 2
