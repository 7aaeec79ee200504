"""Identifiers a request is about (IP, e-mail, URL, domain, phone, account), with instants."""

from __future__ import annotations

import bisect
import ipaddress
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from urllib.parse import urlsplit, urlunsplit

import phonenumbers

from parsers import scan
from parsers.result import Identifier
from parsers.timeparse import Found, find_dates

_FLAGS = re.IGNORECASE | re.UNICODE

# Generic top-level domains accepted for a bare domain name; every two-letter code is accepted.
GENERIC_TLDS = frozenset(
    [
        "com", "net", "org", "info", "biz", "gov", "edu", "mil", "int", "eu", "asia", "mobi",
        "name", "pro", "app", "dev", "io", "xyz", "online", "site", "shop", "store", "club",
        "top", "live", "tech", "cloud", "email", "link", "click", "space", "website", "press",
        "news", "blog", "art", "one", "page", "vip", "win", "bid", "loan", "work", "stream", "tv",
        "me", "cc", "ws", "su", "onion", "example", "test", "invalid", "local", "localhost",
        "arpa", "cat", "tel", "travel", "museum", "coop", "aero", "jobs", "icu", "today", "life",
        "world", "group", "global", "digital", "network", "services", "solutions", "support",
        "host", "porn", "xxx", "adult", "sex", "bet", "casino", "money", "finance", "bank",
        "crypto",
    ]
)
_NOT_TLD = frozenset([
    "pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "txt", "zip", "rar", "jpg", "jpeg", "png",
    "gif", "eml", "msg", "html", "htm", "php", "asp", "aspx", "exe", "js", "css", "csv", "xml",
    "json",
])

_URL = re.compile(r"\b(?:https?|ftp|sftp|wss?)://[^\s<>\"'`{}|\\^\[\]]+", _FLAGS)
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+"
                    r"[a-z]{2,24}(?![\w-])", _FLAGS)
_IPV4 = re.compile(r"(?<![\d.])((?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|"
                   r"1\d\d|[1-9]?\d)){3})(?::\d{1,5})?(?![\d]|\.\d)")
_IPV6 = re.compile(r"(?<![\w:.])\[?((?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}"
                   r"(?:%\w+)?)\]?(?![\w:])", _FLAGS)
_DOMAIN = re.compile(r"(?<![\w@.\-/])((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+"
                     r"[a-z]{2,24})\.?(?![\w@\-]|\.\w)", _FLAGS)
_PHONE = re.compile(r"(?<![\w+])(\+|00)\s?\d[\d\s().\-/]{5,22}\d(?!\d)")
_LOCAL_PHONE = re.compile(
    r"\b(?:phone|telephone|téléphone|telefon\w*|teléfono|telefone|telefono|tel\.?|numéro|"
    r"número|numero|numer|numara|mobile|portable|handy|móvil|cellulare|gsm|cell)\b"
    r"[^\d\n+]{0,30}?(?<![\d+])(\(?0[\d\s().\-/]{6,16}\d)(?!\d)",
    _FLAGS,
)
_HANDLE = re.compile(r"(?<![\w.@/])@([a-z0-9_](?:[a-z0-9_.]{0,28}[a-z0-9_])?)(?![\w@])", _FLAGS)

