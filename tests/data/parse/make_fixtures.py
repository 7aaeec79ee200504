# ruff: noqa: E501  -- the test mail is kept line for line as a partner would write it
"""Writes the parser's test mail (run once; the .eml files are committed)."""

from __future__ import annotations

import io
import zlib
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

HERE = Path(__file__).resolve().parent
US = '"National Cybercrime Centre - 24/7 PoC" <poc247@ncc.gov.example>'


def msg(frm: str, subject: str, date: str, mid: str | None, **headers: str) -> EmailMessage:
    m = EmailMessage()
    m["From"] = frm
    m["To"] = US
    m["Subject"] = subject
    m["Date"] = date
    if mid:
        m["Message-ID"] = mid
    for k, v in headers.items():
        m[k.replace("_", "-")] = v
    return m


def write(name: str, data: bytes | EmailMessage) -> None:
    if isinstance(data, EmailMessage):
        data = data.as_bytes(policy=SMTP)
    (HERE / name).write_bytes(data)


def pdf(lines: list[str]) -> bytes:
    """A minimal one-page PDF showing `lines` in Helvetica (Latin-1 text)."""
    ops = ["BT /F1 10 Tf 12 TL 40 800 Td"]
    for line in lines:
        esc = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        ops.append(f"({esc}) Tj T*")
    ops.append("ET")
    stream = zlib.compress("\n".join(ops).encode("latin-1"))
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objs, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % n + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref))
    return out.getvalue()


