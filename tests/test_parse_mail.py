"""Parser behaviour on the test mail in tests/data/parse, one line per message."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from parsers.directory import Directory, load_toml
from parsers.message import parse_message
from parsers.result import TOPICS, ParsedMessage

DATA = Path(__file__).resolve().parent / "data" / "parse"


@pytest.fixture(scope="module")
def directory() -> Directory:
    return load_toml((DATA / "directory.toml").read_bytes())


def parse(name: str, directory: Directory) -> ParsedMessage:
    return parse_message((DATA / name).read_bytes(), directory)


def ids(r: ParsedMessage) -> dict[tuple[str, str], str | None]:
    return {(i.type, i.value): (i.timestamp.isoformat() if i.timestamp else None)
            for i in r.identifiers}


# file, expected field values (only the fields named are checked)
CASES: list[tuple[str, dict[str, Any]]] = [
    ("pl-preservation-template-urgent.eml", dict(
        kind="request", request_type="preservation", urgent=True, country="PL",
        sender_verified=True, their_reference="CBZC-II-0311/2026", provider="PostBox Sp. z o.o.",
        language="pl")),
    ("ro-traffic-disclosure-wrong-charset.eml", dict(
        kind="request", request_type="traffic_disclosure", urgent=False, country="RO",
        their_reference="DCCI-5521/2026", provider="Carpathia Hosting SRL", language="ro")),
    ("tr-emergency-acil.eml", dict(
        kind="request", request_type="emergency_disclosure", urgent=True, country="TR",
        their_reference="SSM-2026-7781", provider="Kumo Social K.K.", language="tr")),
    ("pt-stored-data-alternative.eml", dict(
        kind="request", request_type="stored_data", urgent=False, country="PT",
        their_reference="0456/26.9JGLSB", provider="Mercado Hosting Lda.", language="pt")),
    ("es-information-question.eml", dict(
        kind="request", request_type="information", urgent=False, country="ES",
        their_reference="UCC-2026-4410", identifiers={}, language="es")),
    ("us-preservation-month-first.eml", dict(
        kind="request", request_type="preservation", country="US", sender_verified=False,
        their_reference="FBI-CY-2026-00123", provider="Nordvik Forum AB", language="en")),
    ("it-reply-outlook-quoted.eml", dict(
        kind="reply", case_ref=None, their_reference="CNAIPIC-2026-5512", identifiers={},
        country="IT", language="it", should_acknowledge=False)),
    ("sv-preservation-latin1-qp.eml", dict(
        kind="request", request_type="preservation", urgent=True, country="SE",
        sender_verified=True, their_reference="5000-K123456-26", language="sv")),
    ("cs-preservation-iso8859-2.eml", dict(
        kind="request", request_type="preservation", urgent=False, country="CZ",
        sender_verified=True, language="cs")),
    ("ru-preservation-koi8r-base64.eml", dict(
        kind="request", request_type="preservation", urgent=True, country=None,
        sender_verified=False, their_reference=None, language="ru")),
    ("fi-preservation-klo-time.eml", dict(
        kind="request", request_type="preservation", country="FI", language="fi")),
    ("sk-extension-our-earlier-request.eml", dict(
        kind="request", request_type="preservation_extension", case_ref="WK-2026-00042",
        their_reference=None, previous_reference="PPZ-NCA-2026/445", language="sk")),
    ("de-html-office-reference.eml", dict(
        kind="request", request_type="preservation", urgent=True, country="DE",
        their_reference="ST 45-2026/1123", language="de")),
    ("lt-account-on-platform.eml", dict(
        kind="request", request_type="preservation", country="LT", provider="Telegram",
        language="lt")),
    ("fr-forward-inline-request.eml", dict(
        kind="request", request_type="preservation", country="FR", sender_verified=False,
        their_reference="OFAC-26-0420", provider="Nordvik Forum AB",
        forwarded_by="j.martin@interieur.fr.example", language="fr")),
    ("de-out-of-office-body-only.eml", dict(
        kind="auto_reply", case_ref="WK-2026-00081", country="DE", sender_verified=False,
        auto_signals=("body:out-of-office",), should_acknowledge=False)),
    ("bounce-qmail-failure-notice.eml", dict(
        kind="bounce", case_ref=None, country=None,
        bounced_message_id="ack-WK-2026-00090@ncc.gov.example", bounce_status="5.1.1")),
    ("bounce-dsn-delay-headers.eml", dict(
        kind="bounce", case_ref=None, bounced_message_id="ack-WK-2026-00095@ncc.gov.example",
        bounce_status="4.4.7 smtp; 421 try again later")),
    ("es-read-receipt.eml", dict(kind="auto_reply", case_ref="WK-2026-00101", country="ES")),
    ("list-advisory.eml", dict(kind="other", is_list=True, identifiers={},
                               should_acknowledge=False)),
    ("ro-ping-reply-bottom-posted.eml", dict(kind="ping_reply", ping_token="PING-2026-H2-7F3A",
                                             country="RO", language="ro")),
    ("es-reply-token-only-quoted.eml", dict(kind="reply", ping_token=None, language="es")),
    ("nl-extension-pdf-template.eml", dict(
        kind="request", request_type="preservation_extension", urgent=False, country="NL",
        their_reference="THTC-2026-0777", previous_reference="THTC-2026-0412",
        provider="PostBox Sp. z o.o.", language="en")),
    ("jp-preservation-docx-iso2022jp.eml", dict(
        kind="request", request_type="preservation", country="JP",
        their_reference="NPA-C-2026-0015", provider="Aurora Streaming Oy", language="ja")),
    ("es-no-charset-latin1-raw-header.eml", dict(
        kind="request", request_type="preservation", urgent=True, country="ES",
        subject="Conservación urgente – UCC-2026-4500", their_reference="UCC-2026-4500",
        language="es")),
    ("broken-boundary.eml", dict(kind="other", error=None)),
    ("empty-body.eml", dict(kind="other", language=None, date=None, error=None)),
    ("pl-calendar-invitation.eml", dict(kind="other", country="PL", should_acknowledge=False)),
    ("de-spoofed-lookalike.eml", dict(kind="other", country=None, sender_verified=False,
                                      urgent=False)),
    ("nl-preservation-html-only.eml", dict(
        kind="request", request_type="preservation", country="NL",
        their_reference="THTC-2026-0801", provider="Brightwave Hosting Ltd", language="nl")),
    ("pt-template-portuguese-labels.eml", dict(
        kind="request", request_type="preservation", urgent=False, country="PT",
        their_reference="PJ-UNC3T-2026-0777", provider="Nordvik Forum AB", language="pt")),
    ("de-extension-in-thread.eml", dict(
        kind="request", request_type="preservation_extension", case_ref="WK-2026-00080",
        their_reference="LKA-2026-1234", previous_reference="WK-2026-00080", language="de")),
    ("pl-information-retention.eml", dict(
        kind="request", request_type="information", identifiers={},
        their_reference="CBZC-2026-0055", language="pl")),
    ("it-forward-rfc822-spanish-request.eml", dict(
        kind="request", request_type="preservation", country="IT", sender_verified=True,
        their_reference="BC-2026-0321", provider="PostBox Sp. z o.o.", language="es",
        forwarded_by="cnaipic-247@poliziadistato.it.example")),
    ("ro-auto-reply-subject.eml", dict(kind="auto_reply", language="ro",
                                       auto_signals=("subject:out-of-office",))),
    # What partners actually ask, beyond the textbook preservation request.
    ("en-incident-assistance-ransomware.eml", dict(
        kind="request", request_type="information", topic="incident_assistance", urgent=False,
        their_reference="GNCCB-2026-3391", language="en", reads_as_request=True)),
    ("de-incident-assistance-angriff.eml", dict(
        kind="request", request_type="information", topic="incident_assistance",
        their_reference="540-CC-2026-0777", language="de")),
    ("en-mla-notice-to-follow.eml", dict(
        kind="request", request_type="stored_data", topic="mla_notice", case_ref="WK-2026-00042",
        their_reference="NCA-2026-1180", language="en")),
    ("fr-mla-notice-entraide-suivra.eml", dict(
        kind="request", request_type="stored_data", topic="mla_notice",
        their_reference="OFAC-26-0988", language="fr")),
    ("en-takedown-phishing-infrastructure.eml", dict(
        kind="request", request_type="information", topic="takedown",
        their_reference="THTC-2026-1502", identifiers={
            ("url", "https://secure-bank-login.example/nl"): None,
            ("domain", "bank-verify-nl.example"): None})),
    ("es-takedown-retirada-sitio.eml", dict(
        kind="request", request_type="information", topic="takedown",
        their_reference="GDT-2026-4471", language="es")),
    ("en-attribution-ip-address.eml", dict(
        kind="request", request_type="stored_data", topic="attribution",
        their_reference="FCCU-2026-0912",
        identifiers={("ipv4", "203.0.113.201"): "2026-11-28T14:02:00+00:00"})),
    ("it-attribution-intestatario.eml", dict(
        kind="request", request_type="stored_data", topic="attribution", country="IT",
        sender_verified=True, their_reference="CNAIPIC-2026-6610", language="it")),
    ("en-contact-confirmation.eml", dict(
        kind="request", request_type="information", topic="contact_confirmation",
        identifiers={})),
    ("pl-contact-confirmation.eml", dict(
        kind="request", request_type="information", topic="contact_confirmation", country="PL",
        sender_verified=True, language="pl")),
    ("fr-legal-question-base-legale.eml", dict(
        kind="request", request_type="information", topic="legal_question", language="fr")),
    ("nl-legal-question-wettelijke-grondslag.eml", dict(
        kind="request", request_type="information", topic="legal_question", language="nl")),
    # A parent's mail about a child in danger is an emergency request too.
    ("en-emergency-parent-missing-child.eml", dict(
        kind="request", request_type="emergency_disclosure", urgent=True, topic="emergency",
        sender_verified=False, identifiers={("account", "cool_mike_19"): None})),
    # Follow-ups inside a thread are replies; a new request there stays a request.
    ("de-reply-nachtrag-korrektur.eml", dict(
        kind="reply", topic="correction", case_ref=None, identifiers={}, urgent=False,
        should_acknowledge=False, language="de")),
    ("en-reply-correction-time-zone.eml", dict(
        kind="reply", topic="correction", case_ref="WK-2026-00042", language="en")),
    ("fr-reply-complement-information.eml", dict(
        kind="reply", topic="addendum", case_ref="WK-2026-00043", language="fr")),
    ("en-reply-additional-ip.eml", dict(kind="reply", topic="addendum", identifiers={},
                                        named_identifiers=1)),
    ("en-new-request-in-thread.eml", dict(
        kind="request", request_type="preservation", case_ref="WK-2026-00042",
        their_reference="SNT-2026-0502", provider="Helix Mail GmbH",
        identifiers={("email", "payroll.desk@helixmail.example"): "2026-11-20T10:10:00+00:00"})),
    # Robots quoting our tag are never requests or replies.
    ("en-out-of-office-quoting-tag.eml", dict(
        kind="auto_reply", case_ref="WK-2026-00042", reads_as_request=False, topic=None)),
    ("fr-out-of-office-no-header.eml", dict(
        kind="auto_reply", auto_signals=("body:out-of-office",), reads_as_request=False)),
    ("en-ndr-exchange-quoting-tag.eml", dict(
        kind="bounce", country=None, case_ref="WK-2026-00044", reads_as_request=False)),
    # False-positive guards.
    ("en-newsletter-emergency-procedures.eml", dict(
        kind="other", urgent=False, reads_as_request=False)),
    ("en-training-invitation-emergency.eml", dict(
        kind="other", urgent=False, reads_as_request=False, topic=None)),
    ("en-victim-complaint-no-identifiers.eml", dict(
        kind="other", reads_as_request=False, named_identifiers=0)),
    ("en-journalist-question.eml", dict(kind="other", reads_as_request=False)),
    ("en-vendor-pitch.eml", dict(kind="other", reads_as_request=False)),
    # A stranger without authority words asking about an address: not a request, but it
    # reads like one (the daemon opens a case for it rather than a triage item).
    ("en-stranger-asks-about-address.eml", dict(
        kind="other", reads_as_request=True, identifiers={}, named_identifiers=1,
        should_acknowledge=False)),
]

IDENTIFIERS: list[tuple[str, dict[tuple[str, str], str | None]]] = [
    ("pl-preservation-template-urgent.eml", {
        ("ipv4", "203.0.113.77"): "2026-11-14T23:40:10+01:00",
        ("email", "bankowe.alerty@postbox.example"): None}),
    ("ro-traffic-disclosure-wrong-charset.eml", {
        ("ipv6", "2001:db8::8:800:200c:417a"): "2026-11-20T08:15:00+00:00",
        ("domain", "plata-rapida-ro.example"): None}),
    ("tr-emergency-acil.eml", {
        ("account", "kayip_genc_07"): "2026-11-20T23:55:00+03:00",
        ("phone", "+905320000000"): None}),
    ("pt-stored-data-alternative.eml", {
        ("email", "vendas.falsas@mercado-pt.example"): None,
        ("url", "https://mercado-pt.example/loja?id=9"): None}),
    ("us-preservation-month-first.eml", {
        ("ipv4", "198.51.100.9"): "2026-11-05T15:15:00-05:00",
        ("account", "darkbroker_77"): None}),
    ("sv-preservation-latin1-qp.eml", {
        ("ipv4", "203.0.113.45"): "2026-11-12T14:32:00+01:00",
        ("email", "victim.locker@mail.example"): "2026-11-12T14:32:00+01:00"}),
    ("cs-preservation-iso8859-2.eml", {
        ("ipv4", "192.0.2.18"): "2026-11-05T08:40:00+01:00",
        ("email", "fraud.shop@mail.example"): "2026-11-05T08:40:00+01:00"}),
    ("ru-preservation-koi8r-base64.eml", {
        ("ipv4", "198.51.100.77"): "2026-11-10T22:15:00+00:00"}),
    ("fi-preservation-klo-time.eml", {
        ("ipv4", "198.51.100.23"): "2026-11-12T10:15:00+02:00"}),
    ("de-html-office-reference.eml", {
        ("ipv6", "2001:db8::42"): "2026-11-14T03:22:10+01:00",
        ("url", "https://evil-shop.example/pay"): "2026-11-14T03:22:10+01:00"}),
    ("lt-account-on-platform.eml", {
        ("ipv4", "192.0.2.200"): "2026-11-13T21:05:00+02:00",
        ("account", "scam_king"): "2026-11-13T21:05:00+02:00"}),
    ("fr-forward-inline-request.eml", {
        ("account", "vente_cartes_fr"): "2026-11-25T21:14:00+01:00",
        ("url", "https://cartes-bancaires.example/shop"): None}),
    ("nl-extension-pdf-template.eml", {
        ("email", "invoice.desk@postbox.example"): None,
        ("ipv4", "192.0.2.141"): "2026-10-01T06:30:00+01:00"}),
    ("jp-preservation-docx-iso2022jp.eml", {
        ("account", "884422119"): None,
        ("ipv4", "198.51.100.61"): "2026-11-30T18:20:05+09:00"}),
    ("nl-preservation-html-only.eml", {
        ("ipv4", "198.51.100.7"): "2026-12-01T04:12:33+00:00",
        ("url", "http://bank-verificatie.example/login"): None}),
    ("it-forward-rfc822-spanish-request.eml", {
        ("email", "estafa.alquiler@postbox.example"): "2026-12-01T09:12:00+01:00"}),
    ("pt-template-portuguese-labels.eml", {
        ("account", "burlao.pt"): None,
        ("ipv4", "192.0.2.77"): "2026-12-02T21:10:00+00:00"}),
]


@pytest.mark.parametrize(("name", "expected"), CASES, ids=[c[0] for c in CASES])
def test_fields(name: str, expected: dict[str, Any], directory: Directory) -> None:
    """Each test message gives the kind, type, urgency, country, references and language
    its content states."""
    r = parse(name, directory)
    for field, want in expected.items():
        got = ids(r) if field == "identifiers" else getattr(r, field)
        if field == "auto_signals":
            assert set(want) <= set(got), (field, got)
        else:
            assert got == want, (field, got)
    assert r.should_acknowledge == (r.kind == "request")


@pytest.mark.parametrize(("name", "expected"), IDENTIFIERS, ids=[c[0] for c in IDENTIFIERS])
def test_identifiers(name: str, expected: dict[tuple[str, str], str | None],
                     directory: Directory) -> None:
    """Exactly the identifiers the request is about, each with the instant of its own item,
    as an aware timestamp; the sender's contact details are left out."""
    r = parse(name, directory)
    got = ids(r)
    assert set(got) == set(expected)
    for key, ts in expected.items():
        if ts is None:
            assert got[key] is None, key
        else:
            value = got[key]
            assert value is not None and datetime.fromisoformat(value) == \
                datetime.fromisoformat(ts), key