# Words that introduce an account or user name, in the network's languages.
ACCOUNT_WORDS = (
    r"account|user ?name|user ?id|username|handle|profile|profil|nickname|screen name|alias|"
    r"channel|page|compte|utilisateur|pseudo|identifiant|konto|benutzer(?:name|konto)?|nutzer|"
    r"kennung|cuenta|usuario|perfil|conta|utilizador|utente|nome utente|cont|utilizator|"
    r"użytkownik|nazwa użytkownika|hesap|kullanıcı(?: adı)?|účet|účtu|používateľ|uživatel|"
    r"paskyra|naudotojas|käyttäjä|tili|λογαριασμός|χρήστης|gebruiker|användare|kanał|kanál|"
    r"id"
)
_ACCOUNT_INTRO = re.compile(rf"\b(?:{ACCOUNT_WORDS})\b", _FLAGS)
# The same against lower-cased text: several times faster than a case-insensitive search.
_ACCOUNT_INTRO_FOLDED = re.compile(rf"\b(?:{ACCOUNT_WORDS})\b", re.UNICODE)
_QUOTED = re.compile(r"[\"“”„«»'‘’‚]\s*(@?[\w.\-]{2,64})\s*[\"“”„«»'‘’]")
_QUOTES = "\"“”„«»'‘’‚"
_TOKEN = re.compile(r"@?[\w][\w.\-]{1,63}")
# Words that follow "account" but are not a user name.
_STOPWORDS = frozenset(
    [
        "the", "a", "an", "of", "on", "at", "in", "to", "for", "by", "with", "from", "and", "or",
        "is", "was", "has", "had", "been", "used", "using", "via", "which", "that", "this",
        "these", "data", "information", "holder", "owner", "name", "number", "id", "details",
        "user", "users", "registered", "de", "du", "des", "la", "le", "les", "un", "une", "au",
        "aux", "sur", "par", "pour", "avec", "dans", "et", "ou", "est", "été", "nom", "utilisé",
        "utilisée", "der", "die", "das", "den", "dem", "des", "ein", "eine", "einer", "am", "im",
        "auf", "bei", "mit", "von", "zu", "und", "oder", "ist", "wurde", "el", "los", "las",
        "del", "por", "con", "en", "y", "o", "fue", "usado", "usada", "para", "nombre", "il",
        "lo", "gli", "di", "da", "con", "per", "su", "e", "o", "è", "stato", "usato", "usata",
        "nome", "o", "os", "as", "do", "da", "dos", "das", "em", "no", "na", "por", "com", "e",
        "ou", "foi", "usado", "usada", "nome", "al", "pe", "cu", "și", "sau", "din", "este",
        "fost", "w", "na", "z", "do", "i", "lub", "jest", "był", "była", "używane", "nazwa", "ve",
        "ile", "bir", "bu", "adı", "tarafından", "na", "v", "vo", "s", "z", "a", "alebo", "je",
        "bol", "bola", "ja", "tai", "on",
    ]
)
# Words that make a line the sender's own contact details rather than the data asked for.
CONTACT_LINE = re.compile(
    r"^\s*(?:[-*•]\s*)?(?:tel(?:ephone|éphone|efon|efono|éfono|efone)?|phone|fax|mobile|cell|"
    r"gsm|portable|handy|e-?mail|courriel|correo|office hours|contact|person in charge|"
    r"responsable|name|nom|organi[sz]ation|organisme)\b[\w.\s/()-]{0,12}:"
    # A signature's bare "Tel. +352 4759 0011" (no colon, nothing but the number).
    r"|^\s*(?:tel|tél|phone|mobile|mob|fax|gsm)\.?\s+\+?[\d\s()./-]{6,22}\d\s*$",
    _FLAGS,
)


@dataclass(frozen=True)
class Exclusions:
    """Addresses, domains and numbers that are never the subject of a request."""

    emails: frozenset[str] = frozenset()
    domains: frozenset[str] = frozenset()
    phones: frozenset[str] = frozenset()
    # Domains of contact points and of our own desk: addresses there are officers, not subjects.
    authority_domains: frozenset[str] = frozenset()


_HXXP = re.compile(r"\bhxxp(s?)\b", re.IGNORECASE)
_FXP = re.compile(r"\bfxp\b", re.IGNORECASE)
_DEFANGED = re.compile(r"[\[({](?:\.|dot|@|at)[\])}]", re.IGNORECASE)
_DEFANGED_DOT = re.compile(r"\s?[\[({](?:\.|dot)[\])}]\s?", re.IGNORECASE)
_DEFANGED_AT = re.compile(r"\s?[\[({](?:@|at)[\])}]\s?", re.IGNORECASE)


def refang(text: str) -> str:
    """Undo the usual defanging: hxxp, [.], (.), [dot], [@], [:]."""
    folded = text.lower()
    if "xxp" in folded:
        text = _HXXP.sub(r"http\1", text)
    if "fxp" in folded:
        text = _FXP.sub("ftp", text)
    if _DEFANGED.search(text):
        text = _DEFANGED_DOT.sub(".", text)
        text = _DEFANGED_AT.sub("@", text)
    return text.replace("[:]", ":").replace("[://]", "://")


def _tld_ok(host: str) -> bool:
    tld = host.rsplit(".", 1)[-1].lower()
    if tld in _NOT_TLD:
        return False
    return (len(tld) == 2 and tld.isalpha()) or tld in GENERIC_TLDS or tld.startswith("xn--")


def canonical_url(url: str) -> str:
    url = url.rstrip(".,;:!?)]}>'\"»”")
    try:
        p = urlsplit(url)
        return urlunsplit((p.scheme.lower(), p.netloc.lower(), p.path, p.query, p.fragment))
    except ValueError:
        return url


def e164(raw: str, region: str | None = None) -> str | None:
    """A phone number in E.164, or None; "(0)" trunk prefixes are dropped."""
    cleaned = re.sub(r"\(\s*0\s*\)", "", raw)
    if cleaned.startswith("00"):
        cleaned = "+" + cleaned[2:]
    try:
        n = phonenumbers.parse(cleaned, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(n):
        return None
    return phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.E164)


