"""Own text versus quoted history, reply headers, separators and inline forwards."""

from __future__ import annotations

import re
from dataclasses import dataclass

_FLAGS = re.IGNORECASE | re.UNICODE

_REPLY_VERBS = (
    r"wrote|a écrit|schrieb|escribió|ha scritto|escreveu|napisał\(a\)|napisała|napisał|"
    r"yazdı|napsal\(a\)|napsal|napísal\(a\)|napísal|a scris|schreef|kirjoitti|skrev|"
    r"έγραψε|írta|rašė|rakstīja|kirjutas|je napisal|napisao|написа|написал\(а\)|написал"
)
# The verb ends the line ("wrote:") or precedes the writer's name ("schrieb Desk <a@b>:").
REPLY_HEADER = re.compile(rf"^.{{0,300}}\b(?:{_REPLY_VERBS})(?:\s*:?|\s.{{0,120}}:)\s*$", _FLAGS)
_REPLY_START = re.compile(
    r"^\s*(?:on|le|am|el|il|em|w dniu|dne|dňa|în|op|den|on|в|στις|\d)\b", _FLAGS
)

_ORIGINAL = (
    r"original message|mensaje original|message d'origine|message original|"
    r"ursprüngliche nachricht|originalnachricht|messaggio originale|mensagem original|"
    r"oryginalna wiadomość|wiadomość oryginalna|původní zpráva|pôvodná správa|mesaj original|"
    r"mesajul original|orijinal ileti|özgün ileti|alkuperäinen viesti|oorspronkelijk bericht|"
    r"originalmeddelande|opprinnelig melding|oprindelig meddelelse|αρχικό μήνυμα|"
    r"eredeti üzenet|izvorna poruka|izvirno sporočilo|исходное сообщение|pradinis laiškas|"
    r"algne kiri|sākotnējā ziņa"
)
ORIGINAL_SEPARATOR = re.compile(rf"^\s*[-_=*]{{2,}}\s*(?:{_ORIGINAL})\s*[-_=*]{{2,}}\s*$", _FLAGS)
_FORWARD = (
    r"forwarded message|forwarded e-?mail|message transféré|message transmis|"
    r"weitergeleitete nachricht|mensaje reenviado|messaggio inoltrato|mensagem encaminhada|"
    r"mensagem reencaminhada|przekazana wiadomość|wiadomość przekazana|přeposlaná zpráva|"
    r"preposlaná správa|mesaj redirecționat|mesaj redirectionat|mesaj transmis|iletilen ileti|"
    r"yönlendirilen ileti|välitetty viesti|doorgestuurd bericht|vidarebefordrat meddelande|"
    r"videresendt melding|videresendt meddelelse|προωθημένο μήνυμα|továbbított üzenet|"
    r"proslijeđena poruka|posredovano sporočilo|пересылаемое сообщение|persiųstas laiškas|"
    r"edastatud kiri|pārsūtīta ziņa"
)
FORWARD_MARKER = re.compile(
    rf"^\s*(?:[-_=*]{{2,}}\s*(?:{_FORWARD})\s*[-_=*]{{2,}}|begin forwarded message\s*:|"
    rf"début du message réexpédié\s*:|anfang der weitergeleiteten nachricht\s*:|"
    rf"inicio del mensaje reenviado\s*:|inizio messaggio inoltrato\s*:)\s*$",
    _FLAGS,
)
DASHED_SEPARATOR = re.compile(r"^\s*-{4,}[^-\n]{3,60}-{4,}\s*$")
UNDERSCORE_LINE = re.compile(r"^\s*_{5,}\s*$")
BOUNCE_COPY = re.compile(
    r"^\s*[-]*\s*(?:below this line is a copy of the message|this is a copy of the message|"
    r"original message headers|original message follows|the original message was included|"
    r"---+ ?original message ?---+|a copy of the original message)",
    _FLAGS,
)
QUOTE_PREFIX = re.compile(r"^\s*>")