def test_template_fields_are_kept(directory: Directory) -> None:
    """The T-CY sections, including the requesting authority's sub-fields, stay in the result."""
    r = parse("pl-preservation-template-urgent.eml", directory)
    assert r.template["reference"] == "CBZC-II-0311/2026"
    assert r.template["requesting_authority.timezone"] == "Europe/Warsaw"
    assert r.template["requesting_authority.phone"] == "+48 22 000 00 01"
    assert r.template["urgency"].startswith("tak")
    assert "offence" in r.template and "mla_intention" in r.template


def test_attachment_text_is_noted(directory: Directory) -> None:
    """PDF and DOCX attachments are listed with their size and whether their text was read."""
    pdf = parse("nl-extension-pdf-template.eml", directory).attachments
    assert [(a.content_type, a.text_extracted) for a in pdf] == [("application/pdf", True)]
    doc = parse("jp-preservation-docx-iso2022jp.eml", directory).attachments
    assert doc[0].filename == "request.docx" and doc[0].text_extracted and doc[0].size > 1000


def test_header_facts(directory: Directory) -> None:
    """Message-ID and In-Reply-To come without brackets, addresses lower-cased, Date aware."""
    r = parse("it-reply-outlook-quoted.eml", directory)
    assert r.message_id == "cnaipic-r1@poliziadistato.it.example"
    assert r.in_reply_to == "ack-WK-2026-00077@ncc.gov.example"
    assert r.from_addr == "cnaipic-247@poliziadistato.it.example"
    assert r.to_addrs == ("poc247@ncc.gov.example",)
    assert r.date is not None and r.date.utcoffset() is not None
    assert "Nostro riferimento" in r.own_text and "Inviato" not in r.own_text


