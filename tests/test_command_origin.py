"""The pure rules of daemon/rules/origin.py: whose headers count, and each way of proof."""

from __future__ import annotations

from pathlib import Path

import pytest

from daemon.rules.origin import Policy, Relays, aligned, prove_origin, trace
from parsers.headers import read_headers

DATA = Path(__file__).parent / "data" / "headers"
OPERATOR = "duty.officer@ncc.gov.example"
MX = "mx.ncc.gov.example"
TOKEN = "k3-8fQ2-vR7w-Lm4p-Zs9d"
# The desk's network: the MX at 192.0.2.2, the desk's client network 192.0.2.0/26.
RELAYS = Relays.of(["192.0.2.0/26", "smtp-out.ncc.gov.example"])
OUTSIDE = ("Received: from relay.outside.example (relay.outside.example [203.0.113.5])\n"
           f" by {MX} (Postfix) with ESMTPS id 4Q8AAA; Sat, 28 Nov 2026 09:00:01 +0000\n")
LMTP = ("Received: from mx.ncc.gov.example ([192.0.2.2]) by imap.ncc.gov.example with LMTP"
        " id 6Hq3; Sat, 28 Nov 2026 09:00:02 +0000\n")
INTERNAL = ("Received: from desk-pc.ncc.gov.example (desk-pc.ncc.gov.example [192.0.2.10])"
            " by mail.ncc.gov.example with ESMTPSA id 1A2B; Sat, 28 Nov 2026 09:00:00 +0000\n")
PASS = f"Authentication-Results: {MX}; dkim=pass header.d=ncc.gov.example; " \
       "dmarc=pass header.from=ncc.gov.example\n"
FROM = f"From: Duty Officer <{OPERATOR}>\nSubject: [WK-2026-00001] x\n\n#close\n"


def facts(text: str) -> object:
    return read_headers(text.encode())


def proof(text: str | bytes, *ways: str, given: str | None = None,
          expected: str | None = TOKEN) -> tuple[bool, str | None, str]:
    raw = text if isinstance(text, bytes) else text.encode()
    found = prove_origin(read_headers(raw), OPERATOR, Policy(ways, MX, RELAYS),
                         token_given=given, token_expected=expected)
    return found.proven, found.way, found.reason


# Header sections, what each way answers (True: proven), and a phrase of the reason.
CASES = [
    # The forgery: from outside, no verdict at all.
    ("no verdict", OUTSIDE + FROM,
     {"dmarc": False, "dkim": False, "received": False},
     f"no Authentication-Results of {MX} above the Received field where the mail came in "
     "(from relay.outside.example [203.0.113.5] at mx.ncc.gov.example)"),
    # A verdict written by someone else's server.
    ("other authserv-id", "Authentication-Results: mx.attacker.example; dmarc=pass "
     "header.from=ncc.gov.example; dkim=pass header.d=ncc.gov.example\n" + OUTSIDE + FROM,
     {"dmarc": False, "dkim": False}, f"no Authentication-Results of {MX} above"),
    # Our authserv-id, but below the Received field where the mail came in.
    ("fake below outside relay", (DATA / "forged_below.eml").read_text(),
     {"dmarc": False, "dkim": False, "received": False},
     "1 with that authserv-id further down came with the mail and proves nothing"),
    ("fake right below our entry", OUTSIDE + PASS + FROM,
     {"dmarc": False, "dkim": False}, "further down came with the mail"),
    # A forger writing an internal-looking hop of their own: it lies below the entry.
    ("fake internal hop below", OUTSIDE + INTERNAL + FROM, {"received": False},
     "the mail came in from relay.outside.example [203.0.113.5] at mx.ncc.gov.example"),
    # Genuine: our MX's verdict above its own Received field (and the desk's own outbound
    # server, listed by the name the MX looked up, handed it over).
    ("genuine postfix", (DATA / "postfix_opendmarc.eml").read_text(),
     {"dmarc": True, "dkim": True, "received": True}, "dmarc=pass for ncc.gov.example"),
    # Genuine behind Dovecot LMTP: the MX (192.0.2.2) is internal, its verdict counts.
    ("genuine behind lmtp", LMTP + PASS + OUTSIDE + FROM,
     {"dmarc": True, "dkim": True, "received": False}, "reported by mx.ncc.gov.example"),
    # Our MX reports failure: nothing outweighs it.
    ("our mx says fail", (DATA / "dovecot_lmtp.eml").read_text(),
     {"dmarc": False, "dkim": False, "received": False}, "reports dmarc=fail"),
    # Genuine internal mail: every hop from inside.
    ("genuine internal", INTERNAL + FROM, {"received": True, "dmarc": False},
     "every hop is internal"),
    ("internal through the mx", LMTP + "Received: from smtp-out.ncc.gov.example "
     "(smtp-out.ncc.gov.example [198.51.100.25]) by mx.ncc.gov.example with ESMTP id 1; d\n"
     + FROM, {"received": True}, "every hop is internal (2 Received fields)"),
    # Mail put into the mailbox by IMAP APPEND: no trace at all.
    ("no trace", (DATA / "no_trace.eml").read_text(), {"dmarc": False, "received": False},
     "no Received field"),
    # DMARC for another domain, DKIM by an unaligned signer.
    ("other domain", f"Authentication-Results: {MX}; dkim=pass header.d=other.example; "
     "dmarc=pass header.from=other.example\n" + OUTSIDE + FROM,
     {"dmarc": False, "dkim": False}, "not for ncc.gov.example"),
]


