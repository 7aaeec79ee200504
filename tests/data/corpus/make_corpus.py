# ruff: noqa: E501  -- the test mail is kept line for line as a partner would write it
"""Writes the corpus under mail/ (run `python -m tests.data.corpus.make_corpus` from the
repository root; the .eml files are committed, and running it again gives the same bytes).

The expected answers are not written here: truth.json holds them, worked out by hand from
the rules of the parse output contract, one entry per file.
"""

from __future__ import annotations

import base64
import io
import quopri
import zipfile
from email.header import Header
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

from tests.data.parse.make_fixtures import docx, pdf

HERE = Path(__file__).resolve().parent
MAIL = HERE / "mail"
US = '"National Cybercrime Centre - 24/7 PoC" <poc247@ncc.gov.example>'
TOKEN = "PING-2026-H2-B41C"


# ---------------------------------------------------------------- building blocks


def words(text: str, charset: str = "utf-8") -> str:
    """A header value as RFC 2047 encoded words (ASCII text stays as it is)."""
    if text.isascii():
        return text
    return Header(text, charset, maxlinelen=76).encode(linesep="\r\n")


def body(text: str, charset: str, cte: str) -> bytes:
    data = text.replace("\n", "\r\n").encode(charset)
    if cte == "quoted-printable":
        return quopri.encodestring(data.replace(b"\r\n", b"\n")).replace(b"\n", b"\r\n")
    if cte == "base64":
        return base64.encodebytes(data).replace(b"\n", b"\r\n")
    return data


