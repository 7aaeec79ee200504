"""What a partner actually asks, finer than the contract's six request types.

Requests seldom read like the textbook preservation request. Partners ask for help with an
incident, announce that an MLA request will follow, ask for a takedown, for the attribution
of an IP address, to confirm a contact point or a legal provision; inside a thread they add
an identifier or correct a time. `topic()` names what the text asks (one of
`result.TOPICS`), and `request_type_for()` maps it onto the contract's type:

| topic                  | request_type                                                |
| ---------------------- | ----------------------------------------------------------- |
| `emergency`            | `emergency_disclosure`                                      |
| `extension`            | `preservation_extension`                                    |
| `preservation`         | `preservation`                                              |
| `traffic_disclosure`   | `traffic_disclosure`                                        |
| `stored_data`          | `stored_data`                                               |
| `attribution`          | `stored_data` (who used an IP address or account)           |
| `mla_notice`           | `stored_data` (the contract: "announcing ... an MLA request") |
| `incident_assistance`  | `information`, or the data type it asks for (preservation, ...) |
| `takedown`             | `information`, or the data type it asks for                 |
| `contact_confirmation` | `information`                                               |
| `legal_question`       | `information`                                               |
| `information`          | `information`                                               |
| `addendum`, `correction` | none: a follow-up inside a thread is a reply              |

All families match lower-cased text.
"""

from __future__ import annotations

from dataclasses import dataclass

from parsers.requests import ASK, PRESERVATION, STORED, TRAFFIC, TypeSignals, family
from parsers.scan import each

