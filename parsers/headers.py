"""Facts read from a message's raw header section: the trace of the servers it passed
(`Received`, topmost first) and the verdicts they wrote (`Authentication-Results`, RFC 8601).

Pure: bytes in, frozen dataclasses out; no I/O, settings, clock or logging; never raises.

`read_headers(raw)` splits the header section once into `HeaderField`s, in the order they
are written. That order is the point: every server that handles a message writes its own
trace fields *above* the ones the message arrived with, so the top of the section is the
newest part and the bottom the part the sender wrote. Each fact carries the `position` of
its field (0 = topmost), so facts of different families can be compared ("this verdict
lies above that Received header").

Adding a family of header facts is three small things: a frozen dataclass for one fact, a
total function that builds it from one field's value (`parse_<name>(value, position)`:
odd input gives an emptier fact, never an exception), and one attribute on `HeaderFacts`
filled in `read_headers`.

This module only reads. Which of these fields the desk's own servers wrote, and so which
ones to believe, is a question of configuration answered in `daemon/rules/origin.py`.
"""

from __future__ import annotations

import email.parser
import email.policy
import ipaddress
import re
from collections.abc import Iterator
from dataclasses import dataclass

# Host names as servers write them: letters, digits, hyphens, underscores, dots.
_HOST = re.compile(r"^[a-z0-9_](?:[a-z0-9_.-]{0,251}[a-z0-9_])?$")
_METHODSPEC = re.compile(
    r"^\s*(?P<method>[a-z0-9][a-z0-9_-]*)\s*(?:/\s*(?P<version>\d+)\s*)?=\s*"
    r"(?P<result>[a-z0-9][a-z0-9_-]*)(?P<rest>.*)$",
    re.IGNORECASE | re.DOTALL,
)
_PROPSPEC = re.compile(
    r"(?P<key>[a-z0-9][a-z0-9_-]*(?:\s*\.\s*[a-z0-9][a-z0-9_.-]*)?)\s*=\s*"
    r"(?P<value>\"(?:[^\"\\]|\\.)*\"|[^\s\";]+)",
    re.IGNORECASE | re.DOTALL,
)
_BRACKETED = re.compile(r"\[(?:ipv6:)?([0-9a-f:.]+)\]", re.IGNORECASE)
_NAME_BEFORE_ADDRESS = re.compile(r"^\s*([a-z0-9_][a-z0-9_.-]*)\s+\[", re.IGNORECASE)
_EXIM_HELO = re.compile(r"\bhelo=", re.IGNORECASE)
_QMAIL_HELO = re.compile(r"^\s*HELO\s")
_CLAUSES = ("from", "by", "via", "with", "id", "for")
_MAX_VALUE = 16_384  # characters of one field looked at; trace fields are short


@dataclass(frozen=True)
class HeaderField:
    """One header field as written: its name and its unfolded value."""

    name: str
    value: str

    @property
    def key(self) -> str:
        """The field name in lower case, for comparisons."""
        return self.name.lower()


@dataclass(frozen=True)
class MethodResult:
    """One `method=result` of an Authentication-Results field with its properties, e.g.
    `dkim=pass header.d=ncc.gov.example`: properties are ("header.d", "ncc.gov.example")."""

    method: str
    result: str
    version: int | None = None
    reason: str | None = None
    properties: tuple[tuple[str, str], ...] = ()

    def prop(self, name: str) -> str | None:
        """The first value of property `name` (`header.d`, `smtp.mailfrom`...), or None."""
        wanted = name.lower()
        return next((v for k, v in self.properties if k == wanted), None)


@dataclass(frozen=True)
class AuthenticationResults:
    """One Authentication-Results field: who wrote it (authserv-id, lower case; "" when the
    field names none) and the results it reports, in order."""

    position: int
    authserv_id: str
    version: int | None = None
    results: tuple[MethodResult, ...] = ()

    def for_method(self, method: str) -> tuple[MethodResult, ...]:
        wanted = method.lower()
        return tuple(r for r in self.results if r.method == wanted)