def test_html_remote_content_and_quotes_ignored(directory: Directory) -> None:
    """HTML mail is read as its visible text: scripts, styles and quoted blocks give nothing."""
    r = parse("nl-preservation-html-only.eml", directory)
    assert "alert" not in r.own_text and "color" not in r.own_text
    assert ("ipv4", "192.0.2.250") not in ids(r)
    assert not any("tracker" in i.value for i in r.identifiers)


def test_without_directory_nothing_is_verified() -> None:
    """Without a directory no sender is verified and the country comes from the request."""
    r = parse_message((DATA / "pl-preservation-template-urgent.eml").read_bytes())
    assert r.sender_verified is False and r.country == "PL"


def test_attached_message_in_a_long_reply_is_not_the_content() -> None:
    """A reply with its own long text that attaches an earlier message stays a reply about
    its own text; only a forward or a short cover note hands over to the attached message."""
    inner = (b"From: a@police.example\r\nSubject: Preservation request X-2026-111\r\n\r\n"
             b"We request the preservation of data of IP 192.0.2.9 (art. 29).\r\n")
    own = ("Thank you for the update on the case. " * 30).encode()
    raw = (b"From: b@police.example\r\nSubject: Re: [WK-2026-00005] Acknowledgement\r\n"
           b"In-Reply-To: <ack-WK-2026-00005@ncc.gov.example>\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/mixed; boundary=z\r\n\r\n"
           b"--z\r\nContent-Type: text/plain\r\n\r\n" + own
           + b"\r\n--z\r\nContent-Type: message/rfc822\r\n\r\n" + inner + b"--z--\r\n")
    r = parse_message(raw)
    assert r.kind == "reply" and r.case_ref == "WK-2026-00005" and r.forwarded_by is None


