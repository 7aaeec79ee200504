"""What a request asks for (its type), whether it asks at all, and whether it is urgent."""

from __future__ import annotations

import re
from dataclasses import dataclass

from parsers.scan import Keywords, each, union_source

_F = re.IGNORECASE | re.UNICODE


def family(*alternatives: str, folded: bool = True) -> Keywords:
    """One pattern of alternatives. `folded` patterns are matched against lower-cased text,
    which is several times faster than case-insensitive matching of long alternations, and
    are searched only with the alternatives whose literal stems occur in the text."""
    return Keywords(union_source(alternatives), re.UNICODE if folded else _F,
                    alternatives if folded else None)


_rx = family


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
    # Plainer words for the same ask: keep, retain, hold the data.
    r"\bretain\b", r"\bretention of (?:the |all )?(?:data|logs|records)",
    r"\bhold (?:onto |on to )?(?:all |the |these )?(?:data|logs|records)", r"\bdata hold\b",
    r"\bkeep (?:all |the |these )?(?:data|logs|records|information)\b",
    r"\bfreez(?:e|ing) (?:the |all )?(?:data|logs)",
    r"\bgarder (?:les|ces|l'ensemble des) (?:données|journaux|logs|traces)",
    r"\bgel (?:rapide )?(?:des|de) données", r"\baufbewahr", r"\bvorzuhalten\b", r"\bvorhalten\b",
    r"\bguard(?:e|en|ar) (?:los|las) (?:registros|datos|logs)",
    r"\bmantenere i (?:log|dati)", r"\bcongelament",
    r"\bguard(?:e|em|ar) os (?:registos|registros|dados|logs)", r"\breter os (?:dados|registos)",
    r"\bbewaren\b", r"\bzachowani[ea] (?:logów|danych)", r"\bzachować (?:dane|logi)",
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
    r"abbonat", r"assinante", r"abonent", r"\babonat(?:ul|ului)?\b",
    r"\bstored (?:computer )?data\b", r"gespeicherten?",
    r"données stockées", r"datos almacenados", r"dati memorizzati", r"dados armazenados",
    r"dane przechowywane", r"date stocate", r"abone", r"účastník", r"uloženýc?h? údaj",
    r"abonnent", r"naročnik", r"pretplatni", r"előfizet", r"абонент", r"tilaaja",
    rf"{_ART}\s*31\b", r"production order", r"\bcontent data\b",
    # Who holds an account, in plainer words.
    r"\baccount holder", r"\bcustomer (?:data|details|records|information)",
    r"\bregistration (?:data|details|information|records)", r"\buser (?:details|data)\b",
    r"\bdonnées d'inscription", r"\bregistrierungsdaten", r"\bkundendaten",
    r"\bdatos (?:de registro|del titular)", r"\bdati (?:anagrafici|di registrazione)",
    r"\bdados (?:de registo|de registro|do titular)", r"\bklantgegevens",
    r"\bregistratiegegevens", r"\bdane (?:rejestracyjne|użytkownika)",
)
# Threats to life or safety. Each match counts once; two matches (the subject counts
# twice) or one strong phrase make an emergency. "sequestro" alone is a seizure in Italian
# and Portuguese, and "secuestro de datos" is ransomware in Spanish: neither counts.
EMERGENCY = _rx(
    r"emergency", r"urgence vitale", r"danger de mort", r"menace (?:de mort|pour la vie)",
    r"notfall", r"lebensgefahr", r"gefahr für leib und leben", r"emergencia",
    r"peligro (?:para la|de) vida", r"riesgo (?:para la|de) vida", r"emergenza",
    r"pericolo di vita", r"emerg[êe]ncia", r"risco de vida", r"perigo de vida",
    r"nagł(?:y|ego) wypad", r"zagrożeni[ea] życia", r"urgență", r"pericol (?:pentru|de) viaț",
    r"acil durum", r"hayati tehlike", r"ohrozeni[ea] života", r"ohrožení života",
    r"threat to (?:life|the life)", r"imminent (?:threat|danger|risk)", r"risk to life",
    r"life[- ]threatening", r"danger (?:to|for) (?:his|her|their|the) life",
    r"kidnap", r"abduct", r"enlèvement", r"\bété enlevée?s?\b", r"entführ",
    r"secuestr(?!o de (?:datos|archivos|ficheros|información))", r"rapimento", r"\brapit[oa]\b",
    r"sequestro (?:di persona|de pessoa|de menor|de criança|relâmpago)", r"sequestrad[oa]\b",
    r"porwani", r"porwan[ya]\b", r"uprowadz", r"răpi", r"kaçırıl", r"\búnos", r"\bunesen",
    r"\bunesen[ýé]", r"ontvoer", r"kidnapp", r"bortför", r"\bsieppa", r"\bsiepat", r"emberrabl",
    r"elrabol", r"απαγωγ", r"απήχθη", r"похищ", r"викраден",
    r"suicid", r"suicíd", r"suïcid", r"suizid", r"selbstmord", r"samobój", r"intihar",
    r"zelfmoord", r"självmord", r"selvmord", r"itsemurha", r"öngyilkos", r"sebevražd",
    r"samovražd", r"sinucid", r"αυτοκτον", r"самоубийств", r"суицид", r"самогубств", r"суїцид",
    r"self[- ]harm", r"end (?:his|her|their) (?:own )?life", r"mettre fin à ses jours",
    r"sich (?:das leben|etwas) (?:zu )?(?:nehmen|antun)", r"quitarse la vida", r"togliersi la vita",
    r"tirar a própria vida", r"odebrać sobie życie", r"van het leven te beroven",
    r"bomb threat", r"bomb scare", r"threat(?:ened)? to (?:bomb|blow up|shoot|kill)",
    r"alerte à la bombe", r"menace d'attentat", r"menace (?:à la|de) bombe", r"bombendrohung",
    r"bombenanschlag", r"amenaza de bomba", r"amenaza de (?:atentado|tiroteo)",
    r"minaccia (?:bomba|di (?:una )?bomba|di attentato)", r"allarme bomba", r"ameaça de bomba",
    r"alarm bombowy", r"grożb[ay] (?:podłożenia|zamachu|zabicia)", r"bommelding", r"bomdreiging",
    r"bombhot", r"bombetrussel", r"pommiuhka", r"bombafenyeget", r"amenințare cu bomb",
    r"bomba tehdidi", r"bombovou hrozb", r"bombová hrozb", r"oznámení o bombě", r"απειλή βόμβας",
    r"угроз[аы] (?:взрыва|теракта)", r"замінуван", r"\bbomb(?:a|e|y)? (?:threat|alert)",
    r"school shooting", r"shooting (?:at|in) (?:a|the|our) (?:school|college|university)",
    r"amoklauf", r"amokdrohung", r"fusillade", r"tuerie", r"tiroteo", r"sparatoria",
    r"tiroteio", r"strzelanin", r"schietpartij", r"skolskjutning", r"kouluampumi",
    r"iskolai lövöldöz", r"împușcături", r"okul(?:da)? silahlı saldırı", r"střelba ve škole",
    r"streľba v škole", r"стрельб[аы] в школе", r"стрілянин",
    r"hostage", r"\botages?\b", r"geisel", r"rehén", r"ostagg", r"refém", r"zakładni", r"gijzel",
    r"gisslan", r"panttivan", r"túsz", r"ostatic", r"rehine", r"rukojm", r"όμηρ", r"заложник",
    r"заручник",
    r"missing (?:child|minor|girl|boy|teenager|person at risk)", r"disparition inquiétante",
    r"mineure? disparu", r"vermisst(?:e|es|en)? (?:kind|mädchen|junge|minderjährig)",
    r"menor desaparecid", r"niñ[oa] desaparecid", r"minore scompars", r"bambin[oa] scompars",
    r"criança desaparecida", r"menor desaparecid", r"zaginion(?:e|ej|ego) (?:dzieck|nastolat|"
    r"małoletni)", r"vermist(?:e)? (?:kind|meisje|jongen|minderjarige)", r"försvunnen? (?:barn|"
    r"flicka|pojke)", r"kadonnut (?:lapsi|tyttö|poika)", r"eltűnt (?:gyermek|lány|fiú|kiskorú)",
    r"copil dispărut", r"minor dispărut", r"kayıp (?:çocuk|kız|erkek)", r"pohřešovan",
    r"nezvestn", r"αγνοούμεν", r"пропал(?:а|и)? (?:ребен|девоч|мальчик|подрост)",
    r"зник(?:ла|ло|ли)? (?:дитин|дівчин|хлопчик)",
    r"sextortion", r"sextorsion", r"sextorsión", r"sextorsão", r"sekstorsj", r"sextortie",
    r"livsfara", r"livsfare", r"hengenvaara", r"életveszély", r"levensgevaar", r"acuut gevaar",
    r"κίνδυνο(?:ς)? (?:για τη )?ζωή", r"άμεσος κίνδυνος", r"pericol iminent",
    r"угроз[аы] (?:для )?жизни", r"загроз[аи] життю",
    r"\b(?:daughter|son|child|girl|boy|kid|teenager|grandchild)\b.{0,40}\b(?:is|has been|went|"
    r"gone) missing", r"\bhas been missing since", r"\b(?:she|he|they) (?:is|are|may be|might be) "
    r"in (?:immediate |grave |great )?danger",
    *each("fille|fils|enfant", r"\b.{0,30}\b(?:a disparu|est introuvable|a fugué)"),
    *each("tochter|sohn|kind", r"\b.{0,30}\b(?:ist|wird) (?:seit .{0,20})?(?:verschwunden|"
          r"vermisst)"),
    *each("hija|hijo", r"\b.{0,30}\b(?:ha desaparecido|está desaparecid)"),
    r"\b(?:figlia|figlio)\b.{0,30}\bè scompars", r"\b(?:filha|filho)\b.{0,30}\bdesaparec",
    r"\b(?:córka|syn)\b.{0,30}\bzagin",
    *each("dochter|zoon", r"\b.{0,30}\b(?:vermist|verdwenen)"),
    r"child (?:is )?in (?:immediate )?danger", r"enfant en danger", r"kind in gefahr",
    r"menor en peligro", r"minore in pericolo", r"criança em perigo",
    r"dziecko w niebezpieczeństwie",
    r"kind in gevaar", r"barn i fara", r"lapsi vaarassa", r"dítě v ohrožení", r"copil în pericol",
    r"noodgeval", r"nödsituation", r"hätätilan", r"vészhelyzet", r"έκτακτη ανάγκη",
    r"mimořádn[áé] (?:událost|situac)", r"чрезвычайн", r"надзвичайн",
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
    r"\bzwracamy się\b", r"\btalep (?:ediyoruz|ederiz|olunur)", r"\brica (?:ederiz|olunur)",
    r"\bžiadame\b", r"\bžádáme\b", r"\bprašome\b", r"\bpyydämme\b", r"\bverzoeken\b",
    r"\bbegär\b", r"\bzahtijevamo\b", r"\bmolimo\b",
    r"\bbegär(?:an)?\b", r"\banmoder\b", r"\bber om\b", r"\bkérjük\b", r"\bpalun\b",
    r"\blūdzam\b", r"\bprosimo\b", r"\bпросим\b", r"\bпросимо\b", r"\bмолимо\b",
    r"\bмолим\b", r"\bмоля\b",
)
URGENT = _rx(
    r"\burgent(?:e|es|ly|issim[oa])?\b", r"très urgent", r"\bdringend\b",
    r"\beilt\b", r"\beilig\b", r"\bsofort\b", r"\bpilne\b", r"\bpilny\b", r"\bpilna\b",
    r"\bacil\b", r"\bnaliehav[áéý]\b", r"\bnaléhav[áéý]\b", r"\bsürgős\b", r"\burgentă\b",
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
                       r"lebensgefahr", r"gefahr für leib und leben", r"urgence vitale",
                       r"imminent (?:threat|danger|risk)", r"zagrożeni[ea] życia",
                       r"hayati tehlike", r"risk to life", r"life[- ]threatening",
                       r"riesgo (?:para la|de) vida", r"peligro (?:para la|de) vida",
                       r"pericolo di vita", r"risco de vida", r"perigo de vida",
                       r"pericol iminent", r"ohrozeni[ea] života", r"ohrožení života",
                       r"livsfara", r"livsfare", r"hengenvaara", r"életveszély",
                       r"levensgevaar", r"κίνδυνο(?:ς)? (?:για τη )?ζωή",
                       r"угроз[аы] (?:для )?жизни", r"загроз[аи] життю")


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