def raw(headers: list[tuple[str, str]], text: str, *, charset: str = "utf-8",
        cte: str = "8bit", subtype: str = "plain") -> bytes:
    """A single-part message, byte for byte: headers as given (already ASCII), then the body."""
    lines = [f"{k}: {v}" for k, v in headers]
    lines += ["MIME-Version: 1.0", f'Content-Type: text/{subtype}; charset="{charset}"',
              f"Content-Transfer-Encoding: {cte}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + body(text, charset, cte)


def part(content_type: str, payload: bytes, cte: str, *extra: str) -> bytes:
    """One body part of a multipart message: its headers, then its encoded payload."""
    lines = [f"Content-Type: {content_type}", *extra, f"Content-Transfer-Encoding: {cte}"]
    if cte == "base64":
        payload = base64.encodebytes(payload).replace(b"\n", b"\r\n")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + payload


def multipart(headers: list[tuple[str, str]], subtype: str, boundary: str,
              parts: list[bytes]) -> bytes:
    """A multipart message, byte for byte, with the headers as given (already ASCII)."""
    lines = [f"{k}: {v}" for k, v in headers]
    lines += ["MIME-Version: 1.0", f'Content-Type: multipart/{subtype}; boundary="{boundary}"']
    out = ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")
    for p in parts:
        out += f"--{boundary}\r\n".encode() + p.rstrip(b"\r\n") + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


def msg(frm: str, subject: str, date: str, mid: str | None, **headers: str) -> EmailMessage:
    m = EmailMessage(policy=SMTP)
    m["From"] = frm
    m["To"] = US
    m["Subject"] = subject
    m["Date"] = date
    if mid:
        m["Message-ID"] = mid
    for k, v in headers.items():
        m[k.replace("_", "-")] = v
    return m


def stable_zip(data: bytes) -> bytes:
    """The same archive with fixed member dates, so the DOCX bytes do not depend on today."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2026, 11, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def write(name: str, data: bytes | EmailMessage) -> None:
    if isinstance(data, EmailMessage):
        data = data.as_bytes(policy=SMTP)
    (MAIL / name).write_bytes(data)


# ---------------------------------------------------------------- the corpus


def requests_() -> None:
    # An English request written into the Convention's template in the body; the time of
    # the upload has no zone of its own, the template says UTC (Dublin was on UTC+1 then).
    write("001-ie-preservation-en-template.eml", raw([
        ("From", "GNCCB 24/7 <gnccb-247@garda.ie.example>"), ("To", US),
        ("Subject", "Data preservation request GNCCB-2026-0614"),
        ("Date", "Mon, 16 Nov 2026 10:20:00 +0000"),
        ("Message-ID", "<gnccb-0614@garda.ie.example>"),
    ], """Dear colleagues,

Please find below a request for the expedited preservation of stored computer data.

DATA PRESERVATION REQUEST (Articles 29 and 30 of the Budapest Convention)

1. Date: 16/11/2026
2. Reference / case number: GNCCB-2026-0614
3. Request status: [X] New request   [ ] Extension of previous request - Reference number of previous request: ____
4. Requested authority: National Cybercrime Centre (24/7 PoC)
5. Requesting authority:
   Organisation: An Garda Siochana, Garda National Cyber Crime Bureau, Dublin, Ireland
   Person in charge: Detective Sergeant Aoife Byrne
   Telephone: +353 1 666 0001
   E-mail: gnccb-247@garda.ie.example
   Time zone: UTC
   Response preferred by means of: e-mail
6. Contact for additional confirmation:
   Name: Detective Garda Cian Walsh
   Phone: +353 1 666 0042
   E-mail: cian.walsh@garda.ie.example
8. Offence(s): unauthorised access to an information system, extortion
9. Brief summary of the facts:
   The patient portal of a Dublin hospital group was breached. The attackers demand
   payment and threaten to publish the records through the file-sharing account below.
10. Stored computer data to be preserved and relationship to the offence:
   - file-sharing account "greyheron_drop" (subscriber data, upload logs)
   - IPv4 203.0.113.58, upload of the stolen archive on 14/10/2026 at 23:41:07
11. Custodian / service provider and location: Driftbox Storage B.V.
13. Intention to submit a mutual legal assistance request: yes, through the Department of Justice
14. Urgency: no
15. Confidentiality: do not inform the user

Kind regards
Aoife Byrne
Garda National Cyber Crime Bureau
""", charset="us-ascii", cte="7bit"))

    # Portuguese, quoted-printable, URGENTE in the subject and the text; the label NUIPC.
    write("002-pt-preservation-urgent-qp.eml", raw([
        ("From", "PJ UNC3T 24/7 <ciber-247@pj.pt.example>"), ("To", US),
        ("Subject", words("URGENTE - Pedido de preservação de dados - NUIPC 812/26.4JDLSB")),
        ("Date", "Wed, 18 Nov 2026 08:05:00 +0000"),
        ("Message-ID", "<unc3t-812@pj.pt.example>"),
    ], """Caros colegas,

No âmbito do inquérito NUIPC 812/26.4JDLSB, relativo a um ataque de ransomware contra uma câmara municipal, solicitamos a preservação expedita dos seguintes dados, ao abrigo do artigo 29.º da Convenção de Budapeste:

- endereço IP 198.51.100.205, ligação ao painel de administração em 18/11/2026 às 03:14:55 (hora de Lisboa, WET)
- sítio https://fuga-dados.example/camara-leiria
- conta de correio eletrónico negociador.anon@postamar.example

Fornecedor de serviços: Postamar Comunicações, S.A. (alojamento e correio eletrónico)

Trata-se de um pedido urgente: os dados podem ser apagados nas próximas horas. Será enviado um pedido de auxílio judiciário mútuo.

Com os melhores cumprimentos,
Inspetor-Chefe Rui Almeida
Polícia Judiciária - UNC3T, Lisboa, Portugal
Tel. +351 21 000 0177
""", cte="quoted-printable"))

    # Dutch extension: the earlier request's reference in the text, a new reference at the end.
    write("003-nl-extension-previous-ref.eml", raw([
        ("From", "Politie THTC 24/7 <meldpunt-247@politie.nl.example>"), ("To", US),
        ("Subject", words("Verlenging bewaring gegevens – THTC-2026-2210")),
        ("Date", "Thu, 19 Nov 2026 14:00:00 +0100"),
        ("Message-ID", "<thtc-2210@politie.nl.example>"),
    ], """Geachte collega's,

Op 2 september 2026 hebben wij onder ons kenmerk THTC-2026-1544 verzocht om bewaring van de onderstaande gegevens. Het rechtshulpverzoek is door uw centrale autoriteit ontvangen, maar nog niet uitgevoerd. Wij verzoeken daarom om verlenging van de bewaring met 90 dagen.

Betrokken gegevens (ongewijzigd):
- e-mailadres m.devries.1979@kestrelmail.example
- IPv6-adres 2001:0db8:0000:0042:0000:0000:0000:0b17, ingelogd op 1 september 2026 om 16:22:08 uur CEST

Aanbieder: Kestrel Mail Ltd
Nieuw kenmerk: THTC-2026-2210

Met vriendelijke groet,
Team High Tech Crime
Politie Nederland
"""))

    # Spanish traffic disclosure (art. 30) from Argentina, base64, Latin-1 encoded subject.
    write("004-ar-traffic-disclosure-es.eml", raw([
        ("From", "UFECI 24/7 <ufeci-247@mpf.ar.example>"), ("To", US),
        ("Subject", words("Solicitud art. 30 - revelación expedita de datos de tráfico - UFECI-2026-0933", "iso-8859-1")),
        ("Date", "Fri, 20 Nov 2026 10:30:00 -0300"),
        ("Message-ID", "<ufeci-0933@mpf.ar.example>"),
    ], """Estimados colegas:

La Unidad Fiscal Especializada en Ciberdelincuencia investiga una estafa masiva con falsos préstamos en línea. Conforme al artículo 30 del Convenio de Budapest, solicitamos la revelación expedita de los datos de tráfico conservados que permitan identificar el camino de las comunicaciones hacia el servidor de la campaña y a los demás proveedores que intervinieron:

  Dominio: prestamos-ya-online.example
  Dirección IP: 192.0.2.117, acceso del administrador el 19/11/2026 a las 22:05:31 (UTC-3)

Proveedor: Nimbostrata Hosting ApS
Referencia: UFECI-2026-0933

Atentamente,
Fiscal Lucía Fernández
UFECI - Ministerio Público Fiscal, Buenos Aires, Argentina
""", cte="base64"))

    # Emergency: a threat to life, a handle with @, a phone with the trunk prefix (0).
    write("005-au-emergency-threat-to-life.eml", raw([
        ("From", "AFP 24/7 Cyber <cyber-247@afp.gov.au.example>"), ("To", US),
        ("Subject", "EMERGENCY disclosure request - threat to life - AFP-OP-2026-4471"),
        ("Date", "Sat, 21 Nov 2026 01:40:00 +1100"),
        ("Message-ID", "<afp-4471@afp.gov.au.example>"),
        ("Importance", "High"),
    ], """EMERGENCY - IMMINENT THREAT TO LIFE

Dear colleagues,

Late last night a 16-year-old girl from Newcastle, New South Wales, posted messages saying she
intends to take her own life tonight. She is not at home and her phone is switched off. The
messages were posted through the Vellum Social app.

- Vellum Social account: @quiet.tide.2010, last message posted 20/11/2026 at 23:58 AEDT
- mobile number shown on the account profile: +61 (0)412 000 777

Service provider: Vellum Social Inc.

We request the immediate disclosure of the subscriber information and the most recent IP
addresses of this account.

Reference: AFP-OP-2026-4471

Detective Superintendent Grace Nguyen
Australian Federal Police, Cybercrime Operations, Canberra, Australia
Phone: +61 2 0000 0301
""", charset="us-ascii", cte="7bit"))

    # Danish stored-data request (art. 31), HTML only.
    write("006-dk-stored-data-html-only.eml", raw([
        ("From", "NC3 24/7 <nc3-247@politi.dk.example>"), ("To", US),
        ("Subject", "Anmodning om abonnentoplysninger (art. 31) - NC3-2026-1187"),
        ("Date", "Mon, 23 Nov 2026 13:15:00 +0100"),
        ("Message-ID", "<nc3-1187@politi.dk.example>"),
    ], """<html><head><meta charset="utf-8"><style>p { font-family: Calibri; }</style></head><body>
<p>Kære kolleger</p>
<p>Med henblik på en kommende retsanmodning efter artikel 31 i konventionen om it-kriminalitet
anmoder vi om udlevering af de lagrede abonnentoplysninger (indehaver, betalingsoplysninger) for:</p>
<ul><li>domænet <b>billige-billetter-nu.example</b></li>
<li>e-mailadressen <b>kundeservice@billige-billetter-nu.example</b></li></ul>
<p>Hostingudbyder: Larkspur Cloud Pty Ltd</p>
<p>Vores journalnummer: NC3-2026-1187</p>
<p>Med venlig hilsen<br>Rigspolitiet, NC3 - 24/7 kontaktpunkt</p>
</body></html>
""", cte="quoted-printable", subtype="html"))

    # A question about procedure and retention: information, no identifiers.
    write("007-ee-information-request.eml", raw([
        ("From", "PPA Cybercrime 24/7 <kyber-247@politsei.ee.example>"), ("To", US),
        ("Subject", "Question on retention periods and Vellum Social (PPA-KKB-2026-0302)"),
        ("Date", "Tue, 17 Nov 2026 11:00:00 +0200"),
        ("Message-ID", "<ppa-0302@politsei.ee.example>"),
    ], """Dear colleagues,

The Cybercrime Bureau of the Estonian Police and Border Guard Board would like to know how long
providers in your country must keep IP allocation logs, and whether Vellum Social Inc. has a
legal representative in your country that accepts preservation requests directly.

There is no data to preserve at this stage; we are preparing guidance for our investigators.

Ref.: PPA-KKB-2026-0302

Best regards,
Chief Superintendent Kadri Tamm
Cybercrime Bureau, Police and Border Guard Board, Tallinn, Estonia
""", charset="us-ascii", cte="7bit"))

    # Czech cover note in ISO-8859-2; the request itself is a PDF with the template.
    cover = """Vážení kolegové,

v příloze zasíláme žádost o uchování dat podle čl. 29 Úmluvy o počítačové kriminalitě.

ČVS: NCOZ-3371/KYB-2026

S pozdravem
kpt. Petra Dvořáková
NCOZ - odbor kybernetické kriminality
"""
    request = pdf([
        "DATA PRESERVATION REQUEST (Articles 29 and 30 of the Budapest Convention)",
        "1. Date: 20/11/2026",
        "2. Reference / case number: NCOZ-3371/KYB-2026",
        "3. Request status: [X] New request [ ] Extension of previous request",
        "4. Requested authority: National Cybercrime Centre (24/7 PoC)",
        "5. Requesting authority:",
        "   Organisation: Police of the Czech Republic, NCOZ, Prague, Czech Republic",
        "   Telephone: +420 974 000 001",
        "   E-mail: ncoz-247@policie.cz.example",
        "   Time zone: CET (UTC+1)",
        "8. Offence(s): fraud, unauthorised access to a computer system",
        "9. Brief summary of the facts: victims were lured to a fake investment platform",
        "   promoted on a streaming channel.",
        "10. Stored computer data to be preserved and relationship to the offence:",
        '   - channel "zlata_ruka_invest" on Tundra Stream (subscriber data, payment data)',
        "   - IPv4 203.0.113.9, channel login on 19/11/2026 at 20:47:12",
        "11. Custodian / service provider and location: Tundra Stream Oy (Helsinki, Finland)",
        "13. Intention to submit a mutual legal assistance request: yes",
        "14. Urgency: no",
    ])
    write("008-cz-preservation-pdf-iso8859-2.eml", multipart([
        ("From", words("NCOZ - kontaktní místo 24/7", "iso-8859-2") + " <ncoz-247@policie.cz.example>"),
        ("To", US),
        ("Subject", words("Žádost o uchování dat - ČVS: NCOZ-3371/KYB-2026", "iso-8859-2")),
        ("Date", "Fri, 20 Nov 2026 09:10:00 +0100"),
        ("Message-ID", "<ncoz-3371@policie.cz.example>"),
    ], "mixed", "----=_ncoz_3371", [
        part('text/plain; charset="iso-8859-2"', body(cover, "iso-8859-2", "quoted-printable"),
             "quoted-printable"),
        part('application/pdf; name="zadost_NCOZ-3371.pdf"', request, "base64",
             'Content-Disposition: attachment; filename="zadost_NCOZ-3371.pdf"'),
    ]))

    # The secondary contact point forwards a colleague's request as an attached message.
    inner = EmailMessage(policy=SMTP)
    inner["From"] = "Marta Sousa <m.sousa@pj.pt.example>"
    inner["To"] = "sic-norte@pj.pt.example"
    inner["Subject"] = "Pedido de preservação - lojas falsas"
    inner["Date"] = "Mon, 23 Nov 2026 08:40:00 +0000"
    inner["Message-ID"] = "<ms-0457@pj.pt.example>"
    inner.set_content("""Bom dia,

Solicito o envio ao ponto de contacto 24/7 do seguinte pedido de preservação.

Referência: SICI-N-2026-0457
Crime: burla informática (art. 221.º do Código Penal)
Factos: loja de calçado falsa; mais de 60 vítimas no norte do país.
Dados a preservar:
 - URL https://sapatilhas-outlet-porto.example/checkout
 - endereço IP 198.51.100.62, registo do domínio em 12/11/2026 às 11:03:40 (UTC+0)
Fornecedor de alojamento: Larkspur Cloud Pty Ltd
Seguir-se-á um pedido de auxílio judiciário.

Inspetora Marta Sousa
Polícia Judiciária, Diretoria do Norte, Porto, Portugal
""", charset="utf-8", cte="quoted-printable")
    m = msg("PJ Diretoria do Norte - SICI <sic-norte@pj.pt.example>",
            "ENC: Pedido de preservação - lojas falsas", "Mon, 23 Nov 2026 09:00:00 +0000",
            "<sic-fwd-0457@pj.pt.example>")
    m.set_content("Bom dia,\n\nSegue em anexo um pedido de preservação da nossa secção, para seguimento.\n\nPJ - Diretoria do Norte\n",
                  charset="utf-8", cte="8bit")
    m.add_attachment(inner)
    m.set_boundary("sic-0457-mixed")
    write("009-pt-secondary-forward-rfc822.eml", m)

    # Croatian cover note; the template is a DOCX table with English labels. "žurno" is
    # the Convention's "expedited", not a flag of urgency.
    m = msg("MUP - Služba kibernetičke sigurnosti 24/7 <kibernetika-247@mup.hr.example>",
            "Zahtjev za žurno očuvanje podataka MUP-SKS-2026-0781",
            "Mon, 23 Nov 2026 15:20:00 +0100", "<mup-0781@mup.hr.example>")
    m.set_content("Poštovani kolege,\n\nu privitku dostavljamo zahtjev za žurno očuvanje računalnih podataka MUP-SKS-2026-0781.\n\n"
                  "S poštovanjem,\nSlužba kibernetičke sigurnosti, 24/7 kontaktna točka\n",
                  charset="utf-8", cte="8bit")
    m.add_attachment(stable_zip(docx([
        ("1. Date", "23/11/2026"),
        ("2. Reference / case number", "MUP-SKS-2026-0781"),
        ("3. Request status", "New request"),
        ("5. Requesting authority", "Organisation: Ministry of the Interior, Cyber Security Service, Zagreb, Croatia\n"
                                    "Telephone: +385 1 000 0401\nTime zone: CET (UTC+1)"),
        ("8. Offence(s)", "computer-related fraud"),
        ("10. Stored computer data to be preserved", "- e-mail account nagradna.igra.2026@kestrelmail.example\n"
                                                     "- IPv4 192.0.2.233, account created on 21.11.2026 at 09:15:44"),
        ("11. Custodian / service provider and location", "Kestrel Mail Ltd"),
        ("14. Urgency", "no"),
    ], "DATA PRESERVATION REQUEST")), maintype="application",
        subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
        filename="MUP-SKS-2026-0781.docx")
    m.set_boundary("mup-0781-mixed")
    write("010-hr-preservation-docx.eml", m)

    # A sender not in the directory: the country is the one the request names.
    write("011-gh-unknown-country-request.eml", raw([
        ("From", "Cybercrime Unit CID <cyber.intl@police.gov.gh.example>"), ("To", US),
        ("Subject", "Request for preservation of data - GPS-CCU-2026-0219"),
        ("Date", "Mon, 23 Nov 2026 11:45:00 +0000"),
        ("Message-ID", "<gps-0219@police.gov.gh.example>"),
    ], """Good afternoon,

REQUEST FOR EXPEDITED PRESERVATION OF STORED COMPUTER DATA
Reference: GPS-CCU-2026-0219
Requesting authority: Ghana Police Service, Criminal Investigations Department, Cybercrime Unit, Accra, Ghana
Offence: romance fraud and money laundering
Data to be preserved:
 - Vellum Social account "kwame.lovesyou.88"
 - IP address 203.0.113.240, used on 22/11/2026 at 21:12:09 GMT
Service provider: Vellum Social Inc.
A mutual legal assistance request will follow through the Office of the Attorney-General.

Inspector Ama Owusu
Cybercrime Unit, Ghana Police Service
""", charset="us-ascii", cte="7bit"))


def replies() -> None:
    # A Danish reply in our thread: our tag in the subject and in the quoted text.
    write("012-dk-reply-tag.eml", raw([
        ("From", "NC3 24/7 <nc3-247@politi.dk.example>"), ("To", US),
        ("Subject", "SV: [WK-2026-00118] Acknowledgement"),
        ("Date", "Wed, 25 Nov 2026 09:40:00 +0100"),
        ("Message-ID", "<nc3-1187-r@politi.dk.example>"),
        ("In-Reply-To", "<ack-WK-2026-00118@ncc.gov.example>"),
    ], """Hej,

Tak for kvitteringen. Retsanmodningen er nu sendt via Justitsministeriet.
Vores j.nr.: NC3-2026-1187

Med venlig hilsen
Mette Holm
NC3

Den 23.11.2026 kl. 13:20 skrev 24/7 PoC <poc247@ncc.gov.example>:
> Your request has been received by the National Cybercrime Centre and logged as
> WK-2026-00118. We will inform you as soon as the provider confirms.
> -- 24/7 PoC
""", cte="quoted-printable"))

    # A status update that only In-Reply-To ties to our message; "verlengingsverzoek"
    # names the earlier extension request, this mail asks for nothing.
    write("013-nl-reply-in-reply-to-only.eml", raw([
        ("From", "Politie THTC 24/7 <meldpunt-247@politie.nl.example>"), ("To", US),
        ("Subject", "Stand van zaken rechtshulpverzoek"),
        ("Date", "Thu, 26 Nov 2026 15:10:00 +0100"),
        ("Message-ID", "<thtc-2210-r@politie.nl.example>"),
        ("In-Reply-To", "<ack-WK-2026-00121@ncc.gov.example>"),
        ("References", "<ack-WK-2026-00121@ncc.gov.example>"),
    ], """Goedemiddag,

Ter aanvulling op ons verlengingsverzoek (kenmerk THTC-2026-2210): het rechtshulpverzoek is vandaag opnieuw via het Landelijk Parket aan uw centrale autoriteit verzonden.

Met vriendelijke groet,
Sanne Bakker
Team High Tech Crime
"""))

    # A reply from the second address of a contact point; another tag only in the quoted
    # Outlook block below the separator line.
    write("014-ie-reply-quoted-other-tag.eml", raw([
        ("From", "GNCCB duty desk <gnccb.duty@garda.ie.example>"), ("To", US),
        ("Subject", "RE: [WK-2026-00125] Acknowledgement"),
        ("Date", "Fri, 27 Nov 2026 12:05:00 +0000"),
        ("Message-ID", "<gnccb-r-125@garda.ie.example>"),
        ("In-Reply-To", "<ack-WK-2026-00125@ncc.gov.example>"),
    ], """Hi,

Thanks for the update. We will send the MLA request to the Central Authority on Monday.

Cian Walsh
GNCCB

________________________________
From: 24/7 PoC <poc247@ncc.gov.example>
Sent: Friday 20 November 2026 16:10
To: gnccb.duty@garda.ie.example
Subject: [WK-2026-00097] Provider answer

The provider confirmed the preservation requested under WK-2026-00097.
""", charset="us-ascii", cte="7bit"))

    # An extension asked for inside our thread: no earlier reference of their own, so the
    # earlier request is identified by our tag only; a new reference of theirs is given.
    write("015-hr-extension-in-thread.eml", raw([
        ("From", "MUP SKS 24/7 <kibernetika-247@mup.hr.example>"), ("To", US),
        ("Subject", "Odg: [WK-2026-00109] Acknowledgement"),
        ("Date", "Wed, 25 Nov 2026 08:30:00 +0100"),
        ("Message-ID", "<mup-0802@mup.hr.example>"),
        ("In-Reply-To", "<ack-WK-2026-00109@ncc.gov.example>"),
    ], """Poštovani,

pozivom na vaš predmet WK-2026-00109 molimo produljenje očuvanja podataka za daljnjih 90 dana, do izvršenja zamolnice za međunarodnu pravnu pomoć.

Podaci (nepromijenjeni): račun e-pošte dostava.paketa@kestrelmail.example
Pružatelj usluga: Kestrel Mail Ltd
Naš broj: MUP-SKS-2026-0802

Srdačan pozdrav,
Ivana Horvat
Služba kibernetičke sigurnosti
""", cte="quoted-printable"))


def automatic() -> None:
    # Auto-Submitted header; the notice repeats itself in Slovenian and English.
    write("016-si-auto-reply-auto-submitted.eml", raw([
        ("From", "Policija SKK 24/7 <skk-247@policija.si.example>"), ("To", US),
        ("Subject", words("Samodejni odgovor: [WK-2026-00130] Acknowledgement")),
        ("Date", "Sat, 21 Nov 2026 02:00:00 +0100"),
        ("Message-ID", "<auto-130@policija.si.example>"),
        ("Auto-Submitted", "auto-replied"),
    ], """Hvala za vaše sporočilo. Prejeli smo ga in ga bomo obravnavali v najkrajšem možnem času.

Thank you for your message. It has been received and will be dealt with as soon as possible.
""", cte="quoted-printable"))

    # Greek out-of-office from an officer's own address at a directory domain, no header.
    write("017-cy-ooo-greek-no-header.eml", raw([
        ("From", words("Ανδρέας Γεωργίου") + " <a.georgiou@police.cy.example>"), ("To", US),
        ("Subject", words("Εκτός γραφείου: [WK-2026-00133] Acknowledgement")),
        ("Date", "Tue, 24 Nov 2026 08:00:00 +0200"),
        ("Message-ID", "<ooo-ag@police.cy.example>"),
    ], """Θα απουσιάζω από το γραφείο έως τις 30/11/2026 χωρίς πρόσβαση στο ηλεκτρονικό ταχυδρομείο. Για επείγοντα θέματα παρακαλώ επικοινωνήστε με το occ-247@police.cy.example.

Ανδρέας Γεωργίου
Γραφείο Καταπολέμησης Εγκλημάτων στον Κυβερνοχώρο
""", cte="base64"))

    # A delivery failure: our tag in the subject, the copy of our headers as text/rfc822-headers.
    write("018-bounce-ndr-tag-in-subject.eml", (
        "From: Microsoft Outlook <postmaster@politsei.ee.example>\r\n"
        "To: poc247@ncc.gov.example\r\n"
        "Subject: Undeliverable: [WK-2026-00136] Acknowledgement\r\n"
        "Date: Thu, 26 Nov 2026 10:02:00 +0200\r\n"
        "Message-ID: <ndr-136@politsei.ee.example>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: multipart/report; report-type=delivery-status; boundary=\"ndr-136\"\r\n"
        "\r\n"
        "--ndr-136\r\n"
        "Content-Type: text/plain; charset=\"us-ascii\"\r\n"
        "\r\n"
        "Delivery has failed to these recipients or groups:\r\n"
        "\r\n"
        "old-desk@politsei.ee.example\r\n"
        "The email address you entered couldn't be found. Please check the recipient's email\r\n"
        "address and try to resend the message.\r\n"
        "\r\n"
        "--ndr-136\r\n"
        "Content-Type: message/delivery-status\r\n"
        "\r\n"
        "Reporting-MTA: dns; mx.politsei.ee.example\r\n"
        "\r\n"
        "Final-Recipient: rfc822; old-desk@politsei.ee.example\r\n"
        "Action: failed\r\n"
        "Status: 5.1.10\r\n"
        "Diagnostic-Code: smtp; 550 5.1.10 RESOLVER.ADR.RecipientNotFound\r\n"
        "\r\n"
        "--ndr-136\r\n"
        "Content-Type: text/rfc822-headers\r\n"
        "\r\n"
        "From: \"National Cybercrime Centre - 24/7 PoC\" <poc247@ncc.gov.example>\r\n"
        "To: old-desk@politsei.ee.example\r\n"
        "Subject: [WK-2026-00136] Acknowledgement\r\n"
        "Message-ID: <ack-WK-2026-00136@ncc.gov.example>\r\n"
        "\r\n"
        "--ndr-136--\r\n").encode("ascii"))

    # Human answers to the ping test: the token in the subject, then only in the body.
    write("019-ar-ping-reply.eml", raw([
        ("From", "UFECI 24/7 <ufeci-247@mpf.ar.example>"), ("To", US),
        ("Subject", f"RE: 24/7 Network ping test {TOKEN}"),
        ("Date", "Mon, 16 Nov 2026 09:15:00 -0300"),
        ("Message-ID", "<ping-ar@mpf.ar.example>"),
    ], """Estimados:

Confirmamos la recepción del mensaje de prueba. El punto de contacto 24/7 de Argentina se encuentra operativo.

UFECI - Ministerio Público Fiscal
""", cte="quoted-printable"))

    write("020-cz-ping-reply-token-in-body.eml", raw([
        ("From", "NCOZ 24/7 <ncoz-247@policie.cz.example>"), ("To", US),
        ("Subject", words("Odpověď – test spojení")),
        ("Date", "Mon, 16 Nov 2026 13:30:00 +0100"),
        ("Message-ID", "<ping-cz@policie.cz.example>"),
    ], f"""Dobrý den,

potvrzujeme přijetí testovací zprávy {TOKEN}. Kontaktní místo je v provozu.

NCOZ - kontaktní místo 24/7
"""))

    # A newsletter that speaks of preserving logs and names indicators.
    write("021-newsletter.eml", raw([
        ("From", "Threat Brief Weekly <editor@threatbrief.example>"), ("To", US),
        ("Subject", "Threat Brief Weekly #47"),
        ("Date", "Sun, 22 Nov 2026 07:00:00 +0000"),
        ("Message-ID", "<tbw47@threatbrief.example>"),
        ("List-Id", "Threat Brief Weekly <weekly.threatbrief.example>"),
        ("List-Unsubscribe", "<https://threatbrief.example/unsubscribe/4711>"),
        ("Precedence", "bulk"),
    ], """Threat Brief Weekly #47

This week: the 'PaperWasp' loader returns with a new command server at 198.51.100.250 and
hxxps://paperwasp-cdn[.]example/api. Hosting providers are urged to preserve connection logs.

Unsubscribe: https://threatbrief.example/unsubscribe/4711
""", charset="us-ascii", cte="7bit"))

    # Look-alike of a directory domain, Reply-To elsewhere, a link to log in.
    write("022-spoofed-lookalike-replyto.eml", raw([
        ("From", "NC3 24/7 <nc3-247@politi-dk.example>"), ("To", US),
        ("Subject", words("Fortrolig anmodning – læs på portalen")),
        ("Date", "Sun, 22 Nov 2026 03:12:00 +0000"),
        ("Message-ID", "<x77@politi-dk.example>"),
        ("Reply-To", "nc3.desk@fastpost-mail.example"),
    ], """Kære kolleger,

Der ligger en fortrolig anmodning til jer på vores sikre portal. Log ind med jeres e-mailadresse og adgangskode for at læse den:
https://nc3-secure-docs.example/login

NC3 vagt
""", cte="quoted-printable"))

    # No Message-ID, and a time without a zone: the sender's directory zone (Tallinn, UTC+2).
    write("023-ee-no-message-id-no-timezone.eml", raw([
        ("From", "PPA Cybercrime 24/7 <kyber-247@politsei.ee.example>"), ("To", US),
        ("Subject", words("Andmete säilitamise taotlus - PPA-KKB-2026-0355")),
        ("Date", "Tue, 24 Nov 2026 09:30:00 +0200"),
    ], """Tere

Palume Budapesti konventsiooni artikli 29 alusel kiiresti säilitada järgmised andmed:

IP-aadress 198.51.100.141, sisselogimine kliendikontole 24.11.2026 kell 07:52:19
E-posti konto arved.tasumine@kestrelmail.example

Teenusepakkuja: Kestrel Mail Ltd
Kuritegu: arvutikelmus
Järgneb õigusabitaotlus. Viide: PPA-KKB-2026-0355

PPA küberkuritegude büroo
""", cte="quoted-printable"))

    # An automatic answer to the ping test: auto_reply, although the token is there.
    write("024-ie-auto-reply-to-ping.eml", raw([
        ("From", "Aoife Byrne <aoife.byrne@garda.ie.example>"), ("To", US),
        ("Subject", f"Automatic reply: 24/7 Network ping test {TOKEN}"),
        ("Date", "Mon, 16 Nov 2026 08:00:04 +0000"),
        ("Message-ID", "<ooo-ab@garda.ie.example>"),
        ("X-Auto-Response-Suppress", "All"),
    ], """I am out of the office until Monday 30 November with no access to e-mail. For urgent
matters please contact gnccb-247@garda.ie.example.
""", charset="us-ascii", cte="7bit"))


def more_shapes() -> None:
    # Outlook multipart/alternative in windows-1250; "hitro" is "expedited", not urgent.
    text = """Spoštovani,

na podlagi 29. člena Konvencije o kibernetski kriminaliteti prosimo za hitro ohranitev naslednjih podatkov:

- uporabniški račun "lovec_na_bone" na platformi Tundra Stream
- IP naslov 192.0.2.90, prijava 25. 11. 2026 ob 06:12:30 (CET)

Ponudnik storitev: Tundra Stream Oy
Naša številka: SKK-2026-0640

Lep pozdrav,
Sektor za kibernetsko kriminaliteto
Policija, Ljubljana, Slovenija
"""
    html = ("<html><body><p>Spoštovani,</p><p>na podlagi 29. člena Konvencije o kibernetski "
            "kriminaliteti prosimo za hitro ohranitev naslednjih podatkov:</p><ul>"
            "<li>uporabniški račun &quot;lovec_na_bone&quot; na platformi Tundra Stream</li>"
            "<li>IP naslov 192.0.2.90, prijava 25. 11. 2026 ob 06:12:30 (CET)</li></ul>"
            "<p>Ponudnik storitev: Tundra Stream Oy<br>Naša številka: SKK-2026-0640</p>"
            "<p>Lep pozdrav,<br>Sektor za kibernetsko kriminaliteto<br>Policija, Ljubljana, "
            "Slovenija</p></body></html>")
    write("025-si-preservation-alternative-cp1250.eml", multipart([
        ("From", "Policija SKK 24/7 <skk-247@policija.si.example>"), ("To", US),
        ("Subject", words("Zahteva za hitro ohranitev podatkov SKK-2026-0640", "windows-1250")),
        ("Date", "Wed, 25 Nov 2026 10:00:00 +0100"),
        ("Message-ID", "<skk-0640@policija.si.example>"),
        ("Thread-Index", "AdrKx2YwNVR1cmFsZXMxMjM0NQ=="),
    ], "alternative", "----=_NextPart_skk_0640", [
        part('text/plain; charset="windows-1250"', body(text, "windows-1250", "quoted-printable"),
             "quoted-printable"),
        part('text/html; charset="windows-1250"', body(html, "windows-1250", "quoted-printable"),
             "quoted-printable"),
    ]))

    # An inline forward by the contact point of a request a regional unit wrote to it.
    write("026-ie-forward-inline.eml", raw([
        ("From", "GNCCB 24/7 <gnccb-247@garda.ie.example>"), ("To", US),
        ("Subject", "Fwd: Preservation - crypto investment scam"),
        ("Date", "Wed, 25 Nov 2026 09:00:00 +0000"),
        ("Message-ID", "<gnccb-fwd-118@garda.ie.example>"),
    ], """Forwarding for your action, please.

GNCCB 24/7

---------- Forwarded message ---------
From: Detective Garda Niamh Kelly <n.kelly@garda.ie.example>
Date: Tue, 24 Nov 2026 at 17:05
Subject: Preservation - crypto investment scam
To: GNCCB 24/7 <gnccb-247@garda.ie.example>

Hi all,

Could you send the following preservation request to the 24/7 network contact point?

Our reference: CORK-DDU-2026-118
We ask for the preservation of the data held on:
 - the website hxxps://quantum-yield-pro[.]example/invest
 - the handle @qyp_support on Vellum Social, last active 23/11/2026 at 19:40 (Irish time)

Service provider: Vellum Social Inc.

Thanks,
Niamh Kelly
Divisional Detective Unit, Cork
""", charset="us-ascii", cte="7bit"))

    # A read receipt (disposition notification) from a contact point.
    write("027-cy-read-receipt.eml", (
        "From: Cyprus OCC 24/7 <occ-247@police.cy.example>\r\n"
        f"To: {US}\r\n"
        "Subject: Read: [WK-2026-00140] Acknowledgement\r\n"
        "Date: Thu, 26 Nov 2026 11:20:00 +0200\r\n"
        "Message-ID: <mdn-140@police.cy.example>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: multipart/report; report-type=disposition-notification; boundary=\"mdn-140\"\r\n"
        "\r\n"
        "--mdn-140\r\n"
        "Content-Type: text/plain; charset=\"us-ascii\"\r\n"
        "\r\n"
        "Your message\r\n"
        "\r\n"
        "  To: occ-247@police.cy.example\r\n"
        "  Subject: [WK-2026-00140] Acknowledgement\r\n"
        "  Sent: Thursday, 26 November 2026 10:05 (UTC+01:00)\r\n"
        "\r\n"
        "was read on Thursday, 26 November 2026 11:20 (UTC+02:00).\r\n"
        "\r\n"
        "--mdn-140\r\n"
        "Content-Type: message/disposition-notification\r\n"
        "\r\n"
        "Reporting-UA: mail.police.cy.example; Microsoft Exchange Server\r\n"
        "Final-Recipient: rfc822; occ-247@police.cy.example\r\n"
        "Original-Message-ID: <ack-WK-2026-00140@ncc.gov.example>\r\n"
        "Disposition: manual-action/MDN-sent-manually; displayed\r\n"
        "\r\n"
        "--mdn-140--\r\n").encode("ascii"))

    # A meeting invitation from a partner: not a request.
    m = msg("UFECI 24/7 <ufeci-247@mpf.ar.example>", "Invitación: reunión regional de la red 24/7",
            "Thu, 26 Nov 2026 12:00:00 -0300", "<cal-ufeci-1@mpf.ar.example>")
    m.set_content("Estimados colegas:\n\nLos invitamos a la reunión regional de puntos de contacto de la red 24/7, "
                  "que se celebrará en línea el 10 de diciembre de 2026 a las 11:00 (hora de Buenos Aires).\n\n"
                  "Saludos cordiales,\nUFECI\n", charset="utf-8", cte="quoted-printable")
    m.add_attachment("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\n"
                     "UID:red247-2026-12-10@mpf.ar.example\r\nDTSTART:20261210T140000Z\r\n"
                     "SUMMARY:Reunión regional red 24/7\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
                     subtype="calendar", filename="invite.ics")
    m.set_boundary("cal-ufeci-mixed")
    write("028-ar-calendar-invitation.eml", m)

    # A private person's complaint: an unparsable Date and the Message-ID twice.
    write("029-nl-private-complaint-bad-date.eml", raw([
        ("From", "Jan Jansen <jan.jansen1960@kestrelmail.example>"), ("To", US),
        ("Subject", "Mijn account is gehackt"),
        ("Date", "maandag 23 november, 's avonds"),
        ("Message-ID", "<jj-1@kestrelmail.example>"),
        ("Message-ID", "<jj-1@kestrelmail.example>"),
    ], """Goedenavond,

Iemand heeft mijn e-mailaccount overgenomen en stuurt nu berichten uit mijn naam naar al mijn contacten. Kunnen jullie mij helpen om mijn account terug te krijgen? Ik weet niet meer wat ik moet doen.

Met vriendelijke groet,
Jan Jansen
"""))


def main() -> None:
    MAIL.mkdir(exist_ok=True)
    requests_()
    replies()
    automatic()
    more_shapes()


if __name__ == "__main__":
    main()
