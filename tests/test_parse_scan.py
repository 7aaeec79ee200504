"""The fast scanning shortcuts give exactly what a full search of the text gives."""

from __future__ import annotations

import random
import re
from pathlib import Path
from types import ModuleType

import pytest

from parsers import authority, identifiers, language, requests, scan, topics
from parsers.mime import parse_bytes
from parsers.timeparse import _DATE_PATTERNS, _ISO_DT, _TIME_RE

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples" / "corpus"
DATA = Path(__file__).resolve().parent / "data" / "parse"

# Words, numbers and identifiers shuffled into long texts: marks far from and near matches.
_PIECES = (
    "the", "request", "preserve", "account", "IP", "198.51.100.7", "2001:db8::1", "on",
    "2 November 2026", "14:05", "UTC", "+32 2 555 01 23", "tel.", "02 555 01 23",
    "user@mail.example", "@handle_1", "https://files.example/a?b=1", "www.shop.example", "e.g.",
    "Nov.", "12/11/2026", "fe80::1%eth0", "a:b:c", "October 3, 2026", "10h30", "Uhr", "\n",
    "\n\n", "   ", "-", ":", "[.]", "hxxp://x.example",
)


def _texts() -> list[str]:
    texts = []
    for path in sorted(SAMPLES.glob("*.eml")) + sorted(DATA.glob("*.eml")):
        decoded = parse_bytes(path.read_bytes())
        texts.append(decoded.text)
        texts.extend(a.text for a in decoded.attachments if a.text)
    rng = random.Random(7)
    for _ in range(40):
        words = [rng.choice(_PIECES) for _ in range(rng.randint(50, 600))]
        filler = ["prose"] * rng.randint(0, 300)
        texts.append(" ".join(filler + words + filler))
    return texts


TEXTS = _texts()
GATED = [
    (identifiers._URL, scan.SCHEME), (identifiers._EMAIL, scan.AT),
    (identifiers._IPV6, scan.HEX_COLONS), (identifiers._IPV4, scan.DIGIT),
    (identifiers._DOMAIN, scan.DOTTED), (identifiers._PHONE, scan.DIGIT),
    (identifiers._LOCAL_PHONE, scan.DIGIT), (identifiers._HANDLE, scan.AT),
    (_ISO_DT, scan.DIGIT), (_TIME_RE, scan.DIGIT),
    *((rx, scan.DIGIT) for _, rx in _DATE_PATTERNS),
]


def _spans(matches: object) -> list[tuple[int, int]]:
    return [m.span() for m in matches]  # type: ignore[attr-defined]


@pytest.mark.parametrize(("rx", "mark"), GATED, ids=lambda x: getattr(x, "pattern", "")[:30])
def test_gated_search_finds_what_a_full_search_finds(rx: re.Pattern[str],
                                                     mark: re.Pattern[str]) -> None:
    assert len(TEXTS) > 40
    seen = 0
    for text in TEXTS:
        full = _spans(rx.finditer(text))
        seen += len(full)
        assert _spans(scan.finditer(rx, text, mark)) == full
    assert seen > 0  # the corpus exercises every pattern


def test_regions_are_disjoint_whole_words_around_each_mark() -> None:
    text = "word " * 100 + "at 10:30 today " + "word " * 100 + "and 2026 " + "x" * 50
    spans = scan.regions(text, scan.DIGIT, margin=20)
    assert len(spans) == 2
    for lo, hi in spans:
        assert lo == 0 or text[lo - 1].isspace()
        assert hi == len(text) or text[hi].isspace()
    assert text.index("10:30") in range(*spans[0])
    assert spans[1][1] == len(text)  # the last word is taken whole
    assert scan.regions("no marks here", scan.DIGIT) == []


@pytest.mark.parametrize(("alternative", "stem"), [
    (r"preserv(?:e|ation|ing|ed)", "preserv"),
    (r"\bconserv(?:é|ée)s?\b", "conserv"),
    (r"(?:art(?:icles?|\.)?|§)\s*29\b", "29"),
    (r"life[- ]threatening", "threatening"),
    (r"abc?d", "ab"),
    (r"ab+cd", "ab"),
    (r"a|b", None),
    (r"(?:x|y)|foo", None),
    (r"[a-z]\.[a-z]", None),
])
def test_literal_stem(alternative: str, stem: str | None) -> None:
    assert scan.literal_stem(alternative) == stem


