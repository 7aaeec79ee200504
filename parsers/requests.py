"""What a request asks for (its type), whether it asks at all, and whether it is urgent."""

from __future__ import annotations

import re
from dataclasses import dataclass

from parsers.scan import Keywords

_F = re.IGNORECASE | re.UNICODE


def _rx(*alternatives: str, folded: bool = True) -> Keywords:
    """One pattern of alternatives. `folded` patterns are matched against lower-cased text,
    which is several times faster than case-insensitive matching of long alternations, and
    are not searched at all when none of their literal stems occurs in the text.
    Alternatives that start at a word boundary share one leading \\b, so the engine gives up
    at once inside words instead of trying each of them."""
    at_word = [a[2:] for a in alternatives if a.startswith(r"\b")]
    anywhere = [a for a in alternatives if not a.startswith(r"\b")]
    parts = ([r"\b(?:" + "|".join(f"(?:{a})" for a in at_word) + ")"] if at_word else [])
    parts += [f"(?:{a})" for a in anywhere]
    pattern = re.compile("|".join(parts), re.UNICODE if folded else _F)
    return Keywords(pattern, alternatives if folded else None)


_ART = r"(?:art(?:icles?|\.|ikel|ículos?|icolo|icoli|igos?|ykuł|icolul|iculo|\.?)?|§|čl\.|madde)"
# Keyword tables by request type, in the network's languages.
PRESERVATION = _rx(
    r"preserv(?:e|ation|ing|ed)", r"conservation", r"conserver", r"\bconserv(?:é|ée)s?\b",
    r"datensicherung", r"\bsicherung", r"\bsichern\b", r"einfrier", r"conservaci[oó]n",
    r"\bconservar\b", r"conservazione", r"\bconservare\b", r"preserva[çc][ãa]o",
    r"conserva[çc][ãa]o",
    r"\bpreservar\b", r"zabezpieczeni[ae]", r"zabezpieczyć", r"zachowani[ae] danych",
    r"conservarea", r"conservării", r"conservare[ae]?\b", r"păstr", r"muhafaza", r"koruma altına",
    r"uchovan", r"uchování",
    r"uchovať", r"zachován", r"išsaugo", r"säilyttä", r"διατήρηση", r"bewaring", r"bevara",
    r"bevaring", r"\bsikring", r"säilitami", r"saglabāšan", r"ohranitev", r"očuvanj",
    r"megőrz", r"сохранени", r"сохранить", r"збереженн", r"зберегти", r"запазване",
    r"очуван", r"обезбеђ",
    rf"{_ART}\s*29\b",
)
EXTENSION = _rx(
    r"\bextension\b", r"\bextend(?:ed|ing)?\b", r"prolongation", r"prolonger", r"renouvellement",
    r"verlängerung", r"verlängern", r"pr[oó]rroga", r"prorrogar", r"extensi[oó]n\b", r"\bproroga",
    r"prorogare", r"prorroga[çc][ãa]o", r"przedłużeni[ea]", r"przedłużyć", r"prelungire",
    r"prelungirea", r"uzatma", r"uzatılma", r"predĺženi", r"prodloužení", r"pratęsim",
    r"jatkami", r"παράταση", r"verlenging", r"förlängning", r"forlængelse", r"forlengelse",
    r"podaljšanj",
    r"produljenj", r"meghosszabb", r"продлени", r"продовженн", r"удължаване", r"\brenew(?:al)?\b",
)
TRAFFIC = _rx(
    r"traffic data", r"données (?:de )?trafic", r"données relatives au trafic", r"verkehrsdaten",
    r"datos (?:de )?tr[aá]fico", r"dati (?:di )?traffico", r"dados de tr[aá]fego",
    r"danych o ruchu", r"dane o ruchu", r"datelor de trafic", r"date(?:le)? de trafic",
    r"trafik veri", r"prevádzkov(?:é|ých) údaj", r"provozní(?:ch)? údaj", r"srauto duomen",
    r"liikennetie", r"δεδομένα κίνησης", r"verkeersgegevens", r"trafikuppgifter",
    r"trafikdata", r"prometn(?:i|ih) podat", r"liiklusandme", r"forgalmi adat",
    r"данн(?:ые|ых) (?:о )?трафик", r"трафік", r"данни за трафика",
    rf"{_ART}\s*30\b",
)
DISCLOSURE = _rx(
    r"disclos", r"divulgation", r"communication", r"herausgabe", r"übermittlung", r"offenlegung",
    r"revelaci[oó]n", r"comunicaci[oó]n", r"divulgazione", r"comunicazione", r"divulga[çc][ãa]o",
    r"ujawnieni", r"przekazani", r"dezvălui", r"comunicare", r"ifşa", r"ifsa", r"açıkla",
    r"sprístupn", r"zpřístupn", r"atskleid", r"luovut", r"κοινοποίηση", r"verstrekking",
    r"utlämnande", r"udlevering", r"utlevering", r"razkritj", r"раскрыти", r"предоставлени",
    r"розкритт", r"надання", r"разкриване", r"identify the (?:path|source|origin)",
)
STORED = _rx(
    r"subscriber", r"abonn[ée]", r"bestandsdaten", r"inhaberdaten", r"suscriptor", r"abonado",
    r"abbonat", r"assinante", r"abonent", r"\bstored (?:computer )?data\b", r"gespeicherten?",
    r"données stockées", r"datos almacenados", r"dati memorizzati", r"dados armazenados",
    r"dane przechowywane", r"date stocate", r"abone", r"účastník", r"uloženýc?h? údaj",
    r"abonnent", r"naročnik", r"pretplatni", r"előfizet", r"абонент", r"tilaaja",
    rf"{_ART}\s*31\b", r"production order", r"\bcontent data\b",
)
EMERGENCY = _rx(
    r"emergency", r"urgence vitale", r"danger de mort", r"menace (?:de mort|pour la vie)",
    r"notfall", r"lebensgefahr", r"gefahr für leib und leben", r"emergencia",
    r"peligro (?:para la|de) vida", r"riesgo (?:para la|de) vida", r"emergenza",
    r"pericolo di vita", r"emerg[êe]ncia", r"risco de vida", r"nagł(?:y|ego) wypad",
    r"zagrożeni[ea] życia", r"urgență", r"pericol (?:pentru|de) viaț", r"acil durum",
    r"hayati tehlike", r"ohrozeni[ea] života", r"ohrožení života", r"threat to (?:life|the life)",
    r"imminent (?:threat|danger|risk)", r"risk to life", r"life[- ]threatening",
    r"kidnap", r"abduct", r"enlèvement", r"enlev[ée]", r"entführ", r"secuestr", r"rapimento",
    r"rapit[oa]", r"sequestr", r"porwani", r"uprowadz", r"răpi", r"kaçırıl", r"únos", r"unesen",
    r"suicid", r"selbstmord", r"samobój", r"intihar", r"bomb threat", r"alerte à la bombe",
    r"bombendrohung", r"amenaza de bomba", r"school shooting", r"amoklauf", r"hostage", r"otage",
    r"geisel", r"rehén",
    r"livsfara", r"självmord", r"selvmord", r"itsemurha", r"életveszély", r"emberrablás",
    r"угроз[аы] (?:для )?жизни", r"загроз[аи] життю", r"похищени", r"викраденн",
    r"самоубийств", r"суицид", r"самогубств",
)
INFORMATION = _rx(
    r"would like to know", r"we would like to ask",
    r"could you (?:please )?(?:tell|inform|confirm|advise|let us know)",
    r"please (?:advise|let us know|confirm whether)", r"\bquestion\b", r"\bwhether\b",
    r"no data to (?:be )?preserv",
    r"information (?:on|about|regarding) (?:the )?(?:procedure|legislation|law|retention)",
    r"retention period", r"okres przechowywania", r"durée de conservation",
    r"plazo de conservación", r"periodo di conservazione", r"speicherfrist",
    r"souhaiterions savoir", r"voudrions savoir", r"\bsavoir si\b",
    r"pas de données à conserver", r"möchten (?:gerne )?wissen", r"keine daten zu sichern",
    r"bitten um auskunft", r"quisiéramos saber", r"quisiera saber", r"nos gustaría saber",
    r"no hay datos (?:que|a) conservar", r"vorremmo sapere", r"vorremmo chiedere se",
    r"nessun dato da conservare", r"gostar[íi]amos de saber", r"chcielibyśmy (?:wiedzieć|zapytać)",
    r"dorim să (?:știm|aflăm)", r"öğrenmek isti", r"radi by sme vedeli", r"chtěli bychom vědět",
    r"cuestión", r"questão", r"pergunta", r"domanda", r"frage zum", r"kérdés", r"pytanie",
    r"întrebare",
)
NO_DATA = _rx(
    r"no data to (?:be )?preserv", r"nothing to preserve", r"pas de données à conserver",
    r"keine daten zu sichern", r"no hay datos (?:que|a) conservar", r"nessun dato da conservare",
    r"não há dados a preservar", r"brak danych do zabezpieczenia",
)
# "We ask / request ..." in the network's languages: a request inside a reply thread.
ASK = _rx(
    r"\bwe (?:kindly |hereby |would like to |would )?(?:request|ask|need)\b",
    r"\bplease (?:preserve|extend|disclose|provide|keep|secure)\b",
    r"\brequest(?:ing)? (?:the |an |you to )?(?:extension|preservation|disclosure)",
    r"\bkindly (?:preserve|extend|disclose|provide)",
    r"\bnous (?:vous )?(?:demandons|sollicitons|prions)",
    r"\bveuillez (?:conserver|prolonger|communiquer|nous communiquer)",
    r"\bmerci de (?:conserver|prolonger|communiquer|nous communiquer)",
    r"\bersuchen\b", r"\bbitten\b", r"\bbitte (?:verlängern|sichern|übermitteln|um)\b",
    r"\b(?:les |le )?rogamos\b", r"\bpor favor,? (?:conserven|prorroguen|faciliten)\b",
    r"\bvi preghiamo\b", r"\bsi prega\b", r"\bpedimos\b", r"\bbeantragen\b",
    r"\bsolicit(?:amos|o|a)\b", r"\bpedimos\b",
    r"\bvimos solicitar\b", r"\bsolicita-se\b", r"\bchiediamo\b", r"\brichiediamo\b",
    r"\bsi (?:chiede|richiede)\b", r"\bsolicităm\b", r"\bvă rugăm\b", r"\bprosimy\b",
    r"\bzwracamy się z prośbą", r"\btalep (?:ediyoruz|ederiz|olunur)", r"\brica (?:ederiz|olunur)",
    r"\bžiadame\b", r"\bžádáme\b", r"\bprašome\b", r"\bpyydämme\b", r"\bverzoeken\b",
    r"\bbegär\b", r"\bzahtijevamo\b", r"\bmolimo\b",
    r"\bbegär(?:an)?\b", r"\banmoder\b", r"\bber om\b", r"\bkérjük\b", r"\bpalun\b",
    r"\blūdzam\b", r"\bprosimo\b", r"\bпросим\b", r"\bпросимо\b", r"\bмолимо\b",
    r"\bмолим\b", r"\bмоля\b",
)
URGENT = _rx(
    r"\burgent(?:e|es|ly|issim[oa])?\b", r"très urgent", r"\bdringend\b",
    r"\beilt\b", r"\beilig\b", r"\bsofort\b", r"\bpilne\b", r"\bpilny\b", r"\bpilna\b",
    r"\bacil\b", r"\bnaliehav[áé]\b", r"\bnaléhavé\b", r"\bsürgős\b",
    r"\bспешно\b", r"\bсрочно\b", r"\bεπείγον\b", r"\bεπείγουσα\b", r"\bkiireellinen\b",
    r"\bkiireinen\b", r"\bskubus\b", r"\bsteidzam", r"\bbrådskande\b", r"\bspoed\b",
    r"\bhasteforespørsel\b",
    r"\bterminovo\b", r"\bтерміново\b", r"\bсрочн", r"\bспешн", r"\bhaster\b",
    r"\basap\b", r"\bde toute urgence\b", r"\bcon urgencia\b", r"\bcon urgenza\b",
)
NOT_URGENT = _rx(
    r"\bnot urgent\b", r"\bnon[- ]urgent", r"\bpas urgent", r"\bnicht dringend", r"\bkein eilfall",
    r"\bno (?:es )?urgente\b", r"\bnon (?:è )?urgente\b", r"non riveste carattere d'urgenza",
    r"\bnão (?:é )?urgente\b", r"\bnie (?:jest )?piln", r"\bnu (?:este )?urgent", r"\bacil değil",
    r"\bnie je naliehav", r"\bnení naléhav", r"\bwithout urgency\b", r"\bsans urgence\b",
)
AFFIRMATIVE = _rx(
    r"^\s*(?:\[\s*x\s*\]\s*)?(?:yes|oui|ja|sí|si|sim|da|tak|evet|áno|ano|kyllä|ναι|igen|jah|"
    r"taip|jā|high|élevée|haute|hoch|alta|alto|wysoka|ridicată|yüksek|urgent|urgente|dringend|"
    r"pilne|acil|immediate|très urgent)\b",
    folded=False,
)
NEGATIVE = _rx(
    r"^\s*(?:\[\s*x\s*\]\s*)?(?:no|non|nein|não|nao|nie|hayır|hayir|ne|nu|ei|όχι|nem|ne|"
    r"normal|normale|standard|low|faible|niedrig|baja|bassa|niska|routine|none|n/a)\b",
    folded=False,
)
STRONG_EMERGENCY = _rx(r"emergency disclosure", r"divulgation d'urgence", r"notfall", r"emergencia",
                       r"emergenza", r"threat to (?:life|the life)", r"danger de mort",
                       r"lebensgefahr",
                       r"imminent (?:threat|danger|risk)", r"zagrożeni[ea] życia",
                       r"hayati tehlike")


