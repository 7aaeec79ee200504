"""Text of attachments that may carry a request (PDF, DOCX, plain text), within bounds."""

from __future__ import annotations

import io
import logging
import time
import zipfile

MAX_BYTES = 10 * 1024 * 1024  # attachments larger than this are not read
MAX_PAGES = 30  # PDF pages read
MAX_SECONDS = 3.0  # time spent reading one attachment
MAX_UNZIPPED = 40 * 1024 * 1024  # DOCX uncompressed size accepted
MAX_CHARS = 200_000  # text kept from one attachment

_DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _kind(filename: str | None, ctype: str) -> str | None:
    name = (filename or "").lower()
    if ctype == "application/pdf" or name.endswith(".pdf"):
        return "pdf"
    if ctype == _DOCX or name.endswith(".docx"):
        return "docx"
    if ctype == "text/plain" or name.endswith(".txt"):
        return "text"
    return None


def is_readable(filename: str | None, ctype: str) -> bool:
    """Whether this is a kind of attachment whose text is extracted (PDF, DOCX, plain text)."""
    return _kind(filename, ctype) is not None


def extract_text(
    filename: str | None, ctype: str, data: bytes, charset: str | None = None
) -> tuple[str, str | None]:
    """(text, warning): the attachment's text, or "" and why it was not read."""
    kind = _kind(filename, ctype)
    if kind is None or not data:
        return "", None
    label = filename or ctype
    if len(data) > MAX_BYTES:
        return "", f"attachment {label} not read: larger than {MAX_BYTES} bytes"
    try:
        if kind == "pdf":
            return _pdf(data, label)
        if kind == "docx":
            return _docx(data, label)
        from parsers.mime import decode_bytes

        return decode_bytes(data, charset)[:MAX_CHARS], None
    except Exception as exc:  # third-party readers raise anything on hostile files
        return "", f"attachment {label} not read: {type(exc).__name__}"


def _pdf(data: bytes, label: str) -> tuple[str, str | None]:
    if b"%PDF-" not in data[:1024]:  # readers look for the header in the first kilobyte
        return "", f"attachment {label} not read: not a PDF (no %PDF- header)"
    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    start = time.monotonic()
    reader = PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted:
        try:
            reader.decrypt("")
        except Exception:
            return "", f"attachment {label} not read: encrypted PDF"
    texts: list[str] = []
    note = None
    for n, page in enumerate(reader.pages):
        if n >= MAX_PAGES or time.monotonic() - start > MAX_SECONDS:
            note = f"attachment {label}: only the first {n} pages read"
            break
        texts.append(page.extract_text() or "")
        if sum(len(t) for t in texts) > MAX_CHARS:
            break
    return "\n".join(texts)[:MAX_CHARS], note


def _docx(data: bytes, label: str) -> tuple[str, str | None]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        if sum(i.file_size for i in z.infolist()) > MAX_UNZIPPED:
            return "", f"attachment {label} not read: too large when unzipped"
    import docx

    document = docx.Document(io.BytesIO(data))
    lines: list[str] = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            cells: list[str] = []
            for cell in row.cells:
                text = cell.text.strip()
                if not cells or text != cells[-1]:  # merged cells repeat their text
                    cells.append(text)
            lines.append(_row(cells))
    return "\n".join(lines)[:MAX_CHARS], None


def _row(cells: list[str]) -> str:
    """A table row as one `label: value` line; continuation lines of the value indented."""
    if len(cells) == 2 and cells[0]:
        label, value = cells
        sep = " " if label.endswith(":") else ": "
        value_lines = value.split("\n")
        rest = "".join("\n   " + v for v in value_lines[1:])
        if len(value_lines) > 1:
            return f"{label}{sep}\n   " + "\n   ".join(value_lines)
        return f"{label}{sep}{value_lines[0]}{rest}"
    return " | ".join(cells)