def docx(rows: list[tuple[str, str]], title: str) -> bytes:
    import docx as python_docx

    d = python_docx.Document()
    d.add_paragraph(title)
    table = d.add_table(rows=0, cols=2)
    for label, value in rows:
        cells = table.add_row().cells
        cells[0].text = label
        cells[1].text = value
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def main() -> None:
    # Polish bilingual template, ISO-8859-2 quoted-printable, PILNE, zone from the template.
    m = msg("CBZC punkt kontaktowy <pk247@cbzc.pl.example>",
            "PILNE: wniosek o zabezpieczenie danych CBZC-II-0311/2026", "Mon, 16 Nov 2026 10:00:00 +0100",
            "<cbzc-311@cbzc.pl.example>")
    m.set_content(
        "Szanowni Państwo,\n\nw załączeniu przesyłamy wniosek o zabezpieczenie danych.\n\n"
        "1. Data / Date: 16.11.2026\n"
        "2. Sygnatura / Reference: CBZC-II-0311/2026\n"
        "3. Status wniosku / Request status: [X] Nowy wniosek / New request  [ ] Przedłużenie / Extension\n"
        "5. Organ wzywający / Requesting authority:\n"
        "   Organizacja / Organisation: Centralne Biuro Zwalczania Cyberprzestępczości, Warszawa, Polska\n"
        "   Telefon / Telephone: +48 22 000 00 01\n"
        "   E-mail: pk247@cbzc.pl.example\n"
        "   Strefa czasowa / Time zone: Europe/Warsaw\n"
        "8. Przestępstwo / Offence: oszustwo komputerowe (art. 287 kk)\n"
        "9. Stan faktyczny / Summary of facts: sprawcy przejęli konto bankowe pokrzywdzonej.\n"
        "10. Dane do zabezpieczenia / Data to be preserved:\n"
        "   - adres IP 203.0.113.77 - logowanie 14.11.2026 godz. 23:40:10\n"
        "   - konto e-mail bankowe.alerty@postbox.example\n"
        "11. Dostawca usług / Service provider: PostBox Sp. z o.o. (operator poczty)\n"
        "13. Zamiar złożenia wniosku o pomoc prawną / Intention to submit MLA: tak\n"
        "14. Pilność / Urgency: tak - ryzyko usunięcia danych\n\n"
        "Z poważaniem\nkom. Anna Nowak\nCBZC\nTel. +48 22 000 00 09\n",
        charset="iso-8859-2", cte="quoted-printable")
    write("pl-preservation-template-urgent.eml", m)

    # Romanian traffic disclosure, body is UTF-8 but labelled ISO-8859-1; IPv6 in brackets.
    body = ("Stimați colegi,\n\nÎn temeiul art. 30 din Convenția de la Budapesta solicităm "
            "dezvăluirea rapidă a datelor de trafic pentru identificarea furnizorilor implicați "
            "în transmiterea comunicării:\n\n"
            "- adresa IPv6 [2001:DB8:0:0:8:800:200C:417A], conexiune la 2026-11-20 08:15:00 UTC\n"
            "- domeniul plata-rapida-ro.example\n\n"
            "Furnizor: Carpathia Hosting SRL\nNr. dosar: DCCI-5521/2026\n\n"
            "Cu stimă,\nComisar Ion Popescu\nDCCI, București, România\n")
    raw = (
        "From: DCCI 24/7 <cyber247@politiaromana.ro.example>\r\nTo: " + US + "\r\n"
        "Subject: =?utf-8?B?" + __import__("base64").b64encode(
            "Cerere art. 30 – dezvăluire date de trafic".encode()).decode() + "?=\r\n"
        "Date: Fri, 20 Nov 2026 11:00:00 +0200\r\nMessage-ID: <dcci-5521@politiaromana.ro.example>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n").encode() + body.replace("\n", "\r\n").encode()
    write("ro-traffic-disclosure-wrong-charset.eml", raw)

    # Turkish emergency: ACİL, threat to life, handle and phone with (0).
    m = msg("SSMDB 24/7 <siber247@egm.gov.tr.example>", "ACİL - hayati tehlike - bilgi talebi SSM-2026-7781",
            "Sat, 21 Nov 2026 02:10:00 +0300", "<ssm-7781@egm.gov.tr.example>", X_Priority="1")
    m.set_content(
        "Sayın meslektaşlar,\n\nBir genç intihar edeceğini sosyal medya üzerinden duyurdu, hayati tehlike "
        "söz konusudur. Aşağıdaki hesabın abone bilgilerinin ve son IP adreslerinin acilen "
        "ifşa edilmesini talep ediyoruz.\n\n"
        "- Kumo Social hesabı: @kayip_genc_07 (paylaşım 20.11.2026 saat 23:55 TRT)\n"
        "- profilde görünen telefon: +90 (0)532 000 00 00\n\n"
        "Sağlayıcı: Kumo Social K.K.\nReferans: SSM-2026-7781\n\nSaygılarımla\nKomiser Ayşe Demir\n",
        charset="utf-8", cte="base64")
    write("tr-emergency-acil.eml", m)

    # Portuguese stored data request, Outlook-like multipart/alternative.
    m = msg("UNC3T 24/7 <unc3t-247@pj.pt.example>", "Pedido de dados de assinante (art. 31.º)",
            "Mon, 23 Nov 2026 15:00:00 +0000", "<unc3t-909@pj.pt.example>", Importance="High")
    text = ("Caros colegas,\n\nNo âmbito do inquérito NUIPC 0456/26.9JGLSB, e antecipando o pedido de "
            "auxílio judiciário, solicitamos os dados de assinante armazenados relativos a:\n\n"
            "- conta de correio eletrónico vendas.falsas@mercado-pt.example\n"
            "- sítio https://Mercado-PT.example/loja?id=9\n\n"
            "Fornecedor: Mercado Hosting Lda.\n\nCom os melhores cumprimentos,\nInspetora Rita Lopes\n")
    m.set_content(text, charset="utf-8", cte="quoted-printable")
    html = ("<html><body><p>Caros colegas,</p><p>No âmbito do inquérito NUIPC 0456/26.9JGLSB, e "
            "antecipando o pedido de auxílio judiciário, solicitamos os dados de assinante "
            "armazenados relativos a:</p><ul><li>conta de correio eletrónico "
            "vendas.falsas@mercado-pt.example</li><li>sítio https://Mercado-PT.example/loja?id=9"
            "</li></ul><p>Fornecedor: Mercado Hosting Lda.</p></body></html>")
    m.add_alternative(html, subtype="html")
    write("pt-stored-data-alternative.eml", m)

    # Spanish information request: a question, no data.
    m = msg("UCC Policía Nacional <ucc-247@policia.es.example>", "Consulta sobre plazos de conservación",
            "Tue, 24 Nov 2026 09:00:00 +0100", "<ucc-q@policia.es.example>")
    m.set_content(
        "Estimados compañeros:\n\nQuisiéramos saber cuál es el plazo de conservación de los datos de "
        "tráfico en su país y si el proveedor Andes Datacenter SpA opera en su territorio. "
        "No hay datos que conservar por el momento.\n\nReferencia: UCC-2026-4410\n\n"
        "Un saludo,\nInspector Jorge Ruiz\n")
    write("es-information-question.eml", m)

    # United States sender (not in the directory): month-first dates, EST.
    m = msg("FBI Cyber Watch <cywatch@fbi.gov.example>", "Preservation request FBI-CY-2026-00123",
            "Wed, 25 Nov 2026 14:00:00 -0500", "<fbi-123@fbi.gov.example>")
    m.set_content(
        "Dear colleagues,\n\nPursuant to Article 29 of the Budapest Convention we request the expedited "
        "preservation of the following data:\n\n"
        "* IP address 198.51.100.9, login on 11/05/2026 at 3:15 PM EST\n"
        "* user name \"darkbroker_77\" on Nordvik Forum\n\n"
        "Service provider: Nordvik Forum AB\nCase number: FBI-CY-2026-00123\n"
        "Requesting authority: Federal Bureau of Investigation, Cyber Division, Washington DC, United States\n\n"
        "Sincerely,\nSpecial Agent John Carter\n")
    write("us-preservation-month-first.eml", m)

    # Italian reply with an Outlook header block; identifiers and a tag only in quoted text.
    m = msg("CNAIPIC 24/7 <cnaipic-247@poliziadistato.it.example>", "R: richiesta di informazioni",
            "Thu, 26 Nov 2026 10:00:00 +0100", "<cnaipic-r1@poliziadistato.it.example>",
            In_Reply_To="<ack-WK-2026-00077@ncc.gov.example>")
    m.set_content(
        "Buongiorno,\n\ngrazie, la rogatoria è stata trasmessa al Ministero ieri.\n"
        "Nostro riferimento: CNAIPIC-2026-5512\n\nCordiali saluti\nIsp. Marco Bianchi\n\n"
        "Da: 24/7 PoC <poc247@ncc.gov.example>\nInviato: martedì 24 novembre 2026 12:00\n"
        "A: cnaipic-247@poliziadistato.it.example\nOggetto: [WK-2026-00077] Acknowledgement\n\n"
        "Your preservation request for 192.0.2.99 has been logged as WK-2026-00077.\n")
    write("it-reply-outlook-quoted.eml", m)

    # French inline forward of a request by a colleague address at a directory domain.
    m = msg("Julie Martin <j.martin@interieur.fr.example>", "Fwd: Demande de conservation OFAC-26-0420",
            "Fri, 27 Nov 2026 08:00:00 +0100", "<fwd-0420@interieur.fr.example>")
    m.set_content(
        "Pour traitement, merci.\n\nJulie\n\n"
        "---------- Forwarded message ---------\n"
        "De : OFAC permanence <ofac-247@interieur.fr.example>\n"
        "Date : jeu. 26 nov. 2026 à 18:30\n"
        "Objet : Demande de conservation OFAC-26-0420\n"
        "À : Julie Martin <j.martin@interieur.fr.example>\n\n"
        "Bonjour,\n\nNous sollicitons la conservation rapide des données suivantes (art. 29) :\n"
        "- compte « vente_cartes_fr » sur la plateforme Nordvik Forum, dernière connexion le "
        "25 novembre 2026 à 21h14 (heure de Paris)\n"
        "- hxxps://cartes-bancaires[.]example/shop\n\n"
        "Fournisseur : Nordvik Forum AB\nRéférence : OFAC-26-0420\n\n"
        "Cordialement,\nCapitaine Paul Girard\nOFAC, Nanterre, France\n")
    write("fr-forward-inline-request.eml", m)

    # German out-of-office without any header, subject unchanged.
    m = msg("Karl Weiss <k.weiss@lka.de.example>", "[WK-2026-00081] Acknowledgement",
            "Fri, 27 Nov 2026 09:00:00 +0100", "<ooo-kw@lka.de.example>")
    m.set_content("Guten Tag,\n\nich bin vom 26.11. bis 04.12.2026 nicht im Büro und habe keinen Zugriff "
                  "auf meine E-Mails. In dringenden Fällen wenden Sie sich bitte an cc-247@lka.de.example.\n")
    write("de-out-of-office-body-only.eml", m)

    # qmail failure notice: our tag only in the copy of our message.
    raw = (
        b"From: MAILER-DAEMON@mx.politie.nl.example\r\nTo: poc247@ncc.gov.example\r\n"
        b"Subject: failure notice\r\nDate: Fri, 27 Nov 2026 10:00:00 +0100\r\n"
        b"Message-ID: <qmail-1@mx.politie.nl.example>\r\n\r\n"
        b"Hi. This is the qmail-send program at mx.politie.nl.example.\r\n"
        b"I'm afraid I wasn't able to deliver your message to the following addresses.\r\n"
        b"This is a permanent error; I've given up. Sorry it didn't work out.\r\n\r\n"
        b"<old-thtc@politie.nl.example>:\r\nSorry, no mailbox here by that name. (#5.1.1)\r\n\r\n"
        b"--- Below this line is a copy of the message.\r\n\r\n"
        b"From: poc247@ncc.gov.example\r\nTo: old-thtc@politie.nl.example\r\n"
        b"Subject: [WK-2026-00090] Acknowledgement\r\n"
        b"Message-ID: <ack-WK-2026-00090@ncc.gov.example>\r\n\r\n"
        b"Your request has been logged as WK-2026-00090.\r\n")
    write("bounce-qmail-failure-notice.eml", raw)

    # Delay notification with text/rfc822-headers.
    raw = (
        b"From: Mail Delivery System <MAILER-DAEMON@mx.egm.gov.tr.example>\r\nTo: poc247@ncc.gov.example\r\n"
        b"Subject: Delivery Status Notification (Delay)\r\nDate: Fri, 27 Nov 2026 11:00:00 +0300\r\n"
        b"Message-ID: <dsn-delay@mx.egm.gov.tr.example>\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/report; report-type=delivery-status; boundary=\"dd\"\r\n\r\n"
        b"--dd\r\nContent-Type: text/plain\r\n\r\nDelivery to the following recipient has been delayed:\r\n\r\n"
        b"     siber247@egm.gov.tr.example\r\n\r\n"
        b"--dd\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.egm.gov.tr.example\r\n\r\n"
        b"Final-Recipient: rfc822; siber247@egm.gov.tr.example\r\nAction: delayed\r\nStatus: 4.4.7\r\n"
        b"Diagnostic-Code: smtp; 421 try again later\r\n\r\n"
        b"--dd\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: poc247@ncc.gov.example\r\n"
        b"Subject: [WK-2026-00095] Acknowledgement\r\nMessage-ID: <ack-WK-2026-00095@ncc.gov.example>\r\n\r\n"
        b"--dd--\r\n")
    write("bounce-dsn-delay-headers.eml", raw)

    # Read receipt (MDN).
    raw = (
        "From: UCC Policía Nacional <ucc-247@policia.es.example>\r\nTo: poc247@ncc.gov.example\r\n"
        "Subject: =?utf-8?Q?Le=C3=ADdo=3A_=5BWK-2026-00101=5D_Acknowledgement?=\r\n"
        "Date: Fri, 27 Nov 2026 12:00:00 +0100\r\nMessage-ID: <mdn-1@policia.es.example>\r\nMIME-Version: 1.0\r\n"
        "Content-Type: multipart/report; report-type=disposition-notification; boundary=\"mm\"\r\n\r\n"
        "--mm\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSu mensaje ha sido leído.\r\n"
        "--mm\r\nContent-Type: message/disposition-notification\r\n\r\n"
        "Final-Recipient: rfc822; ucc-247@policia.es.example\r\nDisposition: manual-action/MDN-sent-manually; displayed\r\n"
        "--mm--\r\n").encode()
    write("es-read-receipt.eml", raw)

    # Mailing list mail that looks like a request.
    m = msg("CERT advisories <advisories@cert-list.example>", "Advisory: preserve logs of 192.0.2.200",
            "Fri, 27 Nov 2026 13:00:00 +0000", "<adv-1@cert-list.example>",
            List_Id="<advisories.cert-list.example>")
    m.set_content("Operators should preserve logs of connections from 192.0.2.200 (art. 29 style).\n")
    write("list-advisory.eml", m)

    # Romanian ping reply, bottom-posted: the token is in own text after the quote.
    m = msg("DCCI 24/7 <cyber247@politiaromana.ro.example>", "Re: test", "Mon, 02 Nov 2026 10:00:00 +0200",
            "<ping-ro@politiaromana.ro.example>")
    m.set_content("În 2 nov. 2026, la 09:00, 24/7 PoC a scris:\n> Please confirm receipt of this test.\n>\n"
                  "\nConfirmăm primirea mesajului de test PING-2026-H2-7F3A. Punctul de contact este operațional.\n")
    write("ro-ping-reply-bottom-posted.eml", m)

    # Reply quoting the ping test: the token only in quoted text is not a ping reply.
    m = msg("UCC Policía Nacional <ucc-247@policia.es.example>", "RE: Network contact test",
            "Mon, 02 Nov 2026 11:00:00 +0100", "<ping-es@policia.es.example>",
            In_Reply_To="<ping-2026-h2@ncc.gov.example>")
    m.set_content("Hola, ¿podrían reenviar el documento adjunto? No se abre.\n\n"
                  "El lun, 2 nov 2026 a las 9:00, 24/7 PoC escribió:\n"
                  "> Network contact test PING-2026-H2-7F3A - please reply.\n")
    write("es-reply-token-only-quoted.eml", m)

    # English extension with a PDF template: status ticked on extension, previous reference.
    m = msg("THTC 24/7 <thtc-247@politie.nl.example>", "Extension request THTC-2026-0777",
            "Mon, 30 Nov 2026 09:00:00 +0100", "<thtc-0777@politie.nl.example>")
    m.set_content("Dear colleagues,\n\nPlease find attached our extension request.\n\nTeam High Tech Crime\n")
    m.add_attachment(pdf([
        "DATA PRESERVATION REQUEST (Articles 29 and 30 of the Budapest Convention)",
        "1. Date: 30/11/2026",
        "2. Reference / case number: THTC-2026-0777",
        "3. Request status: [ ] New request [X] Extension of previous request - "
        "Reference number of previous request: THTC-2026-0412",
        "5. Requesting authority:",
        "   Organisation: Team High Tech Crime, Driebergen, Netherlands",
        "   Time zone: CET (UTC+1)",
        "10. Stored computer data to be preserved and relationship to the offence:",
        "   - mailbox invoice.desk@postbox.example",
        "   - IPv4 192.0.2.141, login on 2026-10-01 at 06:30:00",
        "11. Custodian / service provider and location: PostBox Sp. z o.o., Poland",
        "14. Urgency: no",
    ]), maintype="application", subtype="pdf", filename="THTC-2026-0777.pdf")
    write("nl-extension-pdf-template.eml", m)

    # Japanese request in ISO-2022-JP with a DOCX template whose labels are English.
    m = msg("NPA Cybercrime <cyber-247@npa.jp.example>", "保全要請 NPA-C-2026-0015",
            "Tue, 01 Dec 2026 10:00:00 +0900", "<npa-0015@npa.jp.example>")
    m.set_content("関係各位\n\n添付の通り、データ保全を要請いたします。\n\n警察庁 サイバー犯罪対策課\n",
                  charset="iso-2022-jp", cte="7bit")
    m.add_attachment(docx([
        ("1. Date", "01/12/2026"),
        ("2. Reference / case number", "NPA-C-2026-0015"),
        ("3. Request status", "New request"),
        ("5. Requesting authority", "Organisation: National Police Agency, Tokyo, Japan\nTime zone: JST (UTC+9)"),
        ("10. Stored computer data to be preserved", "- account ID 884422119 on Aurora Streaming\n"
                                                     "- IP 198.51.100.61 on 2026年11月30日 18:20:05 JST"),
        ("11. Custodian / service provider and location", "Aurora Streaming Oy (Finland)"),
        ("14. Urgency", "no"),
    ], "DATA PRESERVATION REQUEST"), maintype="application",
        subtype="vnd.openxmlformats-officedocument.wordprocessingml.document", filename="request.docx")
    write("jp-preservation-docx-iso2022jp.eml", m)

    # No charset label at all, Latin-1 bytes; raw 8-bit UTF-8 in the Subject header.
    body = ("Estimados colegas,\n\nSolicitamos la conservación urgente de los datos del usuario "
            "'pagos_rapidos' y de la dirección IP 203.0.113.201 (acceso el 28/11/2026 a las 17:45 CET).\n"
            "Proveedor: Nordvik Forum AB\nReferencia: UCC-2026-4500\n\nAtentamente,\nPolicía Nacional, España\n")
    raw = (b"From: ucc-247@policia.es.example\r\nTo: poc247@ncc.gov.example\r\n"
           + "Subject: Conservación urgente – UCC-2026-4500\r\n".encode()
           + b"Date: Sat, 28 Nov 2026 18:00:00 +0100\r\nMessage-ID: <ucc-4500@policia.es.example>\r\n"
           + b"MIME-Version: 1.0\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
           + body.replace("\n", "\r\n").encode("latin-1"))
    write("es-no-charset-latin1-raw-header.eml", raw)

    # Broken: a multipart whose boundary never appears, and an empty body.
    write("broken-boundary.eml", b"From: x@broken.example\r\nSubject: broken\r\nMIME-Version: 1.0\r\n"
          b"Content-Type: multipart/mixed; boundary=\"nope\"\r\n\r\nno parts here\r\n")
    write("empty-body.eml", b"From: someone@private.example\r\nSubject: \r\nDate: not a date\r\n\r\n")

    # A calendar invitation from a partner: other.
    m = msg("CBZC punkt kontaktowy <pk247@cbzc.pl.example>", "Zaproszenie: spotkanie sieci 24/7",
            "Tue, 01 Dec 2026 12:00:00 +0100", "<cal-1@cbzc.pl.example>")
    m.set_content("Zapraszamy na spotkanie robocze sieci 24/7 w dniu 10.12.2026.\n")
    m.add_attachment("BEGIN:VCALENDAR\nMETHOD:REQUEST\nEND:VCALENDAR\n", subtype="calendar",
                     filename="invite.ics")
    write("pl-calendar-invitation.eml", m)

    # Spoofed look-alike of a directory address, German phishing.
    m = msg("LKA Cybercrime <cc-247@lka-de.example>", "Dringend: vertrauliche Unterlagen",
            "Tue, 01 Dec 2026 03:00:00 +0000", "<x1@lka-de.example>", Reply_To="lka.desk@freemail.example")
    m.set_content("Sehr geehrte Kollegen,\n\nbitte öffnen Sie die vertraulichen Unterlagen unter "
                  "https://docs-login.example/lka und melden Sie sich an.\n")
    write("de-spoofed-lookalike.eml", m)

    # HTML-only Dutch preservation with a remote image (never fetched), defanged IOCs, port.
    m = msg("THTC 24/7 <thtc-247@politie.nl.example>", "Verzoek tot bewaring van gegevens THTC-2026-0801",
            "Wed, 02 Dec 2026 09:00:00 +0100", "<thtc-0801@politie.nl.example>")
    m.set_content(
        "<html><head><style>p{color:red}</style><script>alert(1)</script></head><body>"
        "<img src=\"https://tracker.example/pixel.gif\"><p>Geachte collega's,</p>"
        "<p>Wij verzoeken om bewaring van de volgende gegevens (art. 29 Verdrag van Boedapest):</p>"
        "<ul><li>server 198.51.100.7:8443, laatste verbinding op 1 december 2026 om 04:12:33 UTC</li>"
        "<li>phishingpagina hxxp://bank-verificatie[.]example/login</li></ul>"
        "<p>Aanbieder: Brightwave Hosting Ltd</p><p>Ons kenmerk: THTC-2026-0801</p>"
        "<p>Met vriendelijke groet,<br>Team High Tech Crime</p>"
        "<blockquote>Eerder bericht: 192.0.2.250</blockquote></body></html>", subtype="html")
    write("nl-preservation-html-only.eml", m)

    # Portuguese template with Portuguese-only labels; a dotted user name that ends like a domain.
    m = msg("UNC3T 24/7 <unc3t-247@pj.pt.example>", "Pedido de preservação PJ-UNC3T-2026-0777",
            "Thu, 03 Dec 2026 10:00:00 +0000", "<pj-0777@pj.pt.example>")
    m.set_content(
        "Caros colegas,\n\n1. Data: 03/12/2026\n2. Referência: PJ-UNC3T-2026-0777\n"
        "3. Estado do pedido: novo\n5. Autoridade requerente: Polícia Judiciária, Lisboa, Portugal\n"
        "   Fuso horário: Europe/Lisbon\n8. Crime: burla informática\n10. Dados a preservar:\n"
        "   - conta de utilizador \"burlao.pt\" na plataforma Nordvik Forum\n"
        "   - endereço IP 192.0.2.77 em 02/12/2026 às 21:10\n"
        "11. Fornecedor de serviços: Nordvik Forum AB\n14. Urgência: não\n\nCumprimentos\n")
    write("pt-template-portuguese-labels.eml", m)

    # German extension asked for inside our thread, no template.
    m = msg("LKA Cybercrime <cc-247@lka.de.example>", "AW: [WK-2026-00080] Acknowledgement",
            "Thu, 03 Dec 2026 11:00:00 +0100", "<lka-ext@lka.de.example>",
            In_Reply_To="<ack-WK-2026-00080@ncc.gov.example>")
    m.set_content("Guten Tag,\n\nbitte verlängern Sie die Sicherung um weitere 90 Tage, das "
                  "Rechtshilfeersuchen ist unterwegs.\nUnser Az.: LKA-2026-1234\n\nMit freundlichen Grüßen\nLKA\n")
    write("de-extension-in-thread.eml", m)

    # Polish question about retention: information, no identifiers.
    m = msg("CBZC punkt kontaktowy <pk247@cbzc.pl.example>", "Prośba o informację",
            "Thu, 03 Dec 2026 12:00:00 +0100", "<cbzc-q@cbzc.pl.example>")
    m.set_content("Szanowni Państwo,\n\nchcielibyśmy zapytać, jaki jest okres przechowywania danych o "
                  "ruchu w Państwa kraju.\n\nSygn.: CBZC-2026-0055\n\nZ poważaniem\nCBZC\n")
    write("pl-information-retention.eml", m)

    # Romanian out-of-office by subject only, a one-line body.
    m = msg("DCCI 24/7 <cyber247@politiaromana.ro.example>", "Răspuns automat: [WK-2026-00070] Acknowledgement",
            "Thu, 03 Dec 2026 13:00:00 +0200", "<ro-ooo@politiaromana.ro.example>")
    m.set_content("Vă mulțumim pentru mesaj.\n")
    write("ro-auto-reply-subject.eml", m)

    # A directory address forwards, as an attached message/rfc822, a Spanish request it received.
    inner = msg("Brigada Central <b.central@policia.es.example>", "Solicitud de conservación BC-2026-0321",
                "Thu, 03 Dec 2026 08:00:00 +0100", "<bc-0321@policia.es.example>")
    inner.set_content(
        "Buenos días:\n\nSolicitamos la conservación de los datos de la cuenta de correo "
        "estafa.alquiler@postbox.example, creada el 01/12/2026 a las 09:12:00 (UTC+1).\n"
        "Proveedor: PostBox Sp. z o.o.\nReferencia: BC-2026-0321\n\nBrigada Central de Investigación "
        "Tecnológica, Madrid, España\n", charset="utf-8", cte="quoted-printable")
    m = msg("CNAIPIC 24/7 <cnaipic-247@poliziadistato.it.example>", "I: Solicitud de conservación BC-2026-0321",
            "Thu, 03 Dec 2026 09:00:00 +0100", "<cnaipic-fwd@poliziadistato.it.example>")
    m.set_content("Inoltriamo per competenza.\n\nCNAIPIC\n")
    m.add_attachment(inner)
    write("it-forward-rfc822-spanish-request.eml", m)

    # Swedish, ISO-8859-1 quoted-printable, "brådskande"; the officer's number under
    # "Med vänliga hälsningar" is a contact detail, not an identifier.
    m = msg("Nationellt IT-brottscentrum <itbc-247@polisen.se.example>",
            "Begäran om bevarande av data – brådskande, dnr 5000-K123456-26",
            "Tue, 17 Nov 2026 09:12:00 +0100", "<itbc-0117@polisen.se.example>")
    m.set_content(
        "Hej,\n\nVi begär skyndsamt bevarande av abonnent- och trafikdata för IP-adressen "
        "203.0.113.45, använd den 12 november 2026 kl. 14:32 för utpressning via e-postkontot "
        "victim.locker@mail.example.\n\nVänligen bekräfta mottagandet.\n\n"
        "Med vänliga hälsningar\nKommissarie Anna Berg\n+46 8 123 456 78\n",
        charset="iso-8859-1", cte="quoted-printable")
    write("sv-preservation-latin1-qp.eml", m)

    # Czech, ISO-8859-2 8bit, a date written "5. 11. 2026" with the zone "SEČ".
    m = msg("kyber-247@policie.cz.example", "Žádost o uchování dat",
            "Thu, 19 Nov 2026 10:00:00 +0100", "<ncoz-1119@policie.cz.example>")
    m.set_content(
        "Dobrý den,\n\nžádáme o uchování údajů o účastníkovi a provozních údajů k IP adrese "
        "192.0.2.18 ze dne 5. 11. 2026 v 08:40 SEČ a k účtu fraud.shop@mail.example, které "
        "byly použity k podvodu na internetovém bazaru.\n\nDěkujeme za spolupráci.\n\n"
        "S pozdravem\nnpor. Jan Novák\n+420 974 000 123\n", charset="iso-8859-2", cte="8bit")
    write("cs-preservation-iso8859-2.eml", m)

    # Russian, KOI8-R base64, from a unit not in the directory that names itself a police
    # department: still a request (urgent: "срочно"), the country unknown.
    m = msg("=?koi8-r?b?68/O1MHL1M7ZyiDQ1c7L1A==?= <cp247@cyberpolice.ua.example>",
            "Запрос о сохранении данных - срочно", "Wed, 18 Nov 2026 11:00:00 +0200",
            "<cp-1118@cyberpolice.ua.example>")
    m.set_content(
        "Уважаемые коллеги,\n\nПросим срочно обеспечить сохранение данных абонента и трафика "
        "для IP-адреса 198.51.100.77, использованного 10.11.2026 в 22:15 UTC для атаки "
        "программы-вымогателя на больницу.\n\nПросим подтвердить получение.\n\nС уважением,\n"
        "майор И. Петренко\nДепартамент киберполиции\n", charset="koi8-r", cte="base64")
    write("ru-preservation-koi8r-base64.eml", m)

    # Finnish: the time written "klo 10.15", the zone the sender's (Helsinki).
    m = msg("kyber-247@poliisi.fi.example", "Tietojen säilyttämispyyntö",
            "Mon, 16 Nov 2026 08:00:00 +0200", "<krp-1116@poliisi.fi.example>")
    m.set_content(
        "Hei,\n\npyydämme säilyttämään tilaajatiedot ja liikennetiedot IP-osoitteesta "
        "198.51.100.23, jota käytettiin 12.11.2026 klo 10.15 Suomen aikaa.\n\n"
        "Ystävällisin terveisin\nRikoskomisario Matti Virtanen\n+358 295 000 000\n")
    write("fi-preservation-klo-time.eml", m)

    # Slovak extension in our thread: "k našej žiadosti č. ..." names the earlier request;
    # no new reference is given.
    m = msg("nka-247@minv.sk.example", "RE: [WK-2026-00042] Žiadosť o predĺženie uchovania",
            "Tue, 17 Nov 2026 09:00:00 +0100", "<nka-1117@minv.sk.example>",
            In_Reply_To="<wk-ack-42@ncc.gov.example>")
    m.set_content(
        "Dobrý deň,\n\nžiadame o predĺženie uchovania údajov o ďalších 90 dní k našej "
        "žiadosti č. PPZ-NCA-2026/445.\n\nS pozdravom\nNKA\n\n"
        "> On 1 Nov 2026 the desk wrote:\n> Your request was registered as WK-2026-00042.\n")
    write("sk-extension-our-earlier-request.eml", m)

    # German Outlook HTML only: "Az. ST 45-2026/1123" keeps its office letters; an IPv6
    # address written in full, a defanged URL, "Eilt!".
    m = msg("LKA 24/7 <cc-247@lka.de.example>", "Eilt! Sicherungsersuchen Az. ST 45-2026/1123",
            "Tue, 17 Nov 2026 09:12:00 +0100", "<lka-1117@lka.de.example>")
    m.set_content(
        "<html><body><p>Sehr geehrte Damen und Herren,</p><p>wir ersuchen um umgehende "
        "Sicherung der Bestands- und Verkehrsdaten zu folgender IPv6-Adresse: "
        "2001:DB8:0:0:0:0:0:42 (Zeitpunkt: 14.11.2026, 03:22:10 Uhr MEZ) sowie zur URL "
        "hxxps://evil-shop[.]example/pay.</p><p>Mit freundlichen Grüßen<br>KHK M. Weber<br>"
        "Tel. +49 611 55 0000</p></body></html>", subtype="html")
    write("de-html-office-reference.eml", m)

    # Lithuanian: an account on a platform named without a legal form.
    m = msg("kpb-247@policija.lt.example", "Prašymas išsaugoti duomenis",
            "Tue, 17 Nov 2026 10:00:00 +0200", "<kpb-1117@policija.lt.example>")
    m.set_content(
        "Laba diena,\n\nprašome išsaugoti abonento ir srauto duomenis, susijusius su IP "
        "adresu 192.0.2.200 (2026-11-13 21:05:00 EET) ir paskyra @scam_king Telegram "
        "platformoje.\n\nPagarbiai,\nKomisaras P. Jonaitis\n")
    write("lt-account-on-platform.eml", m)


if __name__ == "__main__":
    main()