_ART29 = re.compile(rf"{_ART}\s*29\b|\b29\s*(?:and|et|und|y|e|i|și|ve|a)\s*30\b", _F)
_ART30 = re.compile(rf"{_ART}\s*(?:29\s*\S{{1,4}}\s*)?30\b", _F)
_DAYS = re.compile(r"\b\d{2,3}\s*(?:days|jours|tage|días|giorni|dias|dni|zile|gün)", _F)


def _count(family: Keywords, text: str) -> int:
    """Matches of a family, counted up to two: callers ask "any?" and "at least twice?"."""
    return family.count(text, cap=2)


@dataclass(frozen=True)
class TypeSignals:
    """Counts of the keyword families in a subject and a request text."""

    preservation: int
    extension: int
    traffic: int
    disclosure: int
    stored: int
    emergency: int
    information: int
    no_data: int
    ask: int
    art29: bool
    art30: bool

    @property
    def any_request(self) -> bool:
        return bool(self.preservation or self.extension or self.traffic or self.stored
                    or self.emergency >= 2 or self.information or (self.disclosure and self.ask))


def signals(subject: str, text: str) -> TypeSignals:
    subject, text = subject.lower(), text.lower()
    both = f"{subject}\n{subject}\n{text}"  # the subject counts twice
    return TypeSignals(
        preservation=_count(PRESERVATION, both),
        extension=_count(EXTENSION, both),
        traffic=_count(TRAFFIC, both),
        disclosure=_count(DISCLOSURE, both),
        stored=_count(STORED, both),
        emergency=_count(EMERGENCY, both) + 2 * _count(STRONG_EMERGENCY, subject + "\n" + text),
        information=_count(INFORMATION, both),
        no_data=_count(NO_DATA, text),
        ask=_count(ASK, f"{subject}\n{text}"),
        art29="29" in both and bool(_ART29.search(both)),
        art30="30" in both and bool(_ART30.search(both)),
    )


