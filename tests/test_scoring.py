"""The corpus scorer follows the contract's comparison rules, so the corpus test can fail."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests import scoring

REQUEST: dict[str, Any] = {
    "kind": "request", "request_type": "preservation", "urgent": False, "country": "IE",
    "sender_verified": True, "case_ref": None, "their_reference": "GNCCB-2026-0614",
    "previous_reference": None,
    "identifiers": [
        {"type": "ipv4", "value": "203.0.113.58", "timestamp": "2026-10-14T23:41:07+00:00"},
        {"type": "email", "value": "a.b@mail.example", "timestamp": None},
    ],
    "provider": "Driftbox Storage B.V.", "language": "en", "should_acknowledge": True,
}
OTHER: dict[str, Any] = {
    "kind": "other", "request_type": None, "urgent": False, "country": None,
    "sender_verified": False, "case_ref": None, "their_reference": None,
    "previous_reference": None, "identifiers": [], "provider": None, "language": "en",
    "should_acknowledge": False,
}
TRUTH = {"a.eml": REQUEST, "b.eml": OTHER}


def output(**changes: Any) -> dict[str, dict[str, Any]]:
    """The truth as output, with fields of a.eml changed."""
    out = copy.deepcopy(TRUTH)
    out["a.eml"].update(changes)
    return out


def test_the_truth_itself_scores_one() -> None:
    """Output equal to the truth scores 1 everywhere and lists no difference."""
    r = scoring.score(TRUTH, copy.deepcopy(TRUTH))
    assert set(r.accuracy.values()) == {1.0}
    assert (r.precision, r.recall, r.f1, r.found_with_right_instant, r.overall) == (1, 1, 1, 1, 1)
    assert r.differences == []


def test_missing_message_and_missing_field_are_wrong() -> None:
    """A message without output is wrong on every field and misses its identifiers; a field
    left out is wrong even where the truth is null."""
    r = scoring.score(TRUTH, {"b.eml": OTHER})
    assert set(r.accuracy.values()) == {0.5}
    assert (r.true_positives, r.false_negatives) == (0, 2)
    assert "a.eml: no output" in r.differences
    out = output()
    del out["a.eml"]["case_ref"]
    assert scoring.score(TRUTH, out).accuracy["case_ref"] == 0.5


@pytest.mark.parametrize(("name", "given", "right"), [
    ("provider", "  driftbox   STORAGE b.v ", True),
    ("provider", "Driftbox Storage B.V.;", True),
    ("provider", "Driftbox Storage", False),
    ("their_reference", "gnccb-2026-0614", True),
    ("their_reference", "GNCCB-2026-0614.", False),
    ("their_reference", None, False),
    ("urgent", "false", False),
    ("urgent", 0, False),
    ("sender_verified", True, True),
    ("country", "ie ", True),
    ("case_ref", "", False),
    ("language", 1, False),
])
def test_field_comparison(name: str, given: object, right: bool) -> None:
    """Fields compare trimmed, whitespace-collapsed and case-blind; provider also without
    trailing punctuation; booleans only as booleans; null only as null."""
    r = scoring.score(TRUTH, output(**{name: given}))
    assert r.accuracy[name] == (1.0 if right else 0.5)


@pytest.mark.parametrize(("kind", "written", "canonical"), [
    ("ipv6", "2001:0DB8:0000:0042:0000:0000:0000:0B17", "2001:db8:0:42::b17"),
    ("ipv6", "[2001:db8::1]", "2001:db8::1"),
    ("ipv4", "198.51.100.7", "198.51.100.7"),
    ("email", "Treasury.Desk@HelixMail.example", "treasury.desk@helixmail.example"),
    ("domain", "Shop.Example.", "shop.example"),
    ("account", "@Quiet.Tide", "quiet.tide"),
    ("phone", "+61 (0)412-000 777", "+610412000777"),
    ("phone", "+61 412 000 777", "+61412000777"),
    ("url", "HTTPS://Shop.Example/Pay?Id=1", "https://shop.example/Pay?Id=1"),
    ("url", "https://shop.example", "https://shop.example/"),
])
def test_identifier_canonical_forms(kind: str, written: str, canonical: str) -> None:
    """IPs canonicalised, e-mails, domains and accounts case-folded, phones reduced to
    + and digits, URL scheme and host case-folded (the path kept as written)."""
    assert scoring.identifier_key(kind, written) == (kind, canonical)


def test_identifier_precision_recall_and_duplicates() -> None:
    """Micro precision and recall over (type, value): a wrong type is both a false positive
    and a miss; a duplicate counts once; an entry without a value is a false positive."""
    ids = [
        {"type": "IPv4", "value": "203.0.113.58", "timestamp": "2026-10-15T00:41:07+01:00"},
        {"type": "ipv4", "value": "203.0.113.58", "timestamp": None},
        {"type": "domain", "value": "a.b@mail.example", "timestamp": None},
        {"type": "url", "value": "", "timestamp": None},
    ]
    r = scoring.score(TRUTH, output(identifiers=ids))
    assert (r.true_positives, r.false_positives, r.false_negatives) == (1, 2, 1)
    assert r.precision == pytest.approx(1 / 3) and r.recall == pytest.approx(1 / 2)
    assert r.f1 == pytest.approx(0.4)
    assert r.timestamp_accuracy == 1.0  # the first of the duplicates, the same instant


@pytest.mark.parametrize(("given", "right"), [
    ("2026-10-14T23:41:07Z", True),
    ("2026-10-15T01:41:07+02:00", True),
    ("2026-10-14T23:41:07", False),  # no offset: never an instant
    ("2026-10-14T23:41:08+00:00", False),
    (None, False),
    ("14/10/2026 23:41", False),
])
def test_timestamps_compare_instants(given: str | None, right: bool) -> None:
    """A timestamp is right when it is the same instant in any offset; a naive time never is."""
    ids = [dict(REQUEST["identifiers"][0], timestamp=given), REQUEST["identifiers"][1]]
    r = scoring.score(TRUTH, output(identifiers=ids))
    assert r.true_positives == 2
    assert r.timestamps_right == (2 if right else 1)


def test_null_timestamp_matches_only_null() -> None:
    """An identifier the truth gives no time is right only without a time."""
    ids = [REQUEST["identifiers"][0],
           dict(REQUEST["identifiers"][1], timestamp="2026-10-14T23:41:07+00:00")]
    assert scoring.score(TRUTH, output(identifiers=ids)).timestamps_right == 1


def test_overall_is_the_mean_of_thirteen_figures() -> None:
    """Overall: the eleven field accuracies, the identifier F1 and the share found with the
    right instant, averaged."""
    ids = [dict(REQUEST["identifiers"][0], timestamp=None)]
    r = scoring.score(TRUTH, output(kind="reply", identifiers=ids))
    assert r.accuracy["kind"] == 0.5
    assert (r.precision, r.recall) == (1.0, 0.5)
    assert r.found_with_right_instant == 0.0
    assert r.overall == pytest.approx((10 + 0.5 + 2 / 3 + 0.0) / 13)