@dataclass(frozen=True)
class ReceivedHop:
    """One `Received` field: the server that wrote it (`by_host`) and what it says about
    the host that handed it the message.

    `from_ip` is the connecting address the writing server saw; `from_host` is a name the
    writing server itself looked up for that address (Postfix and Sendmail write it beside
    the address in parentheses, Exim in front of them), never the name the sending host
    gave; `from_helo` is that name, the sending host's own claim. A hop without any `from`
    part (`has_from` false) is a step inside the writing server itself.
    """

    position: int
    from_helo: str | None = None
    from_host: str | None = None
    from_ip: str | None = None
    by_host: str | None = None
    protocol: str | None = None
    id: str | None = None

    @property
    def has_from(self) -> bool:
        return any(v is not None for v in (self.from_helo, self.from_host, self.from_ip))

    def describe(self) -> str:
        """`from mail.example [192.0.2.1] at mx.ncc.gov.example`, for one-line reasons."""
        name = self.from_host or self.from_helo
        parts = []
        if self.has_from:
            parts.append("from " + " ".join(
                p for p in (name, f"[{self.from_ip}]" if self.from_ip else None) if p))
        if self.by_host:
            parts.append(f"at {self.by_host}")
        return " ".join(parts) or "a Received header without from or by"


@dataclass(frozen=True)
class HeaderFacts:
    """Every field of the header section, topmost first, and the facts read from them."""

    fields: tuple[HeaderField, ...] = ()
    authentication_results: tuple[AuthenticationResults, ...] = ()
    received: tuple[ReceivedHop, ...] = ()

    def values(self, name: str) -> tuple[str, ...]:
        """The values of every field called `name` (any letter case), topmost first."""
        wanted = name.lower()
        return tuple(f.value for f in self.fields if f.key == wanted)


# --- the header section --------------------------------------------------------------------


def _section(raw: bytes) -> bytes:
    end = raw.find(b"\r\n\r\n")
    if end < 0:
        end = raw.find(b"\n\n")
    return raw[:end + 2] if end >= 0 else raw


def _raw_fields(raw: bytes) -> list[tuple[str, str]]:
    """(name, value) pairs as the email package splits the header section (compat32: no
    decoding of encoded words; bytes that are not ASCII stay as surrogate escapes)."""
    head = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(
        _section(raw))
    return [(str(k), v if isinstance(v, str) else str(v)) for k, v in head.raw_items()]


def _text(value: str) -> str:
    """An unfolded value as text: folding removed, bytes that are not UTF-8 replaced (trace
    fields are ASCII; what is not cannot name a host, and must not reach a log or a JSON
    column as a lone surrogate)."""
    value = value[:_MAX_VALUE]
    unfolded = re.sub(r"\r?\n(?=[ \t])", "", value).replace("\r", " ").replace("\n", " ")
    try:
        data = unfolded.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate that stands for no byte
        data = unfolded.encode("utf-8", "replace")
    return data.decode("utf-8", "replace").strip()


def header_values(raw: bytes, name: str) -> tuple[str, ...]:
    """Every value of one header field, read from the header section only (as written:
    folding kept, encoded words not decoded)."""
    try:
        head = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(
            _section(raw))
        return tuple(str(v) for v in (head.get_all(name) or ()))
    except Exception:  # the header parser of the standard library: nothing must escape
        return ()


def read_headers(raw: bytes) -> HeaderFacts:
    """The header facts of one message (its raw bytes, or only its header section)."""
    try:
        pairs = _raw_fields(raw)
    except Exception:  # the header parser of the standard library: nothing must escape
        return HeaderFacts()
    fields = tuple(HeaderField(name.strip(), _text(value)) for name, value in pairs)
    results: list[AuthenticationResults] = []
    hops: list[ReceivedHop] = []
    for position, f in enumerate(fields):
        if f.key == "authentication-results":
            results.append(parse_authentication_results(f.value, position))
        elif f.key == "received":
            hops.append(parse_received(f.value, position))
    return HeaderFacts(fields=fields, authentication_results=tuple(results),
                       received=tuple(hops))


# --- lexical helpers (RFC 5322 comments and quoted strings) -------------------------------


