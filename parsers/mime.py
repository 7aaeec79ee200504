"""MIME decoding: headers, charsets, HTML to text, attachments and embedded messages."""

from __future__ import annotations

import email
import email.header
import email.parser
import email.policy
import email.utils
import re
from dataclasses import dataclass, replace
from datetime import datetime
from email.message import Message

import charset_normalizer

from parsers import msgids
from parsers.attachments import extract_text, is_readable
from parsers.htmltext import html_to_text
from parsers.result import AttachmentInfo

MAX_DEPTH = 4  # nested message/rfc822 levels followed
MAX_NESTING = 50  # MIME levels (multiparts and attached messages) parsed; deeper is one opaque part
MAX_PARTS = 200  # MIME parts looked at in one message
MAX_READ = 4  # attachments whose text is extracted in one message (each bounded in attachments)
DETECT_SAMPLE = 65536  # bytes charset detection looks at
_ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")
_NESTING_MARK = re.compile(rb"boundary|message/", re.IGNORECASE)
_HEADER_START = re.compile(rb"^(?:From |[\041-\071\073-\176]*:|[\t ])")
NESTING_WARNING = f"MIME parts nested deeper than {MAX_NESTING} levels; the deeper parts ignored"
_SINGLE_BYTE = re.compile(
    r"^(?:us-ascii|ascii|iso-8859-\d+|latin-?\d|windows-125\d|cp125\d|koi8-[ru])$"
)


@dataclass(frozen=True)
class Headers:
    """The decoded header fields the parsers use."""

    fields: tuple[tuple[str, str], ...] = ()
    subject: str = ""
    from_addr: str | None = None
    from_name: str | None = None
    to_addrs: tuple[str, ...] = ()
    cc_addrs: tuple[str, ...] = ()
    reply_to: str | None = None
    date: datetime | None = None
    message_id: str | None = None
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()

    def get(self, name: str) -> str | None:
        """The first value of a field (case-insensitive name), or None."""
        name = name.lower()
        for k, v in self.fields:
            if k == name:
                return v
        return None

    def get_all(self, name: str) -> tuple[str, ...]:
        name = name.lower()
        return tuple(v for k, v in self.fields if k == name)


@dataclass(frozen=True)
class Attachment:
    """An attachment's description and, when it could be read, its text."""

    info: AttachmentInfo
    text: str = ""


@dataclass(frozen=True)
class Decoded:
    """One message decoded: its headers, body text, attachments and embedded messages."""

    headers: Headers
    text: str = ""
    html_only: bool = False
    attachments: tuple[Attachment, ...] = ()
    embedded: tuple[Decoded, ...] = ()
    content_type: str = "text/plain"
    report_type: str | None = None
    delivery_status: str = ""
    returned_headers: Headers | None = None
    warnings: tuple[str, ...] = ()


# ---------------------------------------------------------------- charsets


def decode_bytes(data: bytes, declared: str | None = None) -> str:
    """Decode text bytes: the declared charset when it fits, else a detected one."""
    if not data:
        return ""
    label = (declared or "").strip().strip('"').lower()
    try:
        if label and not _SINGLE_BYTE.match(label):
            return data.decode(label)  # also 7-bit stateful charsets such as ISO-2022-JP
    except (LookupError, UnicodeDecodeError, ValueError):
        pass
    if data.isascii():
        return data.decode("ascii")
    if label and _SINGLE_BYTE.match(label):
        # A single-byte label accepts any bytes; valid UTF-8 is far likelier the truth.
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            if label not in ("us-ascii", "ascii"):
                try:
                    return data.decode(label)
                except (LookupError, UnicodeDecodeError):
                    pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(data[:DETECT_SAMPLE]).best()
    encoding = best.encoding if best is not None else "latin-1"
    try:
        return data.decode(encoding, errors="replace")
    except LookupError:
        return data.decode("latin-1")


