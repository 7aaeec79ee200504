"""Rules that decide what kind of mail a message is: bounce, auto-reply, ping reply, reply."""

from __future__ import annotations

import re

from parsers import bounce
from parsers.mime import Decoded

_F = re.IGNORECASE | re.UNICODE

PING_TOKEN = re.compile(r"\bPING-(\d{4})-(H[12])-([0-9A-F]{4})\b", _F)
REPLY_PREFIX = re.compile(
    r"^\s*(?:\[[^\]]{0,40}\]\s*)?(?:re|aw|r|rif|sv|vs|odp|ang|antw|atb|vá|ynt|yan[ıi]t|ref|"
    r"απ|отв|res|rv|odg|odgovor)\s*(?:\[\d+\])?\s*:",
    _F,
)
FORWARD_PREFIX = re.compile(
    r"^\s*(?:re:\s*)?(?:fwd?|tr|wg|rv|enc|i|pd|prz|fs|vb|doorst|πρθ|ilt|İlt|přep|továbbítás|"
    r"proslijeđeno|переслать)\s*:", _F,
)
# Subject prefixes and phrases of automatic answers in the network's languages.
AUTO_SUBJECT = re.compile(
    r"^\s*(?:automatic reply|auto(?:matic)?[- ]?reply|auto[- ]?response|autoreply|"
    r"out of (?:the )?office|ooo\b|away from (?:the )?office|vacation|on leave|"
    r"réponse automatique|réponse auto|absence|absent|abwesend|abwesenheitsnotiz|"
    r"automatische antwort|automatische rückantwort|nicht im büro|respuesta automática|"
    r"respuesta automatica|fuera de la oficina|ausente|risposta automatica|fuori sede|"
    r"fuori ufficio|assente|resposta automática|resposta automatica|odpowiedź automatyczna|"
    r"automatyczna odpowiedź|nieobecność|răspuns automat|absent din birou|otomatik yanıt|"
    r"otomatik cevap|ofis dışında|automaattinen vastaus|poissa|αυτόματη απάντηση|"
    r"εκτός γραφείου|automatisch antwoord|afwezig|automatiskt svar|frånvarande|autosvar|"
    r"automatisk svar|fravær|automatická odpověď|automatická odpoveď|mimo kancelář|"
    r"mimo kancelárie|automatikus válasz|házon kívül|автоматический ответ|samodejni odgovor|"
    r"automatski odgovor|automaatne vastus|automātiskā atbilde|automatinis atsakymas|"
    r"read|lu|gelesen|leído|letto|lido|przeczytane|okundu|citit|luettu|διαβάστηκε|"
    r"delivered|remis|zugestellt)\s*:",
    _F,
)
AUTO_BODY = re.compile(
    r"out of (?:the )?office|i am (?:currently )?(?:away|absent|on leave|out)|i will be (?:away|"
    r"absent|out)|"
    r"(?:this is an? |an )?automatic(?:ally generated)? (?:reply|response|acknowledge?ment|"
    r"message|notification)|"
    r"this (?:is an? )?auto(?:mated|matic)[- ](?:reply|response|message)|auto-?reply|"
    r"do not reply to this (?:e-?mail|message)|limited access to (?:my )?e-?mail|"
    r"absent(?:e)? du bureau|je suis absent|je serai absent|réponse automatique|"
    r"message automatique|"
    r"nicht (?:im büro|erreichbar)|bin (?:bis|vom) .{0,30}(?:abwesend|nicht erreichbar)|"
    r"abwesenheitsnotiz|automatische antwort|"
    r"fuera de la oficina|estaré ausente|estoy ausente|respuesta automática|mensaje automático|"
    r"fuori (?:ufficio|sede)|sarò assente|sono assente|risposta automatica|messaggio automatico|"
    r"fora do escritório|estarei ausente|resposta automática|mensagem automática|"
    r"poza biurem|będę nieobecn|jestem nieobecn|automatyczna odpowiedź|wiadomość automatyczna|"
    r"în afara biroului|voi lipsi|răspuns automat|mesaj automat|"
    r"ofis dışında|izindeyim|otomatik (?:yanıt|cevap|mesaj)|"
    r"θα απουσιάζω|απουσιάζω|εκτός γραφείου|αυτόματη απάντηση|αυτοματοποιημένο μήνυμα|"
    r"automaattinen vastaus|olen poissa|lomalla|"
    r"mimo kancelári[eu]|automatická odpoveď|som mimo|mimo kancelář|automatická odpověď|jsem mimo|"
    r"házon kívül|automatikus válasz|buiten kantoor|automatisch antwoord|ben afwezig|"
    r"frånvarande|automatiskt svar|är ledig|your (?:message|e-?mail) (?:has been|"
    r"was) read|"
    r"has been assigned (?:the )?(?:ticket|reference)",
    _F,
)
def _header(d: Decoded, name: str) -> str:
    return (d.headers.get(name) or "").strip().lower()


def bounce_signals(d: Decoded) -> tuple[str, ...]:
    """Rules that say this is a delivery status notification (the rules live in bounce)."""
    return bounce.signals(d)


def auto_signals(d: Decoded, own: str) -> tuple[str, ...]:
    """Rules that say this is an automatic answer (RFC 3834 headers, subjects, bodies)."""
    fired = []
    auto_submitted = _header(d, "auto-submitted")
    if auto_submitted and auto_submitted != "no":
        fired.append("header:auto-submitted")
    if d.headers.get("x-autoreply") is not None or d.headers.get("x-autorespond") is not None:
        fired.append("header:x-autoreply")
    if _header(d, "x-auto-response-suppress") == "all" and d.headers.get("x-autoreply") is not None:
        fired.append("header:x-auto-response-suppress")
    if _header(d, "precedence") == "auto_reply":
        fired.append("header:precedence-auto-reply")
    if d.report_type == "disposition-notification":
        fired.append("mime:disposition-notification")
    if AUTO_SUBJECT.match(d.headers.subject):
        fired.append("subject:out-of-office")
    if len(own) < 1500 and AUTO_BODY.search(own):
        fired.append("body:out-of-office")
    return tuple(fired)


def list_signals(d: Decoded) -> tuple[str, ...]:
    """Rules that say this is list or bulk mail."""
    fired = []
    if d.headers.get("list-id") is not None:
        fired.append("header:list-id")
    if d.headers.get("list-unsubscribe") is not None:
        fired.append("header:list-unsubscribe")
    if _header(d, "precedence") in ("bulk", "list", "junk"):
        fired.append(f"header:precedence-{_header(d, 'precedence')}")
    return tuple(fired)


def ping_token(*texts: str) -> str | None:
    """The first ping token (PING-YYYY-H1|H2-XXXX) in the given texts, upper-cased."""
    for text in texts:
        m = PING_TOKEN.search(text)
        if m:
            return m.group(0).upper()
    return None


def reply_signals(d: Decoded, case_ref: str | None) -> tuple[str, ...]:
    """Rules that say this follows up an earlier message."""
    fired = []
    if case_ref:
        fired.append("tag:case")
    if REPLY_PREFIX.match(d.headers.subject):
        fired.append("subject:reply-prefix")
    if d.headers.in_reply_to or d.headers.references:
        fired.append("header:in-reply-to")
    return tuple(fired)
