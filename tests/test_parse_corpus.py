"""The project's own corpus (tests/data/corpus), scored by the contract's rules, meets the
parser's thresholds; its expected answers keep the contract's rules themselves."""

from __future__ import annotations

import email
import json
import re
from datetime import datetime
from pathlib import Path

import pytest

from parsers.attachments import extract_text
from parsers.directory import load_toml
from parsers.message import parse_message
from tests import scoring
from tests.data.corpus import make_corpus

CORPUS = Path(__file__).resolve().parent / "data" / "corpus"
MAIL = CORPUS / "mail"
TRUTH = scoring.load_truth(CORPUS / "truth.json")
KINDS = {"request", "reply", "auto_reply", "bounce", "ping_reply", "other"}
REQUEST_TYPES = {"preservation", "preservation_extension", "traffic_disclosure", "stored_data",
                 "emergency_disclosure", "information"}


def test_corpus_scores_above_thresholds() -> None:
    """Overall >= 0.95, kind and should_acknowledge exact, identifier F1 >= 0.90 and at least
    0.85 of all identifiers found with the right instant."""
    directory = load_toml((CORPUS / "directory.toml").read_bytes())
    output = {}
    for path in sorted(MAIL.glob("*.eml")):
        result = parse_message(path.read_bytes(), directory)
        # Through JSON, as the command prints it.
        output[path.name] = json.loads(json.dumps(result.to_contract(path.name)))
    r = scoring.score(TRUTH, output)
    assert r.messages == len(output) >= 24
    assert r.accuracy["kind"] == 1.0, r.report()
    assert r.accuracy["should_acknowledge"] == 1.0, r.report()
    assert r.f1 >= 0.90, r.report()
    assert r.found_with_right_instant >= 0.85, r.report()
    assert r.overall >= 0.95, r.report()


def test_contract_has_exactly_the_fields() -> None:
    """Every contract object has exactly the README's fields, with explicit nulls."""
    raw = (MAIL / "021-newsletter.eml").read_bytes()
    obj = parse_message(raw).to_contract("021-newsletter.eml")
    assert list(obj) == ["file", "kind", "request_type", "urgent", "country", "sender_verified",
                         "case_ref", "their_reference", "previous_reference", "identifiers",
                         "provider", "language", "should_acknowledge"]
    assert obj["identifiers"] == [] and obj["request_type"] is None


def test_every_mail_has_one_expected_answer() -> None:
    """truth.json answers for every .eml of the corpus and for nothing else."""
    assert sorted(TRUTH) == sorted(p.name for p in MAIL.glob("*.eml"))


@pytest.mark.parametrize("name", sorted(TRUTH))
def test_expected_answer_keeps_the_contract(name: str) -> None:
    """Each expected answer has every field, and what one field implies for the others holds:
    only requests have a type, identifiers, a provider, urgency and an acknowledgement;
    only extensions a previous reference; bounces no country; instants carry an offset."""
    t = TRUTH[name]
    assert set(t) == {*scoring.FIELDS, "identifiers"}
    assert t["kind"] in KINDS
    request = t["kind"] == "request"
    assert t["should_acknowledge"] is request
    assert (t["request_type"] in REQUEST_TYPES) if request else t["request_type"] is None
    if not request:
        assert t["identifiers"] == [] and t["provider"] is None and t["urgent"] is False
    if t["kind"] in ("auto_reply", "bounce", "ping_reply", "other"):
        assert t["their_reference"] is None
    if t["request_type"] != "preservation_extension":
        assert t["previous_reference"] is None
    if t["request_type"] == "emergency_disclosure":
        assert t["urgent"] is True
    if t["kind"] == "bounce":
        assert t["country"] is None
    for f in ("urgent", "sender_verified"):
        assert isinstance(t[f], bool)
    assert t["case_ref"] is None or re.fullmatch(r"WK-\d{4}-\d{5}", t["case_ref"])
    assert not (t["their_reference"] or "").startswith("WK-")
    for ident in t["identifiers"]:
        assert scoring.identifier_key(ident["type"], ident["value"]) == (ident["type"],
                                                                         ident["value"])
        stamp = ident["timestamp"]
        assert stamp is None or isinstance(scoring.instant(stamp), datetime)


def _content(raw: bytes) -> list[object]:
    """A message as its headers and parts; an attachment as the text it carries, so a new
    python-docx template or zlib build does not count as a change."""
    out: list[object] = []
    for part in email.message_from_bytes(raw).walk():
        out.append(part.items())
        if part.get_content_maintype() == "application":
            data = part.get_payload(decode=True)
            assert isinstance(data, bytes)
            out.append(extract_text(part.get_filename(), part.get_content_type(), data))
        elif not part.is_multipart():
            out.append(part.get_payload())
    return out


def test_corpus_is_what_the_generator_writes(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """make_corpus.py writes the committed .eml files: the same headers, bodies and
    attachment text, so the corpus can be rebuilt and is never edited by hand."""
    monkeypatch.setattr(make_corpus, "MAIL", tmp_path)
    make_corpus.main()
    written = {p.name: p.read_bytes() for p in tmp_path.glob("*.eml")}
    committed = {p.name: p.read_bytes() for p in MAIL.glob("*.eml")}
    assert sorted(written) == sorted(committed)
    assert [n for n in sorted(written) if _content(written[n]) != _content(committed[n])] == []
