# ruff: noqa: E501  -- one table row per test file reads better than a wrapped one
"""Delivery status notifications in tests/data/bounces, one line per message: bounces in the
forms mail systems send them, delays that are not failures, and human mail about delivery
that is never a bounce."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parsers.htmltext import html_to_text
from parsers.message import parse_message
from parsers.result import ParsedMessage

DATA = Path(__file__).resolve().parent / "data" / "bounces"


def parse(name: str) -> ParsedMessage:
    return parse_message((DATA / name).read_bytes())


def ours(hex32: str) -> str:
    """Our Message-ID of that shape (wk.<32 hex>@ncc.gov.example), as the result gives it."""
    return f"wk.{hex32}@ncc.gov.example"


# file, action, status, our returned Message-ID (hex part), the recipient(s), reporting system, language
BOUNCES: list[tuple[str, str, str | None, str, tuple[str, ...], str, str]] = [
    # structure: typed and untyped reports, global DSN, returned headers, returned message
    ("en-postfix-report-rfc822.eml", "failed", "5.1.1", "601e504dba0fd334616bcffca3bd8550", ("old-thtc@politie.nl.example",), "mx.politie.nl.example", "en"),
    ("en-report-without-report-type.eml", "failed", "5.2.2", "d8e3c0908669ace9a3f7c367808d8281", ("cyber-desk@justice.ie.example",), "smtp.justice.ie.example", "en"),
    ("en-global-delivery-status.eml", "failed", "5.1.1", "f8a0035ed58c3133c2a905235ca46a1e", ("cyber@policía.es.example",), "mx.policía.es.example", "en"),
    ("en-rfc822-headers-only.eml", "failed", "5.7.1", "42f948a8d30d031a6b0b667fb8153e08", ("bk-cyber@polizei.at.example",), "relay.polizei.at.example", "en"),
    ("en-sendmail-returned-rfc822.eml", "failed", "5.1.1", "6307539eab15bf97b927a2ec1288600e", ("cyber@police.mt.example",), "mx.police.mt.example", "en"),
    # the sender: null Return-Path, MAILER-DAEMON without a domain, postmaster, a mail system's name
    ("en-exim-null-return-path.eml", "failed", "5.1.1", "e9934f396596a3aeebbcf1a7e5f93c97", ("it-brott@polis.se.example",), "mx.polis.se.example", "en"),
    ("en-qmail-daemon-no-domain.eml", "failed", "5.1.1", "29e4f20831b4a4deb8cd84b480f2a9a6", ("kibernetika@policija.si.example",), "mx.policija.si.example", "en"),
    ("en-exchange-classic-postmaster.eml", "failed", "5.1.1", "2e65b051158ab6f8a108fa16f126bbb3", ("cybercrime@mfa.cy.example",), "exch01.mfa.cy.example", "en"),
    ("en-exchange-online-html.eml", "failed", "5.1.10", "0d89bc29ea1d7f0ea0060aaae5720fc0", ("cyber.unit@justice.hr.example",), "am0pr01mb1234.eurprd01.prod.outlook.example", "en"),
    ("en-gmail-failure-plain.eml", "failed", "5.1.1", "c33f83ebfa89e7442fbc610f5e63a2a9", ("cyber.ro@politia.ro.example",), "googlemail.example", "en"),
    ("en-failure-delivery-plain.eml", "failed", "5.1.1", "654d6f825390de3777d24df430917e2c", ("cibercrime@procura.pt.example",), "mx.procura.pt.example", "en"),
    ("en-exim-x-failed-recipients.eml", "failed", None, "1dd206d503fa0593cf907140f8cb4d6d", ("kyber@policie.cz.example",), "mx.policie.cz.example", "en"),
    # ordinary-looking senders with a delivery status in the body
    ("en-ordinary-sender-status-in-body.eml", "failed", "5.4.4", "5528f1fa5779b4e0ff75f91b2c47c492", ("cyber247@prosecutor.bg.example",), "mail.prosecutor.bg.example", "en"),
    ("en-ordinary-sender-kept-subject.eml", "failed", "5.1.1", "09d43fe025d60db25a2a1f2e66ef69a9", ("kyber@police.ee.example",), "gateway.police.ee.example", "en"),
    # what the report says: Action wins over the status class; one failed recipient is a failure
    ("en-dsn-expired-action-failed.eml", "failed", "4.4.7", "205c9a438c63b9db472ee8dfa30c29e3", ("cyber@police.lu.example",), "exch02.police.lu.example", "en"),
    ("en-dsn-failed-and-delayed.eml", "failed", "5.1.1", "f51fea93fc7e7828f1ca24b05875956e", ("old-cyber@police.lv.example",), "mx.police.lv.example", "en"),
    ("en-dsn-relayed.eml", "relayed", "2.0.0", "dfe397887d703b076953151f78b3b095", ("netbrot@police.is.example",), "mx.police.is.example", "en"),
    # the network's languages, in their real-world encodings
    ("de-exchange-unzustellbar.eml", "failed", "5.1.1", "52b302f36d890e0ea31100a8ce75e070", ("cybercrime@polizei.de.example",), "polizei.de.example", "de"),
    ("de-exim-kopie-der-nachricht.eml", "failed", "5.1.1", "4a687b19d5b4d3d34050af277699a8d2", ("zac@lka.de.example",), "mx.lka.de.example", "de"),
    ("fr-non-remis.eml", "failed", "5.1.1", "164f9054477125575de8e3d3a7b39f3c", ("ofac-247@interieur.fr.example",), "interieur.fr.example", "fr"),
    ("es-no-se-puede-entregar.eml", "failed", "5.2.2", "bdc7f84aa360bff4d64602dde84ca6bc", ("ucc-247@mir.es.example",), "exch-es.mir.es.example", "es"),
    ("it-non-recapitabile.eml", "failed", "5.1.1", "de5d7ffd6525e4c93d63fe44b44939e8", ("cnaipic-247@interno.it.example",), "mx.interno.it.example", "it"),
    ("pt-nao-entregue.eml", "failed", "5.2.2", "8f5bc5a08a99fa31640eaa79f9e8a98a", ("unc3t@pj.pt.example",), "pj.pt.example", "pt"),
    ("nl-onbestelbaar.eml", "failed", "5.1.1", "724756076bdf356f507fbe51f8f13ebc", ("thtc-oud@politie.nl.example",), "politie.nl.example", "nl"),
    ("pl-niedostarczalne.eml", "failed", "5.1.1", "fd715b6596a15d6b7fd28c4a99b29b6b", ("cbzc-247@policja.pl.example",), "policja.pl.example", "pl"),
    ("ja-exchange-iso2022jp.eml", "failed", "5.1.1", "97bcd31d0c4cc23b540c70ae05bb792e", ("cyber-247@npa.jp.example",), "npa.jp.example", "ja"),
    ("ja-mailer-daemon-iso2022jp.eml", "failed", "5.1.1", "4bb01b536ccd54316a2f751bea02f621", ("sousa@police.jp.example",), "mx.police.jp.example", "ja"),
    ("zh-gb2312-tuixin.eml", "failed", "5.1.1", "e8dd7588fe7b540f3b6cb65f6edcb6cc", ("wangan@gaj.cn.example",), "mail.gaj.cn.example", "zh"),
    ("zh-gbk-toudi-shibai.eml", "failed", "5.1.1", "79cf360740d62c26449192a90b631c6e", ("cyber@mps.cn.example",), "mx.mps.cn.example", "zh"),
    ("zh-utf8-tuixin-ordinary.eml", "failed", "5.1.1", "98ef066b015918c63d431d2f9ec614d3", ("cib@police.tw.example",), "mail.police.tw.example", "zh"),
    # delays: Postfix, Exchange, Sendmail, Exim, and a 4.x.x status without an Action
    ("delay-postfix-still-retried.eml", "delayed", "4.4.1", "c3608e7232a33420fb5ca91250e0db69", ("nc3@politi.dk.example",), "mx.politi.dk.example", "en"),
    ("delay-exchange-report.eml", "delayed", "4.4.7", "7b8b30bc4a06f9bc823431e4fca70adf", ("cybercrime@mfa.gr.example",), "exch-gr.mfa.gr.example", "en"),
    ("delay-exchange-plain.eml", "delayed", "4.4.7", "96a74a2d377038531bd1e52155245c57", ("fccu@police.be.example",), "police.be.example", "en"),
    ("delay-sendmail-warning-report.eml", "delayed", "4.4.1", "c7edbf6b49c31e1e3327fcb77f071975", ("cyber@police.sk.example",), "mx.ncc-relay.example", "en"),
    ("delay-sendmail-returned-warning.eml", "delayed", "4.4.1", "cc7f85742755f1eb94ef2d2cec799604", ("nni@police.hu.example",), "mx2.ncc-relay.example", "en"),
    ("delay-exim-warning.eml", "delayed", "4.3.0", "3d0f28997783145deffa0f68306bdab4", ("kyber@poliisi.fi.example",), "mx.poliisi.fi.example", "en"),
    ("delay-status-4xx-no-action.eml", "delayed", "4.2.2", "6e5d0a9532260a1e02a7193ee34118bd", ("cyber@police.ch.example",), "mx.police.ch.example", "en"),
    ("delay-de-zustellung-verzoegert.eml", "delayed", "4.4.7", "f81c0f1e1d13ef53b382d5c5fb14e0f9", ("cybercrime@bka.de.example",), "exch-bka.bka.de.example", "de"),
]

# file, the kind it is instead
HUMANS: list[tuple[str, str]] = [
    ("human-en-data-delivery-failed.eml", "reply"),
    ("human-en-resending-returned.eml", "request"),
    ("human-en-did-you-get-it-quoted.eml", "other"),
    ("human-en-did-you-get-it-pasted.eml", "reply"),
    ("human-de-out-of-office.eml", "auto_reply"),
    ("human-en-out-of-office-delivery.eml", "auto_reply"),
    ("human-en-reply-to-undeliverable.eml", "reply"),
    ("human-fr-forward-of-bounce.eml", "reply"),
    ("human-postmaster-migration.eml", "other"),
    ("human-en-delivery-failure-question.eml", "other"),
    ("human-es-retraso-en-la-entrega.eml", "other"),
    # An officer resends the request that did not reach us, attached: the request is the
    # content (a forward sent to us for action), never a bounce.
    ("human-en-delivery-failed-attached.eml", "request"),
    ("human-postmaster-undeliverable-announcement.eml", "other"),
    ("human-en-pasted-under-bounce-subject.eml", "reply"),
]

# file, case_ref: the subject's tag counts; one only in the copy of our message does not
CASE_REFS: list[tuple[str, str | None]] = [
    ("en-exchange-classic-postmaster.eml", "WK-2026-00108"),
    ("ja-exchange-iso2022jp.eml", "WK-2026-00129"),
    ("en-ordinary-sender-kept-subject.eml", "WK-2026-00112"),
    ("en-qmail-daemon-no-domain.eml", None),
    ("en-exim-null-return-path.eml", None),
    ("zh-gb2312-tuixin.eml", None),
    ("delay-exim-warning.eml", None),
]


@pytest.mark.parametrize(("name", "action", "status", "hex32", "recipients", "mta", "lang"), BOUNCES,
                         ids=[row[0] for row in BOUNCES])
def test_notice_is_a_bounce_with_its_facts(name: str, action: str, status: str | None, hex32: str,
                                           recipients: tuple[str, ...], mta: str, lang: str) -> None:
    """Each notice is a bounce whose typed report gives its action, status, recipients,
    reporting system and our returned Message-ID, and the daemon's old fields agree."""
    r = parse(name)
    assert r.error is None
    assert r.kind == "bounce"
    assert r.should_acknowledge is False and r.country is None and r.their_reference is None
    assert r.bounce is not None
    assert r.bounce.action == action
    assert r.bounce.is_failure == (action == "failed")
    assert r.bounce.status == status
    assert r.bounce.original_message_id == ours(hex32)
    assert r.bounce.recipients == recipients
    assert r.bounce.reporting_mta == mta
    assert r.bounce.diagnostic is None or "\n" not in r.bounce.diagnostic
    assert r.bounced_message_id == ours(hex32)
    assert r.bounce_status is not None
    assert r.bounce_status.startswith(status or r.bounce.diagnostic or "")
    assert r.language == lang