def decode_header_value(raw: str) -> str:
    """A header value as text: raw 8-bit bytes detected, RFC 2047 words decoded."""
    try:
        if any("\udc80" <= c <= "\udcff" for c in raw):
            raw = decode_bytes(raw.encode("ascii", "surrogateescape"))
        if _ENCODED_WORD.search(raw):
            parts = []
            for chunk, charset in email.header.decode_header(raw):
                if isinstance(chunk, bytes):
                    parts.append(decode_bytes(chunk, charset))
                else:
                    parts.append(chunk)
            raw = "".join(parts)
    except (UnicodeError, LookupError, ValueError, email.errors.HeaderParseError):
        pass
    return re.sub(r"\s*[\r\n]+\s*", " ", raw).strip()


def _addresses(values: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    out = []
    for name, addr in email.utils.getaddresses(list(values)):
        addr = addr.strip().strip("<>").lower()
        if "@" in addr:
            out.append((name.strip(), addr))
    return tuple(out)


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        d = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return d if d.tzinfo is not None else None


def read_headers(msg: Message) -> Headers:
    """Decode every header field of a message."""
    fields: list[tuple[str, str]] = []
    for name, value in msg.raw_items():
        fields.append((str(name).lower(), decode_header_value(str(value))))
    h = Headers(fields=tuple(fields))
    froms = _addresses(h.get_all("from")[:1])
    reply_to = _addresses(h.get_all("reply-to")[:1])
    irt = msgids.all_in(h.get("in-reply-to"))
    return Headers(
        fields=tuple(fields),
        subject=h.get("subject") or "",
        from_addr=froms[0][1] if froms else None,
        from_name=(froms[0][0] or None) if froms else None,
        to_addrs=tuple(a for _, a in _addresses(h.get_all("to"))),
        cc_addrs=tuple(a for _, a in _addresses(h.get_all("cc"))),
        reply_to=reply_to[0][1] if reply_to else None,
        date=_date(h.get("date")),
        message_id=msgids.clean(h.get("message-id")),
        in_reply_to=irt[0] if irt else None,
        references=msgids.all_in(" ".join(h.get_all("references"))),
    )


# ---------------------------------------------------------------- body walk


class _Walk:
    """Collects text, attachments and embedded messages while walking the MIME tree."""

    def __init__(self, depth: int) -> None:
        self.depth = depth
        self.plain: list[str] = []
        self.html: list[str] = []
        self.attachments: list[Attachment] = []
        self.embedded: list[Decoded] = []
        self.delivery_status: list[str] = []
        self.returned: Headers | None = None
        self.warnings: list[str] = []
        self.parts = 0
        self.read = 0

    def walk(self, part: Message, level: int = 0) -> None:
        if level > MAX_NESTING:  # parse_bytes already cut deeper parts; this is a safeguard
            if NESTING_WARNING not in self.warnings:
                self.warnings.append(NESTING_WARNING)
            return
        self.parts += 1
        if self.parts > MAX_PARTS:
            if self.parts == MAX_PARTS + 1:
                self.warnings.append(f"more than {MAX_PARTS} MIME parts; the rest ignored")
            return
        ctype = part.get_content_type()
        if ctype in ("message/rfc822", "message/global"):
            self._embedded(part)
            return
        if ctype in ("message/delivery-status", "message/global-delivery-status"):
            self.delivery_status.append(_status_text(part))
            return
        if ctype in ("text/rfc822-headers", "message/rfc822-headers", "message/global-headers"):
            sub = email.message_from_bytes(_payload(part), policy=email.policy.default)
            self.returned = read_headers(sub)
            return
        if part.is_multipart():
            children = [c for c in part.get_payload() if isinstance(c, Message)]
            if ctype == "multipart/alternative" and children:
                self.walk(_best_alternative(children), level + 1)
            else:
                for child in children:
                    self.walk(child, level + 1)
            return
        disposition = (part.get_content_disposition() or "").lower()
        filename = _filename(part)
        if part.get_content_maintype() == "text" and disposition != "attachment" and (
            ctype in ("text/plain", "text/html") or not filename
        ):
            text = decode_bytes(_payload(part), part.get_content_charset())
            if ctype == "text/html":
                self.html.append(html_to_text(text))
            elif ctype != "text/calendar":
                self.plain.append(text)
            return
        data = _payload(part)
        text, note = "", None
        if self.read < MAX_READ:
            text, note = extract_text(filename, ctype, data, part.get_content_charset())
            self.read += 1 if text or note else 0
        elif is_readable(filename, ctype):
            note = f"attachment {filename or ctype} not read: more than {MAX_READ} attachments"
        if note:
            self.warnings.append(note)
        info = AttachmentInfo(filename, ctype, len(data), bool(text.strip()))
        self.attachments.append(Attachment(info, text))

    def _embedded(self, part: Message) -> None:
        payload = part.get_payload()
        sub: Message | None = None
        if isinstance(payload, list) and payload and isinstance(payload[0], Message):
            sub = payload[0]
        elif isinstance(payload, (str, bytes)):
            sub = email.message_from_bytes(_payload(part), policy=email.policy.default)
        if sub is None:
            return
        if self.depth >= MAX_DEPTH:
            self.warnings.append("embedded message nested too deep; ignored")
            return
        decoded = decode_message(sub, self.depth + 1)
        self.warnings.extend(decoded.warnings)
        self.embedded.append(decoded)


def _best_alternative(children: list[Message]) -> Message:
    plain = [c for c in children if c.get_content_type() == "text/plain"]
    for c in plain:
        if _payload(c).strip():
            return c
    for c in reversed(children):
        if c.get_content_type() == "text/html" or c.is_multipart():
            return c
    return children[-1]


def _payload(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except (ValueError, TypeError, AssertionError):
        data = None
    if isinstance(data, bytes):
        return data
    raw = part.get_payload()
    if isinstance(raw, str):
        return raw.encode("ascii", "surrogateescape")
    if isinstance(raw, list):
        return b"\n".join(m.as_bytes() for m in raw if isinstance(m, Message))
    return b""


def _filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except (ValueError, TypeError, LookupError):
        return None
    return decode_header_value(name) if name else None


def _status_text(part: Message) -> str:
    payload = part.get_payload()
    if isinstance(payload, list):
        lines: list[str] = []
        for block in payload:
            if isinstance(block, Message):
                lines.extend(f"{k}: {decode_header_value(str(v))}" for k, v in block.raw_items())
                # message/global-delivery-status is parsed as a message: the recipients'
                # fields are the body below its per-message fields
                body = block.get_payload()
                if isinstance(body, str) and body.strip():
                    lines.extend(["", decode_bytes(_payload(block), "utf-8")])
            lines.append("")
        return "\n".join(lines)
    return decode_bytes(_payload(part), "us-ascii")


def decode_message(msg: Message, depth: int = 0) -> Decoded:
    """Decode one parsed email.message.Message into text, attachments and embedded mail."""
    headers = read_headers(msg)
    w = _Walk(depth)
    w.walk(msg)
    html_only = not any(t.strip() for t in w.plain) and bool(w.html)
    texts = w.plain if not html_only else w.html
    if w.plain and w.html:
        texts = w.plain + [h for h in w.html if h.strip() and not any(p.strip() for p in w.plain)]
    params = dict(msg.get_params() or []) if msg.get_content_type() == "multipart/report" else {}
    report_type = str(params.get("report-type", "")).strip('"').lower() or None
    return Decoded(
        headers=headers,
        text="\n\n".join(t for t in texts if t.strip()).replace("\r\n", "\n").replace("\r", "\n"),
        html_only=html_only,
        attachments=tuple(w.attachments),
        embedded=tuple(w.embedded),
        content_type=msg.get_content_type(),
        report_type=report_type,
        delivery_status="\n".join(w.delivery_status),
        returned_headers=w.returned,
        warnings=tuple(w.warnings),
    )


def _content_type(block: list[bytes]) -> tuple[str, str | None]:
    """(content type, boundary) declared by a header block given as raw lines."""
    value: list[bytes] = []
    for line in block:
        if value and line[:1] in (b" ", b"\t"):
            value.append(line.strip())
        elif value:
            break
        elif line.lower().startswith(b"content-type:"):
            value.append(line.partition(b":")[2].strip())
    if not value:
        return "text/plain", None
    m = Message()
    m["Content-Type"] = b" ".join(value).decode("latin-1")
    return m.get_content_type(), m.get_boundary()


def bound_nesting(raw: bytes) -> tuple[bytes, bool]:
    """The message with every part below MAX_NESTING levels made opaque, and whether one was.

    The standard library's parser recurses once per level and overflows the stack on a
    message nested a few hundred levels deep. This walks the lines the way its parser does
    (header block, body, the boundaries of the enclosing multiparts) and turns a container
    at the limit into an application/octet-stream leaf, so its content is skipped unread.
    """
    if sum(1 for _ in zip(range(MAX_NESTING + 1), _NESTING_MARK.finditer(raw), strict=False)) \
            <= MAX_NESTING:
        return raw, False  # fewer containers than levels: nothing can be nested too deep
    lines = raw.splitlines(keepends=True)
    stack: list[bytes | None] = []  # boundary of each open multipart; None for a message
    cut = False
    i, in_header = 0, True
    while i < len(lines):
        if in_header:
            start = i
            while i < len(lines) and lines[i].strip(b"\r\n") and _HEADER_START.match(lines[i]):
                i += 1
            block = lines[start:i]
            if i < len(lines) and not lines[i].strip(b"\r\n"):
                i += 1  # the blank line that ends the header
            in_header = False
            ctype, boundary = _content_type(block)
            # the parser reads every message/* body as a message, except delivery-status
            container = ctype.startswith("message/") and ctype != "message/delivery-status"
            container = container or (ctype.startswith("multipart/") and bool(boundary))
            if not container:
                continue
            if len(stack) >= MAX_NESTING:
                for k in range(start, start + len(block)):
                    if lines[k].lower().startswith(b"content-type:"):
                        end = lines[k][len(lines[k].rstrip(b"\r\n")):]
                        lines[k] = b"Content-Type: application/octet-stream" + end
                        j = k + 1
                        while j < start + len(block) and lines[j][:1] in (b" ", b"\t"):
                            lines[j] = b""
                            j += 1
                        break
                cut = True
            elif ctype.startswith("message/"):
                stack.append(None)
                in_header = True
            else:
                stack.append(boundary.encode("latin-1", "replace") if boundary else b"")
            continue
        line = lines[i].rstrip(b"\r\n").rstrip(b" \t")
        i += 1
        if not line.startswith(b"--"):
            continue
        for level in range(len(stack) - 1, -1, -1):
            b = stack[level]
            if b is None or not line.startswith(b"--" + b):
                continue
            rest = line[len(b) + 2:]
            if rest == b"--":
                del stack[level:]
            elif rest == b"":
                del stack[level + 1:]
                in_header = True
            else:
                continue
            break
    return (b"".join(lines), True) if cut else (raw, False)


def parse_bytes(raw: bytes) -> Decoded:
    """Parse and decode raw RFC 5322 bytes; parts nested too deep are left out, with a warning."""
    raw, cut = bound_nesting(raw)
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        decoded = decode_message(msg)
    except RecursionError:  # nesting the line walk did not see as the parser does
        head = email.parser.BytesHeaderParser(policy=email.policy.default).parsebytes(raw)
        return Decoded(headers=read_headers(head), warnings=(NESTING_WARNING,))
    if cut:
        decoded = replace(decoded, warnings=(NESTING_WARNING, *decoded.warnings))
    return decoded