def test_officer_addresses_are_not_identifiers(directory: Directory) -> None:
    """An officer's address at a contact point's domain, named in the text, is not a subject."""
    raw = (b"From: pk247@cbzc.pl.example\r\nTo: poc247@ncc.gov.example\r\n"
           b"Subject: Preservation request CBZC-2026-0600\r\n"
           b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
           b"We request the preservation (art. 29) of the mailbox fraud.desk@postbox.example.\r\n"
           b"For questions contact a.nowak@cbzc.pl.example or poc247@ncc.gov.example.\r\n")
    r = parse_message(raw, directory)
    assert [(i.type, i.value) for i in r.identifiers] == [("email", "fraud.desk@postbox.example")]


MEANING = ("kind", "request_type", "urgent", "topic", "reads_as_request", "case_ref")


@pytest.mark.parametrize("path", sorted(DATA.glob("*.eml")), ids=lambda p: p.name)
def test_meaning_does_not_depend_on_the_directory(path: Path, directory: Directory) -> None:
    """Kind, type, urgency and topic come from the mail alone: without any directory every
    test message means what it means with the directory; only verification changes."""
    raw = path.read_bytes()
    with_dir, without = parse_message(raw, directory), parse_message(raw)
    assert {f: getattr(without, f) for f in MEANING} == {f: getattr(with_dir, f) for f in MEANING}
    assert without.sender_verified is False


