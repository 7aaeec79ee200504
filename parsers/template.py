"""T-CY request template: numbered or labelled sections, English or bilingual labels."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from parsers.result import TemplateFields

_FLAGS = re.IGNORECASE | re.UNICODE

# Label keywords per field, in any of the network's languages; the first matching key wins,
# so the more specific keys come first.
LABELS: tuple[tuple[str, str], ...] = (
    ("previous_reference",
     r"(?:previous|earlier|prior|original|antérieure|précédente|initiale|vorherig|früher|"
     r"ursprünglich|anterior|precedente|previa|prior|poprzedni|wcześniejsz|anterioar|önceki|"
     r"predchádzaj|předchozí|pôvodn|ankstesn|aiemma|aiemp|προηγούμεν|vorige|tidigare)"),
    ("reference",
     r"(?:\bref\b|\bréf\b|reference|référence|referenz|referencia|referência|riferimento|"
     r"case (?:number|no)|file (?:number|no)|numéro de (?:dossier|procédure)|aktenzeichen|\baz\b|"
     r"zeichen|geschäftszahl|número de (?:caso|expediente|processo)|expediente|nuipc|\bipl\b|"
     r"numero (?:di )?(?:pratica|procedimento|fascicolo)|sygn|numer sprawy|"
     r"număr(?:ul)? (?:de )?dosar|"
     r"dosya|číslo spisu|spisov|\bčvs\b|č\. ?j|bylos|diaari|αριθμός|kenmerk|referens|case ref)"),
    ("request_status",
     r"(?:status|statut|stato|estado|\bstav\b|stan wniosku|durum|tipo de solicitud|"
     r"art des ersuchens)"),
    ("requested_authority",
     r"(?:requested authority|autorité requise|ersuchte behörde|autoridad requerida|"
     r"autorità (?:richiesta|adita)|autoridade requerida|organ wezwany|autoritatea solicitată|"
     r"dožiadaný|dožádaný|talep edilen|prašom)"),
    ("requesting_authority",
     r"(?:requesting (?:authority|agency|party)|autorité requérante|ersuchende behörde|"
     r"autoridad requirente|autoridad solicitante|autorità richiedente|autoridade requerente|"
     r"organ wzywający|autoritatea solicitantă|dožadujúci|dožadující|talep eden)"),
    ("contact",
     r"(?:contact for|additional confirmation|personne à contacter|contact pour|ansprechpartner|"
     r"kontaktperson|persona de contacto|contatto per|osoba kontaktowa|persoană de contact)"),
    ("investigative_authority",
     r"(?:investigati(?:ve|ng) authority|autorité chargée de l'enquête|ermittlungsbehörde|"
     r"autoridad investigadora|autorità inquirente|autoridade de investigação)"),
    ("data",
     r"(?:data to be|data to|computer data|données|daten|datos|\bdati\b|dados|\bdane\b|datele|"
     r"\bveri|údaj|údaje|duomen|tiedot|δεδομένα|gegevens|data\b.*preserv|identifiers?)"),
    ("offence",
     r"(?:offen[cs]e|infraction|straftat|delito|reato|crime|infracç|infraç|przestęp|"
     r"infracțiun|\bsuç|trestn|nusikalt|rikos|αδίκημα|strafbaar)"),
    ("facts",
     r"(?:facts|faits|sachverhalt|hechos|fatti|factos|fatos|stan faktyczny|fapte|\bolay|skutk|"
     r"skutku|aplinkyb|tosiseikat|γεγονότ|feiten|summary)"),
    ("provider",
     r"(?:provider|custodian|fournisseur|détenteur|hébergeur|anbieter|proveedor|prestador|"
     r"fornitore|gestore|fornecedor|dostawca|furnizor|sağlayıcı|poskytovateľ|poskytovatel|"
     r"správca|teikėj|palveluntarjoaja|πάροχος|aanbieder|leverantör|hoster|hosting|"
     r"plattform|plateforme|plataforma|piattaforma|platform)"),
    ("necessity",
     r"(?:necessity|nécessité|notwendigkeit|necesidad|necessità|necessidade|konieczność)"),
    ("mla_intention",
     r"(?:mutual legal assistance|\bmla\b|entraide|rechtshilfe|asistencia (?:judicial|jurídica)|"
     r"assistenza giudiziaria|auxílio judiciário|assistência jurídica|pomoc prawn|"
     r"asistență judiciară|adli yardım|právn[ua] pomoc|právní pomoc|teisinės pagalbos|"
     r"oikeusapu|δικαστικής συνδρομής|rechtshulp|rogatoria)"),
    ("urgency",
     r"(?:urgen|dringlich|eilbedürftig|pilno|naliehav|naléhav|aciliyet|kiireellis|επείγ|"
     r"spoedeisend|brådskande)"),
    ("confidentiality",
     r"(?:confidential|vertraulich|confidencial|riservatezza|confidenzialit|poufno|"
     r"confidențialitate|gizlilik|dôvern|důvěrn|konfidencial|luottamuksellis|εμπιστευτικ|"
     r"vertrouwelijk|sekretess)"),
    ("date",
     r"^(?:date|datum|fecha|data|dátum|tarih|päivämäärä|ημερομηνία|dato|datas)"
     r"(?:\s*/\s*(?:date|datum|fecha|data|dátum|tarih|päivämäärä|ημερομηνία|dato))*$"),
)
# Sub-fields of the requesting authority and contact sections.
SUBFIELDS: tuple[tuple[str, str], ...] = (
    ("timezone",
     r"(?:time ?zone|fuseau horaire|zeitzone|huso horario|zona horaria|fuso orario|"
     r"fuso horário|strefa czasowa|fus orar|saat dilimi|časové pásmo|laiko juosta|"
     r"aikavyöhyke|ζώνη ώρας|tijdzone|tidszon)"),
    ("office_hours",
     r"(?:office hours|working hours|heures de bureau|horaires|bürozeit|dienstzeit|"
     r"horario|orario|godziny|program de lucru|mesai|úradné hodiny)"),
    ("email", r"(?:e-?mail|courriel|correo|posta elettronica|poczta|adresa de e-mail)"),
    ("fax", r"(?:\bfax\b|télécopie|telefax)"),
    ("mobile", r"(?:\bcell|mobile|portable|handy|móvil|cellulare|telemóvel|komórk|gsm)"),
    ("phone", r"(?:\btel|phone|téléphone|telefon|teléfono|telefone|telefono|τηλέφωνο)"),
    ("organisation",
     r"(?:organi[sz]ation|organisme|organización|organizzazione|organização|organizacja|"
     r"organizácia|organizace|organizație|\bkurum|behörde|dienststelle|unit|agency|service)"),
    ("person",
     r"(?:person in charge|officer|responsable|verantwortlich|sachbearbeiter|\bname\b|\bnom\b|"
     r"nombre|\bnome\b|imię|meno|jméno|ad soyad|persona|zodpovedná|odpovědná|vardas)"),
    ("response_channel", r"(?:response preferred|preferred|moyen|bevorzugt|preferid|preferit)"),
    ("address", r"(?:address|adresse|anschrift|dirección|indirizzo|endereço|adres|adresa)"),
)
_LABEL_RES = tuple((k, re.compile(p, _FLAGS)) for k, p in LABELS)
_SUB_RES = tuple((k, re.compile(p, _FLAGS)) for k, p in SUBFIELDS)
# T-CY numbering, used when a numbered label is not recognised.
_BY_NUMBER = {1: "date", 2: "reference", 3: "request_status", 4: "requested_authority",
              5: "requesting_authority", 6: "contact", 8: "offence", 9: "facts", 10: "data",
              11: "provider", 13: "mla_intention", 14: "urgency", 15: "confidentiality"}

_NUMBERED = re.compile(r"^(?P<indent>\s*)(?P<num>\d{1,2})\s*[.)]\s*(?P<rest>\S.*)$")
_LABELLED = re.compile(
    r"^(?P<indent>\s*)(?:[-*•]\s*)?(?P<label>[^:\n]{2,120}?)\s*:\s*(?P<value>.*)$"
)
_BULLET = re.compile(r"^\s*(?:[-*•–]|\d{1,2}[.)]\s|[a-z]\)\s)")
SENDER_KEYS = frozenset(("requesting_authority", "contact", "investigative_authority"))


@dataclass(frozen=True)
class Section:
    """One recognised field: its key, value text and span (character offsets) in the text."""

    key: str
    value: str
    start: int
    end: int
    numbered: bool


@lru_cache(maxsize=4096)
def classify_label(label: str) -> str | None:
    """The template field a label names, or None."""
    label = re.sub(r"\s+", " ", label).strip(" *_\t")
    if len(re.findall(r"[^\W\d_]", label)) < 2:
        return None  # a label has words; "2026-11-02 07" is a log line's timestamp
    if not label or len(label) > 200 or "@" in label or "://" in label:
        return None
    if re.search(r"\d{1,2}:\d{2}", label):
        return None
    for key, rx in _LABEL_RES:
        if rx.search(label):
            return key
    return None


@lru_cache(maxsize=4096)
def classify_subfield(label: str) -> str | None:
    label = re.sub(r"\s+", " ", label).strip(" *_\t-")
    if not label or len(label) > 80 or "@" in label:
        return None
    for key, rx in _SUB_RES:
        if rx.search(label):
            return key
    return None


def _line_offsets(text: str) -> list[tuple[int, str]]:
    out, pos = [], 0
    for line in text.split("\n"):
        out.append((pos, line))
        pos += len(line) + 1
    return out


def _split_label(rest: str) -> tuple[str, str] | None:
    """(label, value) of a "label: value" line; the colon must not be part of a time."""
    for m in re.finditer(r":", rest):
        before = rest[: m.start()]
        if re.search(r"\d$", before) and re.match(r"\d", rest[m.end():]):
            continue  # a clock time, not a label separator
        if "://" in rest[m.start(): m.start() + 3]:
            return None
        return before.strip(), rest[m.end():].strip()
    return None


def _numbered_header(lines: list[tuple[int, str]], i: int) -> tuple[int, str, str, int] | None:
    """(number, label, first value line, lines used) of a numbered section header at `i`.

    A label wrapped over two lines (PDF text) is joined with the next line.
    """
    m = _NUMBERED.match(lines[i][1])
    if not m or int(m.group("num")) > 20:
        return None
    rest = m.group("rest")
    split = _split_label(rest)
    consumed = 1
    if split is None and i + 1 < len(lines):
        split = _split_label(rest + " " + lines[i + 1][1].strip())
        consumed = 2
    if split is None or len(split[0]) > 250:
        return None
    return int(m.group("num")), split[0], split[1], consumed


def find_sections(text: str) -> list[Section]:
    """Every numbered section and every recognised `label: value` line, in order."""
    lines = _line_offsets(text)
    sections: list[Section] = []
    i = 0
    while i < len(lines):
        pos, line = lines[i]
        header = _numbered_header(lines, i)
        if header is not None:
            num, label, first, consumed = header
            key = classify_label(label) or _BY_NUMBER.get(num)
            if key is not None:
                end_i = i + consumed
                while end_i < len(lines):
                    nxt = lines[end_i][1]
                    if _numbered_header(lines, end_i) is not None:
                        break
                    if not nxt.strip() and (end_i + 1 >= len(lines)
                                            or not lines[end_i + 1][1].startswith((" ", "\t"))):
                        break
                    end_i += 1
                body = [first] + [lines[k][1] for k in range(i + consumed, end_i)]
                end = lines[end_i - 1][0] + len(lines[end_i - 1][1])
                sections.append(Section(key, "\n".join(body).strip(), pos, end, True))
                i = end_i
                continue
        lm = _LABELLED.match(line)
        if lm and not _NUMBERED.match(line):
            key = classify_label(lm.group("label"))
            if key is not None and len(lm.group("label").split()) <= 12:
                indent = len(lm.group("indent"))
                end_i = i + 1
                while end_i < len(lines):
                    nxt = lines[end_i][1]
                    if not nxt.strip():
                        break
                    nxt_indent = len(nxt) - len(nxt.lstrip())
                    if nxt_indent <= indent and not _BULLET.match(nxt):
                        break
                    sub = _LABELLED.match(nxt)
                    if sub and nxt_indent <= indent and classify_label(sub.group("label")):
                        break
                    end_i += 1
                body = [lm.group("value")] + [lines[k][1] for k in range(i + 1, end_i)]
                end = lines[end_i - 1][0] + len(lines[end_i - 1][1])
                sections.append(Section(key, "\n".join(body).strip(), pos, end, False))
                i = end_i
                continue
        i += 1
    return sections


def is_template(sections: list[Section]) -> bool:
    """Whether the sections look like a filled-in T-CY template (not a few labelled lines)."""
    numbered = {s.key for s in sections if s.numbered}
    return len(numbered) >= 4 and bool(numbered & {"data", "provider", "reference"})


def subfields(value: str) -> list[tuple[str, str]]:
    """(key, value) pairs of the `label: value` lines inside a section's value."""
    out = []
    for line in value.split("\n"):
        split = _split_label(line.strip())
        if split is None:
            continue
        key = classify_subfield(split[0])
        if key is not None and split[1]:
            out.append((key, split[1]))
    return out


def template_fields(sections: list[Section]) -> TemplateFields:
    """The sections as frozen (key, value) pairs, sub-fields as `section.subfield`."""
    items: list[tuple[str, str]] = []
    for s in sections:
        items.append((s.key, s.value))
        if s.key in SENDER_KEYS:
            items.extend((f"{s.key}.{k}", v) for k, v in subfields(s.value))
    return TemplateFields(tuple(items))


_CHECKED = re.compile(r"(?:\[\s*[xX✓✔]\s*\]|☒|☑|■|\(\s*[xX]\s*\))\s*(?P<what>[^\[☐☒☑■\n]{1,120})")


def checked_option(value: str) -> str | None:
    """The text of the ticked box in a `[X] New request [ ] Extension` field, if any."""
    m = _CHECKED.search(value)
    if m:
        return m.group("what").strip()
    if re.search(r"\[\s*\]|☐", value):
        return None
    return value.strip() or None