FAMILIES = [
    (requests, name) for name in ("PRESERVATION", "EXTENSION", "TRAFFIC", "DISCLOSURE",
                                  "STORED", "EMERGENCY", "STRONG_EMERGENCY", "INFORMATION",
                                  "NO_DATA", "ASK", "URGENT", "NOT_URGENT")
] + [
    (topics, name) for name in ("MLA_NOTICE", "MLA_SUBJECT", "NOTICE", "EARLIER", "ATTRIBUTION",
                                "TAKEDOWN", "INCIDENT", "ASSIST", "CONTACT", "LEGAL",
                                "CORRECTION", "ADDENDUM", "QUESTION")
] + [
    (authority, name) for name in ("TEXT_AUTHORITY", "SENDER_AUTHORITY", "PRIVATE_PARTY", "BULK",
                                   "ANNOUNCEMENT_SUBJECT", "ANNOUNCEMENT_BODY")
]
RARE = ("NO_DATA", "STRONG_EMERGENCY", "NOT_URGENT", "SENDER_AUTHORITY")


@pytest.mark.parametrize(("module", "name"), FAMILIES,
                         ids=[f"{m.__name__.rpartition('.')[2]}.{n}" for m, n in FAMILIES])
def test_keyword_family_counts_match_a_full_search(module: ModuleType, name: str) -> None:
    """A family searched only with the alternatives whose stems a text holds finds exactly
    what its whole pattern finds."""
    family = getattr(module, name)
    assert family.stems is not None  # every family can be skipped when its stems are absent
    hits = 0
    for text in TEXTS:
        low = text.lower()
        full = len(family.pattern.findall(low))
        hits += full
        assert family.count(low, cap=2) == min(full, 2)
        assert bool(family.search(low)) == bool(full)
        assert [m.span() for m in family.finditer(low)] == \
            [m.span() for m in family.pattern.finditer(low)]
    assert name in RARE or hits > 0


def test_narrowed_patterns_are_kept_bounded() -> None:
    """However many different texts a family sees, it keeps a bounded number of narrowed
    patterns, and a text holding every stem is searched with the whole pattern."""
    family = requests.EMERGENCY
    rng = random.Random(3)
    stems = list(family.stems or ())
    for _ in range(3 * family._NARROWED_KEPT):
        family.count(" ".join(rng.sample(stems, 3)))
    assert len(family._narrowed) <= family._NARROWED_KEPT
    assert family.pattern_for(" ".join(stems)) is family.pattern


def test_refang_only_touches_defanged_text() -> None:
    assert identifiers.refang("hxxps://evil[.]example and a[@]b(.)example") == \
        "https://evil.example and a@b.example"
    plain = "Nothing (here) [x] to change."
    assert identifiers.refang(plain) == plain


def test_language_detection_stops_early_only_when_the_rest_cannot_change_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    english = "We kindly ask you to preserve the data of the account described below. " * 3
    french = "Nous vous demandons de conserver les données du compte décrit ci-dessous. " * 3
    german = "Wir bitten Sie, die Daten des unten beschriebenen Kontos zu sichern. " * 3
    mixed = [
        "\n\n".join(parts) for parts in (
            [english, french], [french, english], [english, english, german, german, german],
            [german, english, french, english, french], [english, english, french] * 3,
        )
    ]
    texts = [t for t in TEXTS if t.strip()] + mixed
    early = [language.detect(t) for t in texts]
    monkeypatch.setattr(language, "_settled", lambda *_: False)
    full = [language.detect(t) for t in texts]
    assert early == full
    assert {"en", "fr", "de"} <= set(full)


def test_regions_in_one_endless_word_reach_a_bounded_distance() -> None:
    """In a hostile body that is one long token, a region is widened towards the word's
    edges by at most WORD_LIMIT characters, and still holds its mark."""
    text = "x" * 20_000 + "7" + "y" * 20_000
    [(lo, hi)] = scan.regions(text, scan.DIGIT)
    assert lo == 20_000 - scan.MARGIN - scan.WORD_LIMIT
    assert hi == 20_001 + scan.MARGIN + scan.WORD_LIMIT
    assert scan.regions("7 " + "x" * 10, scan.DIGIT) == [(0, 12)]