def _scan(value: str) -> Iterator[tuple[str, str]]:
    """("comment" | "quoted" | "text", piece) in order; comments nest, backslash quotes.
    An unclosed comment or string runs to the end of the value."""
    i, n = 0, len(value)
    plain: list[str] = []
    while i < n:
        c = value[i]
        if c == "(":
            if plain:
                yield "text", "".join(plain)
                plain = []
            depth, j, body = 1, i + 1, []
            while j < n and depth:
                d = value[j]
                if d == "\\" and j + 1 < n:
                    body.append(value[j + 1])
                    j += 2
                    continue
                if d == "(":
                    depth += 1
                elif d == ")":
                    depth -= 1
                    if depth == 0:
                        break
                body.append(d)
                j += 1
            yield "comment", "".join(body)
            i = j + 1
        elif c == '"':
            if plain:
                yield "text", "".join(plain)
                plain = []
            j, body = i + 1, []
            while j < n and value[j] != '"':
                if value[j] == "\\" and j + 1 < n:
                    j += 1
                body.append(value[j])
                j += 1
            yield "quoted", "".join(body)
            i = j + 1
        else:
            plain.append(c)
            i += 1
    if plain:
        yield "text", "".join(plain)


def _without_comments(value: str) -> str:
    """The value with comments removed and quoted strings kept (quotes and all)."""
    out = []
    for kind, piece in _scan(value):
        if kind == "text":
            out.append(piece)
        elif kind == "quoted":
            out.append('"' + piece.replace("\\", "\\\\").replace('"', '\\"') + '"')
        else:
            out.append(" ")
    return "".join(out)


def _split_outside_quotes(text: str, sep: str) -> list[str]:
    parts, current, quoted, escaped = [], [], False, False
    for c in text:
        if escaped:
            current.append(c)
            escaped = False
        elif c == "\\" and quoted:
            current.append(c)
            escaped = True
        elif c == '"':
            current.append(c)
            quoted = not quoted
        elif c == sep and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(c)
    parts.append("".join(current))
    return parts


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def _host(value: str | None) -> str | None:
    """A host name in lower case without the trailing dot, or None when it is not one."""
    if not value:
        return None
    name = value.strip().strip("<>").lower().rstrip(".")
    return name if _HOST.match(name) else None


def _ip(value: str | None) -> str | None:
    """An IP address in its normal written form, or None."""
    if not value:
        return None
    text = value.strip().strip("[]")
    if text.lower().startswith("ipv6:"):
        text = text[5:]
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


# --- Authentication-Results (RFC 8601) -----------------------------------------------------


def parse_authentication_results(value: str, position: int = 0) -> AuthenticationResults:
    """One Authentication-Results value: `authserv-id [version]; method=result props...`.

    A field that starts with a result (some servers write no authserv-id) gets the
    authserv-id "", which no configuration names; `none` and parts that are not a
    `method=result` are skipped.
    """
    segments = _split_outside_quotes(_without_comments(value), ";")
    head = segments[0].strip()
    authserv, version = "", None
    rest = segments[1:]
    if _METHODSPEC.match(head):
        rest = segments  # no authserv-id: the first part is already a result
    else:
        words = head.split()
        if words:
            authserv = _unquote(words[0]).strip().lower()
            if len(words) > 1 and words[1].isdigit():
                version = int(words[1][:6])
    results = []
    for segment in rest:
        found = _method_result(segment)
        if found is not None:
            results.append(found)
    return AuthenticationResults(position=position, authserv_id=authserv, version=version,
                                 results=tuple(results))


def _method_result(segment: str) -> MethodResult | None:
    m = _METHODSPEC.match(segment)
    if m is None:
        return None
    reason: str | None = None
    props: list[tuple[str, str]] = []
    for p in _PROPSPEC.finditer(m["rest"]):
        key = re.sub(r"\s+", "", p["key"]).lower()
        val = _unquote(p["value"])
        if key == "reason":
            reason = reason if reason is not None else val
        elif "." in key:
            props.append((key, val))
    version = int(m["version"][:6]) if m["version"] else None
    return MethodResult(method=m["method"].lower(), result=m["result"].lower(),
                        version=version, reason=reason, properties=tuple(props))


# --- Received (RFC 5321 section 4.4) -------------------------------------------------------


