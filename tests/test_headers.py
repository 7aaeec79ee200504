"""parsers/headers.py: the Received chain and Authentication-Results, read from raw headers."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parsers.headers import (
    HeaderFacts,
    ReceivedHop,
    header_values,
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


def test_header_values_reads_only_the_header_section() -> None:
    """header_values returns each value of a field, never text from the body."""
    raw = b"Message-ID: <a@x.example>\r\nSubject: s\r\n\r\nMessage-ID: <body@x.example>\r\n"
    assert header_values(raw, "message-id") == ("<a@x.example>",)
    assert header_values(b"", "Message-ID") == ()


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