def items(text: str) -> list[tuple[int, int]]:
    """Spans of the list items and sentences of a text: a time belongs to its own item only."""
    spans: list[tuple[int, int]] = []
    pos = 0
    start: int | None = None
    start_indent = 0
    prev = ""
    for line in text.split("\n"):
        end = pos + len(line)
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        bullet = bool(re.match(r"^\s*(?:[-*•–]|\d{1,2}[.)]\s|[a-z]\)\s)", line)) or bool(
            re.match(r"^\s*[\w][\w\s./-]{0,40}:\s", line)
        )
        continuation = (
            start is not None
            and stripped
            and not bullet
            and (indent > start_indent
                 or (re.match(r"[a-zà-ÿ(]", stripped) and not re.search(r"[.:;!?]$", prev)))
        )
        if not stripped:
            if start is not None:
                spans.append((start, pos - 1))
            start = None
        elif continuation:
            pass
        else:
            if start is not None:
                spans.append((start, pos - 1))
            start, start_indent = pos, indent
        prev = stripped
        pos = end + 1
    if start is not None:
        spans.append((start, len(text)))
    out: list[tuple[int, int]] = []
    for s, e in spans:
        chunk = text[s:e]
        last = 0
        for m in re.finditer(r"(?<![A-Z])(?<!\b[a-zA-Z]{2})(?<!\b[a-zA-Z])[.!?]\s+(?=[A-ZÀ-Ý])",
                             chunk):
            out.append((s + last, s + m.end()))
            last = m.end()
        out.append((s + last, e))
    return out


@dataclass(frozen=True)
class _Hit:
    type: str
    value: str
    start: int
    end: int


def _mask(text: str, spans: Iterable[tuple[int, int]]) -> str:
    chars = list(text)
    for s, e in spans:
        for k in range(s, min(e, len(chars))):
            if chars[k] != "\n":
                chars[k] = " "
    return "".join(chars)


def _accounts(text: str, occupied: bytearray) -> list[_Hit]:
    hits = []
    for m in scan.finditer(_HANDLE, text, scan.AT):
        if not occupied[m.start()]:
            hits.append(_Hit("account", m.group(1), m.start(), m.end()))
    folded = text.lower()
    intros = (_ACCOUNT_INTRO_FOLDED.finditer(folded) if len(folded) == len(text)
              else _ACCOUNT_INTRO.finditer(text))
    for m in intros:
        window_end = min(len(text), m.end() + 80)
        window = text[m.end():window_end].split("\n", 1)[0]
        found = None
        q = _QUOTED.search(window)
        if q and q.start() < 50:
            found = (q.group(1), m.end() + q.start(1))
        else:
            c = _LABEL_THEN_VALUE.match(window)
            if c and _handle_like(c.group(1), strict=False):
                found = (c.group(1), m.end() + c.start(1))
            else:
                for t in islice(_TOKEN.finditer(window), 5):
                    if _handle_like(t.group(0), strict=True):
                        found = (t.group(0), m.end() + t.start())
                        break
        if found is None:
            continue
        value, start = found
        value = value.rstrip(".-").lstrip("@")
        end = start + len(found[0])
        if occupied[start] or text[end:end + 1] == "@":
            continue
        if value.lower() in _STOPWORDS or len(value) < 3:
            continue
        hits.append(_Hit("account", value, start, end))
    return hits


_ACCOUNT_ID = re.compile(r"\d{5,20}")
_SHORT_NUMBER = re.compile(r"\d{1,4}")
_LETTER = re.compile(r"[^\W\d_]")
_HANDLE_MARK = re.compile(r"[_\d]|[a-z]\.[a-z]", re.IGNORECASE)
_LABEL_THEN_VALUE = re.compile(r"[^:\n]{0,50}?:\s*(@?[\w][\w.\-]{1,63})")


def _handle_like(token: str, *, strict: bool) -> bool:
    t = token.lstrip("@").rstrip(".-")
    if len(t) < 3 or t.lower() in _STOPWORDS:
        return False
    if token.startswith("@"):
        return True
    if _ACCOUNT_ID.fullmatch(t):
        return True  # numeric account ID
    if strict:
        if len(t) < 4:
            return False  # "e.g", "n.1": abbreviations, not user names
        if not _LETTER.search(t):
            return False  # digits alone, after a free word, are a number or a year
        return bool(_HANDLE_MARK.search(t))
    return not _SHORT_NUMBER.fullmatch(t)


