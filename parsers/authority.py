"""Who the mail itself says is writing: an authority, a private party, or an announcement.

Read from the mail alone (its text, its From display name and address), never from the
directory: the directory says whether a sender is verified, not what the mail means.

* `text_authority`: the text names a police, prosecution, court or contact-point sender
  (organisation words, ranks and titles, the Convention, the 24/7 network).
* `sender_authority`: the From display name or address reads like such an office
  (`cyber247@police.example`, "BKA Lagezentrum", an address at a `.gov.` domain).
* `private_party`: the writer presents as a private person or firm: a victim telling their
  own story, a law firm acting for a client, the press, a vendor selling something, a
  newsletter. Authority words in such a text are a topic, not a sender.
* `announcement`: an invitation to a training, meeting, webinar or conference (named so
  in the subject, or inviting in the text). Such mail mentions emergencies and procedures
  without asking for anything.

All families match lower-cased text (see `requests._rx`).
"""

from __future__ import annotations

from parsers.requests import _rx

TEXT_AUTHORITY = _rx(
    r"polic", r"polizei", r"gendarm", r"carabinieri", r"guardia civil", r"\bgarda\b",
    r"prosecut", r"procureur", r"parquet", r"staatsanwalt", r"\bfiscal[ií]a", r"\bfiscal\b",
    r"procura", r"ministério público", r"ministerio público", r"prokurat", r"parchet",
    r"savcı", r"\bcourt\b", r"tribunal", r"gericht", r"\bjuge\b", r"\bjudge\b", r"magistra",
    r"convention", r"convenio", r"konvention", r"übereinkommen", r"convenzione", r"convenção",
    r"konwencj", r"convenți", r"sözleşme", r"dohovor", r"úmluv", r"budapest", r"24/7",
    r"\bmla\b", r"mutual legal", r"entraide", r"rechtshilfe", r"asistencia judicial",
    r"assistenza giudiziaria", r"cyber", r"ciber", r"kyber", r"law enforcement",
    r"investigat", r"enquête", r"ermittl", r"investigaci", r"indagin", r"investigaç",
    r"śledztw", r"anchet", r"soruşturma", r"vyšetrov", r"\bpolis(?:en)?\b", r"\bpoliti(?:et)?\b",
    r"poliisi", r"politie", r"poliți", r"policij", r"policie", r"polícia", r"rendőr", r"полиц",
    r"поліці", r"полициј", r"прокурат", r"следств", r"слідч", r"åklagar", r"anklagemyndighed",
    r"syyttäj", r"ügyész", r"εισαγγελ", r"αστυνομ", r"openbaar ministerie", r"kriminal",
    r"kommissarie", r"киберн", r"кіберн",
    r"\bart(?:icle|\.|ikel|ículo|icolo)?\s*(?:29|30|31|32|33)\b",
    # Ranks and titles that sign requests.
    r"\binspect(?:or|eur|rice)\b", r"\bispettore\b", r"\binspetor\b", r"\binspektor",
    r"\bkomisarz\b", r"\bkommissar", r"\bkomisar", r"\bcommissaire\b", r"\bcommissario\b",
    r"\bcomisario\b", r"\bcomissário\b", r"\bkomiser\b", r"\bcommissaris\b", r"komisaras",
    r"\brikoskomisario\b", r"\brikosylikonstaapeli\b", r"\bkhk\b", r"\bkok\b", r"\bpok\b",
    r"\bdetective\b", r"\bdet\. (?:sgt|insp)", r"\bsergeant\b", r"\bconstable\b",
    r"\bspecial agent\b", r"\bbrigadier\b", r"\bmaresciallo\b", r"\bcapitaine\b",
    r"\bnpor\.", r"\bppor\.", r"\bkpt\.", r"\bmjr\.", r"\bplt\.", r"\bmagg\.",
    r"\bpolice captain\b", r"\bduty officer\b", r"\bcase officer\b",
    # The network's contact points.
    r"contact point", r"point de contact", r"kontaktstelle", r"punkt kontaktowy",
    r"punto de contacto", r"punto di contatto", r"ponto de conta(?:c)?to", r"contactpunt",
    r"kontaktpunkt", r"yhteyspiste", r"kontaktní místo", r"kontaktné miesto",
    r"punct(?:ul)? de contact", r"irtibat noktası", r"σημείο επαφής", r"контактн(?:ый|ая) пункт",
)

# Labels of a From display name or address (dots, dashes and "@" read as spaces).
SENDER_AUTHORITY = _rx(
    r"polic", r"polis", r"politi", r"poliisi", r"polizei", r"poliz", r"gendarm", r"carabinieri",
    r"guardia", r"\bgarda\b", r"justice", r"justiz", r"justicia", r"giustizia", r"justiça",
    r"prosecut", r"procura", r"parquet", r"fiscalia", r"staatsanwalt", r"prokura", r"parchet",
    r"\bminv\b", r"\bmvcr\b", r"\bmup\b", r"\bmvd\b", r"interior", r"interieur", r"\binnen",
    r"\bbka\b", r"\blka\b", r"\bfbi\b", r"\bnca\b", r"\bncb\b", r"europol", r"interpol",
    r"cyber", r"kyber", r"siber", r"ciber", r"\bcybercrime", r"\bkripo\b", r"kriminal",
    r"\b24 ?7\b", r"247(?!\d)", r"\bpoc\b", r"\bgov\b", r"\bgouv\b", r"\bgob\b", r"\bgovt\b",
    r"\bgv\b", r"\bbund\b", r"\bmil\b", r"rendőr",
)