def request_type(
    s: TypeSignals, *, status: str | None, has_identifiers: bool, extension_near: bool
) -> str | None:
    """The request type these signals point to, or None when the text asks for nothing."""
    status_l = (status or "").lower()
    if status_l and EXTENSION.search(status_l):
        return "preservation_extension"
    if s.emergency >= 2:
        return "emergency_disclosure"
    if extension_near:
        return "preservation_extension"
    if s.no_data or (s.information and not has_identifiers):
        return "information"
    if s.traffic and (s.disclosure or not s.preservation) and not s.art29:
        return "traffic_disclosure"
    if s.preservation:
        return "preservation"
    if s.stored:
        return "stored_data"
    if s.traffic:
        return "traffic_disclosure"
    if s.information:
        return "information"
    if s.emergency:
        return "emergency_disclosure"
    return None


def extension_near(text: str) -> bool:
    """Whether an extension word stands near a preservation word (same sentence)."""
    text = text.lower()
    for m in EXTENSION.finditer(text):
        window = text[max(0, m.start() - 120): m.end() + 120]
        if PRESERVATION.search(window) or _DAYS.search(window):
            return True
    return False


def is_urgent(request: str | None, subject: str, text: str, urgency_field: str | None) -> bool:
    """Urgent: an emergency, an affirmative urgency field, or an urgency word not negated."""
    if request == "emergency_disclosure":
        return True
    if urgency_field is not None and urgency_field.strip():
        value = urgency_field.strip()
        if NEGATIVE.search(value):
            return False
        if AFFIRMATIVE.search(value) or URGENT.search(value.lower()):
            return True
    for chunk in (subject.lower(), text.lower()):
        cleaned = NOT_URGENT.sub(" ", chunk)
        if URGENT.search(cleaned):
            return True
    return False
