"""Any bytes give a result: random and mutated MIME never raise, and size stays cheap."""

from __future__ import annotations

import base64
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parsers.message import parse_message
from parsers.result import ParsedMessage

SAMPLES = Path(__file__).resolve().parent / "data" / "corpus" / "mail"
OWN = Path(__file__).resolve().parent / "data" / "parse"
BOUNCES = Path(__file__).resolve().parent / "data" / "bounces"
SEEDS = [p.read_bytes() for p in sorted(SAMPLES.glob("*.eml")) + sorted(OWN.glob("*.eml"))
         + sorted(BOUNCES.glob("*.eml"))]
KINDS = {"request", "reply", "auto_reply", "bounce", "ping_reply", "other"}


def test_the_seed_mail_is_there() -> None:
    """The mutation tests start from the project's own test mail: a moved folder that left
    them with nothing to mutate would make them pass vacuously."""
    assert len(list(SAMPLES.glob("*.eml"))) >= 24
    assert len(list(OWN.glob("*.eml"))) >= 30 and len(list(BOUNCES.glob("*.eml"))) >= 40


def _check(result: ParsedMessage) -> None:
    assert isinstance(result, ParsedMessage)
    assert result.kind in KINDS
    assert result.should_acknowledge == (result.kind == "request")
    assert (result.bounce is not None) == (result.kind == "bounce")
    for ident in result.identifiers:
        assert ident.timestamp is None or ident.timestamp.utcoffset() is not None
    result.to_contract("x.eml")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4096))
def test_random_bytes_never_raise(raw: bytes) -> None:
    """Random bytes give a ParsedMessage, never an exception."""
    _check(parse_message(raw))


_MUTATIONS = st.sampled_from(["delete", "insert", "duplicate", "flip", "truncate"])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(range(len(SEEDS))), st.lists(
    st.tuples(_MUTATIONS, st.floats(0, 1), st.integers(1, 200),
              st.binary(min_size=1, max_size=40)),
    min_size=1, max_size=6))
def test_mutated_mime_never_raises(seed: int, edits: list[tuple[str, float, int, bytes]]) -> None:
    """Sample and test mail with bytes deleted, inserted, duplicated or flipped never raise."""
    data = bytearray(SEEDS[seed])
    for op, where, length, blob in edits:
        at = int(where * len(data))
        if op == "delete":
            del data[at:at + length]
        elif op == "insert":
            data[at:at] = blob
        elif op == "duplicate":
            data[at:at] = data[at:at + length]
        elif op == "flip" and at < len(data):
            data[at] ^= blob[0]
        elif op == "truncate":
            del data[at:]
    _check(parse_message(bytes(data)))


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=300),
       st.sampled_from(["utf-8", "iso-8859-2", "x-unknown", "utf-16", "iso-2022-jp", ""]),
       st.sampled_from(["7bit", "8bit", "base64", "quoted-printable", "x-uue"]))
def test_odd_headers_and_encodings_never_raise(text: str, charset: str, cte: str) -> None:
    """Unknown charsets and transfer encodings, and arbitrary header text, never raise."""
    raw = (f"From: {text[:40]}\r\nSubject: =?{charset or 'x'}?B?{text[:20]}?=\r\n"
           f"Content-Type: text/plain; charset={charset}\r\nContent-Transfer-Encoding: {cte}\r\n"
           f"Message-ID: <{text[:10]}>\r\nDate: {text[:15]}\r\n\r\n"
           ).encode("utf-8", "surrogatepass")
    _check(parse_message(raw + text.encode("utf-8", "surrogatepass")))


def test_hostile_attachments_are_bounded() -> None:
    """A broken PDF and a fake DOCX are listed with a warning, not read, and do not raise."""
    b64 = b"Content-Transfer-Encoding: base64\r\n\r\n"
    raw = (b"From: a@b.example\r\nSubject: files\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/mixed; boundary=b\r\n\r\n"
           b"--b\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n"
           b"--b\r\nContent-Type: application/pdf; name=a.pdf\r\n"
           + b64 + base64.encodebytes(b"%PDF-1.4 garbage" * 50)
           + b"--b\r\nContent-Type: application/octet-stream; name=b.docx\r\n"
           + b64 + base64.encodebytes(b"PK\x03\x04 not a zip")
           + b"--b--\r\n")
    r = parse_message(raw)
    assert r.error is None
    assert [a.text_extracted for a in r.attachments] == [False, False]
    assert len(r.warnings) >= 1


