"""HTML to plain text: visible text only, blocks as lines, quotes as `>` lines; nothing fetched."""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCK = frozenset(
    (
        "p", "div", "br", "tr", "li", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6",
        "pre", "hr", "section", "article", "header", "footer", "blockquote", "dt", "dd",
        "address", "center",
    )
)
_SKIP = frozenset(("script", "style", "head", "title", "template", "noscript", "xml"))


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.skip = 0
        self.quote = 0
        self.cells = 0
        self.size = 0
        self.pre = 0

    def _flush(self) -> None:
        line = re.sub(r"[ \t\u00a0]+", " ", "".join(self.current)).strip()
        self.current = []
        self.cells = 0
        prefix = "> " * self.quote
        self.size += len(line) + 1
        if line or (self.lines and self.lines[-1].strip("> ")):
            self.lines.append(prefix + line if line else prefix.rstrip())

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip += 1
            return
        if tag in _BLOCK:
            self._flush()
        if tag == "blockquote":
            self.quote += 1
        elif tag == "pre":
            self.pre += 1
        elif tag == "li":
            self.current.append("- ")
        elif tag in ("td", "th"):
            if self.cells:
                text = "".join(self.current).rstrip()
                sep = " " if text.endswith(":") else ": " if self.cells == 1 else " | "
                self.current.append(sep)
            self.cells += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
            return
        if tag in _BLOCK:
            self._flush()
        if tag == "blockquote":
            self.quote = max(0, self.quote - 1)
        elif tag == "pre":
            self.pre = max(0, self.pre - 1)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "hr"):
            self._flush()

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.pre:  # preformatted text keeps its lines (pasted headers, transcripts)
            lines = data.replace("\r\n", "\n").replace("\r", "\n").split("\n")
            for line in lines[:-1]:
                self.current.append(line)
                self._flush()
            self.current.append(lines[-1])
            return
        self.current.append(data.replace("\n", " ").replace("\r", " "))


MAX_TEXT = 100_000  # visible characters collected; the rest of a huge page is not read
_CHUNK = 65536


def html_to_text(html: str) -> str:
    """The visible text of an HTML document (its first MAX_TEXT characters)."""
    parser = _Text()
    try:
        for start in range(0, len(html), _CHUNK):
            parser.feed(html[start : start + _CHUNK])
            if parser.size > MAX_TEXT:
                break
        parser.close()
    except (AssertionError, ValueError):
        pass
    parser._flush()
    return "\n".join(parser.lines).strip()
