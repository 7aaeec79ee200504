"""Language of the sender's own text, with lingua over the languages mail to the desk uses."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

# Languages of the parties to the Convention and of the partners that write to the desk.
LANGUAGES = [
    "ENGLISH", "FRENCH", "GERMAN", "SPANISH", "PORTUGUESE", "ITALIAN", "ROMANIAN", "POLISH",
    "TURKISH", "DUTCH", "SWEDISH", "DANISH", "BOKMAL", "NYNORSK", "FINNISH", "ESTONIAN",
    "LATVIAN", "LITHUANIAN", "CZECH", "SLOVAK", "SLOVENE", "CROATIAN", "SERBIAN", "BOSNIAN",
    "HUNGARIAN", "BULGARIAN", "GREEK", "UKRAINIAN", "RUSSIAN", "ALBANIAN", "MACEDONIAN",
    "GEORGIAN", "ARMENIAN", "AZERBAIJANI", "JAPANESE", "TAGALOG", "CATALAN", "ICELANDIC", "IRISH",
    "HEBREW", "ARABIC", "INDONESIAN", "KOREAN", "CHINESE", "MALAY", "AFRIKAANS",
]
MIN_LETTERS = 12  # below this a paragraph says too little about its language
CHUNK_LETTERS = 150  # paragraphs are joined up to this many letters before detection
PARAGRAPH_CHARS = 400  # enough to know a paragraph's language
MAX_CHARS = 1200  # the opening paragraphs decide; detection time grows with length
HINT_LETTERS = 200  # paragraphs shorter than this may lean towards the sender's languages
HINT_RATIO = 0.3  # how close to the detector's first choice a hinted language must be
# Addresses, links and numbers carry no language and confuse the detector.
_NOISE = re.compile(r"\S+@\S+|\b(?:https?|hxxps?|ftp)://\S+|\S*\[\.\]\S*|[\w.-]+\.[a-z]{2,}/\S*|"
                    r"\b[\w-]*\d[\w./:-]*", re.IGNORECASE)


@lru_cache(maxsize=1)
def _detector() -> Any:
    from lingua import Language, LanguageDetectorBuilder

    langs = [getattr(Language, n) for n in LANGUAGES if hasattr(Language, n)]
    # Low-accuracy mode loads in a fraction of a second; mail paragraphs are long enough.
    return LanguageDetectorBuilder.from_languages(*langs).with_low_accuracy_mode().build()


def _code(language: Any) -> str:
    code: str = language.iso_code_639_1.name.lower()
    return code


def detect(text: str, hints: tuple[str, ...] = ()) -> str | None:
    """ISO 639-1 code of the main language; when several languages share the text evenly
    (a message repeated in two languages), the one that comes first.

    `hints` are the languages the sender is known to write (the directory's); on a short
    paragraph, where the detector is unsure, a hinted language close to the top one wins.
    """
    text = _NOISE.sub(" ", text)
    paragraphs = _chunks([p for p in re.split(r"\n\s*\n", text) if _letters(p) >= MIN_LETTERS])
    if not paragraphs:
        return None if _letters(text) < 3 else _detect_one(text)
    weights: dict[str, int] = {}
    first: dict[str, int] = {}
    budget = MAX_CHARS
    for n, p in enumerate(paragraphs):
        if budget <= 0 or _settled(weights, first, budget + PARAGRAPH_CHARS):
            break
        p = p[:PARAGRAPH_CHARS]
        budget -= len(p)
        code = _detect_one(p, hints)
        if code is None:
            continue
        weights[code] = weights.get(code, 0) + _letters(p)
        first.setdefault(code, n)
    if not weights:
        return None
    total = sum(weights.values())
    top = max(weights.values())
    close = [c for c, w in weights.items() if w >= 0.6 * top and w >= 0.25 * total]
    return min(close, key=lambda c: first[c])


def _settled(weights: dict[str, int], first: dict[str, int], extra: int) -> bool:
    """Whether the first language found wins whatever at most `extra` more letters say:
    it stays within 60% of the top weight and above a quarter of the total even if they
    all went to its strongest rival. Then the rest need not be read."""
    if not weights:
        return False
    leader = min(first, key=first.__getitem__)
    rival = max((w for c, w in weights.items() if c != leader), default=0)
    total = sum(weights.values())
    return weights[leader] >= 0.6 * (rival + extra) and weights[leader] >= 0.25 * (total + extra)


def _chunks(paragraphs: list[str]) -> list[str]:
    """Short paragraphs (greeting, one-line items) joined until each chunk says enough:
    fewer, longer calls to the detector, each more reliable."""
    out: list[str] = []
    current, letters = "", 0
    for p in paragraphs:
        current = f"{current}\n\n{p}" if current else p
        letters += _letters(p)
        if letters >= CHUNK_LETTERS:
            out.append(current)
            current, letters = "", 0
    if current:
        if out and letters < MIN_LETTERS * 4:
            out[-1] = f"{out[-1]}\n\n{current}"
        else:
            out.append(current)
    return out


def letters(text: str) -> int:
    """How many letters a text has: too few, and no detector can tell its language."""
    return sum(map(str.isalpha, text))


_letters = letters


def _detect_one(text: str, hints: tuple[str, ...] = ()) -> str | None:
    try:
        if hints and _letters(text) < HINT_LETTERS:
            values = _detector().compute_language_confidence_values(text)
            if not values:
                return None
            top = values[0].value
            for v in values:
                if _code(v.language) in hints and v.value >= HINT_RATIO * top:
                    return _code(v.language)
            return _code(values[0].language)
        language = _detector().detect_language_of(text)
    except Exception:  # the detector is a native extension; never let it break a parse
        return None
    return _code(language) if language is not None else None
