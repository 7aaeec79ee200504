"""The shared sample corpus, scored by its own scorer, meets the parser's thresholds."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

from parsers.directory import load_toml
from parsers.message import parse_message

SAMPLES = Path(__file__).resolve().parents[1].parent / "shared" / "samples"


def _scorer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sample_score", SAMPLES / "score.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sample_corpus_scores_above_thresholds() -> None:
    """Overall >= 0.95, kind and should_acknowledge exact, identifier F1 >= 0.90 and at least
    0.85 of all identifiers found with the right instant."""
    directory = load_toml((SAMPLES / "directory.toml").read_bytes())
    score = _scorer()
    output = {}
    for path in sorted((SAMPLES / "corpus").glob("*.eml")):
        result = parse_message(path.read_bytes(), directory)
        # Through JSON, as the command prints it.
        output[path.name] = json.loads(json.dumps(result.to_contract(path.name)))
    truth = score.load_truth(SAMPLES / "truth.json")
    r = score.score(truth, output)
    assert r["acc"]["kind"] == 1.0
    assert r["acc"]["should_acknowledge"] == 1.0
    assert r["f1"] >= 0.90
    assert r["ts_score"] >= 0.85
    assert r["overall"] >= 0.95


def test_contract_has_exactly_the_fields() -> None:
    """Every contract object has exactly the README's fields, with explicit nulls."""
    raw = (SAMPLES / "corpus" / "021-newsletter.eml").read_bytes()
    obj = parse_message(raw).to_contract("021-newsletter.eml")
    assert list(obj) == ["file", "kind", "request_type", "urgent", "country", "sender_verified",
                         "case_ref", "their_reference", "previous_reference", "identifiers",
                         "provider", "language", "should_acknowledge"]
    assert obj["identifiers"] == [] and obj["request_type"] is None