_FROM = (
    r"from|de|von|da|od|van|från|fra|lähettäjä|kimden|от|από|feladó|saatja|nuo|no|sender|"
    r"expéditeur|remitente|mittente|remetente|nadawca|absender"
)
_SENT = (
    r"sent|envoyé|gesendet|inviato|enviado(?: el)?|wysłano|wysłane|verzonden|skickat|sendt|"
    r"lähetetty|gönderildi|gönderilme tarihi|trimis|odesláno|odoslané|odoslaná|išsiųsta|"
    r"saadetud|nosūtīts|отправлено|στάλθηκε|elküldve|poslano|poslato|date|datum|fecha|data|"
    r"päivämäärä|tarih"
)
_TO = (
    r"to|à|a|an|para|do|aan|till|til|vastaanottaja|kime|кому|προς|címzett|kam|komu|kellele|"
    r"kam|cc|kopie|copie|cco|bcc"
)
_SUBJECT = (
    r"subject|objet|betreff|oggetto|asunto|assunto|temat|onderwerp|ämne|emne|aihe|konu|"
    r"subiect|předmět|predmet|tema|тема|θέμα|tárgy|pealkiri|tēma"
)
_HEADER_LINE = re.compile(
    rf"^\s*\**\s*(?P<label>{_FROM}|{_SENT}|{_TO}|{_SUBJECT})\s*\**\s*:\s*\**\s*(?P<value>\S.*)?$",
    _FLAGS,
)
_FROM_RE = re.compile(rf"^(?:{_FROM})$", _FLAGS)
_SENT_RE = re.compile(rf"^(?:{_SENT})$", _FLAGS)
_TO_RE = re.compile(rf"^(?:{_TO})$", _FLAGS)
_SUBJECT_RE = re.compile(rf"^(?:{_SUBJECT})$", _FLAGS)


@dataclass(frozen=True)
class Forward:
    """An inline forwarded message: its header lines and its body text."""

    sender: str | None
    subject: str | None
    body: str


def _header_role(line: str) -> str | None:
    m = _HEADER_LINE.match(line)
    if not m or not m.group("value"):
        return None
    label = m.group("label").strip()
    if _FROM_RE.match(label):
        return "from"
    if _SUBJECT_RE.match(label):
        return "subject"
    if _SENT_RE.match(label):
        return "sent"
    if _TO_RE.match(label):
        return "to"
    return None


def header_block_at(lines: list[str], i: int) -> int:
    """How many lines from `i` form a From/Sent/To/Subject block (0 when none starts here).

    Two different roles within six lines are required, and one must be From, Sent or Subject,
    so that a lone "To:" or "Date:" in a request is not taken for quoted history.
    """
    first = _header_role(lines[i])
    if first is None:
        return 0
    roles = {first}
    end = i + 1
    for j in range(i + 1, min(len(lines), i + 6)):
        role = _header_role(lines[j])
        if role is None:
            if lines[j].strip():
                break
            continue
        roles.add(role)
        end = j + 1
    strong = roles & {"from", "subject"} or ("sent" in roles and "to" in roles)
    if len(roles) >= 2 and strong:
        return end - i
    return 0


def _is_reply_header(lines: list[str], i: int) -> int:
    """1 or 2 when the reply header ("On ... wrote:") spans that many lines at `i`."""
    line = lines[i].strip()
    if len(line) > 300 or not line:
        return 0
    plausible = _REPLY_START.match(line) or "@" in line or re.search(r"\d", line)
    if REPLY_HEADER.match(line) and plausible:
        return 1
    if i + 1 < len(lines):
        joined = line + " " + lines[i + 1].strip()
        if REPLY_HEADER.match(joined) and _REPLY_START.match(line) and re.search(r"\d|@", joined):
            return 2
    return 0


