"""The sender's own reference numbers: this message's, and the earlier one an extension names."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace

from parsers.classify import PING_TOKEN
from parsers.quoting import cut_signature

_F = re.IGNORECASE | re.UNICODE

# Labels that introduce a reference, in the network's languages (longest first matters less:
# the value is taken as the first reference-like token after the label).
REF_LABEL = (
    r"(?:our |your |their |unser(?:e)? |nuestra |nostro |nossa |nasz(?:a)? |notre |vores |"
    r"deres |vår |vårt |er |meidän )?"
    r"(?:new |neues |neue |nouvelle |nueva |nuova |nova |nowa |nouă |yeni )?"
    r"(?:ref(?:erence|érence|erenz|erencia|erência|erinta|erința)?\.?(?:\s*(?:no|n°|nr|number|"
    r"num|numéro))?\.?"
    r"|case (?:number|no\.?|ref\.?)|file (?:number|no\.?)|numéro de (?:dossier|procédure)|"
    r"n° de procédure"
    r"|aktenzeichen|az\.|geschäftszeichen|geschäftszahl|zeichen|gz\.?"
    r"|número de (?:caso|expediente|referencia|proceso|processo)|expediente|nuipc|ipl|proc\.?"
    r"|riferimento|rif\.|numero di (?:pratica|procedimento)|n\. ?pratica|prot\.?"
    r"|sygn(?:atura)?\.?(?: akt)?|numer sprawy|znak sprawy|nr sprawy|l\.dz\.?"
    r"|număr(?:ul)? (?:de )?(?:dosar|referință)|nr\. dosar|dosar nr\.?"
    r"|dosya (?:no|numarası)|referans"
    r"|číslo spisu|čvs|č\. ?j\.|spisová značka|ev\. ?č\.?|byla nr\.?|diaarinumero|dnro"
    r"|αριθμός (?:πρωτοκόλλου|αναφοράς)|αρ\. πρωτ\.?|kenmerk|referens|vår ref\.?|our file"
    r"|j\. ?nr\.?|journal(?:nummer|nr\.?)|sags?(?:nummer|nr\.?)|saks(?:nummer|nr\.?)"
    r"|diarienummer|dnr\.?|ärendenummer|asianumero|viitenumber)"
)
REF_TOKEN = re.compile(
    r"(?<![\w@/.-])([A-Za-zÀ-ž][\w]*(?:[-/.][\w]+)+|\d+(?:[-/.][\w]+)+)(?![\w@-]|\.\w)", _F
)
_LABELLED = re.compile(
    rf"(?<![\w])(?P<label>{REF_LABEL})(?!\w)\s*[:#.]?\s*(?P<rest>[^\n]{{0,80}})", _F
)
_NEW = re.compile(r"\b(?:new|neue[sn]?|nouvelle|nueva|nuova|nova|nowa|nouă|yeni)\b", _F)
_PREVIOUS = re.compile(
    r"(?:previous|earlier|prior|original|antérieure|précédente|initiale|vorherig|früher|"
    r"ursprünglich|unter unserem|anterior|precedente|previa|poprzedni|wcześniejsz|anterioar|"
    r"önceki|predchádzaj|předchozí|pôvodn|ankstesn|aiemm|προηγούμεν|vorige|tidigare|"
    r"beantragt|requested on|submitted on|sent on|\bdu \d|\bvom \d|\bdel \d)", _F,
)
# "Our request (no.) ..." names the earlier request in an extension; in a new request the
# same words may introduce the request's own number, so they count only for extensions.
_OUR_REQUEST = re.compile(
    r"(?:(?:to|of|with) our (?:\w+ )?request|zu unserem (?:ersuchen|antrag)|unser(?:es|em) "
    r"(?:ersuchens?|antrags?)|à notre demande|de notre demande|notre (?:demande|requête)|"
    r"nuestra solicitud|nostra richiesta|nosso pedido|naszego wniosku|nasz(?:ym)? wnios|"
    r"cererea noastră|cererii noastre|talebimiz|k našej žiadosti|našej žiadosti|k naší žádosti|"
    r"naší žádosti|mūsų prašym|pyyntöömme|vår begäran|vår anmodning|ons verzoek|kérelmünk|"
    r"našeg zahtjeva|našo zahtev|нашего запроса|нашому запиту|нашого запиту)", _F,
)


# Upper-case letters standing alone between a label and the number are part of the
# reference (an office or register code: "Az. ST 45-2026/1123", "Ref.: UCC 2026/44").
_OFFICE_PREFIX = re.compile(r"\s*([A-ZÄÖÜÀ-Þ]{1,5})\s")


@dataclass(frozen=True)
class RefHit:
    value: str
    start: int
    labelled: bool
    new: bool
    previous: bool
    ours: bool = False  # after "our request": the earlier one, when this is an extension


def _is_ref(token: str, case_tag: re.Pattern[str], ping: re.Pattern[str]) -> bool:
    if case_tag.fullmatch(token) or ping.fullmatch(token):
        return False
    digits = sum(c.isdigit() for c in token)
    letters = sum(c.isalpha() for c in token)
    if digits < 2:
        return False
    if re.fullmatch(r"\d{1,4}[./-]\d{1,2}[./-]\d{2,4}", token):
        return False  # a date
    if re.fullmatch(r"(?:\d{1,3}\.){3}\d{1,3}", token):
        return False  # an IPv4 address
    if re.fullmatch(r"(?:UTC|GMT)[+-]\d+", token, _F) or re.fullmatch(r"[\d.]+", token):
        return False
    if re.search(r"\.(?:[a-z]{2,6})$", token, _F) and letters > digits and "-" not in token[-8:]:
        return False  # a domain or a file name
    return letters >= 1 or "/" in token or "-" in token


def find_references(text: str, case_tag: re.Pattern[str], ping: re.Pattern[str]) -> list[RefHit]:
    """Every reference in a text: labelled ones, then bare reference-like tokens."""
    hits: list[RefHit] = []
    taken: set[int] = set()
    for m in _LABELLED.finditer(text):
        label = m.group("label")
        rest = m.group("rest")
        # Nested labels ("Reference / case number: ČVS: PPZ-4412/...") are skipped over.
        for t in REF_TOKEN.finditer(rest):
            token = t.group(1).rstrip(".")
            if _is_ref(token, case_tag, ping):
                start = m.start("rest") + t.start(1)
                office = _OFFICE_PREFIX.fullmatch(rest[:t.start(1)])
                if office:  # "Az. ST 45-2026/1123": the office's letters belong to it
                    token = f"{office.group(1)} {token}"
                    start = m.start("rest") + office.start(1)
                before = text[max(0, m.start() - 80): m.start()]
                hits.append(RefHit(token, start, True, bool(_NEW.search(label)),
                                   bool(_PREVIOUS.search(before + " " + label)),
                                   bool(_OUR_REQUEST.search(before[-50:]))))
                taken.add(start)
                break
            if t.start() > 40:
                break
    for t in REF_TOKEN.finditer(text):
        token = t.group(1).rstrip(".")
        if t.start(1) in taken or not _is_ref(token, case_tag, ping):
            continue
        if not re.search(r"[A-Za-z].*\d|\d.*[A-Za-z]", token) or not re.search(r"[-/]", token):
            continue
        if sum(c.isdigit() for c in token) < 3:
            continue
        before = text[max(0, t.start() - 80): t.start()]
        hits.append(RefHit(token, t.start(1), False, False, bool(_PREVIOUS.search(before)),
                           bool(_OUR_REQUEST.search(before[-50:]))))
    return sorted(hits, key=lambda h: h.start)


def their_and_previous(
    kind: str, rtype: str | None, subject: str, first: Mapping[str, str], text: str,
    case_tag: re.Pattern[str], case_ref: str | None,
) -> tuple[str | None, str | None]:
    """(their reference, previous reference): labelled references and template field 2 first,
    then the subject, then bare reference-like tokens; the previous one only for an extension."""
    ping = PING_TOKEN
    extension = rtype == "preservation_extension"

    def earlier(hits: list[RefHit]) -> list[RefHit]:
        return [h if h.previous or not (extension and h.ours) else replace(h, previous=True)
                for h in hits]

    body = earlier(find_references(cut_signature(text), case_tag, ping))
    in_subject = earlier(find_references(subject, case_tag, ping))
    field = find_references(first.get("reference", ""), case_tag, ping)
    previous_field = find_references(first.get("previous_reference", ""), case_tag,
                                                ping)
    status = first.get("request_status", "")
    prev_in_status = re.search(
        r"(?:previous|antérieure|vorherig|anterior|precedente)[^:\n]*:\s*(\S+)",
                               status, _F)
    candidates = (
        [h for h in body if h.labelled and h.new]
        + [h for h in field if not h.previous]
        + [h for h in body if h.labelled and not h.previous]
        + [h for h in in_subject if h.labelled and not h.previous]
        + [h for h in in_subject if not h.previous]
        + ([h for h in body if not h.previous] if kind == "request" else [])
    )
    their = candidates[0].value if candidates else None
    previous = None
    if extension:
        prev_candidates = [h for h in previous_field]
        if prev_in_status:
            prev_candidates += find_references(prev_in_status.group(1), case_tag, ping)
        prev_candidates += [h for h in body if h.previous] + [h for h in in_subject if h.previous]
        prev_candidates += [h for h in body + in_subject if h.value != their]
        prev_candidates = [h for h in prev_candidates if h.value != their]
        if prev_candidates:
            previous = prev_candidates[0].value
        elif case_ref:
            previous = case_ref
    return their, previous
