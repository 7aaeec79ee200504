"""The pure threading and sender-trust rules."""

from __future__ import annotations

import pytest

from daemon.rules.threads import (
    authentication_failed,
    new_request_in_thread,
    own_ids,
    same_counterpart,
    thread_ids,
)
from parsers import msgids
from parsers.directory import ContactPoint, Directory
from parsers.headers import AuthenticationResults, read_headers

DIRECTORY = Directory((
    ContactPoint(country="FR", authority="OCLCTIC", role="primary",
                 emails=("cp247@police.fr.example", "duty@police.fr.example"),
                 timezone="Europe/Paris"),
    ContactPoint(country="LU", authority="SPJ", role="primary",
                 emails=("cybercrime@police.lu.example",), timezone="Europe/Luxembourg"),
))
FROM = "cp247@police.fr.example"


def verdicts(*values: str) -> tuple[AuthenticationResults, ...]:
    """Authentication-Results fields, topmost first, as the parser reads them."""
    head = "".join(f"Authentication-Results: {v}\r\n" for v in values)
    return read_headers(f"{head}From: {FROM}\r\n\r\nbody\r\n".encode()).authentication_results


def test_dmarc_fail_from_trusted_authserv_counts() -> None:
    """A DMARC failure reported by the configured authserv-id marks the sender as failing."""
    ours = "mx.ncc.gov.example; dmarc=fail (p=reject) header.from=police.fr.example"
    assert authentication_failed(verdicts(ours), FROM, "mx.ncc.gov.example")


def test_results_from_other_authserv_are_ignored() -> None:
    """A header written by anyone else (another authserv-id) cannot accuse or clear a sender."""
    forged = "mx.attacker.example; dmarc=fail header.from=police.fr.example"
    ours = "mx.ncc.gov.example; dkim=pass header.d=police.fr.example; dmarc=pass"
    assert not authentication_failed(verdicts(forged, ours), FROM, "mx.ncc.gov.example")


def test_dkim_fail_for_sender_domain_counts_unless_another_passes() -> None:
    """DKIM failing for the sender's domain counts; a passing signature of the domain clears it."""
    failing = "mx.ncc.gov.example; dkim=fail header.d=police.fr.example"
    both = failing + "; dkim=pass header.d=police.fr.example"
    unrelated = "mx.ncc.gov.example; dkim=fail header.d=newsletter.example"
    assert authentication_failed(verdicts(failing), FROM, None)
    assert not authentication_failed(verdicts(both), FROM, None)
    assert not authentication_failed(verdicts(unrelated), FROM, None)


def test_comment_with_semicolon_does_not_hide_the_signer() -> None:
    """A comment holding ";" (OpenDKIM's key note) leaves header.d readable: a failing
    signature of another domain accuses nobody, one of the sender's domain does."""
    other = ("mx.ncc.gov.example; dkim=fail (2048-bit key; unprotected) "
             "header.d=newsletter.example")
    own = other.replace("newsletter.example", "police.fr.example")
    assert not authentication_failed(verdicts(other), FROM, "mx.ncc.gov.example")
    assert authentication_failed(verdicts(own), FROM, "mx.ncc.gov.example")


def test_only_topmost_header_without_configured_authserv() -> None:
    """Without a configured authserv-id only the topmost header (our receiving server) counts."""
    top = "mx.ncc.gov.example; dmarc=pass"
    lower = "relay.example; dmarc=fail"
    assert not authentication_failed(verdicts(top, lower), FROM, None)


def test_same_counterpart_by_address_or_directory_entry() -> None:
    """The same address or another address of the same contact point is the counterpart."""
    assert same_counterpart(DIRECTORY, "Duty@police.fr.example", FROM)
    assert same_counterpart(DIRECTORY, "x@free.example", "X@free.example")
    assert not same_counterpart(DIRECTORY, "cybercrime@police.lu.example", FROM)
    assert not same_counterpart(DIRECTORY, "x@free.example", FROM)
    assert not same_counterpart(DIRECTORY, None, FROM)


def test_thread_ids_nearest_first_without_duplicates() -> None:
    """In-Reply-To first, then References newest to oldest, brackets removed, no repeats."""
    assert thread_ids("<c@x>", ("<a@x>", "<b@x>", "<c@x>")) == ("c@x", "b@x", "a@x")
    assert thread_ids(" <a@x> ", ("", "a@x")) == ("a@x",)


@pytest.mark.parametrize(("kind", "request_type", "case_type", "topic", "new"), [
    ("request", "preservation", "preservation", None, False),  # a correction, same type
    ("request", "preservation_extension", "preservation", None, True),
    ("request", "stored_data", "preservation", None, True),
    ("request", "stored_data", "unclassified", None, False),
    ("request", "preservation_extension", "preservation_extension", None, False),
    ("request", "stored_data", "preservation", "addendum", False),
    ("reply", None, "preservation", None, False),
    ("other", None, "preservation", None, False),
])
def test_only_a_new_request_in_a_thread_opens_a_linked_case(
    kind: str, request_type: str | None, case_type: str, topic: str | None, new: bool,
) -> None:
    """An extension or a request of another type is new; follow-ups, corrections, addenda
    and anything threaded into an unclassified case are part of their case."""
    assert new_request_in_thread(kind, request_type, case_type, topic) is new


def test_quoted_scan_and_own_ids_find_our_message_ids_only() -> None:
    """Our `wk.` Message-IDs quoted anywhere in a mail (the parser's scan at our domain,
    then the rule of our shape) are found once each; others are not."""
    raw = (b"Subject: x\r\n\r\n> Message-ID: <wk.0123456789abcdef@ncc.gov.example>\r\n"
           b"In-Reply-To: <WK.0123456789ABCDEF@ncc.gov.example> <other@police.fr.example>\r\n"
           b"<wk.0123456789abcdef@elsewhere.example>\r\n")
    assert own_ids(msgids.quoted(raw, "ncc.gov.example"), "poc247@ncc.gov.example") == (
        "wk.0123456789abcdef@ncc.gov.example",)


def test_own_ids_keeps_only_our_shape_at_our_domain() -> None:
    """Of the msg-ids the parser found quoted, only `wk.<hex>@<our domain>` are ours."""
    found = ("wk.0123456789abcdef@ncc.gov.example", "wk.0123@ncc.gov.example",
             "x.0123456789abcdef@ncc.gov.example", "wk.0123456789abcdef@ncc.gov.example.evil")
    assert own_ids(found, "poc247@ncc.gov.example") == ("wk.0123456789abcdef@ncc.gov.example",)