def signals(subject: str, text: str, *, inherited: bool = False) -> TypeSignals:
    """Keyword counts in a subject (counted twice) and a text. An `inherited` subject (a
    reply's "Re: ..." of the message answered) does not count: what a reply asks is in its
    text (an answer in an emergency's thread is not itself an emergency, an extension's
    thread may carry a new preservation request)."""
    subject, text = ("" if inherited else subject.lower()), text.lower()
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


def field_urgency(urgency_field: str | None) -> bool | None:
    """What a template's urgency field answers: True (yes, high, ...), False (no, normal,
    ...), or None when it says neither (or there is none)."""
    if urgency_field is None or not urgency_field.strip():
        return None
    value = urgency_field.strip()
    if NEGATIVE.search(value):
        return False
    if AFFIRMATIVE.search(value) or URGENT.search(value.lower()):
        return True
    return None


def is_urgent(request: str | None, subject: str, text: str, urgency_field: str | None) -> bool:
    """Urgent: an emergency, an affirmative urgency field, or an urgency word not negated."""
    if request == "emergency_disclosure":
        return True
    answer = field_urgency(urgency_field)
    if answer is not None:
        return answer
    for chunk in (subject.lower(), text.lower()):
        cleaned = NOT_URGENT.sub(" ", chunk)
        if URGENT.search(cleaned):
            return True
    return False