EMERGENCIES = [
    ("en-emergency-school-shooting.eml", "en"),
    ("fr-emergency-enlevement.eml", "fr"),
    ("de-emergency-suizid.eml", "de"),
    ("es-emergency-amenaza-bomba.eml", "es"),
    ("it-emergency-sextortion-suicidio.eml", "it"),
    ("pt-emergency-crianca-desaparecida.eml", "pt"),
    ("pl-emergency-porwanie.eml", "pl"),
    ("nl-emergency-gijzeling.eml", "nl"),
    ("sv-emergency-sjalvmord.eml", "sv"),
    ("el-emergency-apagogi.eml", "el"),
    ("cs-emergency-unos.eml", "cs"),
    ("hu-emergency-emberrablas.eml", "hu"),
    ("tr-emergency-acil.eml", "tr"),
    ("en-emergency-parent-missing-child.eml", "en"),
]


@pytest.mark.parametrize(("name", "lang"), EMERGENCIES, ids=[e[0] for e in EMERGENCIES])
def test_emergency_from_any_sender(name: str, lang: str) -> None:
    """A threat to life (abduction, suicide, bomb or shooting threat, hostage taking,
    sextortion, a missing child) is an urgent emergency disclosure request in each of the
    network's languages, read with no directory at all."""
    r = parse_message((DATA / name).read_bytes())
    assert (r.kind, r.request_type, r.urgent, r.topic) == (
        "request", "emergency_disclosure", True, "emergency")
    assert r.language == lang and r.should_acknowledge and r.identifiers