PRIVATE_PARTY = _rx(
    # A victim telling their own story.
    r"\bi (?:was|have been|got|am|'ve been) (?:the )?(?:scammed|hacked|defrauded|cheated|"
    r"blackmailed|a victim|victim|robbed|tricked)",
    r"\bmy (?:account|computer|phone|e-?mail|bank account|wife|husband|mother|father) "
    r"(?:was|has been|got) (?:hacked|stolen|scammed|compromised)",
    r"\bsomeone (?:hacked|stole|took|is using)", r"\bi lost (?:my|all|\d)",
    r"\bj'ai été (?:victime|arnaqu|escroqu|piraté)", r"\bje suis victime",
    r"\bon m'a (?:volé|arnaqu|piraté)", r"\bmon compte a été piraté",
    r"\bich (?:bin|wurde) (?:opfer|betrogen|gehackt|erpresst)", r"\bmein konto wurde",
    r"\bhe sido (?:víctima|estafad|hackead)", r"\bme (?:han|ha) estafado",
    r"\bsono stat[oa] (?:vittima|truffat|hackerat)", r"\bmi hanno truffat",
    r"\bfui (?:vítima|burlad|enganad)", r"\bfui vitima",
    r"\bzosta(?:łem|łam) (?:oszukan|okradzion|zhakowan|ofiarą)", r"\bpad(?:łem|łam) ofiarą",
    r"\bik ben (?:opgelicht|slachtoffer|gehackt)", r"\bmijn account is gehackt",
    r"\bam fost (?:victima|înșelat|înşelat|păcălit)", r"\bblev (?:lurad|bedragen|hackad)",
    r"\bjsem se stal(?:a)? obětí", r"\bbyl(?:a)? jsem podveden",
    # A student or researcher.
    r"\bi am a (?:student|phd student|researcher|doctoral)",
    r"\bmy (?:master'?s |bachelor'?s )?(?:thesis|dissertation)\b",
    r"\bje suis (?:étudiant|chercheur)", r"\bmeine? (?:bachelor|master|doktor)arbeit",
    # A law firm acting for a client.
    r"\blaw firm\b", r"\battorneys? at law\b", r"\bon behalf of (?:our|my) client",
    r"\bour client\b", r"\bsolicitors?\b", r"\bbarrister",
    r"\bcabinet d'avocats\b", r"\bnotre (?:client|cliente|mandant)", r"\bavocats? (?:à|au)\b",
    r"\brechtsanw[aä]lt", r"\bkanzlei\b", r"\bunser(?:e|er)? mandant", r"\bbufete\b",
    r"\bnuestr[oa] (?:cliente|representad)", r"\bdespacho de abogados\b",
    r"\bstudio legale\b", r"\bil nostro (?:cliente|assistito)", r"\bla nostra assistita\b",
    r"\bescritório de advogados\b", r"\bo nosso cliente\b", r"\bnosso cliente\b",
    r"\bkancelaria (?:prawna|adwokacka|radcy)", r"\bnasz(?:ego)? klient",
    r"\badvocatenkantoor\b", r"\bonze cliënt\b", r"\bcabinet de avocatură\b",
    # The press.
    r"\bi am a (?:journalist|reporter|freelance)", r"\bi'm a (?:journalist|reporter)",
    r"\bjournalist at\b", r"\breporter (?:at|for)\b", r"\bfor an? (?:article|story|feature|"
    r"documentary|podcast)\b", r"\bpress (?:inquiry|enquiry|request)\b",
    r"\bmedia (?:inquiry|enquiry|request)\b", r"\binterview request\b",
    r"\brequest for (?:an )?interview\b", r"\bje suis journaliste", r"\bpour un article\b",
    r"\bich bin journalist", r"\bfür einen (?:artikel|beitrag)\b", r"\bsoy periodista",
    r"\bpara un (?:artículo|reportaje)\b", r"\bsono (?:un |una )?giornalista",
    r"\bper un articolo\b", r"\bsou jornalista", r"\bpara uma reportagem\b",
    r"\bjestem dziennikark", r"\bjestem dziennikarzem", r"\bik ben journalist",
    r"\bvoor een artikel\b", r"\bjag är journalist",
    # A vendor selling something.
    r"\bour (?:platform|product|solution|software|tool|suite|services?) (?:helps|is|can|"
    r"allows|enables|offers)", r"\bbook a (?:demo|call|meeting)\b", r"\bfree trial\b",
    r"\bspecial offer\b", r"\blimited offer\b", r"\bpricing\b", r"\bschedule a demo\b",
    r"\bnotre solution\b", r"\bunsere lösung\b", r"\bnuestra solución\b",
    r"\bla nostra soluzione\b", r"\ba nossa solução\b", r"\bnasze rozwiązanie\b",
    r"\bonze oplossing\b",
)
# A newsletter sent by a person (no list headers).
BULK = _rx(
    r"\bnewsletter\b", r"\bunsubscribe\b", r"\bse désabonner\b", r"\bdésinscri",
    r"\babbestellen\b", r"\bdarse de baja\b", r"\bdisiscriv", r"\bcancelar (?:a )?subscrição",
    r"\bwypisz się\b", r"\buitschrijven\b", r"\bin this issue\b", r"\bthis month's issue\b",
)