@pytest.mark.parametrize(("name", "kind"), HUMANS, ids=[row[0] for row in HUMANS])
def test_human_mail_about_delivery_is_not_a_bounce(name: str, kind: str) -> None:
    """Mail that talks about delivery, an out-of-office, a reply to or a forward of a bounce
    is never a bounce and carries no bounce facts."""
    r = parse(name)
    assert r.error is None
    assert r.kind == kind
    assert r.bounce is None and r.bounced_message_id is None and r.bounce_status is None


@pytest.mark.parametrize(("name", "case_ref"), CASE_REFS, ids=[row[0] for row in CASE_REFS])
def test_case_tag_only_from_the_notice_itself(name: str, case_ref: str | None) -> None:
    """A bounce's case tag comes from its subject or notice, never from the copy of our mail."""
    assert parse(name).case_ref == case_ref


def test_every_file_is_in_a_table() -> None:
    """No test mail in tests/data/bounces goes unchecked."""
    listed = {row[0] for row in BOUNCES} | {row[0] for row in HUMANS}
    assert {p.name for p in DATA.glob("*.eml")} == listed


def test_table_covers_six_languages_and_every_delay_form() -> None:
    """The table holds bounces in at least six languages and delays from each mail system."""
    assert len({row[6] for row in BOUNCES}) >= 6
    delays = {row[0] for row in BOUNCES if row[1] == "delayed"}
    for system in ("postfix", "exchange", "sendmail"):
        assert any(system in name for name in delays), system
    assert len(HUMANS) >= 6


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_bounces", DATA / "make_bounces.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_mail_is_what_the_generator_writes(tmp_path: Path) -> None:
    """The .eml files are exactly the generator's output, so the two cannot drift apart."""
    _generator().main(tmp_path)
    written = {p.name: p.read_bytes() for p in tmp_path.glob("*.eml")}
    committed = {p.name: p.read_bytes() for p in DATA.glob("*.eml")}
    assert written == committed