def extract(
    text: str,
    *,
    exclusions: Exclusions = Exclusions(),
    region: str | None = None,
    zone_for: Callable[[Found], datetime | None] | None = None,
    month_first: bool = False,
) -> tuple[Identifier, ...]:
    """Every identifier in `text` once, each with the earliest instant of its own item."""
    text = refang(text)
    hits: list[_Hit] = []
    taken: list[tuple[int, int]] = []
    occupied = bytearray(len(text) + 1)  # 1 where an identifier was already found

    def free(s: int, e: int) -> bool:
        return occupied.find(1, s, e) == -1

    def take(s: int, e: int) -> None:
        taken.append((s, e))
        occupied[s:e] = b"\x01" * (e - s)

    for m in scan.finditer(_URL, text, scan.SCHEME):
        url = canonical_url(m.group(0))
        host = urlsplit(url).hostname or ""
        take(m.start(), m.end())
        if host and host not in exclusions.domains:
            hits.append(_Hit("url", url, m.start(), m.end()))
    for m in scan.finditer(_EMAIL, text, scan.AT):
        if not free(m.start(), m.end()):
            continue
        take(m.start(), m.end())
        addr = m.group(0).lower()
        if addr not in exclusions.emails and \
                addr.rpartition("@")[2] not in exclusions.authority_domains:
            hits.append(_Hit("email", addr, m.start(), m.end()))
    for m in scan.finditer(_IPV6, text, scan.HEX_COLONS):
        if not free(m.start(), m.end()) or m.group(1).count(":") < 2:
            continue
        try:
            ip6 = ipaddress.IPv6Address(m.group(1).split("%")[0])
        except ValueError:
            continue
        take(m.start(), m.end())
        hits.append(_Hit("ipv6", ip6.compressed, m.start(), m.end()))
    for m in scan.finditer(_IPV4, text, scan.DIGIT):
        if not free(m.start(), m.end()):
            continue
        take(m.start(), m.end())
        hits.append(_Hit("ipv4", m.group(1), m.start(), m.end()))
    for m in scan.finditer(_DOMAIN, text, scan.DOTTED):
        if not free(m.start(), m.end()):
            continue
        host = m.group(1).lower()
        before = text[max(0, m.start() - 50): m.start()]
        if before[-1:] in _QUOTES and _ACCOUNT_INTRO.search(before):
            continue  # 'account "jan.kowalski.pl"': a user name that looks like a domain
        if not _tld_ok(host) or not re.search(r"[a-z]", host.split(".")[0]):
            continue
        take(m.start(), m.end())
        if host not in exclusions.domains:
            hits.append(_Hit("domain", host, m.start(), m.end()))
    dates_mask = _mask(text, taken)
    for m in scan.finditer(_PHONE, dates_mask, scan.DIGIT):
        number = e164(m.group(0), region)
        if number is None:
            continue
        take(m.start(), m.end())
        if number not in exclusions.phones:
            hits.append(_Hit("phone", number, m.start(), m.end()))
    if region:
        for m in scan.finditer(_LOCAL_PHONE, _mask(text, taken), scan.DIGIT):
            number = e164(m.group(1), region)
            if number is None:
                continue
            take(m.start(1), m.end(1))
            if number not in exclusions.phones:
                hits.append(_Hit("phone", number, m.start(1), m.end(1)))
    hits.extend(_accounts(_mask(text, taken), occupied))

    if not hits:
        return ()
    masked = _mask(text, [(h.start, h.end) for h in hits])
    found = find_dates(masked, month_first=month_first)
    spans = items(text) if found else []  # items only bound the dates that belong to a hit
    span_starts = [s for s, _ in spans]
    found_starts = [f.start for f in found]
    instants_of = [zone_for(f) if zone_for else f.instant(None) for f in found]
    best: dict[tuple[str, str], datetime | None] = {}
    order: list[tuple[str, str]] = []
    for h in sorted(hits, key=lambda h: h.start):
        key = (h.type, h.value)
        k = bisect.bisect_right(span_starts, h.start) - 1
        item = spans[k] if k >= 0 and spans[k][0] <= h.start < spans[k][1] else (h.start, h.end)
        lo = bisect.bisect_left(found_starts, item[0])
        hi = bisect.bisect_left(found_starts, item[1])
        instants = [i for i in instants_of[lo:hi] if i is not None]
        ts = min(instants) if instants else None
        if key not in best:
            order.append(key)
            best[key] = ts
        elif ts is not None and (best[key] is None or ts < best[key]):  # type: ignore[operator]
            best[key] = ts
    return tuple(Identifier(t, v, best[(t, v)]) for t, v in order)
