# ruff: noqa: E501  -- the test mail is kept line for line as a partner would write it
"""Writes the intake test mail: what partners actually ask, emergencies in many languages,
follow-ups inside a thread, robots quoting our tag, and false-positive guards.

Run once (`python tests/data/parse/make_intake_fixtures.py`); the .eml files are committed.
Only the files named here are written; the older fixtures come from make_fixtures.py.
"""

from __future__ import annotations

import base64
import quopri
from pathlib import Path

HERE = Path(__file__).resolve().parent
US = '"National Cybercrime Centre - 24/7 PoC" <poc247@ncc.gov.example>'
ACK = "<wk.5f3a9c01@ncc.gov.example>"  # our acknowledgement the thread answers


def mail(name: str, frm: str, subject: str, body: str, *, date: str = "Tue, 01 Dec 2026 10:00:00 +0100",
         mid: str | None = None, headers: dict[str, str] | None = None, cte: str = "8bit",
         charset: str = "utf-8", html: bool = False) -> None:
    """Write one single-part message (text/plain or text/html) with the given encoding."""
    subject_header = subject
    if not subject.isascii():
        subject_header = "=?utf-8?B?" + base64.b64encode(subject.encode()).decode() + "?="
    lines = [f"From: {frm}", f"To: {US}", f"Subject: {subject_header}", f"Date: {date}",
             f"Message-ID: {mid or '<' + name.removesuffix('.eml') + '@mail.example>'}",
             "MIME-Version: 1.0"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    lines.append(f"Content-Type: text/{'html' if html else 'plain'}; charset={charset}")
    lines.append(f"Content-Transfer-Encoding: {cte}")
    data = body.replace("\n", "\r\n").encode(charset)
    if cte == "base64":
        encoded = base64.encodebytes(data)
    elif cte == "quoted-printable":
        encoded = quopri.encodestring(data)
    else:
        encoded = data
    raw = ("\r\n".join(lines) + "\r\n\r\n").encode() + encoded
    (HERE / name).write_bytes(raw)


def main() -> None:
    # ---- what partners actually ask -------------------------------------------------------
    mail("en-incident-assistance-ransomware.eml",
         "Cyber Unit Duty Desk <duty.cyber@police.ie.example>",
         "Request for assistance - ransomware incident",
         "Dear colleagues,\n\nA regional hospital in our jurisdiction was hit by a ransomware attack last night; "
         "patient records are encrypted and the attackers demand payment. Our analysis shows the malware "
         "contacted a command-and-control server at 198.51.100.61 which appears to be hosted in your country.\n\n"
         "We would be grateful for any assistance you can give: whether the server is known to you, and who "
         "we should approach at the hosting company.\n\nOur reference: GNCCB-2026-3391\n\n"
         "Kind regards,\nDet. Sgt. Aoife Byrne\nNational Cyber Crime Bureau\n")
    mail("de-incident-assistance-angriff.eml",
         "LKA Cybercrime <cybercrime@lka.bw.de.example>",
         "Unterstützungsersuchen – Ransomware-Angriff auf Stadtwerke",
         "Sehr geehrte Kolleginnen und Kollegen,\n\nbei einem Ransomware-Angriff auf die Stadtwerke Musterstadt "
         "wurden Daten verschlüsselt und abgeflossen. Die Täter betreiben eine Leak-Seite unter "
         "hxxps://leak-board[.]example/stadtwerke.\n\nWir bitten um Ihre Unterstützung bei der Aufklärung, "
         "insbesondere um Hinweise, ob Ihnen die Infrastruktur bekannt ist.\n\nAz. 540-CC-2026-0777\n\n"
         "Mit freundlichen Grüßen\nKOK Jan Berger\n", cte="quoted-printable")
    mail("en-mla-notice-to-follow.eml",
         "NCA 24/7 <ncc-247@nca.gov.uk.example>",
         "Notification - MLA request to follow",
         "Dear colleagues,\n\nFurther to our preservation request NCA-2026-1180 (your reference WK-2026-00042), "
         "we hereby inform you that a mutual legal assistance request will follow through the Home Office "
         "within the next weeks. Please keep the data preserved until it arrives.\n\n"
         "Best regards,\nNCA 24/7 Point of Contact\n")
    mail("fr-mla-notice-entraide-suivra.eml",
         "OFAC permanence <ofac-247@interieur.fr.example>",
         "Avis : demande d'entraide à suivre – réf. OFAC-26-0988",
         "Bonjour,\n\nSuite à notre demande de conservation du 12 novembre (notre réf. OFAC-26-0988), nous vous "
         "informons qu'une demande d'entraide pénale internationale sera transmise par le ministère de la "
         "Justice dans les prochains jours.\n\nCordialement,\nCapitaine Léa Moreau\n", cte="quoted-printable")
    mail("en-takedown-phishing-infrastructure.eml",
         "CCU Operations <ccu.ops@politie.nl.example>",
         "Takedown assistance - phishing infrastructure",
         "Hello,\n\nA phishing campaign impersonating a Dutch bank uses the following infrastructure, which we "
         "believe is hosted in your country:\n\n- hxxps://secure-bank-login[.]example/nl\n- domain "
         "bank-verify-nl.example\n\nCould you assist with the takedown of these sites or tell us whom to "
         "contact for it?\n\nRef: THTC-2026-1502\n\nRegards,\nTeam High Tech Crime\n")
    mail("es-takedown-retirada-sitio.eml",
         "Grupo de Delitos Telemáticos <gdt-247@guardiacivil.es.example>",
         "Solicitud de retirada de sitio fraudulento",
         "Estimados colegas:\n\nSolicitamos su colaboración para la retirada del sitio https://tienda-falsa.example "
         "que suplanta a una conocida marca y se aloja en su país.\n\nReferencia: GDT-2026-4471\n\n"
         "Atentamente,\nSargento Luis Gómez\n", charset="iso-8859-1", cte="quoted-printable")
    mail("en-attribution-ip-address.eml",
         "Cybercrime Centre <c3-247@police.be.example>",
         "Request for IP address attribution",
         "Dear colleagues,\n\nIn an investigation into online fraud we need to know to whom the IP address "
         "203.0.113.201 was assigned on 28/11/2026 at 14:02 UTC. The address belongs to a provider in your "
         "country. Can you help identify the user?\n\nOur reference: FCCU-2026-0912\n\nKind regards,\n"
         "Insp. Marc Peeters\n")
    mail("it-attribution-intestatario.eml",
         "Polizia Postale CNAIPIC <cnaipic-247@poliziadistato.it.example>",
         "Attribuzione indirizzo IP 198.51.100.90",
         "Buongiorno,\n\nnell'ambito di un'indagine per frode informatica chiediamo di conoscere l'intestatario "
         "dell'utenza a cui era assegnato l'indirizzo IP 198.51.100.90 il 27/11/2026 alle ore 09:41 (ora "
         "italiana).\n\nRif.: CNAIPIC-2026-6610\n\nCordiali saluti\nIspettore Marco Bianchi\n",
         cte="base64")
    mail("en-contact-confirmation.eml",
         "Cyber Crime Division 24/7 <ccd-247@hellenicpolice.gr.example>",
         "Confirmation of contact point",
         "Dear colleagues,\n\nWe are updating our network list. Could you please confirm that this address is "
         "still the correct 24/7 contact point for your country, and give us your after-hours phone number?\n\n"
         "Kind regards,\nHellenic Police - Cyber Crime Division\n")
    mail("pl-contact-confirmation.eml",
         "CBZC punkt kontaktowy <pk247@cbzc.pl.example>",
         "Prośba o potwierdzenie danych kontaktowych",
         "Szanowni Państwo,\n\nprosimy o potwierdzenie danych kontaktowych Państwa punktu kontaktowego 24/7 "
         "(adres e-mail i numer telefonu dyżurnego).\n\nZ poważaniem\nCBZC\n", charset="iso-8859-2",
         cte="quoted-printable")
    mail("fr-legal-question-base-legale.eml",
         "SNT astreinte <snt-247@police.lu.example>",
         "Question sur la base légale de la conservation",
         "Bonjour,\n\nPourriez-vous nous indiquer quelle disposition légale de votre droit national permet la "
         "conservation rapide des données à la demande d'un État étranger, et quelle est la durée de "
         "conservation appliquée ?\n\nMerci d'avance,\nSNT\n")
    mail("nl-legal-question-wettelijke-grondslag.eml",
         "Team High Tech Crime <thtc-247@politie.nl.example>",
         "Vraag over wettelijke grondslag",
         "Beste collega's,\n\nWij willen graag weten wat de wettelijke grondslag is voor het bewaren van "
         "verkeersgegevens in uw land en welke bewaartermijn geldt.\n\nMet vriendelijke groet,\nTHTC\n")

    # ---- emergencies, read with no directory ------------------------------------------------
    mail("en-emergency-school-shooting.eml",
         "Duty Officer <duty@police.ie.example>",
         "URGENT - school shooting threat",
         "Colleagues,\n\nA user announced a school shooting for tomorrow morning in a post on Kumo Social "
         "(account @dark_angel_2010, posted 30/11/2026 21:40 UTC). We request the emergency disclosure of "
         "subscriber information and the last login IP addresses of this account.\n\nDet. Insp. Ryan Walsh\n")
    mail("fr-emergency-enlevement.eml",
         "Permanence OFMIN <ofmin-247@interieur.fr.example>",
         "Enlèvement d'un mineur – demande urgente",
         "Bonjour,\n\nUne enfant de 9 ans a été enlevée ce matin à Lyon. Le ravisseur communique par "
         "l'adresse ravisseur.lyon@mail.example. Danger de mort imminent : nous vous prions de nous "
         "communiquer sans délai les données d'abonné et les adresses IP de connexion.\n\nCommandant P. Girard\n",
         cte="quoted-printable")
    mail("de-emergency-suizid.eml",
         "Lagezentrum <lage@polizei.at.example>",
         "Suizidankündigung im Netz – Notfall",
         "Guten Abend,\n\nein Jugendlicher hat auf Chatwave angekündigt, sich heute Nacht das Leben zu nehmen "
         "(Benutzername: schattenkind_17). Es besteht Lebensgefahr. Wir ersuchen um sofortige Herausgabe der "
         "Bestandsdaten und der letzten IP-Adressen.\n\nGruppeninspektor F. Huber\n")
    mail("es-emergency-amenaza-bomba.eml",
         "Policía Nacional <ucc-247@policia.es.example>",
         "Amenaza de bomba en un centro comercial",
         "Buenas noches:\n\nSe ha recibido una amenaza de bomba contra un centro comercial de Madrid desde la "
         "dirección amenaza.cc@mail.example. Existe riesgo para la vida de las personas. Solicitamos con "
         "carácter inmediato los datos del titular de la cuenta y las IP de acceso.\n\nInspector Jefe R. Díaz\n")
    mail("it-emergency-sextortion-suicidio.eml",
         "Polizia Postale <cnaipic-247@poliziadistato.it.example>",
         "Sextortion con rischio suicidario",
         "Buongiorno,\n\nun ragazzo di 15 anni, vittima di sextortion da parte del profilo @bella_sara_99, ha "
         "scritto ai genitori di volersi togliere la vita. Chiediamo con urgenza la comunicazione dei dati "
         "dell'account e degli indirizzi IP utilizzati.\n\nCommissario G. Russo\n", cte="base64")
    mail("pt-emergency-crianca-desaparecida.eml",
         "PJ piquete <unc3t-247@pj.pt.example>",
         "Criança desaparecida – pedido de divulgação urgente",
         "Caros colegas,\n\numa criança desaparecida desde ontem terá sido aliciada através da conta "
         "@amigo_secreto_pt. Há perigo de vida. Solicitamos a divulgação imediata dos dados de assinante e "
         "dos endereços IP.\n\nInspetor J. Costa\n")
    mail("pl-emergency-porwanie.eml",
         "Dyżurny CBZC <dyzurny@cbzc.pl.example>",
         "Porwanie dziecka - zagrożenie życia",
         "Szanowni Państwo,\n\nporwano 12-letnią dziewczynkę; sprawca kontaktuje się z rodziną z adresu "
         "porywacz.pl@mail.example. Zwracamy się z prośbą o pilne udostępnienie danych abonenta i adresów IP.\n\n"
         "nadkom. T. Wiśniewski\n", charset="iso-8859-2", cte="quoted-printable")
    mail("nl-emergency-gijzeling.eml",
         "Landelijke Eenheid <le-247@politie.nl.example>",
         "Gijzeling - acuut levensgevaar",
         "Beste collega's,\n\nEr is een gijzeling gaande in Utrecht. De gijzelnemer gebruikt het account "
         "@vrijheid_nu op Kumo Social. Wij verzoeken u met spoed om de abonneegegevens en IP-adressen.\n\n"
         "Inspecteur K. de Vries\n")
    mail("sv-emergency-sjalvmord.eml",
         "Polisen NOC <noc-247@polisen.se.example>",
         "Självmordshot – brådskande",
         "Hej,\n\nen person har skrivit att hen tänker ta sitt liv i natt (konto @morkerblom på Chatwave). Det "
         "råder livsfara. Vi begär omedelbart utlämnande av abonnentuppgifter och IP-adresser.\n\n"
         "Kriminalinspektör A. Lund\n", charset="iso-8859-1", cte="quoted-printable")
    mail("el-emergency-apagogi.eml",
         "Δίωξη Ηλεκτρονικού Εγκλήματος <ccd-247@hellenicpolice.gr.example>",
         "Απαγωγή ανηλίκου - επείγον",
         "Αγαπητοί συνάδελφοι,\n\nσημειώθηκε απαγωγή ανηλίκου στην Αθήνα. Ο δράστης επικοινωνεί από τον "
         "λογαριασμό @skia_athens. Υπάρχει κίνδυνος για τη ζωή του παιδιού. Ζητούμε άμεσα τα στοιχεία "
         "συνδρομητή και τις διευθύνσεις IP.\n\nΑστυνόμος Ν. Παππάς\n", cte="base64")
    mail("cs-emergency-unos.eml",
         "Policie ČR <kyber-247@policie.cz.example>",
         "Únos dítěte – naléhavé",
         "Dobrý den,\n\ndošlo k únosu dítěte; únosce komunikuje z účtu unosce.cz@mail.example. Jde o ohrožení "
         "života. Žádáme o okamžité poskytnutí údajů o účastníkovi a IP adres.\n\nkpt. J. Dvořák\n",
         charset="iso-8859-2", cte="quoted-printable")
    mail("hu-emergency-emberrablas.eml",
         "Rendőrség <kiber-247@police.hu.example>",
         "Emberrablás - életveszély",
         "Tisztelt Kollégák!\n\nEgy kiskorút elraboltak; az elkövető a zsaroló.hu@mail.example címről ír. "
         "Életveszély áll fenn. Kérjük az előfizetői adatok és IP-címek azonnali kiadását.\n\nr. őrnagy K. Nagy\n")
    mail("en-emergency-parent-missing-child.eml",
         "Maria Lopez <maria.lopez72@mail.example>",
         "My daughter is missing",
         "Hello,\n\nmy 13-year-old daughter has been missing since yesterday evening. She was chatting with "
         "someone called @cool_mike_19 on Kumo Social who asked her to meet him. I am terrified she is in "
         "danger. Please help us find her.\n\nMaria Lopez\n")

    # ---- follow-ups inside a thread ----------------------------------------------------------
    mail("de-reply-nachtrag-korrektur.eml",
         "BKA Lagezentrum Cybercrime <24-7-cyber@bka.de.example>",
         "Nachtrag: Korrektur Uhrzeit",
         "Sehr geehrte Kolleginnen und Kollegen,\n\nin unserem Sicherungsersuchen BKA-CC-2026-1601 ist uns bei "
         "der Uhrzeit ein Fehler unterlaufen: richtig ist 12.11.2026, 14:32 Uhr MEZ (nicht 13:32 Uhr) für die "
         "IP-Adresse 203.0.113.45. Wir bitten, dies bei der Sicherung zu berücksichtigen.\n\n"
         "Mit freundlichen Grüßen\nPetra Lang\n",
         headers={"In-Reply-To": ACK, "References": ACK})
    mail("en-reply-correction-time-zone.eml",
         "SNT astreinte <snt-247@police.lu.example>",
         "RE: [WK-2026-00042] Correction of the time zone",
         "Hello,\n\nplease note a correction to our request SNT-2026-0415: the time 07:48:31 given for IP "
         "198.51.100.44 is UTC, not CET. Please preserve the data accordingly.\n\nTom Schmit\nSNT\n\n"
         "-----Original Message-----\nFrom: poc247@ncc.gov.example\nSubject: [WK-2026-00042] Acknowledgement\n\n"
         "We received your request and opened case WK-2026-00042.\n",
         headers={"In-Reply-To": ACK, "References": ACK})
    mail("fr-reply-complement-information.eml",
         "SDLC permanence 24/7 <sdlc-247@interieur.fr.example>",
         "Re: [WK-2026-00043] Complément d'information",
         "Bonjour,\n\nen complément de notre demande SDLC-26-00871, nous vous prions de conserver également les "
         "données relatives à l'adresse IP 203.0.113.15, utilisée le 03/11/2026 à 23:30 (heure de Paris).\n\n"
         "Cordialement,\nHélène Dubois\n",
         headers={"In-Reply-To": "<wk.5f3a9c02@ncc.gov.example>"})
    mail("en-reply-additional-ip.eml",
         "PNP ACG <acg.intl@pnp.gov.ph.example>",
         "Additional IP address for our request PNP-ACG-2026-1021",
         "Good day,\n\nwe kindly request that you also preserve the data of IP address 198.51.100.232, used on "
         "12/11/2026 at 19:45 PHT, which belongs to the same suspect.\n\nPLt. Maria Santos\n",
         headers={"In-Reply-To": "<wk.5f3a9c03@ncc.gov.example>"})
    mail("en-new-request-in-thread.eml",
         "SNT astreinte <snt-247@police.lu.example>",
         "RE: [WK-2026-00042] Acknowledgement",
         "Hello,\n\nthank you. In a related investigation we now also request the preservation (art. 29) of the "
         "mailbox payroll.desk@helixmail.example held by Helix Mail GmbH, used on 20/11/2026 at 10:10 UTC.\n\n"
         "Our reference: SNT-2026-0502\n\nTom Schmit\n",
         headers={"In-Reply-To": ACK, "References": ACK})

    # ---- robots quoting our tag -------------------------------------------------------------
    mail("en-out-of-office-quoting-tag.eml",
         "Tom Schmit <snt.astreinte@police.lu.example>",
         "Automatic reply: [WK-2026-00042] Acknowledgement",
         "I am out of the office until 7 December with no access to e-mail. For urgent matters please contact "
         "snt-247@police.lu.example.\n\n> We received your request for the preservation of data and opened "
         "case WK-2026-00042.\n",
         headers={"In-Reply-To": ACK, "Auto-Submitted": "auto-replied"})
    mail("fr-out-of-office-no-header.eml",
         "Hélène Dubois <h.dubois@interieur.fr.example>",
         "Absence du bureau – Re: [WK-2026-00043] Accusé de réception",
         "Bonjour,\n\nJe suis absente du bureau jusqu'au 4 décembre inclus. Pour toute demande urgente de "
         "conservation, écrivez à sdlc-247@interieur.fr.example.\n\nCordialement\n",
         headers={"In-Reply-To": "<wk.5f3a9c02@ncc.gov.example>"})
    exchange_ndr = (
        "<html><body><p><b>Your message to old-247@policija.lt.example couldn't be delivered.</b></p>"
        "<p>old-247 wasn't found at policija.lt.example.</p><p>Delivery has failed to these recipients or "
        "groups:</p><p>old-247@policija.lt.example<br>The e-mail address you entered couldn't be found.</p>"
        "<hr><p>Original message headers:</p><pre>Subject: [WK-2026-00044] Acknowledgement\nMessage-ID: "
        "&lt;wk.5f3a9c04@ncc.gov.example&gt;\n</pre><p>We received your request for the preservation of data "
        "of IP 192.0.2.200 and opened case WK-2026-00044.</p></body></html>")
    mail("en-ndr-exchange-quoting-tag.eml",
         "Microsoft Outlook <postmaster@policija.lt.example>",
         "Undeliverable: [WK-2026-00044] Acknowledgement", exchange_ndr, html=True,
         headers={"X-MS-Exchange-Message-Is-Ndr": "", "In-Reply-To": "<wk.5f3a9c04@ncc.gov.example>"})

    # ---- false-positive guards --------------------------------------------------------------
    mail("en-newsletter-emergency-procedures.eml",
         "Anna Keller <anna.keller@cyberwatch-news.example>",
         "Cyber Watch monthly: new emergency procedures",
         "Hello all,\n\nIn this issue: the 24/7 network publishes new emergency procedures for threats to "
         "life, a review of the Budapest Convention's second protocol, and our column on suicide prevention "
         "online.\n\nRead more on our website. To unsubscribe, reply with STOP.\n\nAnna Keller, editor\n")
    mail("en-training-invitation-emergency.eml",
         "T-CY Secretariat <tcy.training@coe.int.example>",
         "Invitation: training on emergency disclosure procedures",
         "Dear 24/7 contact points,\n\nWe are pleased to invite you to a two-day training on emergency "
         "disclosure procedures under the Budapest Convention (child abduction, suicide threats, bomb threats), "
         "Strasbourg, 10-11 February 2027. Please let us know whether your unit will attend.\n\n"
         "Best regards,\nT-CY Secretariat\n")
    mail("en-victim-complaint-no-identifiers.eml",
         "John Miller <jmiller1961@mail.example>",
         "I was scammed",
         "Hello,\n\nI was scammed by an online seller who never sent the laptop I paid for. I lost 900 euros and "
         "the local police did not help me. What can I do? I want my money back.\n\nJohn Miller\n")
    mail("en-journalist-question.eml",
         "Sophie Turner <s.turner@dailytimes.example>",
         "Press inquiry: cross-border cybercrime cooperation",
         "Dear press office,\n\nI am a journalist at the Daily Times preparing an article on how police forces "
         "cooperate against cybercrime. Could you tell me how many requests your 24/7 point of contact received "
         "this year, and whether the Budapest Convention makes it easier?\n\nBest,\nSophie Turner\n")
    mail("en-vendor-pitch.eml",
         "Mark Sales <mark@forensic-suite.example>",
         "Faster investigations for your cyber unit",
         "Hi team,\n\nOur platform helps law enforcement agencies analyse seized devices 5x faster. Could you "
         "tell me who is responsible for procurement in your unit? Book a demo this week and get a free "
         "trial.\n\nMark\nForensic Suite Ltd.\n")
    mail("en-stranger-asks-about-address.eml",
         "Web Shop Support <support@tiny-shop.example>",
         "Fraudulent orders",
         "Hello,\n\nwe are a small web shop and received dozens of fraudulent orders from the address "
         "buyer.fraud@mail.example. Could you check who is behind this address?\n\nThanks,\nTiny Shop\n")


if __name__ == "__main__":
    main()