def test_contract_keeps_its_fields(directory: Directory) -> None:
    """The topic and the reads-like-a-request verdict stay off the contract's JSON object."""
    obj = parse("en-takedown-phishing-infrastructure.eml", directory).to_contract("x.eml")
    assert list(obj) == ["file", "kind", "request_type", "urgent", "country", "sender_verified",
                         "case_ref", "their_reference", "previous_reference", "identifiers",
                         "provider", "language", "should_acknowledge"]


@pytest.mark.parametrize("name", [
    "bounce-qmail-failure-notice.eml", "bounce-dsn-delay-headers.eml", "es-read-receipt.eml",
    "list-advisory.eml", "ro-ping-reply-bottom-posted.eml", "de-out-of-office-body-only.eml",
    "en-out-of-office-quoting-tag.eml", "en-ndr-exchange-quoting-tag.eml"])
def test_robots_never_read_as_requests(name: str, directory: Directory) -> None:
    """Bounces, auto-replies, list mail and ping replies never read like a request, whatever
    they quote."""
    r = parse(name, directory)
    assert r.reads_as_request is False and r.topic is None and r.kind != "request"


def test_topics_are_from_the_vocabulary() -> None:
    """Every topic the parser gives is one of the documented TOPICS."""
    got = {parse_message(p.read_bytes()).topic for p in DATA.glob("*.eml")} - {None}
    assert got <= set(TOPICS)
    assert {"incident_assistance", "mla_notice", "takedown", "attribution",
            "contact_confirmation", "legal_question", "emergency", "addendum",
            "correction"} <= got