def _atoms(value: str) -> list[str]:
    """Top-level runs of non-blank characters, ending at the date (after the last ";").

    A comment or quoted string never splits a run, so a comment written right against a
    word, without a blank (`x([192.0.2.10])`), is part of that word: servers write a blank
    before their own comments, and a sending host that glues one to its HELO name must
    not pass it off as the server's.
    """
    atoms: list[str] = []
    current: list[str] = []
    depth, quoted, i, n = 0, False, 0, len(value)
    cut: int | None = None
    while i < n:
        c = value[i]
        if c == "\\" and (depth or quoted) and i + 1 < n:
            current += [c, value[i + 1]]
            i += 2
            continue
        if quoted:
            quoted = c != '"'
            current.append(c)
        elif c == '"' and depth == 0:
            quoted = True
            current.append(c)
        elif c == "(":
            depth += 1
            current.append(c)
        elif c == ")" and depth:
            depth -= 1
            current.append(c)
        elif c == ";" and depth == 0:
            if current:
                atoms.append("".join(current))
                current = []
            cut = len(atoms)  # what follows the last ";" is the date
        elif c.isspace() and depth == 0:
            if current:
                atoms.append("".join(current))
                current = []
        else:
            current.append(c)
        i += 1
    if current:
        atoms.append("".join(current))
    return atoms if cut is None else atoms[:cut]


def _comment(atom: str) -> str:
    """The text of the first comment of a run that starts with "(" (what follows it, glued
    to it, is not the server's)."""
    return next((piece for kind, piece in _scan(atom) if kind == "comment"), "")


def _clauses(value: str) -> dict[str, tuple[str | None, list[str]]]:
    """{clause: (its word, the comments after it)} for from/by/via/with/id/for; only the
    first of each clause counts."""
    found: dict[str, tuple[str | None, list[str]]] = {}
    current: str | None = None
    for atom in _atoms(value):
        if atom.startswith("("):
            if current is not None:
                found[current][1].append(_comment(atom))
            continue
        lowered = atom.lower()
        if lowered in _CLAUSES and lowered not in found:
            current = lowered
            found[current] = (None, [])
        elif current is not None and found[current][0] is None:
            found[current] = (atom, found[current][1])
    return found


def _address_in(text: str) -> str | None:
    """The first IP address in a comment: in brackets (`[192.0.2.1]`, `[IPv6:2001:db8::1]`),
    else written bare (`(2001:db8::1)`)."""
    bracketed = _BRACKETED.search(text)
    if bracketed:
        return _ip(bracketed.group(1))
    return next((a for a in map(_ip, re.split(r"[\s,]+", text)) if a), None)


def _from_part(word: str | None, comments: list[str]
               ) -> tuple[str | None, str | None, str | None]:
    """(HELO name, looked-up name, address) of a `from` clause. Only the first comment is
    the server's own account of the connection (qmail: the last one)."""
    first = comments[0] if comments else ""
    word_ip = _ip(word) if word and word.startswith("[") else None
    exim = _EXIM_HELO.search(first)
    if exim is not None:
        # Exim: `from <its name for the host> ([address] helo=<the host's own name>)`;
        # `from [address] (helo=...)` when it found no name.
        said = first[exim.start():][5:].strip()
        address = _address_in(first[:exim.start()]) or word_ip
        host = _host(word) if word_ip is None else None
        return _host(said) or said[:255] or None, host, address
    qmail = _QMAIL_HELO.match(first)
    if qmail is not None:
        # qmail: `from <name> (HELO <the host's own name>) (<address>)`.
        said = first[qmail.end():].strip()
        address = _address_in(comments[-1]) if len(comments) > 1 else None
        return _host(said) or said[:255] or None, None, address
    # Postfix, Sendmail, Dovecot, Exchange: `from <the host's own name> (<looked up>
    # [address])`, or `(<address>)`.
    helo = (_host(word) or word[:255]) if word and word_ip is None else (word or None)
    address = _address_in(first)
    host = None
    named = _NAME_BEFORE_ADDRESS.match(first)
    if named and address is not None and "may be forged" not in first.lower():
        looked_up = _host(named.group(1))
        host = looked_up if looked_up != "unknown" else None
    return helo, host, address


def parse_received(value: str, position: int = 0) -> ReceivedHop:
    """One Received value: `from <name> (<what the server saw>) by <host> with <proto> id
    <id> for <rcpt>; <date>`, in the dialects of the common servers (Postfix, Sendmail,
    Exim, Dovecot LMTP, qmail, Microsoft Exchange)."""
    clauses = _clauses(value)
    helo = host = address = None
    if "from" in clauses:
        helo, host, address = _from_part(*clauses["from"])
    by_word = clauses.get("by", (None, []))[0]
    return ReceivedHop(
        position=position,
        from_helo=helo,
        from_host=host,
        from_ip=address,
        by_host=_host(by_word) or _ip(by_word),
        protocol=(clauses.get("with", (None, []))[0] or None),
        id=(clauses.get("id", (None, []))[0] or None),
    )