MLA_NOTICE = family(
    r"\bmla (?:request )?(?:will|shall|is to|to) follow", r"\bmla request (?:to|will) follow",
    r"\b(?:mla|mutual legal assistance) request (?:is|was|has been|will be) (?:being )?"
    r"(?:prepared|sent|transmitted|submitted|forwarded|issued)",
    *each("mutual legal assistance|mla", r" (?:request )?(?:will|shall) (?:follow|be sent|be "
          r"transmitted|be submitted)"),
    r"\bwill (?:send|transmit|submit|forward) (?:an?|the|our)? ?(?:formal )?(?:mla|mutual legal "
    r"assistance|letter rogatory|rogatory)", r"\bletter rogatory (?:will|is being|has been)",
    r"\bnotification\b.{0,40}\bmla\b", r"\bmla\b.{0,20}\bto follow\b",
    r"\bdemande d'entraide (?:pénale |judiciaire )?(?:internationale )?(?:suivra|va suivre|sera "
    r"(?:transmise|envoyée|adressée)|est en cours)", r"\bcommission rogatoire (?:internationale )?"
    r"(?:suivra|sera)", r"\bentraide (?:judiciaire )?suivra",
    r"\brechtshilfeersuchen (?:folgt|wird (?:folgen|übermittelt|nachgereicht|gestellt))",
    r"\bein rechtshilfeersuchen (?:wird|folgt)", r"\brechtshilfe(?:ersuchen)? folgt",
    r"\bsolicitud de (?:asistencia|auxilio) (?:judicial|jurídica|legal) (?:mutua |internacional )?"
    r"(?:seguirá|será (?:remitida|enviada|cursada)|se (?:enviará|remitirá|cursará))",
    r"\bcomisión rogatoria (?:seguirá|será)",
    r"\brichiesta di assistenza giudiziaria (?:internazionale )?(?:seguirà|sarà (?:trasmessa|"
    r"inviata)|verrà (?:trasmessa|inviata))", r"\brogatoria (?:internazionale )?(?:seguirà|sarà|"
    r"verrà)",
    r"\bpedido de (?:auxílio|assistência|cooperação) (?:judiciári[oa]|jurídic[oa]) "
    r"(?:mútu[oa] |internacional )?(?:seguirá|será (?:enviado|remetido|transmitido))",
    r"\bcarta rogatória (?:seguirá|será)",
    r"\bwniosek o (?:międzynarodową )?pomoc prawną (?:zostanie|wpłynie|nastąpi|będzie)",
    r"\brechtshulpverzoek (?:volgt|zal (?:volgen|worden)|wordt)",
    r"\bcerere(?:a)? de asistență judiciară (?:va urma|va fi (?:transmisă|trimisă))",
    r"\badli yardım talebi (?:gönderilecek|iletilecek)",
    r"\bžádost o (?:mezinárodní )?právní pomoc (?:bude|následuje)",
    r"\bžiadosť o (?:medzinárodnú )?právnu pomoc (?:bude|nasleduje)",
    r"\bbegäran om rättslig hjälp (?:kommer|följer)", r"\boikeusapupyyntö (?:lähetetään|seuraa)",
    r"\bjogsegély(?:kérelem|kérelmet) (?:követi|érkezik|megküldjük)",
    r"\bαίτημα (?:δικαστικής|νομικής) συνδρομής (?:θα|ακολουθεί)",
    r"\bзапрос о (?:взаимной )?правовой помощи (?:будет|последует)",
)
MLA_SUBJECT = family(
    r"\bmla\b", r"mutual legal assistance", r"entraide", r"rechtshilfe", r"rogatori",
    r"rogatoire", r"auxílio judiciário", r"asistencia judicial", r"assistenza giudiziaria",
    r"pomoc prawn", r"rechtshulp", r"asistență judiciară", r"adli yardım", r"právní pomoc",
    r"právnu pomoc", r"rättslig hjälp", r"oikeusapu", r"jogsegély", r"δικαστικής συνδρομής",
    r"правовой помощи",
)
NOTICE = family(
    r"\bnotification\b", r"\bnotice\b", r"\bfor your information\b", r"\bwe (?:hereby )?"
    r"(?:inform|notify|advise) you", r"\bthis is to (?:inform|notify)", r"\bplease (?:be advised|"
    r"note) that", r"\bnous vous informons", r"\bavis\b", r"\bwir (?:teilen|informieren) "
    r"(?:ihnen|sie)", r"\bmitteilung\b", r"\ble(?:s)? informamos", r"\bnotificación\b",
    r"\bvi (?:informiamo|comunichiamo)", r"\bnotifica\b", r"\binformamos (?:que|v\.?\s?exas?)",
    r"\bnotificação\b", r"\binformujemy\b", r"\bzawiadomienie\b", r"\bwij (?:delen|laten) u",
    r"\bkennisgeving\b", r"\bvă informăm\b", r"\bnotificare\b", r"\bbilgilerinize\b",
    r"\binformujeme\b", r"\boznámení\b", r"\boznámenie\b", r"\bvi meddelar\b", r"\bilmoitamme\b",
    r"\btájékoztatjuk\b", r"\bσας ενημερώνουμε\b", r"\bсообщаем\b", r"\bповідомляємо\b",
)
# "Further to our request ...": the mail refers back to an earlier request.
EARLIER = family(
    r"\bfurther to\b", r"\bfollowing (?:up )?(?:on )?our\b", r"\bwith reference to our\b",
    r"\bin reference to our\b", r"\breferring to our\b", r"\bas a follow[- ]up to\b",
    r"\bour (?:previous|earlier|preservation|original) request\b", r"\byour (?:ref|reference)\b",
    r"\bsuite à notre\b", r"\ben référence à notre\b", r"\bfaisant suite à\b",
    r"\bnotre demande (?:de conservation|initiale|précédente)\b", r"\bim nachgang zu\b",
    r"\bbezugnehmend auf\b", r"\bunter bezugnahme auf\b", r"\bmit bezug auf unser",
    r"\bunser(?:em)? (?:sicherungs|vorherig|früher)", r"\ben relación con nuestra\b",
    r"\bcon referencia a nuestra\b", r"\ben seguimiento (?:a|de) nuestra\b",
    r"\bnuestra (?:solicitud|petición) (?:de conservación|anterior)\b", r"\bfacendo seguito\b",
    r"\bcon riferimento alla nostra\b", r"\bin riferimento alla nostra\b",
    r"\bla nostra (?:richiesta|precedente)\b", r"\bna sequência do nosso\b",
    r"\bno seguimento do nosso\b", r"\bcom referência ao nosso\b", r"\bo nosso pedido\b",
    r"\bnawiązując do\b", r"\bw nawiązaniu do\b", r"\bw związku z naszym\b",
    r"\bnaszego (?:wniosku|wcześniejszego)\b", r"\bnaar aanleiding van ons\b",
    r"\bin vervolg op\b", r"\bmet verwijzing naar ons\b", r"\bons (?:eerdere|vorige) verzoek\b",
    r"\bca urmare a\b", r"\breferitor la (?:cererea|solicitarea) noastră\b",
    r"\bönceki talebimiz", r"\bnaší (?:předchozí )?žádost", r"\bnašej (?:predchádzajúcej )?"
    r"žiadost", r"\bvår (?:tidigare )?begäran\b", r"\baiempaan pyyntöömme\b",
    r"\bkorábbi megkeresésünk", r"\bπροηγούμενο αίτημά μας\b", r"\bнашего запроса\b",
)
ATTRIBUTION = family(
    r"\battribution\b", r"\battribute (?:the |this |these )?(?:ip|address|account)",
    r"\bidentify (?:the |who )?(?:user|holder|owner|customer|person|subscriber|individual)",
    r"\bidentification of (?:the )?(?:user|holder|owner|customer|person|subscriber)",
    r"\bwho (?:used|was using|is using|was assigned|is behind|operates|registered)\b",
    r"\b(?:was|were|is) (?:assigned|allocated) to\b", r"\bholder of (?:the|this) (?:account|"
    r"ip|address|line|number)", r"\bto whom (?:the|this) (?:ip|address|account)",
    r"\battribution de l'adresse", r"\bidentifier (?:l'utilisateur|le titulaire|la personne)",
    r"\bidentification (?:de l'utilisateur|du titulaire|de la personne)",
    r"\btitulaire (?:de l'adresse|de la ligne|du compte|de l'abonnement)",
    r"\bzuordnung (?:der|dieser) ip", r"\bzuzuordnen\b", r"\bzuordnen\b", r"\banschlussinhaber",
    r"\binhaber (?:des|der) (?:kontos|accounts|anschlusses|ip)", r"\bidentifizierung des",
    r"\btitular de la (?:dirección|cuenta|línea|ip)", r"\bidentificar al (?:usuario|titular)",
    r"\batribución de la (?:ip|dirección)", r"\bidentificación del (?:usuario|titular)",
    r"\bintestatari", r"\battribuzione dell'indirizzo", r"\bidentificare l'(?:utente|"
    r"utilizzatore|intestatario)", r"\btitolare dell'(?:utenza|account|indirizzo)",
    r"\btitular da (?:conta|linha)", r"\bidentificação do (?:utilizador|usuário|titular)",
    r"\batribuição do endereço", r"\bustaleni[ea] (?:użytkownika|danych użytkownika|"
    r"abonenta|właściciela)", r"\bprzypisan[ey] do\b", r"\bidentyfikacj[ai] użytkownika",
    r"\btoewijzing van het ip", r"\bhouder van (?:het|de) (?:ip|account|rekening|nummer)",
    r"\bidentificatie van de gebruiker", r"\btitularul\b", r"\bidentificarea utilizatorului",
    r"\batribuirea adresei", r"\binnehavare(?:n)? av\b", r"\bvem som använde\b",
    r"\buživatel(?:e)? ip adres", r"\bidentifikac[ei] uživatel", r"\bpoužívateľ(?:a)? ip",
    r"\bhaltija", r"\bkäyttäjän tunnistami", r"\bfelhasználó(?:jának)? azonosítás",
    r"\bустановить (?:пользователя|владельца)", r"\bпринадлежност",
    r"\bkullanıcısının tespit", r"\bkime ait\b",
)
TAKEDOWN = family(
    r"\btake ?down", r"\btake (?:it|them|the (?:site|domain|page|content|account|server)) "
    r"(?:down|offline)", r"\bblock(?:ing)? (?:of |access to )?(?:the |this |these )?(?:domain|"
    r"website|site|url|page|account|content|server)", r"\bremov(?:e|al of) (?:the |this )?"
    r"(?:content|website|page|account|domain|phishing)", r"\bsuspen(?:d|sion of) (?:the |this )?"
    r"(?:domain|account|site|website)", r"\bsinkhol",
    *each("get|getting|have|having", r" (?:the |this |these )?(?:site|website|domain|page|"
          r"content|account)s? (?:blocked|removed|suspended|taken (?:down|offline))"),
    r"\bblock (?:the |this )?(?:\w+ )?(?:website|site|domain|url)",
    r"\bshut(?:ting)? down (?:the |this )?"
    r"(?:site|domain|server|infrastructure)",
    *each("retrait|suppression|fermeture|blocage|désactivation", r" (?:du|de la|des|de l')\s*"
          r"(?:site|contenu|nom de domaine|domaine|compte|page|url|serveur|infrastructure)"),
    r"\bbloquer (?:le|l'accès|ce|ces|les)",
    *each("abschaltung|sperrung|löschung|entfernung|deaktivierung", r" (?:der|des|dieser|dieses)"
          r"\s+(?:\w+\s+)?(?:domain|seite|webseite|website|inhalt|konto|accounts|server|"
          r"infrastruktur|phishing)"), r"\bvom netz (?:zu )?nehmen",
    r"\b(?:retirada|bloqueo|eliminación|cierre|baja) del?\s+(?:la )?(?:sitio|contenido|"
    r"dominio|cuenta|página|web|servidor)", r"\bbloquear (?:el|la|los|las|este|esta)",
    *each("rimozione|oscuramento|blocco|chiusura|disattivazione", r" (?:del|della|dello|dell'|"
          r"dei)\s*(?:sito|contenuto|dominio|account|pagina|server)"),
    r"\bbloccare (?:il|la|l'|i)",
    *each("remoção|bloqueio|retirada|desativação|encerramento", r" (?:do|da|dos)\s+(?:site|sítio|"
          r"conteúdo|domínio|conta|página|servidor)"), r"\bbloquear o\b",
    *each("usunięci[ea]|zablokowani[ea]|blokad[ay]|wyłączeni[ea]", r" (?:strony|domeny|treści|"
          r"konta|serwera|witryny)"),
    *each("verwijdering|blokkering", r" (?:van )?(?:de |het )?(?:website|domein|site|inhoud|"
          r"account|server)"), r"\buit de lucht\b",
    r"\boffline (?:te )?halen\b",
    *each("eliminarea|blocarea|închiderea", r" (?:site|domeniului|conținutului|contului)"),
    r"\berişim engel", r"\bkaldırılması\b",
    *each("zablokování|odstranění|zablokovanie|odstránenie", r" (?:domény|stránky|obsahu|účtu|"
          r"webu)"),
    r"\b(?:blockering|borttagning|stängning) av (?:domänen|webbplatsen|sidan|kontot)",
    *each("sivuston poisto|estäminen|sulkeminen", r"\b"), *each("eltávolítás|letiltás", ""),
    r"\bблокировк", r"\bудалени[ея] (?:сайта|контента|страниц|домена)", r"\bαπενεργοποίηση",
    r"\bαφαίρεση (?:του|της) (?:ιστοσελίδας|περιεχομένου)",
)
INCIDENT = family(
    r"ransomware", r"rançongiciel", r"ranswomware", r"\bddos\b", r"denial of service",
    r"\bintrusion", r"\bdata breach\b", r"\bbreach\b", r"\bhack(?:ed|ing)?\b", r"\bcompromis",
    r"\bmalware\b", r"\bbotnet", r"\bcyber ?attack", r"\bincident\b", r"\bincidente?\b",
    r"\bincydent", r"\bphishing campaign\b", r"\bdata leak\b", r"\battaque\b", r"\bangriff",
    r"erpressungstrojaner", r"sicherheitsvorfall", r"\bataque\b", r"\battacco\b",
    r"\batak\b", r"\baanval\b", r"\batac\b", r"\bsaldırı", r"\bútok", r"\bhyökkäy",
    r"\btámadás", r"\bатак", r"\bкибератак", r"\bεπίθεση", r"secuestro de datos",
    r"\bcryptolocker", r"\bwiper\b", r"\bc2 server\b", r"command[- ]and[- ]control",
)
ASSIST = family(
    r"\bassist", r"\bhelp\b", r"\bsupport\b", r"\bcooperation\b", r"\baide\b", r"\bconcours\b",
    r"\bcoopération\b", r"\bunterstützung", r"\bhilfe\b", r"\bayuda\b", r"\basistencia\b",
    r"\bapoyo\b", r"\bcolaboración\b", r"\bassistenza\b", r"\bsupporto\b", r"\baiuto\b",
    r"\bcollaborazione\b", r"\bassistência\b", r"\bapoio\b", r"\bajuda\b", r"\bcolaboração\b",
    r"\bpomoc", r"\bwsparci", r"\bbijstand\b", r"\bhulp\b", r"\bondersteuning\b",
    r"\basistenț", r"\bsprijin", r"\byardım", r"\bdestek", r"\bpodpor", r"\bsoučinnost",
    r"\bhjälp\b", r"\bbistånd\b", r"\bapua\b", r"\bavun", r"\btuki", r"\bsegítség",
    r"\bпомощ", r"\bсодейств", r"\bдопомог", r"\bβοήθεια", r"\bσυνδρομή",
)
CONTACT = family(
    r"\bconfirm (?:the |your |that |whether )?(?:this |our |your )?(?:is )?(?:still )?(?:the )?"
    r"(?:correct |right |valid |current )?(?:contact|point of contact|24/7 contact|e-?mail "
    r"address|address|phone number|telephone number|details|channel)",
    r"\bis this (?:still )?the (?:correct|right|valid|current) (?:address|contact|channel|"
    r"mailbox)", r"\bconfirm(?:ation)? of (?:the |your )?(?:contact|point of contact)",
    r"\bcontact point (?:confirmation|verification|details)", r"\bupdated? contact details\b",
    r"\bconfirmer (?:le|vos|les|votre|l')\s*(?:point de contact|coordonnées|adresse|numéro)",
    r"\bconfirmation (?:du point de contact|des coordonnées)",
    r"\bbestätig(?:en|ung) (?:sie )?(?:bitte )?(?:der |die |ihre |ihrer )?"
    r"(?:kontakt|erreichbarkeit|adresse|anschrift|e-mail)",
    r"\bconfirmar (?:el |los |sus |su )?(?:punto de contacto|datos de contacto|dirección|correo)",
    r"\bconfermare (?:il |i |la )?(?:punto di contatto|recapiti|contatti|indirizzo)",
    r"\bconfirmar (?:o |os |a )?(?:ponto de conta(?:c)?to|contactos|contatos|endereço)",
    r"\bpotwierdz(?:enie|ić) (?:danych kontaktowych|punktu kontaktowego|adresu)",
    r"\bbevestig(?:en|ing)? (?:van )?(?:het |uw |de )?(?:contactpunt|contactgegevens|adres)",
    r"\bconfirmarea (?:punctului de contact|datelor de contact|adresei)",
    r"\bpotvrzení kontakt", r"\bpotvrdenie kontakt", r"\bbekräfta (?:kontakt|adress)",
    *each("confirm|bestätig|potwierdz|bevestig|conferm", r"\w* (?:\w+ ){0,4}(?:contact|contatt|"
          r"kontakt|coordonnées|recapiti|contactgegevens)"),
    r"\byhteystietojen vahvist",
)
LEGAL = family(
    r"\blegal (?:provision|basis|framework|requirement|question)", r"\blegislation\b",
    r"\bwhich (?:law|article|provision|legal)", r"\bunder (?:your|the) (?:national )?law\b",
    r"\bdomestic law\b", r"\bretention (?:period|obligation)", r"\bbase légale\b",
    r"\bdisposition(?:s)? légale", r"\bfondement juridique\b", r"\blégislation\b",
    r"\bdurée de conservation\b", r"\brechtsgrundlage", r"\bgesetzliche grundlage",
    r"\bgesetzliche(?:n)? (?:vorschrift|regelung|bestimmung)", r"\bspeicherfrist",
    r"\bbase (?:legal|jurídica)\b", r"\bdisposición legal\b", r"\blegislación\b",
    r"\bplazo de conservación\b", r"\bbase giuridica\b", r"\bnormativa\b",
    r"\bdisposizion[ei] di legge\b", r"\bperiodo di conservazione\b", r"\bdisposição legal\b",
    r"\blegislação\b", r"\bprazo de conservação\b", r"\bpodstaw[aęy] prawn", r"\bprzepis",
    r"\bokres przechowywania\b", r"\brechtsgrond", r"\bwettelijke (?:bepaling|grondslag|basis)",
    r"\bwetgeving\b", r"\bbewaartermijn", r"\btemei(?:ul)? legal", r"\bdispoziți(?:a|e|ile) "
    r"legal", r"\blegislați", r"\byasal dayanak", r"\bmevzuat", r"\bprávní (?:základ|úprav)",
    r"\bprávny (?:základ|rámec)", r"\brättslig grund", r"\blagstiftning", r"\boikeusperust",
    r"\blainsäädäntö", r"\bjogalap", r"\bjogszabály", r"\bправов(?:ая|ой) основ",
    r"\bзаконодательств", r"\bνομική βάση", r"\bνομοθεσία",
)
CORRECTION = family(
    r"\bkorrektur\b", r"\bberichtigung\b", r"\bcorrection\b", r"\bcorrigendum\b",
    r"\berratum\b", r"\bcorrected\b", r"\brectificatif\b", r"\brectification\b",
    r"\bcorrección\b", r"\brectificación\b", r"\bfe de erratas\b", r"\bcorrezione\b",
    r"\brettifica\b", r"\bcorreção\b", r"\bretificação\b", r"\bkorekta\b", r"\bsprostowanie\b",
    r"\bcorrectie\b", r"\brectificatie\b", r"\brectificare\b", r"\bdüzeltme\b", r"\boprava\b",
    r"\brättelse\b", r"\bkorjaus\b", r"\bhelyesbítés\b", r"\bисправлени", r"\bвиправлення\b",
    r"\bδιόρθωση\b",
)
ADDENDUM = family(
    r"\bnachtrag\b", r"\bergänzung\b", r"\baddendum\b",
    r"\badditional (?:ip|information|identifier|account|data|e-?mail|detail|url|domain|phone|"
    r"address)", r"\bcomplément(?:s)? d'information", r"\ben complément (?:de|à) (?:notre|ma)",
    r"\bin addition to our (?:request|earlier)", r"\bin erg[äa]nzung (?:zu|unseres)",
    r"\binformations? complémentaires?\b",
    r"\binformación adicional\b", r"\bcomplemento\b", r"\bintegrazione\b", r"\baditamento\b",
    r"\binformação adicional\b", r"\buzupełnienie\b",
    r"\bdodatkow(?:y|e|a) (?:adres|informacj|identyfikator|konto)", r"\baanvulling\b",
    r"\baanvullende (?:informatie|gegevens)", r"\bcompletare\b", r"\binformații suplimentare\b",
    r"\bek bilgi\b", r"\bdoplnění\b", r"\bdoplnenie\b", r"\bkomplettering\b", r"\btillägg\b",
    r"\btäydennys\b", r"\blisätieto", r"\bkiegészítés\b", r"\bдополнени", r"\bуточнени",
    r"\bдоповнення\b", r"\bσυμπλήρωμα\b",
)
# Asks for something about an identifier without the formal "we request" of ASK.
QUESTION = family(
    r"\b(?:could|can|would) you (?:please |kindly )?(?:check|identify|provide|confirm|preserve|"
    r"block|remove|take (?:it |them )?down|trace|investigate|verify|find out|look into|give us|"
    r"send us|share|tell us who)",
    r"\bplease (?:check|identify|block|remove|take (?:it |them )?down|trace|investigate|verify|"
    r"find out|look into|tell us who|confirm who|shut)",
    r"\b(?:pourriez|pouvez)-vous (?:vérifier|identifier|bloquer|supprimer|retirer|nous "
    r"(?:communiquer|transmettre|indiquer|fournir))",
    r"\b(?:könnten|können) sie (?:bitte )?(?:prüfen|überprüfen|ermitteln|feststellen|sperren|"
    r"löschen|uns (?:mitteilen|übermitteln|sagen))",
    *each("podrían|pueden|podrías", r" (?:verificar|comprobar|identificar|bloquear|eliminar|"
          r"facilitarnos|indicarnos)"),
    *each("potreste|potete", r" (?:verificare|identificare|bloccare|rimuovere|comunicarci|"
          r"fornirci|indicarci)"),
    *each("poderiam|podem", r" (?:verificar|identificar|bloquear|remover|fornecer|indicar)"),
    r"\bczy (?:mogliby|moglibyście|mogą) (?:państwo )?"
    r"(?:sprawdzić|ustalić|zablokować|usunąć|przekazać)",
    *each("zouden|kunnen", r" (?:jullie|u) (?:kunnen )?(?:nagaan|controleren|blokkeren|"
          r"verwijderen|achterhalen|verstrekken)"),
)