def test_two_megabyte_message_parses_under_a_second() -> None:
    """A 2 MB request with a bulk log attached in the body parses in under a second."""
    head = (SAMPLES / "001-ie-preservation-en-template.eml").read_bytes()
    lines = [f"2026-11-0{i % 9 + 1} 0{i % 10}:{i % 60:02d}:00 GET /?id={i} from "
             f"198.51.100.{i % 250} user{i}@mail.example".encode() for i in range(30000)]
    raw = (head + b"\r\nLog extract:\r\n" + b"\r\n".join(lines))[:2 * 1024 * 1024]
    parse_message(head)  # the language models load once per process
    start = time.process_time()  # CPU time: other work on a shared machine does not count
    r = parse_message(raw)
    elapsed = time.process_time() - start
    assert r.kind == "request" and r.error is None
    assert elapsed < 1.0, elapsed


def test_deep_nesting_is_cut() -> None:
    """Messages nested in messages beyond a depth are ignored with a warning."""
    inner = b"From: a@b.example\r\nSubject: x\r\n\r\nbody\r\n"
    for n in range(8):
        inner = (b"From: a@b.example\r\nSubject: level %d\r\nMIME-Version: 1.0\r\n"
                 b"Content-Type: message/rfc822\r\n\r\n" % n) + inner
    r = parse_message(inner)
    assert r.error is None and any("deep" in w for w in r.warnings)


def _nested(depth: int, container: str) -> bytes:
    """A message whose MIME tree is `depth` levels deep; each multipart level also holds a
    text part naming its level."""
    body = b"Content-Type: text/plain\r\n\r\ninnermost text\r\n"
    for n in range(depth):
        if container == "multipart":
            body = (b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (n, n)
                    + body + b"\r\n--b%d\r\nContent-Type: text/plain\r\n\r\nlevel %d text\r\n"
                    b"--b%d--\r\n" % (n, n, n))
        else:
            body = (b"Content-Type: message/rfc822\r\n\r\nFrom: x@y.example\r\n"
                    b"Subject: level %d\r\n" % n + body)
    return b"From: a@b.example\r\nSubject: deep\r\nMIME-Version: 1.0\r\n" + body


def test_mime_nested_2000_deep_gives_a_result() -> None:
    """Multiparts and attached messages nested 2,000 deep give a result with a warning that
    names the depth limit, not a recursion error."""
    for container in ("multipart", "message"):
        r = parse_message(_nested(2000, container))
        assert r.error is None, container
        assert any("nested deeper than 50 levels" in w for w in r.warnings), container


def test_parts_above_the_depth_limit_are_kept() -> None:
    """Cut at 50 levels, the text of every level above the cut is still read; a tree within
    the limit is read whole, without a warning."""
    r = parse_message(_nested(300, "multipart"))
    assert r.error is None
    assert "level 299 text" in r.own_text and "level 250 text" in r.own_text
    assert "level 249 text" not in r.own_text and "innermost text" not in r.own_text
    whole = parse_message(_nested(49, "multipart"))
    assert "innermost text" in whole.own_text and "level 0 text" in whole.own_text
    assert not any("nested" in w for w in whole.warnings)


_TEXTISH = st.text(alphabet=st.sampled_from(
    list("0123456789:./-+ ()[]@_\"'\n>abcdefhijklmnoprstuvwxyzACEGMTUZ§çéüőłİß年月日")),
    max_size=400)


@settings(max_examples=200, deadline=None)
@given(_TEXTISH)
def test_text_parsers_never_raise(text: str) -> None:
    """Dates, identifiers, quoting and template sections accept any text."""
    from parsers import identifiers, quoting, template
    from parsers.timeparse import find_dates, zone_from_text

    for found in find_dates(text):
        found.instant(None)
    zone_from_text(text)
    identifiers.extract(text, region="FR")
    quoting.own_text(text)
    quoting.split_forward(text, outlook_blocks=True)
    template.template_fields(template.find_sections(text))


def test_attachments_read_per_message_are_bounded() -> None:
    """Beyond a few attachments per message the rest are listed, not read, with a warning."""
    part = (b"--b\r\nContent-Type: text/plain; name=n.txt\r\n"
            b"Content-Disposition: attachment; filename=n.txt\r\n\r\nnote\r\n")
    raw = (b"From: a@b.example\r\nSubject: many\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/mixed; boundary=b\r\n\r\n" + part * 10 + b"--b--\r\n")
    r = parse_message(raw)
    assert len(r.attachments) == 10
    assert sum(a.text_extracted for a in r.attachments) == 4
    assert any("more than 4 attachments" in w for w in r.warnings)
