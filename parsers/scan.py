"""Fast scanning of long texts: run an expensive pattern only where it can match.

Most of a request is prose. A date, an IP address or a phone number needs a digit, an
e-mail address an "@", a URL "://": the expensive patterns run only over the regions
around those cheap marks (a region reaches `MARGIN` characters either side, widened to
whole words), and give exactly the matches they would give over the whole text as long
as each match lies within `MARGIN` characters of its mark, or within the word around
that reach (up to `WORD_LIMIT` characters). Keyword families are skipped
outright when none of their literal stems occurs in the text.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from itertools import islice

MARGIN = 120  # characters either side of a mark searched by the expensive pattern

DIGIT = re.compile(r"\d+")
AT = re.compile(r"@+")
SCHEME = re.compile(r"://")
DOTTED = re.compile(r"[a-zA-Z0-9-]\.[a-zA-Z]")
HEX_COLONS = re.compile(r":[0-9a-fA-F]{0,4}:")
WORD_LIMIT = 4096  # longer "words" (a base64 blob, a wall of digits) are cut
_SPACE = re.compile(r"\s")
_UP_TO_LAST_SPACE = re.compile(r"[\s\S]*\s")  # greedy: ends just after the last space


def regions(text: str, mark: re.Pattern[str], margin: int = MARGIN) -> list[tuple[int, int]]:
    """Disjoint, ordered (start, end) spans of `text` around every match of `mark`."""
    out: list[tuple[int, int]] = []
    n = len(text)
    for m in mark.finditer(text):
        lo, hi = max(0, m.start() - margin), min(n, m.end() + margin)
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
            continue
        if out and hi <= out[-1][1]:
            continue
        out.append((lo, hi))
    widened: list[tuple[int, int]] = []
    for lo, hi in out:
        lo = _word_start(text, lo)
        hi = _word_end(text, hi)
        if widened and lo <= widened[-1][1]:
            widened[-1] = (widened[-1][0], max(widened[-1][1], hi))
        else:
            widened.append((lo, hi))
    return widened


def _word_start(text: str, pos: int) -> int:
    """`pos` moved back to the start of the word it falls in (at most WORD_LIMIT back)."""
    lo = max(0, pos - WORD_LIMIT)
    m = _UP_TO_LAST_SPACE.match(text, lo, pos)
    return m.end() if m else lo


def _word_end(text: str, pos: int) -> int:
    """`pos` moved forward to the end of the word it falls in (at most WORD_LIMIT on)."""
    m = _SPACE.search(text, pos, pos + WORD_LIMIT)
    return m.start() if m else min(len(text), pos + WORD_LIMIT)


def finditer(rx: re.Pattern[str], text: str, mark: re.Pattern[str],
             margin: int = MARGIN) -> Iterator[re.Match[str]]:
    """`rx.finditer(text)`, searched only around the matches of `mark`."""
    for lo, hi in regions(text, mark, margin):
        yield from rx.finditer(text, lo, hi)


def literal_stem(alternative: str) -> str | None:
    """The longest run of literal characters every match of an alternative contains, or
    None when it has none of two characters or more (then its family is always searched)."""
    if _top_level_bar(alternative):
        return None  # an alternation of its own: no single stem
    runs: list[str] = []
    run: list[str] = []
    i, n = 0, len(alternative)

    def close(keep: bool = True) -> None:
        if keep and run:
            runs.append("".join(run))
        run.clear()

    while i < n:
        c = alternative[i]
        if c in "([\\.^$":
            close()
            i = _skip_atom(alternative, i)
            if i < n and alternative[i] in "?*+{":
                i = _skip_quantifier(alternative, i)
            continue
        if c in "?*{":  # the character before is optional
            if run:
                run.pop()
            close()
            i = _skip_quantifier(alternative, i)
            continue
        if c == "+":  # the character before repeats: what follows is not adjacent
            close()
            i += 1
            continue
        run.append(c)
        i += 1
    close()
    best = max(runs, key=len, default="")
    return best if len(best) >= 2 else None


def _skip_atom(pattern: str, i: int) -> int:
    """The index just after the group, class, escape or metacharacter at `i`."""
    c = pattern[i]
    if c == "\\":
        return i + 2
    if c == "[":
        j = i + 1
        if j < len(pattern) and pattern[j] == "^":
            j += 1
        if j < len(pattern) and pattern[j] == "]":
            j += 1
        while j < len(pattern) and pattern[j] != "]":
            j += 2 if pattern[j] == "\\" else 1
        return j + 1
    if c == "(":
        for j, d, depth in _structure(pattern, i):
            if d == ")" and depth == 1:
                return j + 1
        return len(pattern)
    return i + 1


def _skip_quantifier(pattern: str, i: int) -> int:
    if pattern[i] == "{":
        j = pattern.find("}", i)
        i = len(pattern) if j == -1 else j + 1
    else:
        i += 1
    if i < len(pattern) and pattern[i] in "?+":  # lazy or possessive
        i += 1
    return i


def _top_level_bar(pattern: str) -> bool:
    return any(c == "|" and depth == 0 for _, c, depth in _structure(pattern, 0))


def _structure(pattern: str, start: int) -> Iterator[tuple[int, str, int]]:
    """(index, character, group depth before it) for each character from `start` that is
    neither escaped nor inside a character class."""
    depth, in_class, escaped = 0, False, False
    for j in range(start, len(pattern)):
        c = pattern[j]
        if escaped:
            escaped = False
        elif c == "\\":
            escaped = True
        elif in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
        else:
            yield j, c, depth
            depth += (c == "(") - (c == ")")


def each(words: str, rest: str) -> tuple[str, ...]:
    """Alternatives `\\b<word><rest>` for each of the `|`-separated words: one alternation
    written out so that every alternative keeps a literal stem (its word)."""
    return tuple(rf"\b{w}{rest}" for w in words.split("|"))


def union_source(alternatives: tuple[str, ...] | list[str]) -> str:
    """The source of one pattern of alternatives. Alternatives that start at a word
    boundary share one leading \\b, so the engine gives up at once inside words instead of
    trying each."""
    at_word = [a[2:] for a in alternatives if a.startswith(r"\b")]
    anywhere = [a for a in alternatives if not a.startswith(r"\b")]
    parts = ([r"\b(?:" + "|".join(f"(?:{a})" for a in at_word) + ")"] if at_word else [])
    parts += [f"(?:{a})" for a in anywhere]
    return "|".join(parts)


def union(alternatives: tuple[str, ...] | list[str], flags: int) -> re.Pattern[str]:
    """`union_source`, compiled."""
    return re.compile(union_source(alternatives), flags)


class Keywords:
    """A keyword family: a compiled pattern plus the stems one of which any match contains.

    Folded families match lower-cased text; `count` stops at `cap`, which is all callers
    need (whether a family is present, or present twice). A text is searched only with the
    alternatives whose stems it contains (an alternative cannot match without its stem), so
    a long family costs little more than the few words a text shares with it; the matches
    are exactly those of the whole pattern."""

    _NARROWED_KEPT = 1024  # sub-patterns kept per family

    def __init__(self, source: str, flags: int, alternatives: tuple[str, ...] | None) -> None:
        """`source` and `flags` make the whole pattern, compiled when it is first needed:
        the keyword tables hold hundreds of alternatives, and a process that never reads a
        mail (most `watchkeeper` commands) should not spend its start compiling them.
        `alternatives` are the pattern's sources (as `union_source` joined them), or None
        when the pattern is matched case-insensitively (then no stem can be looked up
        literally)."""
        self.source, self.flags = source, flags
        self.alternatives = alternatives or ()
        stems = [literal_stem(a) for a in alternatives] if alternatives else [None]
        self.stems: tuple[str, ...] | None = (
            None if any(s is None for s in stems) else tuple(sorted({s for s in stems if s}))
        )
        self._by_stem: dict[str, list[int]] = {}
        if self.stems is not None:
            for i, stem in enumerate(stems):
                assert stem is not None
                self._by_stem.setdefault(stem, []).append(i)
        self._narrowed: dict[tuple[int, ...], re.Pattern[str]] = {}

    @functools.cached_property
    def pattern(self) -> re.Pattern[str]:
        return re.compile(self.source, self.flags)

    def possible(self, text: str) -> bool:
        return self.stems is None or any(s in text for s in self.stems)

    def pattern_for(self, text: str) -> re.Pattern[str] | None:
        """The pattern of the alternatives whose stems `text` contains; None when none."""
        if self.stems is None:
            return self.pattern
        present = [i for stem, where in self._by_stem.items() if stem in text for i in where]
        if not present:
            return None
        if len(present) == len(self.alternatives):
            return self.pattern
        key = tuple(sorted(present))
        narrowed = self._narrowed.get(key)
        if narrowed is None:
            if len(self._narrowed) >= self._NARROWED_KEPT:
                self._narrowed.clear()
            narrowed = union([self.alternatives[i] for i in key], self.flags)
            self._narrowed[key] = narrowed
        return narrowed

    def count(self, text: str, cap: int = 2) -> int:
        pattern = self.pattern_for(text)
        if pattern is None:
            return 0
        return sum(1 for _ in islice(pattern.finditer(text), cap))

    def search(self, text: str) -> re.Match[str] | None:
        pattern = self.pattern_for(text)
        return pattern.search(text) if pattern is not None else None

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        pattern = self.pattern_for(text)
        return pattern.finditer(text) if pattern is not None else iter(())

    def sub(self, repl: str, text: str) -> str:
        pattern = self.pattern_for(text)
        return pattern.sub(repl, text) if pattern is not None else text