def own_text(text: str, *, bounce: bool = False) -> str:
    """The sender's own text: quoted lines, reply headers and history below them removed."""
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if QUOTE_PREFIX.match(line):
            i += 1
            continue
        span = _is_reply_header(lines, i)
        if span:
            nxt = i + span
            while nxt < len(lines) and not lines[nxt].strip():
                nxt += 1
            if nxt < len(lines) and QUOTE_PREFIX.match(lines[nxt]):
                i = nxt  # a bottom-posted reply may continue after the quoted block
                continue
            break
        if (
            ORIGINAL_SEPARATOR.match(line)
            or UNDERSCORE_LINE.match(line)
            or (DASHED_SEPARATOR.match(line) and not FORWARD_MARKER.match(line))
            or header_block_at(lines, i)
            or (bounce and BOUNCE_COPY.match(line))
        ):
            break
        out.append(line)
        i += 1
    return "\n".join(out).strip("\n")


def split_forward(text: str, *, outlook_blocks: bool = False) -> tuple[str, Forward | None]:
    """(text before, forwarded message) for an inline forward; (text, None) when there is none.

    With `outlook_blocks`, an Outlook header block or an "Original Message" separator also
    starts the forwarded message (Outlook forwards look exactly like its replies).
    """
    lines = text.split("\n")
    for i, line in enumerate(lines):
        start = None
        separator = ORIGINAL_SEPARATOR.match(line) or UNDERSCORE_LINE.match(line)
        if FORWARD_MARKER.match(line) or (outlook_blocks and separator):
            start = i + 1
        elif outlook_blocks and header_block_at(lines, i):
            start = i
        if start is None:
            continue
        before = "\n".join(lines[:i]).strip("\n")
        sender = subject = None
        j = start
        while j < len(lines) and not lines[j].strip():
            j += 1
        seen_header = False
        while j < len(lines):
            role = _header_role(lines[j])
            if role is None:
                if not lines[j].strip() and seen_header:
                    j += 1
                    break
                if seen_header and not lines[j].strip():
                    break
                if not seen_header:
                    break
                # a wrapped header value
                j += 1
                continue
            seen_header = True
            value = _HEADER_LINE.match(lines[j])
            v = value.group("value").strip() if value and value.group("value") else ""
            if role == "from" and sender is None:
                sender = v
            elif role == "subject" and subject is None:
                subject = v
            j += 1
        body = "\n".join(lines[j:]).strip("\n")
        return before, Forward(sender, subject, body)
    return text, None


CLOSING = re.compile(
    r"^\s*(?:best regards|kind regards|regards|sincerely|yours faithfully|yours sincerely|"
    r"best wishes|many thanks|thank you in advance|cordialement|bien cordialement|"
    r"salutations|sincères salutations|mit freundlichen grüßen|mit freundlichen grüssen|"
    r"freundliche grüße|freundliche grüsse|beste grüße|mfg|saludos(?: cordiales)?|atentamente|"
    r"un saludo|cordiali saluti|distinti saluti|saluti|cordialmente|com os melhores cumprimentos|"
    r"atenciosamente|cumprimentos|melhores cumprimentos|z poważaniem|pozdrawiam|"
    r"z wyrazami szacunku|cu stimă|cu respect|cu deosebită considerație|saygılarımla|"
    r"s pozdravom|s pozdravem|s úctou|ystävällisin terveisin|terveisin|"
    r"(?:med )?vänlig(?:a)? hälsning(?:ar)?|hälsningar|mvh|(?:med )?venlig hilsen|"
    r"(?:med )?vennlig hilsen|"
    r"met vriendelijke groet(?:en)?|vriendelijke groet(?:en)?|srdačan pozdrav|lp|"
    r"с уважением|з повагою|с поштовањем|с почит|поздрави|"
    r"με εκτίμηση|με τιμή|üdvözlettel|tisztelettel|pagarbiai|ar cieņu|lugupidamisega|"
    r"s poštovanjem|lep pozdrav|--|-- )\s*[,.!:]?\s*$",
    _FLAGS,
)


def cut_signature(text: str) -> str:
    """The text above the closing formula ("Best regards", "Cordialement", "--", ...)."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if i > 0 and CLOSING.match(line):
            return "\n".join(lines[:i])
    return text
