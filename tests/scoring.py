"""Scores parse output against expected answers, by the comparison rules of the parse
output contract ("How results are compared").

* The eleven fields: exact-match accuracy over all expected messages, after trimming,
  collapsing whitespace and ignoring case (`provider` also ignores trailing punctuation).
  Booleans must be booleans. A missing key, or a missing message, is wrong.
* Identifiers: micro precision, recall and F1 over canonical (type, value) pairs.
* Timestamps: over the pairs found, whether the instant is right (a time without an offset
  never is; null matches only null).
* Overall: the mean of the eleven accuracies, the identifier F1 and the share of all
  expected identifiers found with the right instant.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

FIELDS = ("kind", "request_type", "urgent", "country", "sender_verified", "case_ref",
          "their_reference", "previous_reference", "provider", "language",
          "should_acknowledge")
BOOLEANS = frozenset({"urgent", "sender_verified", "should_acknowledge"})
_WRONG = object()  # a value that equals nothing, not even itself


@dataclass
class Score:
    """The figures of one comparison, and a line for every difference found."""

    messages: int
    accuracy: dict[str, float]
    true_positives: int
    false_positives: int
    false_negatives: int
    timestamps_right: int
    differences: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        if found == 0:
            return 1.0 if self.false_negatives == 0 else 0.0
        return self.true_positives / found

    @property
    def recall(self) -> float:
        expected = self.true_positives + self.false_negatives
        return self.true_positives / expected if expected else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def timestamp_accuracy(self) -> float | None:
        """Right instants among the identifiers found; None when none was found."""
        if self.true_positives == 0:
            return None
        return self.timestamps_right / self.true_positives

    @property
    def found_with_right_instant(self) -> float:
        """Identifiers found with the right instant, over every expected identifier."""
        expected = self.true_positives + self.false_negatives
        return self.timestamps_right / expected if expected else 1.0

    @property
    def overall(self) -> float:
        parts = [*self.accuracy.values(), self.f1, self.found_with_right_instant]
        return sum(parts) / len(parts)

    def report(self) -> str:
        lines = [f"{name}: {value:.3f}" for name, value in self.accuracy.items()]
        lines.append(f"identifiers: P={self.precision:.3f} R={self.recall:.3f} F1={self.f1:.3f}")
        lines.append(f"found with the right instant: {self.found_with_right_instant:.3f}")
        lines.append(f"overall: {self.overall:.3f}")
        return "\n".join(lines + self.differences)


def load_truth(path: Path) -> dict[str, dict[str, Any]]:
    data: dict[str, dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return data


def field_value(name: str, value: object) -> object:
    """What a field's value is compared as."""
    if name in BOOLEANS:
        return value if isinstance(value, bool) else _WRONG
    if value is None:
        return None
    if not isinstance(value, str):
        return _WRONG
    text = " ".join(value.split()).casefold()
    if name == "provider":
        text = re.sub(r"[\s.,;:!?]+$", "", text)
    return text


def identifier_key(kind: str, value: str) -> tuple[str, str]:
    """The canonical (type, value) pair an identifier is matched by."""
    kind = kind.strip().casefold()
    value = value.strip()
    if kind in ("ipv4", "ipv6"):
        try:
            return kind, ipaddress.ip_address(value.strip("[]")).compressed
        except ValueError:
            return kind, value.casefold()
    if kind == "email":
        return kind, value.casefold().removeprefix("mailto:")
    if kind == "domain":
        return kind, value.casefold().rstrip(".")
    if kind == "account":
        return kind, value.lstrip("@").casefold()
    if kind == "phone":
        digits = re.sub(r"\D", "", value)
        return kind, f"+{digits}" if value.startswith("+") else digits
    if kind == "url":
        try:
            parts = urlsplit(value)
        except ValueError:
            return kind, value
        if parts.scheme and parts.netloc:
            return kind, urlunsplit((parts.scheme.casefold(), parts.netloc.casefold(),
                                     parts.path or "/", parts.query, parts.fragment))
        return kind, value
    return kind, value.casefold()


def instant(value: object) -> object:
    """An aware datetime, None for null, or a value that matches nothing."""
    if value is None:
        return None
    if not isinstance(value, str):
        return _WRONG
    text = value.strip()
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return _WRONG
    return moment if moment.utcoffset() is not None else _WRONG


def _identifiers(value: object) -> tuple[dict[tuple[str, str], object], int]:
    """{key: timestamp} of a message's identifiers (the first of duplicates kept), and the
    number of entries that are not identifiers at all."""
    found: dict[tuple[str, str], object] = {}
    unusable = 0
    if value is None or value is _WRONG:  # nothing given: every expected one is missed
        return found, 0
    if not isinstance(value, list):
        return found, 1
    for entry in value:
        if not (isinstance(entry, dict) and isinstance(entry.get("type"), str)
                and isinstance(entry.get("value"), str) and entry["value"].strip()):
            unusable += 1
            continue
        found.setdefault(identifier_key(entry["type"], entry["value"]),
                         entry.get("timestamp", _WRONG))
    return found, unusable


def _same_instant(expected: object, given: object) -> bool:
    a, b = instant(expected), instant(given)
    if a is _WRONG or b is _WRONG:
        return False
    if a is None or b is None:
        return a is None and b is None
    return a == b


def score(truth: Mapping[str, Mapping[str, Any]],
          output: Mapping[str, Mapping[str, Any]]) -> Score:
    """Compare `output` ({file name: contract object}) with `truth` (the same shape)."""
    right = dict.fromkeys(FIELDS, 0)
    tp = fp = fn = on_time = 0
    differences: list[str] = []
    for name in sorted(truth):
        expected, given = truth[name], output.get(name)
        if given is None:
            differences.append(f"{name}: no output")
        for f in FIELDS:
            want = field_value(f, expected.get(f))
            got = field_value(f, given[f]) if given is not None and f in given else _WRONG
            if want is not _WRONG and got is not _WRONG and want == got:
                right[f] += 1
            elif given is not None:
                shown = repr(given[f]) if f in given else "<missing>"
                differences.append(f"{name}: {f} expected {expected.get(f)!r}, got {shown}")
        want_ids, _ = _identifiers(expected.get("identifiers"))
        got_ids, unusable = _identifiers(given.get("identifiers", _WRONG)
                                         if given is not None else None)
        fp += unusable + len(got_ids.keys() - want_ids.keys())
        fn += len(want_ids.keys() - got_ids.keys())
        for key in sorted(want_ids.keys() - got_ids.keys()):
            differences.append(f"{name}: identifier missed {key[0]} {key[1]}")
        for key in sorted(got_ids.keys() - want_ids.keys()):
            differences.append(f"{name}: identifier not expected {key[0]} {key[1]}")
        for key in sorted(want_ids.keys() & got_ids.keys()):
            tp += 1
            if _same_instant(want_ids[key], got_ids[key]):
                on_time += 1
            else:
                differences.append(f"{name}: timestamp of {key[0]} {key[1]} expected "
                                   f"{want_ids[key]!r}, got {got_ids[key]!r}")
    total = len(truth)
    accuracy = {f: right[f] / total if total else 0.0 for f in FIELDS}
    return Score(total, accuracy, tp, fp, fn, on_time, differences)
