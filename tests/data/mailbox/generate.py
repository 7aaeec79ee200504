# ruff: noqa: E501  -- mail text is kept line for line as people write it
"""A realistic mailbox for the 24/7 desk, generated deterministically from a seed.

    python tests/data/mailbox/generate.py [--seed 2026] [--size 300] [--out DIR]

`generate(seed, size)` returns `Item`s in arrival order, each a raw message with the outcome
the desk expects for it (nothing is written unless `--out` is given; the tests generate in
memory). Outcomes (`OUTCOMES`):

* `partner_request` - a request from a directory address: every kind partners actually send
  (preservation phrased in many ways, traffic and subscriber data, attribution, MLA notices,
  takedown, incident assistance, contact and legal questions, extensions sent as new mail,
  emergencies), urgent or not, forwarded inline or as an attached message, in a PDF, as
  HTML or plain text, in quoted-printable, base64 or a legacy charset.
* `partner_other` - a partner's mail that asks for nothing (an invitation, a notice of a
  new address); the desk still tracks it.
* `stranger_request` - a request from an address not in the directory: police of a country
  outside the directory, an officer's personal address, a prosecutor; emergencies written
  by parents, schools or helplines; companies that ask about an identifier without any
  authority words (for these `kind` is None: the parser need only say it reads like a
  request).
* `stranger_other` - victims telling their story, law firms, journalists, vendors,
  newsletters sent by a person, training invitations, phishing.
* `robot` - out-of-office notices (with and without headers, quoting our tag), ticket
  systems, read receipts, bounces (DSN, qmail, Exchange NDRs quoting our tag), list mail.
* `reply_in_thread` - a partner's answer in the thread of one of its earlier requests
  (`answers` is that request's index): thanks, status, corrections, addenda, status
  questions (`kind` "reply"), and extensions or new requests sent as a reply (`kind`
  "request").

Every request carries the placeholder Message-ID our acknowledgement would have
(`ack_message_id`, `wk.<hex>@ncc.gov.example`) and the placeholder case tag
(`case_tag`, `WK-2026-9NNNN`); its replies point at them (In-Reply-To, References, the tag in
some subjects, our quoted acknowledgement). A daemon test that has the real ones calls
`item.rethreaded(real_ack_message_id, real_case_tag)` to get the same reply answering the
real acknowledgement. `DIRECTORY` is the directory the mailbox is judged against.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import importlib.util
import json
import quopri
import random
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).resolve().parent
DIRECTORY = HERE / "directory.toml"
US_ADDR = "poc247@ncc.gov.example"
US = f'"National Cybercrime Centre - 24/7 PoC" <{US_ADDR}>'
OUTCOMES = ("partner_request", "partner_other", "stranger_request", "stranger_other", "robot",
            "reply_in_thread")
START = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Item:
    """One generated message and what the desk expects of it."""

    index: int
    outcome: str
    raw: bytes
    sender: str  # the From address
    language: str  # ISO 639-1 code of its text
    shape: str  # what it is, e.g. "attribution/de/html"
    kind: str | None = None  # the parser kind expected, where the outcome fixes it
    request_type: str | None = None
    urgent: bool | None = None
    topic: str | None = None
    is_list: bool = False
    answers: int | None = None  # reply_in_thread, or an MLA notice: the request it is about
    message_id: str = ""  # without brackets
    ack_message_id: str | None = None  # a request's placeholder acknowledgement Message-ID
    case_tag: str | None = None  # a request's placeholder case tag
    _build: Callable[[str | None, str | None], bytes] | None = field(
        default=None, repr=False, compare=False)

    def rethreaded(self, ack_message_id: str, case_tag: str | None = None) -> bytes:
        """This reply answering the real acknowledgement `ack_message_id` (without brackets)
        of case `case_tag`, instead of the placeholders; other items come back unchanged."""
        if self._build is None:
            return self.raw
        return self._build(ack_message_id, case_tag)


# ----------------------------------------------------------------------------- identifiers

PROVIDERS = ("Helix Mail GmbH", "Nordvik Forum AB", "PostBox Sp. z o.o.", "Kumo Social K.K.",
             "Brightwave Hosting Ltd", "Carpathia Hosting SRL", "Mercado Hosting Lda.",
             "Aurora Streaming Oy", "Lumen Cloud BV", "Vento Telecom S.p.A.")
PLATFORMS = ("Kumo Social", "Chatwave", "PhotoLoop", "StreamNest", "Telegram")
NETS = ("192.0.2", "198.51.100", "203.0.113")
WORDS = ("nova", "lupo", "sky", "delta", "ferro", "mira", "boreal", "kappa", "orbit", "zenit",
         "fjord", "tango", "vega", "pixel", "sombra", "quartz", "amber", "rhino", "luna")


class Ids:
    """Fresh fictional identifiers from one random stream."""

    def __init__(self, rnd: random.Random) -> None:
        self.rnd = rnd

    def ipv4(self) -> str:
        return f"{self.rnd.choice(NETS)}.{self.rnd.randint(2, 254)}"

    def ipv6(self) -> str:
        return f"2001:db8:{self.rnd.randint(1, 0xfff):x}::{self.rnd.randint(1, 0xffff):x}"

    def word(self) -> str:
        return self.rnd.choice(WORDS)

    def email(self) -> str:
        return f"{self.word()}.{self.word()}{self.rnd.randint(1, 99)}@{self.rnd.choice(('mail', 'postbox', 'helixmail', 'fastmail-x'))}.example"

    def handle(self) -> str:
        return f"{self.word()}_{self.word()}{self.rnd.randint(1, 999)}"

    def domain(self) -> str:
        return f"{self.word()}-{self.rnd.choice(('shop', 'bank', 'pay', 'secure', 'login', 'deals'))}.example"

    def url(self) -> str:
        return f"https://{self.domain()}/{self.rnd.choice(('login', 'pay', 'verify', 'account', 'promo'))}"

    def ref(self, prefix: str) -> str:
        return f"{prefix}-2026-{self.rnd.randint(1000, 9999)}"

    def when(self, base: datetime) -> datetime:
        return base - timedelta(hours=self.rnd.randint(6, 240), minutes=self.rnd.randint(0, 59))


# ----------------------------------------------------------------------------- MIME shapes

def _b64_subject(subject: str) -> str:
    if subject.isascii():
        return subject
    return "=?utf-8?B?" + base64.b64encode(subject.encode()).decode() + "?="


def _encode(text: str, cte: str, charset: str) -> bytes:
    if cte == "quoted-printable":  # line breaks stay line breaks (CRLF on the wire)
        return quopri.encodestring(text.encode(charset)).replace(b"\n", b"\r\n")
    data = text.replace("\n", "\r\n").encode(charset, errors="strict")
    if cte == "base64":
        return base64.encodebytes(data).replace(b"\n", b"\r\n")
    return data


def _html(text: str) -> str:
    """Outlook-like HTML for a plain text: paragraphs, a list for "- " lines."""
    out = ['<html><head><style>p{margin:0}</style></head><body lang="EN-GB">'
           '<div class="WordSection1">']
    for para in text.strip("\n").split("\n\n"):
        lines = para.split("\n")
        if all(ln.startswith("- ") for ln in lines):
            out.append("<ul>" + "".join(f"<li>{_esc(ln[2:])}</li>" for ln in lines) + "</ul>")
        else:
            out.append("<p>" + "<br>".join(_esc(ln) for ln in lines) + "</p>")
    out.append('<img src="https://tracker.example/pixel.gif" width="1" height="1"></div></body></html>')
    return "\n".join(out)


def _esc(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass(frozen=True)
class Shape:
    """How a text travels: its MIME structure, transfer encoding and charset."""

    structure: str = "plain"  # plain | html | alternative | pdf | rfc822 | forward
    cte: str = "8bit"
    charset: str = "utf-8"


def _part(text: str, shape: Shape, subtype: str = "plain") -> bytes:
    charset = shape.charset
    try:
        text.encode(charset)
    except UnicodeEncodeError:
        charset = "utf-8"
    body = _encode(text, shape.cte, charset)
    return (f"Content-Type: text/{subtype}; charset={charset}\r\n"
            f"Content-Transfer-Encoding: {shape.cte}\r\n\r\n").encode() + body


def message(frm: str, subject: str, date: datetime, mid: str, body: str, shape: Shape, *,
            headers: Sequence[tuple[str, str]] = (), to: str = US,
            attachment: tuple[str, str, bytes] | None = None) -> bytes:
    """A whole message; `attachment` is (content type, file name, bytes)."""
    head = [f"From: {frm}", f"To: {to}", f"Subject: {_b64_subject(subject)}",
            f"Date: {format_datetime(date)}", f"Message-ID: <{mid}>", "MIME-Version: 1.0"]
    head += [f"{k}: {v}" for k, v in headers]
    top = ("\r\n".join(head) + "\r\n").encode()
    boundary = "=_wk_" + hashlib.sha1(mid.encode()).hexdigest()[:20]
    if shape.structure == "html":
        return top + _part(_html(body), shape, "html")
    if shape.structure == "alternative":
        return (top + f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n\r\n'.encode()
                + f"--{boundary}\r\n".encode() + _part(body, shape) + b"\r\n"
                + f"--{boundary}\r\n".encode() + _part(_html(body), shape, "html") + b"\r\n"
                + f"--{boundary}--\r\n".encode())
    if attachment is not None:
        ctype, name, data = attachment
        if ctype == "message/rfc822":
            att = (f'Content-Type: message/rfc822; name="{name}"\r\n'
                   f'Content-Disposition: attachment; filename="{name}"\r\n\r\n').encode() + data
        else:
            att = (f'Content-Type: {ctype}; name="{name}"\r\nContent-Transfer-Encoding: base64\r\n'
                   f'Content-Disposition: attachment; filename="{name}"\r\n\r\n').encode() \
                + base64.encodebytes(data).replace(b"\n", b"\r\n")
        return (top + f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n'.encode()
                + f"--{boundary}\r\n".encode() + _part(body, shape) + b"\r\n"
                + f"--{boundary}\r\n".encode() + att + b"\r\n"
                + f"--{boundary}--\r\n".encode())
    return top + _part(body, shape)


def _make_fixtures() -> ModuleType:
    """The parser fixtures' writer, for its minimal PDF maker."""
    path = HERE.parent / "parse" / "make_fixtures.py"
    spec = importlib.util.spec_from_file_location("make_fixtures", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pdf(text: str) -> bytes:
    """A one-page PDF showing `text` (Latin-1 letters only; others are transliterated)."""
    lines = [ln.encode("latin-1", errors="replace").decode("latin-1") for ln in text.split("\n")]
    maker: Callable[[list[str]], bytes] = _make_fixtures().pdf
    return maker(lines)


# ----------------------------------------------------------------------------- languages

@dataclass(frozen=True)
class Lang:
    """How people write in one language: greetings, closings, names, labels, times."""

    code: str
    legacy: str  # the legacy charset some mail still uses
    greetings: tuple[str, ...]
    closings: tuple[str, ...]
    ranks: tuple[str, ...]
    names: tuple[str, ...]
    ref_labels: tuple[str, ...]
    ip: str  # "IP address"
    email: str
    account: str  # "account {handle} on {platform}"
    url: str
    domain: str
    time: str  # a time phrase with {d} (day), {t} (hh:mm)
    offences: tuple[str, ...]
    thanks: tuple[str, ...]


LANGS: dict[str, Lang] = {
    "en": Lang("en", "iso-8859-1", ("Dear colleagues,", "Dear Sir or Madam,", "Hello,", "Good morning,", "Hi all,", "Dear 24/7 team,", "To whom it may concern,", "Dear NCC colleagues,", "Hello team,"),
               ("Kind regards,", "Best regards,", "Regards,", "Sincerely,", "Many thanks,"),
               ("Detective Sergeant", "Det. Insp.", "Inspector", "Special Agent", "Sergeant", "Case officer"),
               ("Aoife Byrne", "Ryan Walsh", "Sarah Connolly", "Mark Evans", "Priya Shah", "Tom Gallagher"),
               ("Our reference:", "Ref:", "Our ref.", "Case number:"),
               "IP address", "e-mail account", "the account {handle} on {platform}", "URL", "domain",
               "{d} at {t} UTC", ("online fraud", "a phishing campaign", "extortion", "an account takeover", "the distribution of child sexual abuse material"),
               ("Thank you for your quick acknowledgement.", "Many thanks for the swift reply.", "Thanks, noted.")),
    "fr": Lang("fr", "iso-8859-1", ("Bonjour,", "Chers collègues,", "Madame, Monsieur,", "Bonjour à tous,"),
               ("Cordialement,", "Bien cordialement,", "Salutations,"),
               ("Commandant", "Capitaine", "Lieutenant", "Brigadier-chef", "Commissaire"),
               ("Hélène Dubois", "Julien Martin", "Claire Lefèvre", "Nicolas Girard", "Sophie Laurent"),
               ("Notre référence :", "Réf. :", "N/Réf :", "Numéro de dossier :"),
               "adresse IP", "adresse électronique", "le compte {handle} sur {platform}", "URL", "nom de domaine",
               "{d} à {t} (heure de Paris)", ("escroquerie en ligne", "hameçonnage", "extorsion", "piratage de compte", "diffusion d'images pédopornographiques"),
               ("Merci pour votre accusé de réception.", "Merci pour votre réponse rapide.", "Bien reçu, merci.")),
    "de": Lang("de", "iso-8859-1", ("Sehr geehrte Damen und Herren,", "Liebe Kolleginnen und Kollegen,", "Guten Tag,", "Hallo,"),
               ("Mit freundlichen Grüßen", "Freundliche Grüße", "Beste Grüße"),
               ("KHK", "KOK", "POK", "Kriminalkommissar", "Oberstaatsanwalt"),
               ("Petra Lang", "Jan Berger", "Martina Huber", "Stefan Krüger", "Anna Schmidt"),
               ("Unser Az.:", "Aktenzeichen:", "Az.", "Geschäftszeichen:"),
               "IP-Adresse", "E-Mail-Konto", "das Konto {handle} bei {platform}", "URL", "Domain",
               "{d}, {t} Uhr MEZ", ("Computerbetrug", "Phishing", "Erpressung", "Kontoübernahme", "Verbreitung kinderpornographischer Inhalte"),
               ("Vielen Dank für die schnelle Eingangsbestätigung.", "Danke, zur Kenntnis genommen.", "Herzlichen Dank für Ihre Rückmeldung.")),
    "es": Lang("es", "iso-8859-1", ("Estimados colegas:", "Buenos días:", "Estimados señores:", "Hola:"),
               ("Atentamente,", "Saludos cordiales,", "Un saludo,"),
               ("Inspector", "Inspector Jefe", "Subinspector", "Agente", "Sargento"),
               ("Jorge Ruiz", "Lucía Fernández", "Carlos Gómez", "Marta Sánchez", "Luis Díaz"),
               ("Referencia:", "Nuestra referencia:", "Diligencias:", "Ref.:"),
               "dirección IP", "cuenta de correo", "la cuenta {handle} en {platform}", "URL", "dominio",
               "{d} a las {t} (UTC+1)", ("estafa informática", "phishing", "extorsión", "usurpación de cuenta", "distribución de material de abuso sexual infantil"),
               ("Gracias por el acuse de recibo.", "Muchas gracias por la rápida respuesta.", "Recibido, gracias.")),
    "it": Lang("it", "iso-8859-1", ("Buongiorno,", "Gentili colleghi,", "Egregi colleghi,", "Salve,"),
               ("Cordiali saluti", "Distinti saluti", "Saluti"),
               ("Ispettore", "Commissario", "Sostituto Commissario", "Vice Questore", "Magg."),
               ("Marco Bianchi", "Giulia Russo", "Francesca Moretti", "Luca Romano", "Paolo Ricci"),
               ("Rif.:", "Nostro riferimento:", "Prot. n.", "Riferimento:"),
               "indirizzo IP", "casella di posta", "l'account {handle} su {platform}", "URL", "dominio",
               "{d} alle ore {t} (ora italiana)", ("frode informatica", "phishing", "estorsione", "accesso abusivo", "pedopornografia online"),
               ("Grazie per la conferma di ricezione.", "Grazie per il rapido riscontro.", "Ricevuto, grazie.")),
    "pl": Lang("pl", "iso-8859-2", ("Szanowni Państwo,", "Dzień dobry,", "Szanowni Koledzy,"),
               ("Z poważaniem", "Pozdrawiam", "Z wyrazami szacunku"),
               ("podkom.", "nadkom.", "kom.", "asp. szt.", "prokurator"),
               ("Anna Nowak", "Tomasz Wiśniewski", "Piotr Kowalski", "Katarzyna Zielińska", "Marek Lewandowski"),
               ("Sygn.:", "Nasz znak:", "Sygnatura:", "Nr sprawy:"),
               "adres IP", "konto e-mail", "konto {handle} w serwisie {platform}", "URL", "domena",
               "{d} godz. {t} CET", ("oszustwo komputerowe", "phishing", "wymuszenie", "przejęcie konta", "rozpowszechnianie treści pedofilskich"),
               ("Dziękujemy za potwierdzenie otrzymania.", "Dziękuję za szybką odpowiedź.", "Przyjęte, dziękuję.")),
    "pt": Lang("pt", "iso-8859-1", ("Caros colegas,", "Bom dia,", "Exmos. Senhores,", "Olá,"),
               ("Com os melhores cumprimentos,", "Atenciosamente,", "Cumprimentos,"),
               ("Inspetor", "Inspetor-Chefe", "Coordenador", "Agente"),
               ("João Costa", "Ana Ferreira", "Rui Almeida", "Marta Sousa", "Pedro Santos"),
               ("Referência:", "NUIPC:", "Nossa ref.:", "Processo:"),
               "endereço IP", "conta de correio eletrónico", "a conta {handle} na {platform}", "URL", "domínio",
               "{d} às {t} (UTC)", ("burla informática", "phishing", "extorsão", "acesso ilegítimo", "pornografia de menores"),
               ("Obrigado pelo aviso de receção.", "Muito obrigado pela resposta rápida.", "Recebido, obrigado.")),
    "nl": Lang("nl", "iso-8859-1", ("Beste collega's,", "Geachte heer, mevrouw,", "Goedemorgen,", "Hallo,"),
               ("Met vriendelijke groet,", "Vriendelijke groeten,", "Met vriendelijke groeten,"),
               ("Inspecteur", "Hoofdinspecteur", "Brigadier", "Rechercheur", "Officier van justitie"),
               ("Kees de Vries", "Sanne Jansen", "Pieter Bakker", "Lotte Visser", "Ruud Smit"),
               ("Ons kenmerk:", "Kenmerk:", "Referentie:", "Zaaknummer:"),
               "IP-adres", "e-mailadres", "het account {handle} op {platform}", "URL", "domeinnaam",
               "{d} om {t} uur (CET)", ("oplichting", "phishing", "afpersing", "accountovername", "verspreiding van kindermisbruikmateriaal"),
               ("Dank voor de ontvangstbevestiging.", "Bedankt voor de snelle reactie.", "Ontvangen, dank u.")),
    "sv": Lang("sv", "iso-8859-1", ("Hej,", "Bästa kollegor,", "God morgon,"),
               ("Med vänlig hälsning", "Vänliga hälsningar", "Hälsningar"),
               ("Kriminalinspektör", "Polisinspektör", "Kommissarie"),
               ("Anders Lund", "Karin Berg", "Erik Nilsson"),
               ("Vårt diarienummer:", "Ärendenummer:", "Ref:"),
               "IP-adress", "e-postkonto", "kontot {handle} på {platform}", "URL", "domän",
               "{d} kl. {t} (svensk tid)", ("bedrägeri", "nätfiske", "utpressning"),
               ("Tack för bekräftelsen.", "Tack för det snabba svaret.")),
    "ro": Lang("ro", "iso-8859-2", ("Stimați colegi,", "Bună ziua,"),
               ("Cu stimă,", "Cu respect,"),
               ("Comisar", "Comisar-șef", "Inspector principal"),
               ("Ion Popescu", "Elena Ionescu", "Andrei Stan"),
               ("Nr. dosar:", "Referința noastră:"),
               "adresa IP", "contul de e-mail", "contul {handle} pe {platform}", "URL", "domeniul",
               "{d} ora {t} (ora României)", ("fraudă informatică", "phishing", "șantaj"),
               ("Vă mulțumim pentru confirmare.", "Mulțumim pentru răspunsul rapid.")),
    "cs": Lang("cs", "iso-8859-2", ("Dobrý den,", "Vážení kolegové,"),
               ("S pozdravem", "S úctou"),
               ("kpt.", "npor.", "mjr."),
               ("Jan Novák", "Petra Svobodová", "Tomáš Dvořák"),
               ("Č. j.:", "Naše č. j.:"),
               "IP adresa", "e-mailový účet", "účet {handle} na {platform}", "URL", "doména",
               "{d} v {t} SEČ", ("podvod", "phishing", "vydírání"),
               ("Děkujeme za potvrzení.", "Děkuji za rychlou odpověď.")),
    "fi": Lang("fi", "iso-8859-1", ("Hei,", "Hyvät kollegat,"),
               ("Ystävällisin terveisin", "Terveisin"),
               ("Rikoskomisario", "Rikosylikonstaapeli", "Ylikomisario"),
               ("Matti Virtanen", "Laura Korhonen", "Juha Mäkinen"),
               ("Diaarinumero:", "Viite:"),
               "IP-osoite", "sähköpostitili", "tili {handle} palvelussa {platform}", "URL", "verkkotunnus",
               "{d} klo {t} Suomen aikaa", ("petos", "tietojenkalastelu", "kiristys"),
               ("Kiitos vahvistuksesta.", "Kiitos nopeasta vastauksesta.")),
    "el": Lang("el", "iso-8859-7", ("Αγαπητοί συνάδελφοι,", "Καλημέρα σας,"),
               ("Με εκτίμηση,", "Με τιμή,"),
               ("Αστυνόμος Α΄", "Υπαστυνόμος", "Αστυνόμος Β΄"),
               ("Νίκος Παππάς", "Μαρία Γεωργίου", "Γιώργος Οικονόμου"),
               ("Αρ. πρωτ.:", "Σχετ.:"),
               "διεύθυνση IP", "λογαριασμός email", "ο λογαριασμός {handle} στο {platform}", "URL", "τομέας",
               "{d} ώρα {t} (ώρα Ελλάδας)", ("απάτη", "ηλεκτρονικό ψάρεμα", "εκβιασμός"),
               ("Ευχαριστούμε για την επιβεβαίωση.",)),
    "hu": Lang("hu", "iso-8859-2", ("Tisztelt Kollégák!", "Jó napot kívánok!"),
               ("Tisztelettel:", "Üdvözlettel:"),
               ("r. őrnagy", "r. százados", "r. alezredes"),
               ("Nagy Katalin", "Kovács Péter", "Szabó Gábor"),
               ("Ügyszám:", "Iktatószám:"),
               "IP-cím", "e-mail fiók", "a(z) {handle} fiók a(z) {platform} oldalon", "URL", "domain",
               "{d} {t} (CET)", ("csalás", "adathalászat", "zsarolás"),
               ("Köszönjük a visszaigazolást.",)),
    "tr": Lang("tr", "iso-8859-9", ("Sayın meslektaşlar,", "Merhaba,"),
               ("Saygılarımla", "İyi çalışmalar"),
               ("Komiser", "Başkomiser", "Emniyet Amiri"),
               ("Ayşe Demir", "Mehmet Yılmaz", "Elif Kaya"),
               ("Referans:", "Dosya no:"),
               "IP adresi", "e-posta hesabı", "{platform} üzerindeki {handle} hesabı", "URL", "alan adı",
               "{d} saat {t} TRT", ("dolandırıcılık", "oltalama", "şantaj"),
               ("Teyit için teşekkür ederiz.",)),
}


def fmt_date(lang: str, when: datetime) -> str:
    sep = {"de": ".", "pl": ".", "cs": ".", "fi": ".", "hu": ".", "tr": ".", "nl": "-"}.get(lang, "/")
    if lang == "hu":
        return when.strftime("%Y.%m.%d.")
    return when.strftime(f"%d{sep}%m{sep}%Y")


def fmt_when(lang: str, when: datetime) -> str:
    return LANGS[lang].time.format(d=fmt_date(lang, when), t=when.strftime("%H:%M"))


# Confidentiality notices that official mail servers append below the signature.
DISCLAIMERS = {
    "en": "CONFIDENTIALITY NOTICE: This e-mail and any attachments are confidential and intended solely for the addressee. If you have received it in error, please notify the sender and delete it.",
    "fr": "AVERTISSEMENT : ce message et ses pièces jointes sont confidentiels et réservés à leur destinataire. Si vous l'avez reçu par erreur, merci d'en informer l'expéditeur et de le supprimer.",
    "de": "Diese E-Mail enthält vertrauliche Informationen. Wenn Sie nicht der richtige Adressat sind, informieren Sie bitte den Absender und löschen Sie diese Mail.",
    "es": "AVISO: este mensaje es confidencial. Si lo ha recibido por error, comuníquelo al remitente y bórrelo.",
    "it": "Questo messaggio è riservato. Se lo avete ricevuto per errore, vi preghiamo di avvisare il mittente e di cancellarlo.",
    "nl": "Dit bericht is vertrouwelijk. Heeft u het per vergissing ontvangen, meld dit dan aan de afzender en verwijder het bericht.",
}


# ----------------------------------------------------------------------------- partners' requests
# (subject, body) per topic and language. Fields: {ids} a list of identifiers with times,
# {ident} the first identifier alone, {provider} {platform} {ref} {prev} {tag} {offence}
# {when} {days}. An urgent request adds URGENT_SUBJECT and URGENT_LINE of its language.

URGENT_SUBJECT = {"en": "URGENT: ", "fr": "URGENT - ", "de": "Eilt: ", "es": "URGENTE: ",
                  "it": "URGENTE - ", "pl": "PILNE: ", "pt": "URGENTE: ", "nl": "SPOED: ",
                  "sv": "Brådskande: ", "ro": "URGENT: ", "cs": "Naléhavé: ", "fi": "Kiireellinen: "}
URGENT_LINE = {
    "en": "This is urgent: the provider deletes these logs after seven days.",
    "fr": "Cette demande est urgente : les journaux sont effacés au bout de sept jours.",
    "de": "Die Sache ist dringend, da die Protokolle nach sieben Tagen gelöscht werden.",
    "es": "La solicitud es urgente, ya que los registros se borran a los siete días.",
    "it": "La richiesta è urgente: i log vengono cancellati dopo sette giorni.",
    "pl": "Sprawa jest pilna – dane są usuwane po siedmiu dniach.",
    "pt": "O pedido é urgente: os registos são apagados ao fim de sete dias.",
    "nl": "Spoed: de logs worden na zeven dagen gewist.",
    "sv": "Ärendet är brådskande eftersom loggarna raderas efter sju dagar.",
    "ro": "Cererea este URGENT de soluționat, datele se șterg după șapte zile.",
    "cs": "Věc je naléhavá, data se mažou po sedmi dnech.",
    "fi": "Pyyntö on kiireellinen, lokit poistetaan seitsemän päivän kuluttua.",
}

REQUESTS: dict[str, dict[str, list[tuple[str, str]]]] = {
    "preservation": {
        "en": [
            ("Data hold - {provider}", "Could you ask {provider} to hold onto all logs and account records for {ident}? We will follow up with a production order through the usual channel.\n\n{reflabel} {ref}"),
            ("[EXTERNAL] Logs needed before deletion", "We'd like the provider to retain the connection logs and registration details for the items below while we prepare the formal paperwork:\n\n{ids}\n\nThe case concerns {offence}. {reflabel} {ref}"),
            ("Keep data - {ident}", "Please keep the data of {ident} ({provider}) - we are at an early stage of an investigation into {offence} and will send an MLA request.\n\n{reflabel} {ref}"),
            ("Preservation request {ref}", "We are investigating {offence} and ask you to preserve the following data held by {provider}:\n\n{ids}\n\nA mutual legal assistance request will follow. {reflabel} {ref}"),
            ("Request to keep data - {provider}", "Could you please make sure {provider} keeps the logs for the items below until our formal request arrives? They relate to {offence}.\n\n{ids}\n\nWe request expedited preservation under Article 29 of the Budapest Convention.\n{reflabel} {ref}"),
            ("Data retention request ({ref})", "In the course of an investigation into {offence} we kindly request the preservation of subscriber and log data for {ident}, held by {provider}. Please confirm once the data is secured.\n\n{reflabel} {ref}"),
        ],
        "fr": [
            ("Demande de conservation de données – {ref}", "Dans le cadre d'une enquête pour {offence}, nous vous demandons de faire conserver par {provider} les données suivantes :\n\n{ids}\n\nUne demande d'entraide judiciaire suivra.\n{reflabel} {ref}"),
            ("Garder les journaux – {ref}", "Pourriez-vous demander à {provider} de garder les journaux de connexion et les données d'inscription concernant {ident} ? Une réquisition suivra par la voie habituelle.\n\n{reflabel} {ref}"),
            ("Gel de données {provider}", "Nous sollicitons le gel rapide des données (article 29 de la Convention de Budapest) relatives à {ident}, détenues par {provider}, dans une affaire d'{offence}.\n\n{reflabel} {ref}"),
        ],
        "de": [
            ("Sicherungsersuchen {ref}", "im Ermittlungsverfahren wegen {offence} ersuchen wir um Sicherung der folgenden Daten bei {provider}:\n\n{ids}\n\nEin Rechtshilfeersuchen wird folgen.\n{reflabel} {ref}"),
            ("Daten vorhalten – {ident}", "könnten Sie veranlassen, dass {provider} die Log- und Registrierungsdaten zu {ident} aufbewahrt, bis unser förmliches Ersuchen eingeht?\n\n{reflabel} {ref}"),
            ("Bitte um Datensicherung – {provider}", "wir bitten Sie, bei {provider} die Bestands- und Verkehrsdaten zu {ident} einzufrieren. Hintergrund ist ein Verfahren wegen {offence}.\n\n{reflabel} {ref}"),
        ],
        "es": [
            ("Solicitud de conservación de datos {ref}", "En el marco de una investigación por {offence}, solicitamos la conservación de los siguientes datos en poder de {provider}:\n\n{ids}\n\nSe remitirá posteriormente una comisión rogatoria.\n{reflabel} {ref}"),
            ("Guardar registros – {ref}", "¿Podrían pedir a {provider} que guarde los registros de conexión y los datos de alta de {ident} hasta que enviemos la solicitud formal?\n\n{reflabel} {ref}"),
            ("Conservación rápida – {provider}", "Les rogamos que {provider} conserve los registros relativos a {ident}, relacionados con un caso de {offence}, conforme al artículo 29 del Convenio de Budapest.\n\n{reflabel} {ref}"),
        ],
        "it": [
            ("Richiesta di conservazione dati {ref}", "nell'ambito di un'indagine per {offence} chiediamo la conservazione dei seguenti dati detenuti da {provider}:\n\n{ids}\n\nSeguirà richiesta di assistenza giudiziaria.\n{reflabel} {ref}"),
            ("Mantenere i log – {ref}", "potreste chiedere a {provider} di mantenere i log di connessione e i dati di registrazione di {ident} fino all'arrivo della nostra richiesta formale?\n\n{reflabel} {ref}"),
            ("Congelamento dati – {provider}", "vi preghiamo di far conservare a {provider} i dati di traffico e di registrazione relativi a {ident} (art. 29 Convenzione di Budapest), in relazione a un caso di {offence}.\n\n{reflabel} {ref}"),
        ],
        "pl": [
            ("Wniosek o zabezpieczenie danych {ref}", "w związku z postępowaniem w sprawie {offence} zwracamy się z prośbą o zabezpieczenie następujących danych przechowywanych przez {provider}:\n\n{ids}\n\nWniosek o pomoc prawną zostanie przesłany.\n{reflabel} {ref}"),
            ("Zachowanie logów – {ref}", "czy mogliby Państwo zwrócić się do {provider} o zachowanie logów połączeń i danych rejestracyjnych dotyczących {ident} do czasu przesłania formalnego wniosku?\n\n{reflabel} {ref}"),
            ("Zabezpieczenie danych – {provider}", "prosimy o zabezpieczenie danych abonenta i logów dotyczących {ident} u dostawcy {provider} (art. 29 Konwencji budapeszteńskiej).\n\n{reflabel} {ref}"),
        ],
        "pt": [
            ("Pedido de preservação de dados {ref}", "no âmbito de um inquérito por {offence}, solicitamos a preservação dos seguintes dados detidos pela {provider}:\n\n{ids}\n\nSeguir-se-á pedido de auxílio judiciário mútuo.\n{reflabel} {ref}"),
            ("Guardar os registos – {ref}", "poderiam pedir à {provider} que guarde os registos de ligação e os dados de registo de {ident} até ao envio do pedido formal?\n\n{reflabel} {ref}"),
            ("Conservação expedita – {provider}", "vimos solicitar a conservação expedita dos dados de tráfego e de assinante relativos a {ident}, junto da {provider}, num caso de {offence}.\n\n{reflabel} {ref}"),
        ],
        "nl": [
            ("Verzoek tot bewaring van gegevens {ref}", "in een onderzoek naar {offence} verzoeken wij u de volgende gegevens bij {provider} te laten bewaren:\n\n{ids}\n\nEen rechtshulpverzoek volgt.\n{reflabel} {ref}"),
            ("Gegevens bewaren – {ref}", "kunt u {provider} vragen de loggegevens en registratiegegevens van {ident} te bewaren tot ons formele verzoek binnenkomt?\n\n{reflabel} {ref}"),
            ("Bevriezen gegevens – {provider}", "graag vragen wij u om {provider} de log- en abonneegegevens van {ident} te laten bewaren (artikel 29 Verdrag van Boedapest). Het gaat om {offence}.\n\n{reflabel} {ref}"),
        ],
        "sv": [
            ("Begäran om bevarande av uppgifter {ref}", "i en utredning om {offence} begär vi att {provider} bevarar följande uppgifter:\n\n{ids}\n\n{reflabel} {ref}"),
        ],
        "ro": [
            ("Cerere de conservare a datelor {ref}", "în cadrul unei anchete privind {offence}, solicităm conservarea următoarelor date deținute de {provider}:\n\n{ids}\n\n{reflabel} {ref}"),
        ],
        "cs": [
            ("Žádost o uchování dat {ref}", "v souvislosti s vyšetřováním ({offence}) žádáme o uchování následujících údajů u {provider}:\n\n{ids}\n\n{reflabel} {ref}"),
        ],
        "fi": [
            ("Tietojen säilyttämispyyntö {ref}", "tutkimme rikosta ({offence}) ja pyydämme, että {provider} säilyttää seuraavat tiedot:\n\n{ids}\n\n{reflabel} {ref}"),
        ],
    },
    "traffic_disclosure": {
        "en": [
            ("Art. 30 - expedited disclosure of traffic data", "Following the preservation by {provider}, we request the expedited disclosure of traffic data sufficient to identify the path of the communication for {ident}, so that we can identify the other providers involved.\n\n{reflabel} {ref}"),
            ("Traffic data request {ref}", "We need the traffic data (connection logs, source IPs and ports) for {ident} held by {provider} to trace the origin of {offence}. Please disclose them under Article 30 of the Convention.\n\n{reflabel} {ref}"),
        ],
        "fr": [
            ("Divulgation rapide de données de trafic – {ref}", "Nous sollicitons la divulgation rapide des données relatives au trafic concernant {ident} (article 30), afin d'identifier les fournisseurs intervenus dans la transmission.\n\n{reflabel} {ref}"),
        ],
        "de": [
            ("Herausgabe von Verkehrsdaten {ref}", "wir ersuchen um die umgehende Herausgabe der Verkehrsdaten zu {ident} bei {provider} (Art. 30 Übereinkommen über Computerkriminalität), um den Übertragungsweg festzustellen.\n\n{reflabel} {ref}"),
        ],
        "es": [
            ("Revelación de datos de tráfico {ref}", "Solicitamos la revelación rápida de los datos de tráfico de {ident} para identificar a los proveedores que intervinieron en la comunicación (artículo 30 del Convenio).\n\n{reflabel} {ref}"),
        ],
        "it": [
            ("Comunicazione dati di traffico {ref}", "chiediamo la comunicazione rapida dei dati di traffico relativi a {ident}, detenuti da {provider}, per identificare il percorso della comunicazione (art. 30).\n\n{reflabel} {ref}"),
        ],
        "pl": [
            ("Ujawnienie danych o ruchu {ref}", "zwracamy się o niezwłoczne ujawnienie danych o ruchu dotyczących {ident} (art. 30 Konwencji), w celu ustalenia drogi przekazu.\n\n{reflabel} {ref}"),
        ],
        "pt": [
            ("Divulgação de dados de tráfego {ref}", "solicitamos a divulgação expedita dos dados de tráfego relativos a {ident} (artigo 30.º), para identificar os fornecedores envolvidos na comunicação.\n\n{reflabel} {ref}"),
        ],
        "nl": [
            ("Verstrekking verkeersgegevens {ref}", "wij verzoeken om spoedige verstrekking van de verkeersgegevens van {ident} bij {provider} (artikel 30), om het communicatiepad vast te stellen.\n\n{reflabel} {ref}"),
        ],
    },
    "stored_data": {
        "en": [
            ("Request for subscriber information - {ident}", "We would be grateful to receive the subscriber information (name, address, registration details) for {ident}, held by {provider}. The request is made in an investigation into {offence}; a formal MLA request is being prepared.\n\n{reflabel} {ref}"),
            ("Account holder details - {provider}", "We are looking for the account holder details and customer records behind {ident}. The account was used for {offence}. Any registration data {provider} holds would help.\n\n{reflabel} {ref}"),
            ("Subscriber data needed ({ref})", "Please provide the subscriber details of the following, which we need to identify a suspect:\n\n{ids}\n\n{reflabel} {ref}"),
        ],
        "fr": [
            ("Demande d'identification d'abonné", "Nous souhaiterions obtenir les données d'abonné (identité, adresse, date de création) associées à {ident} auprès de {provider}, dans une enquête pour {offence}.\n\n{reflabel} {ref}"),
            ("Données d'abonné – {ref}", "Merci de nous communiquer les informations d'abonné relatives aux éléments suivants :\n\n{ids}\n\n{reflabel} {ref}"),
        ],
        "de": [
            ("Bestandsdatenauskunft {ref}", "wir bitten um Auskunft über die Bestandsdaten (Name, Anschrift, Registrierungsdaten) zu {ident} bei {provider}. Ermittelt wird wegen {offence}.\n\n{reflabel} {ref}"),
            ("Anfrage Inhaberdaten – {provider}", "für unser Verfahren benötigen wir die Inhaberdaten folgender Anschlüsse:\n\n{ids}\n\n{reflabel} {ref}"),
        ],
        "es": [
            ("Solicitud de datos de abonado {ref}", "Solicitamos los datos del abonado (nombre, dirección, fecha de alta) correspondientes a {ident}, en poder de {provider}, en una investigación por {offence}.\n\n{reflabel} {ref}"),
        ],
        "it": [
            ("Richiesta dati dell'abbonato {ref}", "chiediamo di conoscere i dati dell'abbonato (generalità, indirizzo, data di registrazione) relativi a {ident} presso {provider}.\n\n{reflabel} {ref}"),
        ],
        "pl": [
            ("Prośba o dane abonenta {ref}", "uprzejmie prosimy o przekazanie danych abonenta (imię, nazwisko, adres) dotyczących {ident}, przechowywanych przez {provider}.\n\n{reflabel} {ref}"),
        ],
        "pt": [
            ("Pedido de dados de assinante {ref}", "solicitamos os dados de assinante (identificação, morada, data de registo) associados a {ident}, na posse da {provider}.\n\n{reflabel} {ref}"),
        ],
        "nl": [
            ("Verzoek om abonneegegevens {ref}", "wij verzoeken u om de abonneegegevens (naam, adres, registratiegegevens) van {ident} bij {provider} te verstrekken.\n\n{reflabel} {ref}"),
        ],
        "ro": [
            ("Solicitare date abonat {ref}", "solicităm comunicarea datelor de abonat pentru {ident}, deținute de {provider}.\n\n{reflabel} {ref}"),
        ],
        "sv": [
            ("Begäran om abonnentuppgifter {ref}", "vi begär abonnentuppgifter (namn, adress) för {ident} hos {provider}.\n\n{reflabel} {ref}"),
        ],
    },
    "attribution": {
        "en": [
            ("Request for IP address attribution", "In an investigation into {offence} we need to know to whom the IP address {ip} was assigned on {when}. The address belongs to a provider in your country. Can you help identify the user?\n\n{reflabel} {ref}"),
            ("Who is behind {ip}?", "We are trying to establish who used the IP address {ip} on {when} to log into a compromised account. Could you identify the customer of the provider concerned?\n\n{reflabel} {ref}"),
        ],
        "fr": [
            ("Attribution d'une adresse IP", "Nous cherchons à identifier l'utilisateur de l'adresse IP {ip} le {when}, dans une affaire d'{offence}. Pourriez-vous nous indiquer le titulaire de l'abonnement ?\n\n{reflabel} {ref}"),
        ],
        "de": [
            ("Zuordnung einer IP-Adresse", "wir bitten um Mitteilung, welchem Anschlussinhaber die IP-Adresse {ip} am {when} zuzuordnen war. Es geht um {offence}.\n\n{reflabel} {ref}"),
        ],
        "es": [
            ("Atribución de dirección IP {ip}", "Necesitamos conocer el titular de la dirección IP {ip} el {when}, utilizada en un caso de {offence}. ¿Podrían identificar al usuario?\n\n{reflabel} {ref}"),
        ],
        "it": [
            ("Attribuzione indirizzo IP {ip}", "chiediamo di conoscere l'intestatario dell'utenza a cui era assegnato l'indirizzo IP {ip} il {when}, nell'ambito di un'indagine per {offence}.\n\n{reflabel} {ref}"),
        ],
        "pl": [
            ("Ustalenie użytkownika adresu IP {ip}", "prosimy o ustalenie użytkownika, któremu przypisany był adres IP {ip} w dniu {when}, w sprawie dotyczącej przestępstwa: {offence}.\n\n{reflabel} {ref}"),
        ],
        "pt": [
            ("Identificação do utilizador do IP {ip}", "solicitamos a identificação do titular da conta a quem estava atribuído o endereço IP {ip} em {when}.\n\n{reflabel} {ref}"),
        ],
        "nl": [
            ("Toewijzing IP-adres {ip}", "wij willen graag weten aan wie het IP-adres {ip} op {when} was toegewezen. Kunt u de houder van het IP-adres achterhalen?\n\n{reflabel} {ref}"),
        ],
    },
    "mla_notice": {
        "en": [
            ("Notification - MLA request to follow", "Further to our preservation request {prev} (your reference {tag}), we hereby inform you that a mutual legal assistance request will follow through our Ministry of Justice. Please keep the data preserved until it arrives.\n\n{reflabel} {ref}"),
            ("MLA request sent - {prev}", "With reference to our preservation request {prev}, please note that the MLA request has been sent today through the central authority. The letter of request covers all identifiers listed in our earlier message."),
        ],
        "fr": [
            ("Avis : demande d'entraide à suivre – {prev}", "Suite à notre demande de conservation {prev}, nous vous informons qu'une demande d'entraide pénale internationale sera transmise par le ministère de la Justice dans les prochains jours."),
        ],
        "de": [
            ("Mitteilung: Rechtshilfeersuchen folgt ({prev})", "bezugnehmend auf unser Sicherungsersuchen {prev} teilen wir Ihnen mit, dass ein Rechtshilfeersuchen über das Bundesamt für Justiz folgt. Wir bitten, die Daten bis dahin gesichert zu halten."),
        ],
        "es": [
            ("Notificación: comisión rogatoria en curso ({prev})", "En relación con nuestra solicitud de conservación {prev}, les informamos que la solicitud de asistencia judicial mutua será remitida por el Ministerio de Justicia en los próximos días."),
        ],
        "it": [
            ("Notifica: seguirà rogatoria ({prev})", "facendo seguito alla nostra richiesta di conservazione {prev}, vi informiamo che la richiesta di assistenza giudiziaria sarà trasmessa dal Ministero della Giustizia."),
        ],
        "pl": [
            ("Zawiadomienie o wniosku o pomoc prawną ({prev})", "nawiązując do naszego wniosku o zabezpieczenie danych {prev}, informujemy, że wniosek o międzynarodową pomoc prawną zostanie przesłany przez Ministerstwo Sprawiedliwości."),
        ],
        "pt": [
            ("Notificação: pedido de auxílio judiciário ({prev})", "na sequência do nosso pedido de preservação {prev}, informamos que o pedido de auxílio judiciário mútuo será enviado pela autoridade central nas próximas semanas."),
        ],
        "nl": [
            ("Kennisgeving: rechtshulpverzoek volgt ({prev})", "naar aanleiding van ons verzoek tot bewaring {prev} delen wij u mede dat het rechtshulpverzoek via het ministerie van Justitie zal volgen."),
        ],
    },
    "takedown": {
        "en": [
            ("Takedown assistance - phishing infrastructure", "A phishing campaign impersonating a national bank uses the following infrastructure, which we believe is hosted in your country:\n\n{ids}\n\nCould you assist with the takedown of these sites, or tell us whom to contact for it?\n\n{reflabel} {ref}"),
            ("Request to block fraudulent website {domain}", "The website {url} is used for {offence} against our citizens. We would appreciate your help in getting the site blocked or taken offline by the hosting company.\n\n{reflabel} {ref}"),
        ],
        "fr": [
            ("Demande de retrait d'un site frauduleux", "Le site {url} est utilisé pour une {offence}. Nous sollicitons votre concours pour obtenir le retrait du site auprès de l'hébergeur.\n\n{reflabel} {ref}"),
        ],
        "de": [
            ("Bitte um Abschaltung einer Phishing-Seite", "die Seite {url} wird für {offence} genutzt. Wir bitten um Unterstützung bei der Abschaltung der Webseite beim Hoster in Ihrem Land.\n\n{reflabel} {ref}"),
        ],
        "es": [
            ("Solicitud de retirada de sitio fraudulento", "Solicitamos su colaboración para la retirada del sitio {url}, que suplanta a una entidad bancaria y se aloja en su país.\n\n{reflabel} {ref}"),
        ],
        "it": [
            ("Richiesta di oscuramento del sito {domain}", "il sito {url} viene utilizzato per {offence}. Chiediamo la vostra collaborazione per l'oscuramento del sito presso il fornitore di hosting.\n\n{reflabel} {ref}"),
        ],
        "pl": [
            ("Prośba o zablokowanie strony {domain}", "strona {url} jest wykorzystywana do oszustw. Prosimy o pomoc w zablokowaniu strony u dostawcy hostingu.\n\n{reflabel} {ref}"),
        ],
        "pt": [
            ("Pedido de remoção do site {domain}", "o site {url} é utilizado para {offence}. Solicitamos a vossa colaboração na remoção do site junto do fornecedor de alojamento.\n\n{reflabel} {ref}"),
        ],
        "nl": [
            ("Verzoek om offline halen van phishingsite", "de website {url} wordt gebruikt voor {offence}. Wij vragen uw hulp om de website offline te halen bij de hostingpartij.\n\n{reflabel} {ref}"),
        ],
    },
    "incident_assistance": {
        "en": [
            ("Request for assistance - ransomware incident", "A regional hospital was hit by a ransomware attack last night. The malware contacted a command-and-control server at {ip}, which appears to be hosted in your country. We would be grateful for any assistance: whether the server is known to you and whom we should approach.\n\n{reflabel} {ref}"),
            ("Assistance needed - DDoS against government portal", "Since this morning our government portal has been under a DDoS attack. Part of the traffic comes from {ip}. Any help or information you can share would be appreciated.\n\n{reflabel} {ref}"),
        ],
        "fr": [
            ("Demande d'assistance – attaque par rançongiciel", "Une collectivité a été victime d'une attaque par rançongiciel. Le serveur de commande {ip} semble hébergé dans votre pays. Nous sollicitons votre aide pour identifier l'hébergeur.\n\n{reflabel} {ref}"),
        ],
        "de": [
            ("Unterstützungsersuchen – Ransomware-Angriff", "bei einem Ransomware-Angriff auf ein Klinikum wurden Daten verschlüsselt. Die Täter nutzen den Server {ip}. Wir bitten um Ihre Unterstützung bei der Aufklärung.\n\n{reflabel} {ref}"),
        ],
        "es": [
            ("Solicitud de ayuda – ataque de ransomware", "Una empresa eléctrica ha sufrido un ataque de ransomware. El servidor de control {ip} parece estar en su país. Solicitamos su ayuda para identificar al proveedor.\n\n{reflabel} {ref}"),
        ],
        "it": [
            ("Richiesta di assistenza – attacco ransomware", "un ospedale ha subito un attacco ransomware. Il server di comando {ip} risulta ospitato nel vostro paese. Chiediamo la vostra assistenza per risalire al fornitore.\n\n{reflabel} {ref}"),
        ],
        "pl": [
            ("Prośba o pomoc – atak ransomware", "szpital padł ofiarą ataku ransomware. Serwer sterujący {ip} znajduje się prawdopodobnie w Państwa kraju. Prosimy o pomoc w ustaleniu dostawcy.\n\n{reflabel} {ref}"),
        ],
        "pt": [
            ("Pedido de apoio – ataque de ransomware", "um hospital sofreu um ataque de ransomware. O servidor de comando {ip} parece estar alojado no vosso país. Solicitamos o vosso apoio para identificar o fornecedor.\n\n{reflabel} {ref}"),
        ],
        "nl": [
            ("Verzoek om bijstand – ransomware-aanval", "een ziekenhuis is getroffen door een ransomware-aanval. De commandoserver {ip} lijkt in uw land te staan. Wij vragen uw hulp bij het identificeren van de hostingpartij.\n\n{reflabel} {ref}"),
        ],
    },
    "contact_confirmation": {
        "en": [
            ("Confirmation of contact point", "We are updating our network list. Could you please confirm that this address is still the correct 24/7 contact point for your country, and send us your after-hours phone number?"),
            ("Is this still your 24/7 address?", "Our police unit received a bounce from your old mailbox. Is this the correct address for preservation requests from now on? Please confirm the contact details."),
        ],
        "fr": [
            ("Confirmation du point de contact 24/7", "Pourriez-vous confirmer les coordonnées de votre point de contact 24/7 (adresse et numéro de permanence) ? Nous mettons à jour notre annuaire."),
        ],
        "de": [
            ("Bestätigung der Kontaktstelle", "bitte bestätigen Sie die Kontaktdaten Ihrer 24/7-Kontaktstelle, da wir unser Verzeichnis aktualisieren."),
        ],
        "es": [
            ("Confirmación del punto de contacto", "¿Podrían confirmar los datos de contacto de su punto de contacto 24/7? Estamos actualizando el directorio de la red."),
        ],
        "it": [
            ("Conferma del punto di contatto", "vi chiediamo di confermare i recapiti del vostro punto di contatto 24/7, in vista dell'aggiornamento dell'elenco della rete."),
        ],
        "pl": [
            ("Prośba o potwierdzenie danych kontaktowych", "prosimy o potwierdzenie danych kontaktowych Państwa punktu kontaktowego 24/7 (adres e-mail i numer telefonu dyżurnego)."),
        ],
        "pt": [
            ("Confirmação do ponto de contacto", "solicitamos que confirmem os contactos do vosso ponto de contacto 24/7, pois estamos a atualizar a lista da rede."),
        ],
        "nl": [
            ("Bevestiging contactpunt", "kunt u de contactgegevens van uw 24/7-contactpunt bevestigen? Wij werken onze lijst bij."),
        ],
    },
    "legal_question": {
        "en": [
            ("Question on the legal basis for preservation", "Could you tell us which legal provision of your national law allows expedited preservation at the request of a foreign authority, and what the retention period for traffic data is?"),
            ("Retention periods in your country", "For a case under preparation we would like to know the retention periods for subscriber and traffic data under your legislation. There is no data to preserve at this stage."),
        ],
        "fr": [
            ("Question sur la base légale de la conservation", "Pourriez-vous nous indiquer quelle disposition légale de votre droit national permet la conservation rapide des données à la demande d'un État étranger, et quelle est la durée de conservation applicable ?"),
        ],
        "de": [
            ("Frage zur Rechtsgrundlage", "wir möchten gerne wissen, auf welcher Rechtsgrundlage in Ihrem Land Verkehrsdaten gespeichert werden und wie lang die Speicherfrist ist."),
        ],
        "es": [
            ("Consulta sobre la legislación aplicable", "Quisiéramos saber cuál es la base legal en su país para la conservación de datos y cuál es el plazo de conservación de los datos de tráfico."),
        ],
        "it": [
            ("Quesito sulla normativa", "vorremmo sapere quale disposizione di legge prevede nel vostro paese la conservazione dei dati di traffico e quale sia il periodo di conservazione."),
        ],
        "pl": [
            ("Pytanie o podstawę prawną", "chcielibyśmy zapytać, jaka jest podstawa prawna zabezpieczenia danych w Państwa kraju oraz jaki jest okres przechowywania danych o ruchu."),
        ],
        "pt": [
            ("Questão sobre a base legal", "gostaríamos de saber qual a base legal para a preservação de dados no vosso país e qual o prazo de conservação dos dados de tráfego."),
        ],
        "nl": [
            ("Vraag over wettelijke grondslag", "wij willen graag weten wat de wettelijke grondslag is voor het bewaren van verkeersgegevens in uw land en welke bewaartermijn geldt."),
        ],
    },
    "extension": {
        "en": [
            ("Extension of preservation - {prev}", "We request the extension of the preservation of the data in our request {prev} (your case {tag}) for a further 90 days, as the MLA request is still being processed.\n\nNew reference: {ref}"),
        ],
        "fr": [
            ("Prolongation de la conservation – {prev}", "Nous sollicitons la prolongation de la conservation des données visées par notre demande {prev} (votre dossier {tag}) pour 90 jours supplémentaires."),
        ],
        "de": [
            ("Verlängerung der Sicherung – {prev}", "wir ersuchen um Verlängerung der Sicherung zu unserem Ersuchen {prev} (Ihr Zeichen {tag}) um weitere 90 Tage."),
        ],
        "es": [
            ("Prórroga de la conservación – {prev}", "Solicitamos la prórroga de la conservación de los datos de nuestra solicitud {prev} por otros 90 días."),
        ],
        "it": [
            ("Proroga della conservazione – {prev}", "chiediamo la proroga della conservazione dei dati di cui alla nostra richiesta {prev} per ulteriori 90 giorni."),
        ],
        "pl": [
            ("Przedłużenie zabezpieczenia – {prev}", "zwracamy się o przedłużenie zabezpieczenia danych z naszego wniosku {prev} o kolejne 90 dni."),
        ],
        "pt": [
            ("Prorrogação da preservação – {prev}", "solicitamos a prorrogação da preservação dos dados do nosso pedido {prev} por mais 90 dias."),
        ],
        "nl": [
            ("Verlenging bewaring – {prev}", "wij verzoeken om verlenging van de bewaring van de gegevens uit ons verzoek {prev} met 90 dagen."),
        ],
    },
}

TOPIC_TYPES = {
    "preservation": "preservation", "traffic_disclosure": "traffic_disclosure",
    "stored_data": "stored_data", "attribution": "stored_data", "mla_notice": "stored_data",
    "takedown": "information", "incident_assistance": "information",
    "contact_confirmation": "information", "legal_question": "information",
    "extension": "preservation_extension", "emergency": "emergency_disclosure",
}
# Topics whose urgency a partner may flag.
MAY_BE_URGENT = ("preservation", "traffic_disclosure", "stored_data", "attribution")


# ----------------------------------------------------------------------------- emergencies
# (subject, body) per language; several scenarios. {handle} {platform} {email} {ip}.

EMERGENCIES: dict[str, list[tuple[str, str]]] = {
    "en": [
        ("URGENT - school shooting threat", "A user announced a school shooting for tomorrow morning in a post on {platform} (account {handle}). We request the emergency disclosure of the subscriber information and the last login IP addresses of this account."),
        ("Emergency disclosure request - child abduction", "A 7-year-old girl was abducted this afternoon. The suspect contacted the family from {email}. There is an imminent threat to the child's life; please help us obtain the subscriber data and IP logs without delay."),
        ("Suicide threat - immediate assistance needed", "A teenager posted a farewell message on {platform} ({handle}) and says he will end his life tonight. We need the registration data and the latest IP address of the account now."),
    ],
    "fr": [
        ("Enlèvement d'un mineur – demande urgente", "Une enfant de 9 ans a été enlevée ce matin. Le ravisseur communique par l'adresse {email}. Danger de mort imminent : nous vous prions de nous communiquer sans délai les données d'abonné et les adresses IP de connexion."),
        ("Menace d'attentat contre un lycée", "Une alerte à la bombe visant un lycée a été publiée depuis le compte {handle} sur {platform}. Nous sollicitons la communication en urgence des données d'identification du titulaire."),
    ],
    "de": [
        ("Suizidankündigung im Netz – Notfall", "ein Jugendlicher hat auf {platform} angekündigt, sich heute Nacht das Leben zu nehmen (Benutzername: {handle}). Es besteht Lebensgefahr. Wir ersuchen um sofortige Herausgabe der Bestandsdaten und der letzten IP-Adressen."),
        ("Bombendrohung gegen Bahnhof – Eilt", "über die Adresse {email} wurde eine Bombendrohung gegen einen Hauptbahnhof verschickt. Gefahr für Leib und Leben; bitte um sofortige Übermittlung der Bestandsdaten und Login-IPs."),
    ],
    "es": [
        ("Amenaza de bomba en un centro comercial", "Se ha recibido una amenaza de bomba contra un centro comercial desde la dirección {email}. Existe riesgo para la vida de las personas. Solicitamos con carácter inmediato los datos del titular de la cuenta y las IP de acceso."),
        ("Menor desaparecida – emergencia", "Una menor desaparecida desde ayer mantenía contacto con el perfil {handle} en {platform}. Existe peligro para la vida de la menor. Solicitamos los datos del titular y las últimas IP."),
    ],
    "it": [
        ("Sextortion con rischio suicidario", "un ragazzo di 15 anni, vittima di sextortion da parte del profilo {handle} su {platform}, ha scritto ai genitori di volersi togliere la vita. Chiediamo con urgenza la comunicazione dei dati dell'account e degli indirizzi IP utilizzati."),
        ("Sequestro di persona – richiesta urgentissima", "è in corso un sequestro di persona a scopo di estorsione; i rapitori scrivono da {email}. Pericolo di vita per l'ostaggio. Chiediamo i dati dell'intestatario e i log di accesso."),
    ],
    "pt": [
        ("Criança desaparecida – pedido de divulgação urgente", "uma criança desaparecida desde ontem terá sido aliciada através da conta {handle} na {platform}. Há perigo de vida. Solicitamos a divulgação imediata dos dados de assinante e dos endereços IP."),
    ],
    "pl": [
        ("Porwanie dziecka - zagrożenie życia", "porwano 12-letnią dziewczynkę; sprawca kontaktuje się z rodziną z adresu {email}. Zwracamy się z prośbą o pilne udostępnienie danych abonenta i adresów IP."),
        ("Groźba samobójcza – pilne", "nastolatek zapowiedział na {platform} ({handle}), że odbierze sobie życie. Zagrożenie życia. Prosimy o natychmiastowe dane abonenta i logi IP."),
    ],
    "nl": [
        ("Gijzeling - acuut levensgevaar", "er is een gijzeling gaande. De gijzelnemer gebruikt het account {handle} op {platform}. Wij verzoeken u met spoed om de abonneegegevens en IP-adressen."),
        ("Dreiging met schietpartij op school", "via {email} is gedreigd met een schietpartij op een middelbare school. Levensgevaar; wij vragen om directe verstrekking van de gebruikersgegevens."),
    ],
    "sv": [
        ("Självmordshot – brådskande", "en person har skrivit att hen tänker ta sitt liv i natt (kontot {handle} på {platform}). Det råder livsfara. Vi begär omedelbart utlämnande av abonnentuppgifter och IP-adresser."),
    ],
    "fi": [
        ("Hätätilanne: lapsi kadonnut", "kadonnut lapsi on viestinyt tilin {handle} kanssa palvelussa {platform}. Lapsi on hengenvaarassa. Pyydämme välittömästi tilaajatiedot ja IP-osoitteet."),
    ],
    "el": [
        ("Απαγωγή ανηλίκου - επείγον", "σημειώθηκε απαγωγή ανηλίκου. Ο δράστης επικοινωνεί από τον λογαριασμό {handle} στο {platform}. Υπάρχει κίνδυνος για τη ζωή του παιδιού. Ζητούμε άμεσα τα στοιχεία συνδρομητή και τις διευθύνσεις IP."),
    ],
    "cs": [
        ("Únos dítěte – naléhavé", "došlo k únosu dítěte; únosce komunikuje z účtu {email}. Jde o ohrožení života. Žádáme o okamžité poskytnutí údajů o účastníkovi a IP adres."),
    ],
    "hu": [
        ("Emberrablás - életveszély", "egy kiskorút elraboltak; az elkövető a(z) {email} címről ír. Életveszély áll fenn. Kérjük az előfizetői adatok és IP-címek azonnali kiadását."),
    ],
    "ro": [
        ("Amenințare cu bomba – urgență", "a fost transmisă o amenințare cu bomba la o școală de pe adresa {email}. Există pericol iminent pentru viața elevilor. Solicităm de urgență datele abonatului și adresele IP."),
    ],
    "tr": [
        ("ACİL - intihar tehdidi", "bir genç {platform} üzerinden intihar edeceğini duyurdu ({handle}), hayati tehlike söz konusudur. Hesabın abone bilgilerinin ve son IP adreslerinin acilen ifşa edilmesini talep ediyoruz."),
    ],
}

# Emergencies written by people outside the network: parents, schools, helplines.
STRANGER_EMERGENCIES: list[tuple[str, str, str, str]] = [
    ("en", "Maria Lopez <maria.lopez72@mail.example>", "My daughter is missing",
     "Hello,\n\nmy 13-year-old daughter has been missing since yesterday evening. She was chatting with someone called {handle} on {platform} who asked her to meet him. I am terrified she is in danger. Please help us find her.\n\nMaria Lopez"),
    ("en", "Head Teacher <office@northfield-school.example>", "Bomb threat received by our school",
     "Good morning,\n\nour school received a bomb threat by e-mail from {email} this morning, saying a device will explode at noon. The local police are on site but asked us to contact you because the sender may be abroad.\n\nJ. Parker, Head Teacher"),
    ("fr", "Parent d'élève <famille.bernard@mail.example>", "Mon fils menace de se suicider",
     "Bonjour,\n\nmon fils de 15 ans est victime de chantage sexuel (sextorsion) par le compte {handle} sur {platform} et il dit vouloir mettre fin à ses jours. Je ne sais plus quoi faire, aidez-nous.\n\nNathalie Bernard"),
    ("de", "Jugendamt Musterstadt <jugendamt@musterstadt.example>", "Dringend: Suizidankündigung einer Jugendlichen",
     "Guten Tag,\n\neine von uns betreute Jugendliche hat auf {platform} (Konto {handle}) angekündigt, sich heute das Leben zu nehmen. Sie ist nicht auffindbar. Bitte helfen Sie uns.\n\nJugendamt Musterstadt"),
    ("es", "Línea de Ayuda <ayuda@linea-infancia.example>", "Menor en peligro – riesgo de suicidio",
     "Buenas tardes:\n\nuna menor ha contactado con nuestra línea de ayuda anunciando que se quitará la vida esta noche. Escribía desde la cuenta {handle} en {platform}. Creemos que está en peligro inmediato.\n\nLínea de Ayuda a la Infancia"),
    ("it", "Marco Neri <marco.neri80@mail.example>", "Mio figlio è scomparso",
     "Buongiorno,\n\nmio figlio di 14 anni è scomparso da ieri sera; parlava con un adulto che usa il profilo {handle} su {platform}. Temiamo un rapimento. Vi prego, aiutateci.\n\nMarco Neri"),
    ("nl", "Schoolleiding <directie@de-brug-college.example>", "Dreiging schietpartij op school",
     "Geachte heer, mevrouw,\n\nvia het account {handle} op {platform} is vannacht gedreigd met een schietpartij op onze school. De politie is ingelicht, maar vroeg ons ook u te schrijven.\n\nDirectie De Brug College"),
    ("pt", "Linha SOS Criança <sos@linha-crianca.example>", "Criança em perigo – ameaça de suicídio",
     "Bom dia,\n\nrecebemos uma mensagem de uma criança que ameaça tirar a própria vida; usa a conta {handle} na {platform}. Consideramos que corre perigo de vida.\n\nLinha SOS Criança"),
]


# ----------------------------------------------------------------------------- strangers
# Authorities outside the directory: (language, From, signature, reference prefix).
OUTSIDERS: list[tuple[str, str, str, str]] = [
    ("es", "Brigada Investigadora del Cibercrimen <bricib@investigaciones.cl.example>",
     "Subcomisario Pablo Rojas\nBrigada Investigadora del Cibercrimen, PDI, Santiago de Chile", "BRICIB"),
    ("pt", "Polícia Federal - Cibercrime <cibercrime@pf.gov.br.example>",
     "Delegado Carlos Mendes\nPolícia Federal do Brasil, Brasília", "PF-CIBER"),
    ("en", "NC3 Operations <nc3.ops@rcmp-grc.gc.ca.example>",
     "Cpl. Emily Tremblay\nNational Cybercrime Coordination Centre, RCMP, Ottawa, Canada", "NC3"),
    ("en", "Cyber Crime Unit <ccu@saps.gov.za.example>",
     "Warrant Officer T. Nkosi\nSAPS Cyber Crime Unit, Pretoria, South Africa", "SAPS-CCU"),
    ("it", "Procura di Milano - pool reati informatici <reati.informatici@giustizia.it.example>",
     "Il Sostituto Procuratore\ndott.ssa Elena Conti\nProcura della Repubblica di Milano", "PM-MI"),
    ("de", "Daniel Fischer <d.fischer.privat@mailbox.example>",
     "KHK Daniel Fischer\nLandeskriminalamt Sachsen, Dezernat Cybercrime\n(von meiner privaten Adresse, das Dienstpostfach ist gestört)", "LKA-SN"),
    ("fr", "Parquet de Genève <cyber@justice.ge.ch.example>",
     "Le Procureur\nMinistère public de la République et canton de Genève", "PG-GE"),
    ("en", "Officer Jane Doe <jane.doe.ccu@gmail-like.example>",
     "Detective Constable Jane Doe\nMetropolitan Police Cyber Crime Unit, London", "MET-CCU"),
]

# Companies and people asking about an identifier without any authority: the parser need
# only say these read like a request. (language, From, subject, body)
ASKERS: list[tuple[str, str, str, str]] = [
    ("en", "Web Shop Support <support@tiny-shop.example>", "Fraudulent orders",
     "Hello,\n\nwe are a small web shop and received dozens of fraudulent orders from the address {email}. Could you check who is behind this address?\n\nThanks,\nTiny Shop"),
    ("en", "Fraud Prevention Team <fraud@northbank.example>", "Mule account - please help",
     "Dear Sir or Madam,\n\nour customers were defrauded by transfers to a person using {email} and the website {url}. Could you identify the person behind the website? We have already filed a complaint.\n\nNorthbank Fraud Prevention"),
    ("de", "IT-Leitung <it@stadtwerke-beispiel.example>", "Angriffe von einer IP-Adresse",
     "Guten Tag,\n\nunsere Server werden seit Tagen von der IP-Adresse {ip} angegriffen. Können Sie bitte feststellen, wer dahintersteckt?\n\nIT-Leitung Stadtwerke"),
    ("fr", "Service abuse <abuse@hebergeur-exemple.example>", "Site de phishing hébergé chez nous ?",
     "Bonjour,\n\nun client nous signale que le domaine {domain} imite une banque. Pourriez-vous vérifier s'il s'agit bien d'un site frauduleux ?\n\nLe service abuse"),
    ("es", "Soporte Tienda Online <soporte@tienda-online.example>", "Pedidos fraudulentos",
     "Hola:\n\nhemos recibido pedidos fraudulentos desde la cuenta {email}. ¿Podrían identificar al titular de la cuenta?\n\nTienda Online"),
]

# Mail from outside that asks the desk for nothing it can act on. (language, what, From, subject, body)
OTHERS: list[tuple[str, str, str, str, str]] = [
    ("en", "victim", "John Miller <jmiller1961@mail.example>", "I was scammed",
     "Hello,\n\nI was scammed by an online seller who never sent the laptop I paid for. I lost 900 euros and the local police did not help me. What can I do? I want my money back.\n\nJohn Miller"),
    ("en", "victim", "Grace Lee <grace.lee@mail.example>", "Hacked account",
     "Hi,\n\nmy Instagram account was hacked last week and the hacker now posts ads for fake watches. I feel helpless. I only want my photos back.\n\nGrace"),
    ("fr", "victim", "Paul Renaud <p.renaud@mail.example>", "Arnaque sur un site de vente",
     "Bonjour,\n\nj'ai été victime d'une arnaque : j'ai payé un vélo sur un site d'annonces et je n'ai jamais rien reçu. Le vendeur ne répond plus. Je suis désespéré, que dois-je faire ?\n\nPaul Renaud"),
    ("de", "victim", "Heinz Maier <heinz.maier@mail.example>", "Betrug beim Online-Kauf",
     "Sehr geehrte Damen und Herren,\n\nich wurde beim Kauf eines Autos im Internet betrogen. Der Verkäufer hat das Geld genommen und ist verschwunden. Können Sie mir sagen, an wen ich mich wenden soll?\n\nHeinz Maier"),
    ("es", "victim", "Ana Torres <ana.torres@mail.example>", "Estafa por internet",
     "Hola,\n\nhe sido víctima de una estafa en una web de alquiler de pisos. Pagué la fianza y el piso no existía. ¿Qué puedo hacer?\n\nAna Torres"),
    ("it", "victim", "Roberto Gallo <r.gallo@mail.example>", "Truffa online",
     "Buongiorno,\n\nsono stato vittima di una truffa: ho pagato un telefono mai arrivato. Il venditore si faceva chiamare {handle}. Vorrei solo riavere i miei soldi.\n\nRoberto Gallo"),
    ("pl", "victim", "Ewa Mazur <ewa.mazur@mail.example>", "Oszustwo internetowe",
     "Dzień dobry,\n\nzostałam oszukana przy zakupie biletów na koncert przez internet. Straciłam 300 zł. Nie wiem, co robić.\n\nEwa Mazur"),
    ("nl", "victim", "Joost Peters <joost.peters@mail.example>", "Opgelicht via marktplaats",
     "Hallo,\n\nik ben opgelicht bij de verkoop van mijn fiets: de koper stuurde een valse betaallink. Wat kan ik nog doen?\n\nJoost"),
    ("pt", "victim", "Rita Lopes <rita.lopes@mail.example>", "Burla online",
     "Olá,\n\nfui vítima de uma burla numa loja online que nunca entregou a encomenda. Gostaria de saber o que posso fazer.\n\nRita Lopes"),
    ("en", "law_firm", "Harper & Cole LLP <litigation@harpercole.example>", "Our client Acme Ltd - data breach",
     "Dear Sirs,\n\nWe act for our client Acme Ltd in civil proceedings following a data breach. We would be grateful if you could let us know whether a criminal complaint has been registered and which authority is handling it.\n\nYours faithfully,\nHarper & Cole LLP"),
    ("de", "law_firm", "Kanzlei Weber & Partner <info@kanzlei-weber.example>", "Mandantin Muster GmbH",
     "Sehr geehrte Damen und Herren,\n\nwir vertreten die Muster GmbH. Unsere Mandantin wurde Opfer eines Betrugs. Bitte teilen Sie uns mit, ob bei Ihnen ein Verfahren anhängig ist.\n\nMit freundlichen Grüßen\nRechtsanwältin Dr. S. Weber"),
    ("fr", "law_firm", "Cabinet Durand Avocats <contact@durand-avocats.example>", "Notre client M. Petit",
     "Madame, Monsieur,\n\nnous intervenons pour notre client, M. Petit, victime d'une escroquerie. Pourriez-vous nous indiquer l'état de la procédure ?\n\nMaître Durand"),
    ("en", "journalist", "Sophie Turner <s.turner@dailytimes.example>", "Press inquiry: cross-border cybercrime cooperation",
     "Dear press office,\n\nI am a journalist at the Daily Times preparing an article on how police forces cooperate against cybercrime. Could you tell me how many requests your 24/7 point of contact received this year?\n\nBest,\nSophie Turner"),
    ("fr", "journalist", "Léa Fontaine <lea.fontaine@journal-quotidien.example>", "Demande d'interview",
     "Bonjour,\n\nje suis journaliste au Journal Quotidien et je prépare un article sur la coopération policière contre la cybercriminalité. Seriez-vous disponible pour un entretien ?\n\nLéa Fontaine"),
    ("de", "journalist", "Markus Brandt <m.brandt@tageszeitung.example>", "Anfrage für einen Artikel",
     "Guten Tag,\n\nich bin Journalist bei der Tageszeitung und schreibe an einem Beitrag über Cybercrime. Für einen Artikel würde ich gern wissen, wie viele Ersuchen Ihre Stelle jährlich erhält.\n\nMarkus Brandt"),
    ("es", "journalist", "Diego Marín <dmarin@diario-nacional.example>", "Consulta de prensa",
     "Hola,\n\nsoy periodista del Diario Nacional y preparo un reportaje sobre ciberdelincuencia. ¿Podrían responder a unas preguntas para un artículo?\n\nDiego Marín"),
    ("en", "vendor", "Mark Sales <mark@forensic-suite.example>", "Faster investigations for your cyber unit",
     "Hi team,\n\nOur platform helps law enforcement agencies analyse seized devices 5x faster. Could you tell me who is responsible for procurement in your unit? Book a demo this week and get a free trial.\n\nMark\nForensic Suite Ltd."),
    ("de", "vendor", "Lisa Vertrieb <vertrieb@osint-tools.example>", "OSINT-Software für Ihre Ermittler",
     "Hallo,\n\nunsere Lösung unterstützt Polizeibehörden bei der Auswertung offener Quellen. Gerne stellen wir sie in einer Demo vor - Sonderangebot bis Jahresende.\n\nLisa"),
    ("en", "newsletter", "Anna Keller <anna.keller@cyberwatch-news.example>", "Cyber Watch monthly: new emergency procedures",
     "Hello all,\n\nIn this issue: the 24/7 network publishes new emergency procedures for threats to life, a review of the Budapest Convention's second protocol, and our column on suicide prevention online.\n\nRead more on our website. To unsubscribe, reply with STOP.\n\nAnna Keller, editor"),
    ("fr", "newsletter", "Veille Cyber <redaction@veille-cyber.example>", "La lettre de la veille cyber – novembre",
     "Bonjour,\n\nau sommaire de cette newsletter : les nouvelles règles de conservation des données, un retour sur l'enlèvement numérique et les demandes d'urgence. Pour vous désabonner, répondez STOP.\n\nLa rédaction"),
    ("en", "invitation", "T-CY Secretariat <tcy.training@coe.int.example>", "Invitation: training on emergency disclosure procedures",
     "Dear 24/7 contact points,\n\nWe are pleased to invite you to a two-day training on emergency disclosure procedures under the Budapest Convention (child abduction, suicide threats, bomb threats), Strasbourg, 10-11 February. Please let us know whether your unit will attend.\n\nT-CY Secretariat"),
    ("fr", "invitation", "Académie européenne de police <formation@cepol.example>", "Invitation : séminaire sur la preuve électronique",
     "Madame, Monsieur,\n\nnous avons le plaisir de vous inviter au séminaire sur la conservation de la preuve électronique, les 3 et 4 mars. Inscription avant le 15 janvier.\n\nL'équipe formation"),
    ("de", "invitation", "Cybercrime-Konferenz <anmeldung@cyber-konferenz.example>", "Einladung zur Cybercrime-Konferenz",
     "Sehr geehrte Damen und Herren,\n\nwir laden Sie herzlich zu unserer Konferenz über Ransomware und Notfallmaßnahmen ein. Die Anmeldung ist bis Ende Januar möglich.\n\nDas Organisationsteam"),
    ("en", "phishing", "Mail Administrator <admin@mailbox-quota.example>", "Your mailbox is almost full",
     "Dear user,\n\nyour mailbox has exceeded its storage limit. To avoid losing incoming messages, log in at {url} within 24 hours.\n\nMail Administrator"),
    ("en", "student", "Laura Smith <l.smith@student.uni.example>", "Question for my thesis",
     "Dear Sir or Madam,\n\nI am a student writing my master's thesis on the Budapest Convention. Could you tell me how many preservation requests your contact point receives per year, and how long they take?\n\nThank you,\nLaura Smith"),
    ("en", "report", "Peter Novak <peter.novak@mail.example>", "Fake online shop",
     "Hello,\n\nI want to report a fake online shop at {url}. They took my money and never delivered anything. Many other people have been cheated too.\n\nPeter"),
    ("de", "report", "Sabine Roth <s.roth@mail.example>", "Meldung einer Betrugsseite",
     "Hallo,\n\nich möchte die Seite {url} melden. Dort werden gefälschte Markenschuhe verkauft, ich habe bezahlt und nichts bekommen.\n\nSabine Roth"),
    ("en", "complaint", "Frank Miller <frank.m@mail.example>", "Complaint about the police",
     "To whom it may concern,\n\nI want to complain about the way the police handled my report last month. Nobody called me back and my case seems forgotten.\n\nFrank Miller"),
    ("en", "spam", "Lottery Board <winner@lucky-draw.example>", "Congratulations, you have won!",
     "Dear winner,\n\nyour e-mail address was selected in our international draw. To claim your prize of 1,000,000 EUR send your bank details to {email}.\n\nThe Lottery Board"),
    ("en", "call_for_papers", "Conference Chair <cfp@cyberlaw-conf.example>", "Call for papers: Cyberlaw 2027",
     "Dear colleagues,\n\nwe invite submissions on electronic evidence, data retention and cross-border cooperation. Deadline for abstracts: 15 January. Registration is open on our website.\n\nThe Programme Committee"),
    ("en", "other", "Tom Hughes <tom.hughes@mail.example>", "Job application - analyst position",
     "Dear Sir or Madam,\n\nI would like to apply for the analyst position advertised on your website. Please find my CV attached.\n\nTom Hughes"),
]

# Partners' mail that asks for nothing. (language, subject, body)
PARTNER_OTHERS: list[tuple[str, str, str]] = [
    ("en", "Invitation: 24/7 network meeting in Vienna", "We are pleased to invite you to the annual meeting of the 24/7 network on 12 March. The agenda will follow."),
    ("fr", "Nouvelle adresse de la permanence à compter du 1er janvier", "Veuillez noter qu'à compter du 1er janvier notre permanence utilisera une nouvelle adresse ; l'ancienne restera active jusqu'à fin février."),
    ("de", "Frohe Feiertage", "wir wünschen Ihnen und Ihrem Team frohe Feiertage und ein gutes neues Jahr."),
    ("es", "Cambio de turno en Navidad", "Les informamos de que durante las fiestas la unidad mantendrá el servicio habitual."),
]


# ----------------------------------------------------------------------------- robots

OOO: dict[str, tuple[str, str]] = {  # subject prefix, body with {date}
    "en": ("Automatic reply: ", "I am out of the office until {date} with limited access to e-mail. For urgent matters please contact the duty desk."),
    "fr": ("Réponse automatique : ", "Je suis absent du bureau jusqu'au {date}. Pour toute urgence, merci de contacter la permanence."),
    "de": ("Automatische Antwort: ", "Ich bin bis {date} nicht im Büro. In dringenden Fällen wenden Sie sich bitte an den Lagedienst."),
    "es": ("Respuesta automática: ", "Estaré ausente hasta el {date}. Para asuntos urgentes, contacte con la guardia."),
    "it": ("Risposta automatica: ", "Sarò assente fino al {date}. Per urgenze contattare la sala operativa."),
    "pl": ("Automatyczna odpowiedź: ", "Jestem nieobecny do {date}. W pilnych sprawach proszę kontaktować się z dyżurnym."),
    "pt": ("Resposta automática: ", "Estarei ausente até {date}. Para assuntos urgentes contacte o piquete."),
    "nl": ("Automatisch antwoord: ", "Ik ben afwezig tot {date}. Voor spoedeisende zaken kunt u de piketdienst bellen."),
    "sv": ("Automatiskt svar: ", "Jag är ledig till {date}. Vid brådskande ärenden, kontakta vakthavande."),
}
# Out-of-office notices without any header or subject prefix: only the body says it.
OOO_BARE: dict[str, tuple[str, str]] = {
    "en": ("Away: ", "Thank you for your message. I am currently away and will reply on my return on {date}."),
    "fr": ("Absence – ", "Bonjour, je suis absente du bureau jusqu'au {date} inclus. Votre message sera traité à mon retour."),
    "de": ("Abwesend: ", "Vielen Dank für Ihre Nachricht. Ich bin bis {date} nicht erreichbar."),
    "it": ("Fuori sede: ", "Sono fuori ufficio fino al {date} con accesso limitato alla posta."),
}


def our_ack_subject(tag: str, ref: str | None) -> str:
    return f"[{tag}] Acknowledgement of your request" + (f" {ref}" if ref else "")


def our_ack_text(tag: str, ref: str | None) -> str:
    return (f"We received your request{(' ' + ref) if ref else ''} and opened case {tag}.\n"
            "We will confirm when its execution starts. Please keep the case tag in the subject\n"
            "of any follow-up.\n\nNational Cybercrime Centre - 24/7 Point of Contact")


# ----------------------------------------------------------------------------- replies in a thread

STATUS: dict[str, tuple[str, ...]] = {
    "en": ("The MLA request was sent today through our central authority.", "For your information, the suspect was identified; we will let you know if more data is needed."),
    "fr": ("La demande d'entraide a été signée par le magistrat ce matin.", "Pour information, l'enquête suit son cours ; nous revenons vers vous si besoin."),
    "de": ("Das Rechtshilfeersuchen wurde heute über das Bundesamt für Justiz übermittelt.", "Zur Information: der Tatverdächtige wurde ermittelt."),
    "es": ("La comisión rogatoria ha sido remitida hoy por el Ministerio de Justicia.", "Para su información, el sospechoso ha sido identificado."),
    "it": ("La rogatoria è stata trasmessa oggi dal Ministero della Giustizia.", "Per conoscenza: l'indagato è stato identificato."),
    "pl": ("Wniosek o pomoc prawną został dziś przesłany przez Ministerstwo Sprawiedliwości.", "Informujemy, że sprawca został ustalony."),
    "pt": ("O pedido de auxílio judiciário foi hoje enviado pela autoridade central.", "Para vossa informação, o suspeito foi identificado."),
    "nl": ("Het rechtshulpverzoek is vandaag verzonden via het ministerie.", "Ter informatie: de verdachte is geïdentificeerd."),
}
QUESTIONS: dict[str, str] = {
    "en": "Could you let us know whether the provider has already preserved the data?",
    "fr": "Pourriez-vous nous dire si le fournisseur a déjà conservé les données ?",
    "de": "Können Sie uns mitteilen, ob der Provider die Daten bereits gesichert hat?",
    "es": "¿Podrían indicarnos si el proveedor ya ha conservado los datos?",
    "it": "Potreste farci sapere se il fornitore ha già conservato i dati?",
    "pl": "Czy mogliby Państwo poinformować, czy dostawca zabezpieczył już dane?",
    "pt": "Poderiam informar-nos se o fornecedor já preservou os dados?",
    "nl": "Kunt u ons laten weten of de provider de gegevens al heeft bewaard?",
}
# (subject, body): a correction of the time or the zone given for an identifier.
CORRECTIONS: dict[str, tuple[str, str]] = {
    "en": ("Correction of the time zone", "please note a correction to our request {ref}: the time given for {ip} is {when}, not one hour earlier. Please preserve the data accordingly."),
    "fr": ("Rectificatif : heure de connexion", "une erreur s'est glissée dans notre demande {ref} : l'heure de connexion de l'adresse {ip} est {when}. Merci d'en tenir compte."),
    "de": ("Nachtrag: Korrektur Uhrzeit", "in unserem Ersuchen {ref} ist uns bei der Uhrzeit ein Fehler unterlaufen: richtig ist {when} für die IP-Adresse {ip}. Wir bitten, dies bei der Sicherung zu berücksichtigen."),
    "es": ("Corrección de la hora", "en nuestra solicitud {ref} la hora correcta para la IP {ip} es {when}. Les rogamos que lo tengan en cuenta."),
    "it": ("Rettifica orario", "nella nostra richiesta {ref} l'orario corretto per l'indirizzo {ip} è {when}. Vi preghiamo di tenerne conto."),
    "pl": ("Korekta godziny", "w naszym wniosku {ref} podano błędną godzinę; prawidłowa dla adresu {ip} to {when}. Prosimy o uwzględnienie."),
    "pt": ("Correção da hora", "no nosso pedido {ref} a hora correta para o IP {ip} é {when}. Solicitamos que tenham em conta esta correção."),
    "nl": ("Correctie tijdstip", "in ons verzoek {ref} is het tijdstip voor {ip} onjuist; het juiste tijdstip is {when}. Wij verzoeken u dit te verwerken."),
}
# (subject, body): one more identifier for the same request.
ADDENDA: dict[str, tuple[str, str]] = {
    "en": ("Additional IP address for our request {ref}", "we kindly request that you also preserve the data of IP address {ip}, used on {when}, which belongs to the same suspect."),
    "fr": ("Complément d'information", "en complément de notre demande {ref}, nous vous prions de conserver également les données relatives à l'adresse IP {ip}, utilisée le {when}."),
    "de": ("Nachtrag: weitere IP-Adresse", "ergänzend zu unserem Ersuchen {ref} bitten wir, auch die Daten zur IP-Adresse {ip} ({when}) zu sichern."),
    "es": ("Información adicional a nuestra solicitud", "como información adicional a nuestra solicitud {ref}, les rogamos conservar también los datos de la IP {ip} ({when})."),
    "it": ("Integrazione alla richiesta {ref}", "ad integrazione della nostra richiesta {ref}, chiediamo di conservare anche i dati dell'indirizzo IP {ip} ({when})."),
    "pl": ("Uzupełnienie wniosku {ref}", "w uzupełnieniu naszego wniosku {ref} prosimy o zabezpieczenie także danych adresu IP {ip} ({when})."),
    "pt": ("Aditamento ao pedido {ref}", "em aditamento ao nosso pedido {ref}, solicitamos a preservação também dos dados do IP {ip} ({when})."),
    "nl": ("Aanvulling op ons verzoek {ref}", "als aanvulling op ons verzoek {ref} verzoeken wij u ook de gegevens van IP-adres {ip} ({when}) te bewaren."),
}
EXTENSIONS_IN_THREAD: dict[str, str] = {
    "en": "the MLA request is still pending, so we request the extension of the preservation for a further 90 days.",
    "fr": "la demande d'entraide étant toujours en cours, nous sollicitons la prolongation de la conservation pour 90 jours.",
    "de": "da das Rechtshilfeersuchen noch nicht erledigt ist, ersuchen wir um Verlängerung der Sicherung um 90 Tage.",
    "es": "dado que la comisión rogatoria sigue en trámite, solicitamos la prórroga de la conservación por 90 días más.",
    "it": "poiché la rogatoria è ancora pendente, chiediamo la proroga della conservazione per altri 90 giorni.",
    "pl": "ponieważ wniosek o pomoc prawną jest nadal rozpatrywany, zwracamy się o przedłużenie zabezpieczenia o 90 dni.",
    "pt": "como o pedido de auxílio ainda está pendente, solicitamos a prorrogação da preservação por mais 90 dias.",
    "nl": "omdat het rechtshulpverzoek nog loopt, verzoeken wij om verlenging van de bewaring met 90 dagen.",
}
NEW_IN_THREAD: dict[str, str] = {
    "en": "in a related investigation we now also request the preservation (art. 29) of the mailbox {email} held by {provider}, used on {when}.",
    "fr": "dans une enquête connexe, nous demandons également la conservation (art. 29) de la boîte {email} détenue par {provider}, utilisée le {when}.",
    "de": "in einem weiteren Verfahren ersuchen wir zusätzlich um Sicherung (Art. 29) des Postfachs {email} bei {provider}, genutzt am {when}.",
    "es": "en una investigación relacionada solicitamos además la conservación (art. 29) del buzón {email} de {provider}, utilizado el {when}.",
    "it": "in un'indagine collegata chiediamo inoltre la conservazione (art. 29) della casella {email} presso {provider}, utilizzata il {when}.",
    "pl": "w powiązanej sprawie zwracamy się także o zabezpieczenie (art. 29) skrzynki {email} u {provider}, używanej {when}.",
    "pt": "numa investigação conexa solicitamos ainda a preservação (art. 29.º) da caixa {email} da {provider}, utilizada em {when}.",
    "nl": "in een verwant onderzoek verzoeken wij daarnaast om bewaring (art. 29) van de mailbox {email} bij {provider}, gebruikt op {when}.",
}
REPLY_PREFIX = {"en": "RE: ", "fr": "RE : ", "de": "AW: ", "es": "RE: ", "it": "R: ", "pl": "Odp: ",
                "pt": "RE: ", "nl": "Antw: "}
WROTE = {"en": "On {d}, National Cybercrime Centre <{us}> wrote:", "fr": "Le {d}, National Cybercrime Centre <{us}> a écrit :",
         "de": "Am {d} schrieb National Cybercrime Centre <{us}>:", "es": "El {d}, National Cybercrime Centre <{us}> escribió:",
         "it": "Il giorno {d} National Cybercrime Centre <{us}> ha scritto:", "pl": "W dniu {d} National Cybercrime Centre <{us}> napisał(a):",
         "pt": "Em {d}, National Cybercrime Centre <{us}> escreveu:", "nl": "Op {d} schreef National Cybercrime Centre <{us}>:"}


# ----------------------------------------------------------------------------- building

@dataclass(frozen=True)
class Partner:
    """A directory contact point, as the mailbox writes from it."""

    country: str
    address: str
    authority: str
    phone: str
    languages: tuple[str, ...]


def partners() -> list[Partner]:
    import tomllib

    data = tomllib.loads(DIRECTORY.read_text(encoding="utf-8"))
    return [Partner(cp["country"], cp["emails"][0], cp["authority"], cp["office_phone"],
                    tuple(cp["languages"])) for cp in data["contact_points"]]


@dataclass
class _Spec:
    """One planned message before arrival order gives it an index."""

    date: datetime
    outcome: str
    build: Callable[[str | None, str | None], bytes]
    sender: str
    language: str
    shape: str
    mid: str
    kind: str | None = None
    request_type: str | None = None
    urgent: bool | None = None
    topic: str | None = None
    is_list: bool = False
    answers: _Spec | None = None
    ack: str | None = None
    tag: str | None = None
    ref: str | None = None
    subject: str = ""
    partner: Partner | None = None


class _Mailbox:
    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.rnd = random.Random(seed)
        self.ids = Ids(self.rnd)
        self.partners = partners()
        self.clock = START
        self.specs: list[_Spec] = []
        self.count = 0

    # -- small helpers
    def tick(self) -> datetime:
        self.clock += timedelta(minutes=self.rnd.randint(4, 75))
        return self.clock

    def mid(self, domain: str) -> str:
        self.count += 1
        h = hashlib.sha1(f"{self.seed}:{self.count}".encode()).hexdigest()
        return f"{h[:12]}.{self.count}@{domain}"

    def placeholders(self) -> tuple[str, str]:
        h = hashlib.sha1(f"ack:{self.seed}:{self.count}".encode()).hexdigest()[:16]
        return f"wk.{h}@ncc.gov.example", f"WK-2026-9{self.count:04d}"

    def partner_for(self, lang: str) -> Partner:
        own = [p for p in self.partners if p.languages[0] == lang]
        if lang == "nl":
            own += [p for p in self.partners if p.country == "BE"]
        if lang == "en" and self.rnd.random() < 0.6:
            own = list(self.partners)  # any partner may write in English
        return self.rnd.choice(own or self.partners)

    def shape(self, lang: str, allow_attached: bool = True) -> Shape:
        legacy = LANGS[lang].legacy
        roll = self.rnd.random()
        table = [(0.30, Shape()), (0.45, Shape(cte="quoted-printable")),
                 (0.55, Shape(cte="base64")), (0.65, Shape(cte="quoted-printable", charset=legacy)),
                 (0.75, Shape("html", "quoted-printable")), (0.88, Shape("alternative", "quoted-printable")),
                 (0.93, Shape("forward")), (0.97, Shape("rfc822")), (1.01, Shape("pdf", "8bit"))]
        for limit, shape in table:
            if roll < limit:
                if shape.structure in ("forward", "rfc822", "pdf") and not allow_attached:
                    return Shape(cte="quoted-printable")
                if shape.structure == "pdf" and lang not in ("en", "fr", "de", "es", "it", "pt", "nl"):
                    return Shape()
                return shape
        return Shape()

    def signature(self, lang: str, unit: str, phone: str) -> str:
        L = LANGS[lang]
        name = self.rnd.choice(L.names)
        style = self.rnd.random()
        if style < 0.5:
            return f"{self.rnd.choice(L.ranks)} {name}\n{unit}\nTel. {phone}"
        if style < 0.8:
            return f"{name}\n{unit}"
        return f"{self.rnd.choice(L.ranks)} {name}"

    def ident_lines(self, lang: str, base: datetime, n: int) -> tuple[str, str, dict[str, str]]:
        """A list of `n` identifiers, the first alone, and single values for the templates."""
        L = LANGS[lang]
        ip, when = self.ids.ipv4(), fmt_when(lang, self.ids.when(base))
        email, handle = self.ids.email(), self.ids.handle()
        url, domain = self.ids.url(), self.ids.domain()
        platform = self.rnd.choice(PLATFORMS)
        account = L.account.format(handle="@" + handle if self.rnd.random() < 0.5 else handle,
                                   platform=platform)
        pool = [f"{L.ip} {ip} ({when})", f"{L.email} {email}", account, f"{L.url} {url}",
                f"{L.domain} {domain}", f"{L.ip} {self.ids.ipv6()} ({when})"]
        first = self.rnd.choice(pool[:3])
        others = [p for p in pool if p != first]
        self.rnd.shuffle(others)
        chosen = [first, *others[: n - 1]]
        values = {"ip": ip, "when": when, "email": email, "handle": "@" + handle, "url": url,
                  "domain": domain, "platform": platform}
        return "\n".join(f"- {c}" for c in chosen), first, values

    def letter(self, lang: str, body: str, signature: str, urgent_line: str = "") -> str:
        L = LANGS[lang]
        parts = [self.rnd.choice(L.greetings), body.strip()]
        if urgent_line:
            parts.append(urgent_line)
        roll = self.rnd.random()
        closing = "" if roll < 0.12 else self.rnd.choice(L.closings) + "\n"  # some just sign
        text = "\n\n".join(parts) + "\n\n" + closing + signature + "\n"
        if roll > 0.8:
            text += "\n" + DISCLAIMERS.get(lang, DISCLAIMERS["en"]) + "\n"
        return text

    def wrap(self, frm: str, to_addr: str, subject: str, date: datetime, mid: str, text: str,
             shape: Shape, lang: str, headers: Sequence[tuple[str, str]] = ()) -> tuple[bytes, str]:
        """The message carrying `text`, in `shape`; forwards and attachments are built here."""
        sender_domain = frm.rpartition("@")[2].rstrip(">")
        if shape.structure in ("forward", "rfc822", "pdf"):
            cc = sender_domain.split(".")[-2] if sender_domain.count(".") >= 2 else "xx"
            regional = f"Regional Cyber Unit <cyber.unit@region.{cc}.example>"
            if shape.structure == "pdf":
                note = {"en": "Please find attached our request.", "fr": "Veuillez trouver ci-joint notre demande.",
                        "de": "anbei unser Ersuchen.", "es": "Adjuntamos nuestra solicitud.",
                        "it": "in allegato la nostra richiesta.", "pt": "Segue em anexo o nosso pedido.",
                        "nl": "Bijgaand ons verzoek."}[lang]
                raw = message(frm, subject, date, mid, note + "\n", Shape(), headers=headers, to=to_addr,
                              attachment=("application/pdf", "request.pdf", pdf(subject + "\n\n" + text)))
                return raw, "pdf"
            inner_mid = self.mid(f"region.{cc}.example")
            if shape.structure == "rfc822":
                inner = message(regional, subject, date - timedelta(minutes=30), inner_mid, text, Shape(),
                                to=frm)
                note = "FYI - please handle the attached request from our regional unit.\n"
                raw = message(frm, "Fwd: " + subject, date, mid, note, Shape(), headers=headers, to=to_addr,
                              attachment=("message/rfc822", "request.eml", inner))
                return raw, "rfc822"
            fwd = (f"Please handle the request below from our regional unit.\n\n"
                   f"---------- Forwarded message ---------\nFrom: {regional}\n"
                   f"Date: {format_datetime(date - timedelta(hours=1))}\nSubject: {subject}\n"
                   f"To: {frm}\n\n{text}")
            return message(frm, "Fwd: " + subject, date, mid, fwd, Shape(), headers=headers,
                           to=to_addr), "forward"
        label = shape.structure if shape.structure != "plain" else (
            shape.cte if shape.charset == "utf-8" else f"{shape.charset}-{shape.cte}")
        return message(frm, subject, date, mid, text, shape, headers=headers, to=to_addr), label

    def add(self, spec: _Spec) -> _Spec:
        self.specs.append(spec)
        return spec

    # -- partners' requests
    def partner_request(self, topic: str, lang: str, urgent: bool) -> _Spec:
        p = self.partner_for(lang)
        return self._request(p.address, p.authority, p.phone, p, topic, lang, urgent,
                             "partner_request")

    def _request(self, frm_addr: str, unit: str, phone: str, p: Partner | None, topic: str,
                 lang: str, urgent: bool, outcome: str, display: str | None = None,
                 signature: str | None = None, ref_prefix: str | None = None) -> _Spec:
        date = self.tick()
        L = LANGS[lang]
        ids, ident, values = self.ident_lines(lang, date, self.rnd.randint(1, 3))
        ref = self.ids.ref(ref_prefix or (p.country if p else "REF") + "-" + self.rnd.choice(("CY", "CC", "PR", "IT")))
        earlier = self._earlier(p) if topic in ("mla_notice", "extension") else None
        prev = earlier.ref if earlier is not None and earlier.ref else self.ids.ref((p.country if p else "X") + "-PR")
        tag = earlier.tag if earlier is not None and earlier.tag else f"WK-2026-{self.rnd.randint(10, 800):05d}"
        if topic == "emergency":
            subject, body = self.rnd.choice(EMERGENCIES[lang])
        else:
            subject, body = self.rnd.choice(REQUESTS[topic][lang])
        fields = dict(values, ids=ids, ident=ident, provider=self.rnd.choice(PROVIDERS), ref=ref,
                      prev=prev, tag=tag, offence=self.rnd.choice(L.offences),
                      reflabel=self.rnd.choice(L.ref_labels))
        subject, body = subject.format(**fields), body.format(**fields)
        is_urgent = urgent and topic in MAY_BE_URGENT
        if is_urgent:
            subject = URGENT_SUBJECT[lang] + subject if self.rnd.random() < 0.6 else subject
        text = self.letter(lang, body, signature or self.signature(lang, unit, phone),
                           URGENT_LINE[lang] if is_urgent else "")
        display = display or unit
        frm = f'"{display}" <{frm_addr}>' if self.rnd.random() < 0.7 else frm_addr
        domain = frm_addr.rpartition("@")[2]
        mid = self.mid(domain)
        shape = self.shape(lang)
        headers = [("X-Priority", "1")] if is_urgent and self.rnd.random() < 0.5 else []
        raw, label = self.wrap(frm, US, subject, date, mid, text, shape, lang, headers)
        ack, case_tag = self.placeholders()
        # An MLA notice about an earlier preservation of the partner's is news of that case.
        about = earlier if topic == "mla_notice" else None
        return self.add(_Spec(date, outcome, lambda a, t, raw=raw: raw, frm_addr, lang,
                              f"{topic}/{lang}/{label}", mid, "request", TOPIC_TYPES[topic],
                              is_urgent or topic == "emergency", topic, ack=ack, tag=case_tag,
                              ref=ref, subject=subject, partner=p, answers=about))

    def _earlier(self, p: Partner | None) -> _Spec | None:
        """An earlier preservation request of the same partner, if it sent one."""
        if p is None:
            return None
        mine = [s for s in self.specs if s.partner == p and s.topic == "preservation"
                and s.outcome == "partner_request"]
        return self.rnd.choice(mine) if mine else None

    # -- strangers
    def outsider_request(self, n: int) -> _Spec:
        lang, frm, signature, prefix = OUTSIDERS[n % len(OUTSIDERS)]
        topic = ("preservation", "stored_data", "attribution", "traffic_disclosure")[n % 4]
        if lang not in REQUESTS[topic]:
            topic = "preservation"
        display, _, addr = frm.partition(" <")
        return self._request(addr.rstrip(">"), display, "", None, topic, lang, False,
                             "stranger_request", display=display, signature=signature,
                             ref_prefix=prefix)

    def stranger_emergency(self, n: int) -> _Spec:
        lang, frm, subject, body = STRANGER_EMERGENCIES[n % len(STRANGER_EMERGENCIES)]
        date = self.tick()
        _, _, values = self.ident_lines(lang, date, 1)
        text = body.format(**values) + "\n"
        addr = frm.rpartition("<")[2].rstrip(">")
        mid = self.mid(addr.rpartition("@")[2])
        raw, label = self.wrap(frm, US, subject, date, mid, text, self.shape(lang, False), lang)
        ack, tag = self.placeholders()
        return self.add(_Spec(date, "stranger_request", lambda a, t, raw=raw: raw, addr, lang,
                              f"emergency/{lang}/{label}/stranger", mid, "request",
                              "emergency_disclosure", True, "emergency", ack=ack, tag=tag,
                              subject=subject))

    def asker(self, n: int) -> _Spec:
        lang, frm, subject, body = ASKERS[n % len(ASKERS)]
        date = self.tick()
        _, _, values = self.ident_lines(lang, date, 1)
        addr = frm.rpartition("<")[2].rstrip(">")
        mid = self.mid(addr.rpartition("@")[2])
        raw, label = self.wrap(frm, US, subject, date, mid, body.format(**values) + "\n",
                               self.shape(lang, False), lang)
        ack, tag = self.placeholders()
        return self.add(_Spec(date, "stranger_request", lambda a, t, raw=raw: raw, addr, lang,
                              f"asks/{lang}/{label}", mid, None, ack=ack, tag=tag, subject=subject))

    def stranger_other(self, n: int) -> _Spec:
        lang, what, frm, subject, body = OTHERS[n % len(OTHERS)]
        date = self.tick()
        _, _, values = self.ident_lines(lang, date, 1)
        addr = frm.rpartition("<")[2].rstrip(">")
        mid = self.mid(addr.rpartition("@")[2])
        raw, label = self.wrap(frm, US, subject, date, mid, body.format(**values) + "\n",
                               self.shape(lang, False), lang)
        return self.add(_Spec(date, "stranger_other", lambda a, t, raw=raw: raw, addr, lang,
                              f"{what}/{lang}/{label}", mid, "other"))

    def partner_other(self, n: int) -> _Spec:
        lang, subject, body = PARTNER_OTHERS[n % len(PARTNER_OTHERS)]
        p = self.partner_for(lang)
        date = self.tick()
        text = self.letter(lang, body, self.signature(lang, p.authority, p.phone))
        mid = self.mid(p.address.rpartition("@")[2])
        raw, label = self.wrap(p.address, US, subject, date, mid, text, self.shape(lang, False), lang)
        return self.add(_Spec(date, "partner_other", lambda a, t, raw=raw: raw, p.address, lang,
                              f"notice/{lang}/{label}", mid, "other", partner=p))

    # -- robots
    def robot(self, kind: str, req: _Spec) -> _Spec:
        """An automatic answer to our acknowledgement of `req`."""
        date = req.date + timedelta(minutes=self.rnd.randint(1, 30))
        lang = req.language if req.language in OOO else "en"
        p = req.partner
        addr = (p.address if p else req.sender)
        domain = addr.rpartition("@")[2]
        mid = self.mid(domain)
        ref = req.ref
        until = fmt_date(lang, date + timedelta(days=self.rnd.randint(3, 20)))
        rnd = self.rnd.random()

        def build(ack: str | None, tag: str | None) -> bytes:
            ack = ack or req.ack or ""
            tag = tag or req.tag or ""
            ours = our_ack_subject(tag, ref)
            irt = [("In-Reply-To", f"<{ack}>"), ("References", f"<{req.mid}> <{ack}>")]
            if kind == "ooo":
                prefix, body = OOO[lang]
                hdrs = irt + ([("Auto-Submitted", "auto-replied")] if rnd < 0.5 else
                              [("X-Autoreply", "yes")] if rnd < 0.75 else [])
                text = body.format(date=until) + "\n"
                if rnd > 0.4:
                    text += "\n" + "\n".join("> " + ln for ln in our_ack_text(tag, ref).split("\n")) + "\n"
                return message(addr, prefix + ours, date, mid, text, Shape(cte="quoted-printable"),
                               headers=hdrs)
            if kind == "ooo_bare":
                bare_lang = lang if lang in OOO_BARE else "en"
                prefix, body = OOO_BARE[bare_lang]
                return message(addr, prefix + ours, date, mid, body.format(date=until) + "\n", Shape(),
                               headers=irt)
            if kind == "ticket":
                text = (f"This is an automatic message. Your e-mail has been assigned ticket number "
                        f"{self.rnd.randint(100000, 999999)}; please do not reply to this message.\n")
                return message(f"Helpdesk <noreply@{domain}>", f"[Ticket#2026{self.rnd.randint(1000, 9999)}] {ours}",
                               date, mid, text, Shape(), headers=[*irt, ("Auto-Submitted", "auto-generated")])
            if kind == "read":
                boundary = "=_mdn_" + mid[:12]
                body = (f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
                        f"Your message {ours} was read on {format_datetime(date)}.\r\n"
                        f"--{boundary}\r\nContent-Type: message/disposition-notification\r\n\r\n"
                        f"Final-Recipient: rfc822; {addr}\r\nOriginal-Message-ID: <{ack}>\r\n"
                        f"Disposition: manual-action/MDN-sent-manually; displayed\r\n--{boundary}--\r\n")
                head = (f"From: {addr}\r\nTo: {US}\r\nSubject: Read: {ours}\r\nDate: {format_datetime(date)}\r\n"
                        f"Message-ID: <{mid}>\r\nIn-Reply-To: <{ack}>\r\nMIME-Version: 1.0\r\n"
                        f'Content-Type: multipart/report; report-type=disposition-notification; boundary="{boundary}"\r\n\r\n')
                return head.encode() + body.encode()
            if kind in ("dsn", "delay"):
                failed = kind == "dsn"
                boundary = "=_dsn_" + mid[:12]
                status = "5.1.1" if failed else "4.4.7"
                text = ("This is the mail system at host mx." + domain + ".\r\n\r\nI'm sorry to have to inform you that your message could not\r\n"
                        "be delivered to one or more recipients.\r\n" if failed else
                        "This is the mail system at host mx." + domain + ".\r\n\r\n####### THIS IS A WARNING ONLY. YOU DO NOT NEED TO RESEND YOUR MESSAGE. #######\r\n\r\n"
                        "Your message could not be delivered for 4 hours; delivery will be retried.\r\n")
                body = (f"--{boundary}\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n{text}"
                        f"--{boundary}\r\nContent-Type: message/delivery-status\r\n\r\n"
                        f"Reporting-MTA: dns; mx.{domain}\r\n\r\nFinal-Recipient: rfc822; old-{addr}\r\n"
                        f"Action: {'failed' if failed else 'delayed'}\r\nStatus: {status}\r\n"
                        f"Diagnostic-Code: smtp; {'550 5.1.1 user unknown' if failed else '421 try again later'}\r\n\r\n"
                        f"--{boundary}\r\nContent-Type: text/rfc822-headers\r\n\r\n"
                        f"From: {US}\r\nTo: old-{addr}\r\nSubject: {ours}\r\nMessage-ID: <{ack}>\r\n\r\n"
                        f"--{boundary}--\r\n")
                subject = "Undelivered Mail Returned to Sender" if failed else "Delayed Mail (still being retried)"
                head = (f"From: Mail Delivery System <MAILER-DAEMON@mx.{domain}>\r\nTo: {US_ADDR}\r\n"
                        f"Subject: {subject}\r\nDate: {format_datetime(date)}\r\nMessage-ID: <{mid}>\r\n"
                        "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
                        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\r\n\r\n')
                return head.encode() + body.encode()
            if kind == "qmail":
                text = (f"Hi. This is the qmail-send program at mail.{domain}.\nI'm afraid I wasn't able to deliver your "
                        f"message to the following addresses.\nThis is a permanent error; I've given up. Sorry it didn't work out.\n\n"
                        f"<old-{addr}>:\nSorry, no mailbox here by that name. (#5.1.1)\n\n--- Below this line is a copy of the message.\n\n"
                        f"From: {US_ADDR}\nSubject: {ours}\nMessage-ID: <{ack}>\n\n{our_ack_text(tag, ref)}\n")
                return message(f"MAILER-DAEMON@mail.{domain}", "failure notice", date, mid, text, Shape(), to=US_ADDR)
            # Exchange non-delivery report from postmaster, quoting our tag.
            html = (f"<html><body><p><b>Your message to old-{addr} couldn't be delivered.</b></p>"
                    f"<p>Delivery has failed to these recipients or groups:</p><p>old-{addr}<br>The e-mail "
                    f"address you entered couldn't be found.</p><hr><p>Original message headers:</p><pre>Subject: "
                    f"{ours}\nMessage-ID: &lt;{ack}&gt;\n</pre><p>{our_ack_text(tag, ref)}</p></body></html>")
            return message(f"Microsoft Outlook <postmaster@{domain}>", f"Undeliverable: {ours}", date, mid,
                           html, Shape("html", "quoted-printable"), headers=[("X-MS-Exchange-Message-Is-Ndr", "")])

        expected = {"ooo": "auto_reply", "ooo_bare": "auto_reply", "ticket": "auto_reply",
                    "read": "auto_reply", "dsn": "bounce", "delay": "bounce", "qmail": "bounce",
                    "ndr": "bounce"}[kind]
        sender = (f"MAILER-DAEMON@mx.{domain}" if kind in ("dsn", "delay") else
                  f"MAILER-DAEMON@mail.{domain}" if kind == "qmail" else
                  f"postmaster@{domain}" if kind == "ndr" else
                  f"noreply@{domain}" if kind == "ticket" else addr)
        return self.add(_Spec(date, "robot", build, sender, lang, f"{kind}/{lang}", mid, expected,
                              answers=req))

    def list_mail(self, n: int) -> _Spec:
        date = self.tick()
        lists = [
            ("CERT Advisories <advisories@cert-list.example>", "<advisories.cert-list.example>",
             "[ADVISORY] Urgent: ransomware exploiting VPN appliances",
             "A new ransomware campaign exploits VPN appliances. Patch urgently. Indicators: 203.0.113.66, c2-{w}.example.\n"),
            ("Cyber Policy Digest <digest@policy-news.example>", "<digest.policy-news.example>",
             "Weekly digest: data retention rulings and emergency disclosure",
             "This week: a court ruling on data preservation, emergency disclosure in child abduction cases, and a new MLA treaty.\n"),
            ("Forensics Forum <forum@forensics-forum.example>", "<forum.forensics-forum.example>",
             "[forensics-forum] Re: preserving cloud logs",
             "> Has anyone asked a provider to preserve logs for 90 days?\nYes, we usually request preservation under art. 29.\n"),
        ]
        frm, list_id, subject, body = lists[n % len(lists)]
        addr = frm.rpartition("<")[2].rstrip(">")
        mid = self.mid(addr.rpartition("@")[2])
        headers = [("List-Id", list_id), ("List-Unsubscribe", f"<mailto:leave-{addr}>")]
        if n % 2:
            headers.append(("Precedence", "bulk"))
        raw = message(frm, subject, date, mid, body.format(w=self.ids.word()) + "\nUnsubscribe: reply LEAVE.\n",
                      self.shape("en", False), headers=headers)
        return self.add(_Spec(date, "robot", lambda a, t, raw=raw: raw, addr, "en", "list/en", mid,
                              "other", is_list=True))

    # -- replies in a thread
    def reply(self, what: str, req: _Spec) -> _Spec:
        """A partner's answer in the thread of our acknowledgement of `req`."""
        lang = req.language if req.language in STATUS else "en"
        p = req.partner
        assert p is not None
        date = req.date + timedelta(hours=self.rnd.uniform(1, 96))
        L = LANGS[lang]
        mid = self.mid(p.address.rpartition("@")[2])
        _, _, values = self.ident_lines(lang, date, 1)
        fields = dict(values, ref=req.ref or "", provider=self.rnd.choice(PROVIDERS))
        special = None
        kind, rtype, topic = "reply", None, None
        if what == "thanks":
            body = self.rnd.choice(L.thanks)
        elif what == "status":
            body = self.rnd.choice(STATUS[lang])
        elif what == "question":
            body = QUESTIONS[lang]
        elif what == "correction":
            special, body = CORRECTIONS[lang]
            topic = "correction"
        elif what == "addendum":
            special, body = ADDENDA[lang]
            topic = "addendum"
        elif what == "extension":
            body = EXTENSIONS_IN_THREAD[lang]
            kind, rtype, topic = "request", "preservation_extension", "extension"
        else:
            body = NEW_IN_THREAD[lang]
            kind, rtype, topic = "request", "preservation", "preservation"
        body = body.format(**fields)
        signature = self.signature(lang, p.authority, p.phone)
        greeting = self.rnd.choice(L.greetings)
        closing = self.rnd.choice(L.closings)
        with_tag = self.rnd.random() < 0.6
        quote_style = self.rnd.random()
        prefix = REPLY_PREFIX[lang]
        shape = self.rnd.choice((Shape(), Shape(cte="quoted-printable"), Shape(cte="base64"),
                                 Shape("alternative", "quoted-printable")))
        if special is not None:
            special = special.format(**fields)

        def build(ack: str | None, tag: str | None) -> bytes:
            ack = ack or req.ack or ""
            tag = tag or req.tag or ""
            ours = our_ack_subject(tag, req.ref)
            if special is not None:
                subject = f"{prefix}[{tag}] {special}" if with_tag else special
            else:
                subject = prefix + (ours if with_tag else req.subject)
            text = f"{greeting}\n\n{body}\n\n{closing}\n{signature}\n\n"
            original = [f"> > Subject: {req.subject}", "> > " + URGENT_LINE.get(req.language, "")]
            if quote_style < 0.5:
                text += WROTE[lang].format(d=format_datetime(req.date), us=US_ADDR) + "\n"
                text += "\n".join("> " + ln for ln in [ours, "", *our_ack_text(tag, req.ref).split("\n")]) + "\n"
                if quote_style < 0.25:
                    text += "\n".join(original) + "\n"
            elif quote_style < 0.8:
                text += (f"-----Original Message-----\nFrom: {US_ADDR}\nSent: {format_datetime(req.date)}\n"
                         f"To: {p.address}\nSubject: {ours}\n\n{our_ack_text(tag, req.ref)}\n")
            headers = [("In-Reply-To", f"<{ack}>"), ("References", f"<{req.mid}> <{ack}>")]
            return message(p.address, subject, date, mid, text, shape, headers=headers)

        ack, case_tag = self.placeholders() if kind == "request" else (None, None)
        return self.add(_Spec(date, "reply_in_thread", build, p.address, lang,
                              f"{what}/{lang}/{'tag' if with_tag else 'no-tag'}", mid, kind, rtype,
                              False if kind == "request" else None, topic, answers=req, ack=ack,
                              tag=case_tag, partner=p))


def generate(seed: int = 2026, size: int = 300) -> list[Item]:
    """The mailbox: about `size` messages in arrival order, each with its expected outcome."""
    mb = _Mailbox(seed)
    rnd = mb.rnd
    pairs = [(topic, lang) for topic in REQUESTS for lang in REQUESTS[topic]]
    emergencies = [(lang, i) for i in range(3) for lang in EMERGENCIES if i < len(EMERGENCIES[lang])]
    n_partner = round(size * 0.30)
    n_emergency = max(len(EMERGENCIES), round(size * 0.06))
    tasks: list[Callable[[], _Spec]] = []
    for i in range(n_partner):
        topic, lang = pairs[i % len(pairs)]
        urgent = rnd.random() < 0.25
        tasks.append(lambda topic=topic, lang=lang, urgent=urgent: mb.partner_request(topic, lang, urgent))
    for i in range(n_emergency):
        lang, _ = emergencies[i % len(emergencies)]
        tasks.append(lambda lang=lang: mb.partner_request("emergency", lang, True))
    tasks += [lambda i=i: mb.outsider_request(i) for i in range(max(len(OUTSIDERS), round(size * 0.04)))]
    tasks += [lambda i=i: mb.stranger_emergency(i) for i in range(len(STRANGER_EMERGENCIES))]
    tasks += [lambda i=i: mb.asker(i) for i in range(len(ASKERS))]
    tasks += [lambda i=i: mb.stranger_other(i) for i in range(max(len(OTHERS), round(size * 0.11)))]
    tasks += [lambda i=i: mb.partner_other(i) for i in range(len(PARTNER_OTHERS))]
    tasks += [lambda i=i: mb.list_mail(i) for i in range(max(3, round(size * 0.03)))]
    # Preservation requests first in time, so that notices and extensions can refer to them.
    head, rest = tasks[: n_partner // 4], tasks[n_partner // 4:]
    rnd.shuffle(rest)
    for task in head + rest:
        task()
    # Replies answer requests that opened a case of their own (an MLA notice about an earlier
    # preservation joins that case and gets no acknowledgement to answer).
    requests = [s for s in mb.specs if s.outcome == "partner_request" and s.answers is None]
    robots = ("ooo", "ooo", "ooo_bare", "ticket", "read", "dsn", "delay", "qmail", "ndr", "ndr")
    for i in range(round(size * 0.11)):
        mb.robot(robots[i % len(robots)], rnd.choice(requests))
    replies = ("thanks", "status", "question", "correction", "addendum", "correction", "addendum",
               "extension", "new")
    for i in range(round(size * 0.22)):
        mb.reply(replies[i % len(replies)], rnd.choice(requests))
    ordered = sorted(mb.specs, key=lambda s: s.date)
    index = {id(s): n for n, s in enumerate(ordered)}
    items = []
    for n, s in enumerate(ordered):
        rethreadable = s.answers is not None
        items.append(Item(
            index=n, outcome=s.outcome, raw=s.build(None, None), sender=s.sender,
            language=s.language, shape=s.shape, kind=s.kind, request_type=s.request_type,
            urgent=s.urgent, topic=s.topic, is_list=s.is_list,
            answers=index[id(s.answers)] if s.answers is not None else None,
            message_id=s.mid, ack_message_id=s.ack, case_tag=s.tag,
            _build=s.build if rethreadable else None))
    return items


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--size", type=int, default=300)
    ap.add_argument("--out", metavar="DIR", help="write NNN-shape.eml files and expected.jsonl here")
    a = ap.parse_args()
    items = generate(a.seed, a.size)
    counts: dict[str, int] = {}
    for it in items:
        counts[it.outcome] = counts.get(it.outcome, 0) + 1
    print(f"{len(items)} messages: " + ", ".join(f"{k}={v}" for k, v in sorted(counts.items())))
    if a.out:
        out = Path(a.out)
        out.mkdir(parents=True, exist_ok=True)
        with (out / "expected.jsonl").open("w", encoding="utf-8") as fh:
            for it in items:
                name = f"{it.index:03d}-{it.shape.replace('/', '-')}.eml"
                (out / name).write_bytes(it.raw)
                fh.write(json.dumps({"file": name, "outcome": it.outcome, "kind": it.kind,
                                     "request_type": it.request_type, "urgent": it.urgent,
                                     "topic": it.topic, "answers": it.answers,
                                     "ack_message_id": it.ack_message_id, "case_tag": it.case_tag},
                                    ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