@dataclass(frozen=True)
class TopicSignals:
    """Which topic families a subject and a request text show."""

    mla_notice: bool
    mla_subject: bool
    notice: bool
    earlier: bool
    attribution: bool
    takedown: bool
    incident: bool
    assist: bool
    contact: bool
    legal: bool
    addendum: bool
    correction: bool
    question: bool
    data_asked: bool  # a data family in the subject, or in the sentence of an ASK
    data_in_subject: bool  # the subject names preservation, traffic or stored data


def _near_ask(text: str) -> bool:
    """Whether a preservation, traffic or stored-data word stands in the sentence of an ask."""
    for m in ASK.finditer(text):
        window = text[max(0, m.start() - 60): m.end() + 160]
        if PRESERVATION.search(window) or TRAFFIC.search(window) or STORED.search(window):
            return True
    return False


def signals(subject: str, text: str, *, inherited: bool = False) -> TopicSignals:
    """The topic families in a subject and a text (both matched lower-cased). An `inherited`
    subject (a reply's "Re: ..." of the message answered) names what was asked before, so
    only an addendum or a correction is read in it."""
    subject, text = subject.lower(), text.lower()
    head = f"{subject}\n{text[:600]}"  # a follow-up says what it is at once
    if inherited:
        subject = ""
    both = f"{subject}\n{text}"
    data_in_subject = bool(PRESERVATION.search(subject) or TRAFFIC.search(subject)
                           or STORED.search(subject))
    return TopicSignals(
        mla_notice=MLA_NOTICE.search(both) is not None,
        mla_subject=MLA_SUBJECT.search(subject) is not None,
        notice=NOTICE.search(head) is not None,
        earlier=EARLIER.search(both) is not None,
        attribution=ATTRIBUTION.search(both) is not None,
        takedown=TAKEDOWN.search(both) is not None,
        incident=INCIDENT.search(both) is not None,
        assist=ASSIST.search(both) is not None,
        contact=CONTACT.search(both) is not None,
        legal=LEGAL.search(both) is not None,
        addendum=ADDENDUM.search(head) is not None or CORRECTION.search(head) is not None,
        correction=CORRECTION.search(head) is not None,
        question=QUESTION.search(both) is not None,
        data_asked=data_in_subject or _near_ask(text),
        data_in_subject=data_in_subject,
    )