# In a subject: what an announcement is called.
ANNOUNCEMENT_SUBJECT = _rx(
    r"\binvitation\b", r"\bwebinar", r"\bworkshop", r"\btraining\b", r"\bseminar",
    r"\bconference\b", r"\bsave the date\b", r"\bagenda\b", r"\bcourse\b", r"\bformation\b",
    r"\batelier\b", r"\bséminaire", r"\bcolloque\b", r"\beinladung\b", r"\bschulung",
    r"\btagung\b", r"\bkonferenz\b", r"\binvitación\b", r"\btaller\b", r"\bformación\b",
    r"\bseminario\b", r"\bjornadas?\b", r"\binvito\b", r"\bcorso\b", r"\bformazione\b",
    r"\bconvegno\b", r"\bconvite\b", r"\bformação\b", r"\bzaproszenie\b", r"\bszkoleni",
    r"\bwarsztat", r"\bkonferencj", r"\buitnodiging\b", r"\bopleiding\b", r"\bcursus\b",
    r"\binvitați", r"\binvitatie\b", r"\bdavet\b", r"\beğitim", r"\bpozvánk", r"\bškolen",
    r"\bkutsu\b", r"\bkoulutu", r"\bmeghívó", r"\bképzés", r"\bπρόσκληση", r"\bεκπαίδευση",
    r"\bприглашени", r"\bобучени", r"\bсеминар", r"\binbjudan", r"\butbildning",
)
# In a body: the phrases that invite.
ANNOUNCEMENT_BODY = _rx(
    r"\bwe are (?:pleased|delighted|happy) to invite", r"\byou are (?:cordially )?invited",
    r"\binvite you to (?:attend|participate|join|register|take part)",
    r"\bregister (?:by|here|now|before|online)\b", r"\bregistration (?:is open|deadline|form)",
    r"\bnous avons le plaisir de vous inviter", r"\bvous êtes (?:cordialement )?invit",
    r"\bnous vous invitons à", r"\bladen (?:sie|wir sie|ihnen) .{0,40}\bein\b",
    r"\bmöchten (?:sie|wir sie) .{0,40}einladen", r"\btenemos el (?:placer|gusto) de invitar",
    r"\ble(?:s)? invitamos a", r"\bsiamo lieti di invitar", r"\bvi invitiamo a",
    r"\btemos o prazer de convidar", r"\bconvidamos\b", r"\bzapraszamy\b",
    r"\bmamy przyjemność zaprosić", r"\bnodigen (?:wij )?u (?:graag )?uit",
    r"\bvă invităm\b", r"\bsizi .{0,30}davet ediyoruz", r"\bzveme vás\b", r"\bkutsumme\b",
    r"\bmeghívjuk\b", r"\bσας προσκαλούμε", r"\bприглашаем\b", r"\bvi inbjuder\b",
)


def text_authority(lowered: str) -> bool:
    """Whether lower-cased text names an authority sender (office, rank, Convention)."""
    return TEXT_AUTHORITY.search(lowered) is not None


def sender_authority(display_name: str | None, address: str | None) -> bool:
    """Whether the From display name or address reads like a police or judicial office."""
    name = (display_name or "").lower()
    words = " ".join(x for x in (name, (address or "").lower()) if x)
    for mark in "@.-_+":
        words = words.replace(mark, " ")
    return bool(words) and (SENDER_AUTHORITY.search(words) is not None
                            or (bool(name) and TEXT_AUTHORITY.search(name) is not None))


def private_party(lowered: str) -> bool:
    """Whether lower-cased text presents its writer as a victim, a law firm, the press or a
    vendor, or is a newsletter."""
    return PRIVATE_PARTY.search(lowered) is not None or bulk(lowered)


def bulk(lowered: str) -> bool:
    """Whether lower-cased text is a newsletter (sent by a person, without list headers)."""
    return BULK.search(lowered) is not None


def announcement(subject: str, lowered: str) -> bool:
    """Whether a mail (lower-cased subject and text) invites to a training, meeting or
    conference."""
    return (ANNOUNCEMENT_SUBJECT.search(subject) is not None
            or ANNOUNCEMENT_BODY.search(lowered) is not None)