@pytest.mark.parametrize("name,text,answers,phrase", CASES, ids=[c[0] for c in CASES])
def test_each_way_on_header_tables(name: str, text: str, answers: dict[str, bool],
                                   phrase: str) -> None:
    """Each way proves only what the desk's own servers wrote, and says why not."""
    for way, expected in answers.items():
        proven, chosen, reason = proof(text, way)
        assert proven is expected, (name, way, reason)
        assert chosen == (way if expected else None)
    reason = proof(text, *answers)[2]
    assert phrase in reason, reason


def test_trace_stops_at_the_first_host_from_outside() -> None:
    """The walk goes down while the sending host is internal (loopback counts)."""
    path = trace(read_headers((DATA / "dovecot_lmtp.eml").read_bytes()), RELAYS)
    assert [h.by_host for h in path.ours] == ["imap.ncc.gov.example", MX, MX]
    assert path.entry is not None and path.entry.from_ip == "2001:db8:66::9"
    # Without the MX among the relays, the LMTP hop is already the entry.
    alone = trace(read_headers((DATA / "dovecot_lmtp.eml").read_bytes()), Relays())
    assert alone.entry is not None and alone.entry.by_host == "imap.ncc.gov.example"


def test_names_match_only_what_the_server_looked_up() -> None:
    """A relay listed by name counts only as the looked-up name, never as a HELO name."""
    relays = Relays.of(["desk-pc.ncc.gov.example"])
    looked_up = read_headers(INTERNAL.encode() + FROM.encode())
    said = read_headers(b"Received: from desk-pc.ncc.gov.example (unknown [203.0.113.66]) "
                        b"by mail.ncc.gov.example; d\n" + FROM.encode())
    assert trace(looked_up, relays).entry is None
    assert trace(said, relays).entry is not None


def test_secret_way() -> None:
    """The #auth token proves the mail only when it equals the operator's own token."""
    assert proof(OUTSIDE + FROM, "secret", given=TOKEN)[:2] == (True, "secret")
    assert proof(OUTSIDE + FROM, "secret", given=TOKEN + "x")[2] == \
        "secret: the #auth token does not match"
    assert proof(OUTSIDE + FROM, "secret")[2] == "secret: no #auth line at the top of the mail"
    assert proof(OUTSIDE + FROM, "secret", given="")[2] == \
        "secret: the #auth line carries no token"
    assert proof(OUTSIDE + FROM, "secret", given=TOKEN, expected=None)[2] == \
        f"secret: no token is configured for {OPERATOR}"
    assert TOKEN not in proof(OUTSIDE + FROM, "secret", given=TOKEN[:-1] + "?")[2]


def test_one_configured_way_is_enough_and_reasons_name_every_way() -> None:
    """Ways are alternatives; a refusal gives each configured way's reason."""
    proven, way, _ = proof(OUTSIDE + FROM, "dmarc", "secret", given=TOKEN)
    assert (proven, way) == (True, "secret")
    proven, way, reason = proof(OUTSIDE + FROM, "dmarc", "secret", given="wrong")
    assert not proven and way is None
    assert reason.startswith("dmarc: no Authentication-Results") and \
        reason.endswith("; secret: the #auth token does not match")


def test_off_and_several_from_addresses_are_refused_whatever_the_ways() -> None:
    """No way configured: off. Two From addresses: refused even with a good token."""
    assert proof(INTERNAL + FROM) == (
        False, None, "command-by-mail is off (desk.command_auth names no way)")
    two = INTERNAL + f"From: {OPERATOR}, other@attacker.example\n" + FROM.split("\n", 1)[1]
    assert proof(two, "received", "secret", given=TOKEN)[2] == \
        "the mail has 2 From addresses, not one"
    twice = INTERNAL + f"From: other@attacker.example\n{FROM}"
    assert not proof(twice, "received")[0]


@pytest.mark.parametrize("signer,domain,expected", [
    ("ncc.gov.example", "ncc.gov.example", True),
    ("gov.example", "ncc.gov.example", True),
    ("mail.ncc.gov.example", "ncc.gov.example", True),
    ("other.gov.example", "ncc.gov.example", False),
    ("example", "ncc.gov.example", False),
    ("attacker-ncc.gov.example", "ncc.gov.example", False),
])
def test_alignment_is_same_domain_or_subdomain(signer: str, domain: str,
                                               expected: bool) -> None:
    """DKIM alignment: the same domain or one a subdomain of the other, never one label."""
    assert aligned(signer, domain) is expected