_BY_TYPE = {
    "emergency_disclosure": "emergency",
    "preservation_extension": "extension",
    "preservation": "preservation",
    "traffic_disclosure": "traffic_disclosure",
    "stored_data": "stored_data",
    "information": "information",
}


def topic(
    rtype: str | None, sig: TypeSignals, t: TopicSignals, *, has_identifiers: bool,
    refers_back: bool,
) -> str | None:
    """The finer topic of what a text asks, from the keyword type `rtype` and the topic
    families; None when it asks for nothing. `refers_back` is true when the text names an
    earlier request (our case tag in it, or an earlier reference)."""
    if rtype in ("emergency_disclosure", "preservation_extension"):
        return _BY_TYPE[rtype]
    earlier = t.earlier or refers_back
    if t.mla_notice and (t.notice or earlier or t.mla_subject) and (
            earlier or not t.data_asked):
        return "mla_notice"
    if t.data_in_subject and rtype in ("preservation", "traffic_disclosure", "stored_data"):
        return _BY_TYPE[rtype]
    if t.attribution and has_identifiers and rtype != "traffic_disclosure":
        return "attribution"
    if t.takedown:
        return "takedown"
    if t.incident and t.assist:
        return "incident_assistance"
    asks_no_data = not has_identifiers and (rtype in (None, "information") or not t.data_asked)
    if t.contact and asks_no_data:
        return "contact_confirmation"
    if t.legal and asks_no_data:
        return "legal_question"
    if rtype is None:
        return None
    return _BY_TYPE[rtype]


def request_type_for(topic_name: str | None, rtype: str | None, t: TopicSignals) -> str | None:
    """The contract's request type for a topic (see the module's table)."""
    if topic_name is None:
        return None
    if topic_name in ("attribution", "mla_notice"):
        return "stored_data"
    if topic_name in ("incident_assistance", "takedown"):
        if t.data_asked and rtype in ("preservation", "traffic_disclosure", "stored_data"):
            return rtype
        return "information"
    if topic_name in ("contact_confirmation", "legal_question"):
        return "information"
    return rtype