def test_html_notice_keeps_the_lines_of_pasted_headers() -> None:
    """Headers an HTML notice pastes in <pre> stay one per line; other text still flows."""
    text = html_to_text("<p>Original message headers:</p><pre>From: a@b.example\n"
                        "Message-ID: &lt;x@b.example&gt;\n</pre><p>one\ntwo</p>")
    assert [ln for ln in text.split("\n") if ln] == ["Original message headers:", "From: a@b.example",
                                               "Message-ID: <x@b.example>", "one two"]


_DSN_WORDS = st.sampled_from([
    "Final-Recipient: rfc822; a@b.example", "Action: failed", "Action: delayed", "Action: x",
    "Status: 5.1.1", "Status: 4.4.7", "Status: 9.9", "Diagnostic-Code: smtp; 550 5.1.1 no",
    "Reporting-MTA: dns; mx.example", "  continued", "", "Message-ID: <wk.1@ncc.gov.example>",
    "--- Below this line is a copy of the message.", "Subject: [WK-2026-00001] x", "<a@b.example>:",
    "Delivery has failed to these recipients", "配信不能", "退信原因：", "#550 5.1.1", "RCPT TO:<c@d.example>",
])


@settings(max_examples=150, deadline=None)
@given(st.lists(_DSN_WORDS, max_size=30), st.sampled_from(
    ["MAILER-DAEMON", "postmaster@mx.example", "officer@police.example"]),
    st.sampled_from(["failure notice", "Delivery Delayed: x", "Re: Undeliverable", ""]),
    st.booleans())
def test_notice_like_text_never_raises(words: list[str], sender: str, subject: str,
                                       report: bool) -> None:
    """Any mix of notice lines, senders and subjects gives a result; a bounce always has a
    report with a known action, and only a bounce has one."""
    body = "\r\n".join(words)
    if report:
        raw = (f"From: {sender}\r\nSubject: {subject}\r\nMIME-Version: 1.0\r\n"
               "Content-Type: multipart/report; boundary=r\r\n\r\n--r\r\n"
               f"Content-Type: message/delivery-status\r\n\r\n{body}\r\n--r--\r\n")
    else:
        raw = f"From: {sender}\r\nSubject: {subject}\r\n\r\n{body}\r\n"
    r = parse_message(raw.encode("utf-8"))
    assert r.error is None
    assert (r.bounce is not None) == (r.kind == "bounce")
    if r.bounce is not None:
        assert r.bounce.action in ("failed", "delayed", "delivered", "relayed", "expanded")
        assert r.bounced_message_id == r.bounce.original_message_id
