"""Unit behaviour of the parser's parts: dates and zones, identifiers, quoting, templates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from parsers import classify, identifiers, language, quoting, requests, template
from parsers.message import parse_message
from parsers.mime import decode_bytes, decode_header_value
from parsers.timeparse import find_dates, zone_from_text


def _tz(hours: float) -> timezone:
    return timezone(timedelta(hours=hours))


@pytest.mark.parametrize(("text", "expected"), [
    ("on 02/11/2026 at 07:48:31 UTC", datetime(2026, 11, 2, 7, 48, 31, tzinfo=UTC)),
    ("le 3 novembre 2026 à 14h05 (Europe/Paris)",
     datetime(2026, 11, 3, 14, 5, tzinfo=ZoneInfo("Europe/Paris"))),
    ("am 19.08.2026 um 21:03:55 MESZ", datetime(2026, 8, 19, 21, 3, 55, tzinfo=_tz(2))),
    ("el 5 de noviembre de 2026 a las 02:40 (UTC-3)", datetime(2026, 11, 5, 2, 40, tzinfo=_tz(-3))),
    ("2026-11-02T07:48:31+05:30", datetime(2026, 11, 2, 7, 48, 31, tzinfo=_tz(5.5))),
    ("12 listopada 2026 godz. 10:15 CET", datetime(2026, 11, 12, 10, 15, tzinfo=_tz(1))),
    ("November 12, 2026 at 3:15 pm GMT+2", datetime(2026, 11, 12, 15, 15, tzinfo=_tz(2))),
    ("2026/11/12 22:00 JST", datetime(2026, 11, 12, 22, 0, tzinfo=_tz(9))),
    ("12.11.2026, 08:00 HAE", datetime(2026, 11, 12, 8, 0, tzinfo=_tz(-4))),
    ("06/11/2026 at 22:17 EET", datetime(2026, 11, 6, 22, 17, tzinfo=_tz(2))),
])
def test_date_forms_and_zones(text: str, expected: datetime) -> None:
    """Common date forms with the zone written beside the time give the right instant."""
    found = [f for f in find_dates(text) if f.clock is not None]
    assert found and found[0].instant(None) == expected


def test_month_first_for_us_senders() -> None:
    """MM/DD/YYYY is read month-first only when asked to."""
    assert find_dates("11/05/2026", month_first=True)[0].day.month == 11
    assert find_dates("11/05/2026")[0].day.month == 5


def test_date_without_time_has_no_instant() -> None:
    """A date alone (or a range) ties no instant to an identifier."""
    assert all(f.instant(UTC) is None for f in find_dates("du 01/11/2026 au 05/11/2026"))


def test_zone_from_stated_field() -> None:
    """A template time-zone field is read as an offset, an abbreviation, an IANA name or a city."""
    assert zone_from_text("CET (UTC+1)") == _tz(1)
    assert zone_from_text("Europe/Vilnius") == ZoneInfo("Europe/Vilnius")
    assert zone_from_text("heure de Paris") == ZoneInfo("Europe/Paris")
    assert zone_from_text("GMT-03:30") == _tz(-3.5)


def test_identifier_forms() -> None:
    """IPs are canonical, URLs re-fanged, e-mails lower-cased, phones in E.164, ports dropped."""
    text = ("- 2001:0DB8:0000:0000:0000:0000:0000:0001 and 192.0.2.10:443\n"
            "- hxxps://Evil[.]Example/a?b=1 and Mail.User@Example.COM\n"
            "- phone +44 (0)20 7946 0000\n- domain badshop[.]example\n")
    got = {(i.type, i.value) for i in identifiers.extract(text)}
    assert got == {("ipv6", "2001:db8::1"), ("ipv4", "192.0.2.10"),
                   ("url", "https://evil.example/a?b=1"), ("email", "mail.user@example.com"),
                   ("phone", "+442079460000"), ("domain", "badshop.example")}


def test_time_stays_in_its_item() -> None:
    """A time belongs to the identifiers of its own list item, not to the next one."""
    text = "- IP 198.51.100.1 at 01/11/2026 10:00 UTC\n- mailbox a.b@mail.example\n"
    got = {i.value: i.timestamp for i in identifiers.extract(text)}
    assert got["198.51.100.1"] == datetime(2026, 11, 1, 10, tzinfo=UTC)
    assert got["a.b@mail.example"] is None


def test_earliest_time_wins() -> None:
    """Several times for one identifier: the earliest."""
    text = ("IP 203.0.113.5 used on 02/11/2026 at 10:00 UTC.\n"
            "IP 203.0.113.5 used on 01/11/2026 at 09:00 UTC.\n")
    (ident,) = identifiers.extract(text)
    assert ident.timestamp == datetime(2026, 11, 1, 9, tzinfo=UTC)


@pytest.mark.parametrize(("text", "account"), [
    ('Instagram account "jan.kowalski_88"', "jan.kowalski_88"),
    ("compte utilisateur : le_loup_noir", "le_loup_noir"),
    ("Benutzername: @shadow_seller", "shadow_seller"),
    ("cuenta de usuario 'venta.ilegal.2026'", "venta.ilegal.2026"),
    ("kullanıcı adı: kayip_genc", "kayip_genc"),
])
def test_accounts_in_several_languages(text: str, account: str) -> None:
    """User names introduced by "account", "compte", "Benutzername", "cuenta", ... are found."""
    got = [(i.type, i.value) for i in identifiers.extract(text)]
    assert ("account", account) in got


def test_email_account_is_an_email() -> None:
    """"E-mail account x@y" gives an e-mail, not an account."""
    got = [(i.type, i.value) for i in identifiers.extract("E-Mail-Konto max@mail.example")]
    assert got == [("email", "max@mail.example")]


@pytest.mark.parametrize("header", [
    "Le mar. 3 nov. 2026 à 10:00, Desk <poc@ncc.gov.example> a écrit :",
    "Am 03.11.2026 um 10:00 schrieb Desk <poc@ncc.gov.example>:",
    "El mar, 3 nov 2026 a las 10:00, Desk escribió:",
    "Il giorno mar 3 nov 2026 alle ore 10:00 Desk ha scritto:",
    "W dniu 3.11.2026 o 10:00 Desk napisał(a):",
    "On Tue, 3 Nov 2026 at 10:00, Desk <poc@ncc.gov.example> wrote:",
    "-----Mensaje original-----",
    "-----Ursprüngliche Nachricht-----",
    "________________________________",
])
def test_history_below_reply_headers_is_not_own(header: str) -> None:
    """Text below a reply header or separator, in any of the network's languages, is quoted."""
    text = f"Thanks, noted.\n\n{header}\nFrom the desk: logged as WK-2026-00001.\n"
    assert quoting.own_text(text) == "Thanks, noted."


@pytest.mark.parametrize("block", [
    "De : Desk\nEnvoyé : mardi 3 novembre 2026\nÀ : x@y.example\nObjet : [WK-2026-00001]",
    "Von: Desk\nGesendet: Dienstag, 3. November 2026\nBetreff: [WK-2026-00001]",
    "Da: Desk\nInviato: martedì 3 novembre 2026\nOggetto: [WK-2026-00001]",
    "From: Desk\nSubject: [WK-2026-00001] Acknowledgement",
])
def test_outlook_header_blocks(block: str) -> None:
    """An Outlook header block in any language starts quoted history."""
    assert quoting.own_text(f"OK.\n\n{block}\n\nOld text.") == "OK."


def test_bottom_posting_keeps_own_text_after_quote() -> None:
    """Unprefixed text after a `>` block is own text again."""
    text = "On Tue, 3 Nov 2026, Desk wrote:\n> question?\n\nAnswer below the quote.\n"
    assert quoting.own_text(text) == "Answer below the quote."


def test_inline_forward_is_split() -> None:
    """An inline forwarded message gives its sender, subject and body."""
    text = ("See below.\n\n-------- Message transféré --------\nDe : A <a@x.example>\n"
            "Objet : Demande\n\nBonjour, voici la demande.\n")
    before, fwd = quoting.split_forward(text)
    assert before == "See below."
    assert fwd is not None and fwd.subject == "Demande" and fwd.body.startswith("Bonjour")


def test_bilingual_template_sections() -> None:
    """Numbered bilingual labels are recognised, sub-fields kept, ticked status read."""
    text = ("1. Data / Date: 01.12.2026\n2. Numero di pratica / Reference: ABC-2026-11\n"
            "3. Stato / Request status: [ ] Nuova / New [X] Proroga / Extension\n"
            "5. Autorità richiedente / Requesting authority:\n   Fuso orario / Time zone: CET\n"
            "10. Dati da conservare / Data to be preserved:\n   - 192.0.2.1\n"
            "11. Fornitore / Provider: Example SpA\n")
    sections = template.find_sections(text)
    keys = [s.key for s in sections]
    assert keys == ["date", "reference", "request_status", "requesting_authority", "data",
                    "provider"]
    assert template.is_template(sections)
    fields = template.template_fields(sections)
    assert fields["requesting_authority.timezone"] == "CET"
    assert template.checked_option(fields["request_status"]) == "Proroga / Extension"


@pytest.mark.parametrize(("subject", "text", "expected"), [
    ("Solicitud de conservación de datos", "art. 29", "preservation"),
    ("Cerere de prelungire a conservării", "prelungirea conservării datelor",
     "preservation_extension"),
    ("Wniosek", "ujawnienie danych o ruchu (art. 30)", "traffic_disclosure"),
    ("Richiesta", "dati dell'abbonato ai sensi dell'art. 31", "stored_data"),
    ("Acil", "hayati tehlike: kaçırılan çocuk", "emergency_disclosure"),
    ("Question", "We would like to know whether the provider operates in your country.",
     "information"),
    # Plainer words partners use for the same asks.
    ("Data hold", "Could you ask the provider to hold onto all logs for this account?",
     "preservation"),
    ("Verzoek", "kunt u de provider vragen de loggegevens te bewaren?", "preservation"),
    ("Gel", "Pourriez-vous demander de garder les journaux de connexion ?", "preservation"),
    ("Details", "We are looking for the account holder details behind this address.",
     "stored_data"),
    ("Solicitare", "solicităm comunicarea datelor de abonat", "stored_data"),
])
def test_request_types_in_languages(subject: str, text: str, expected: str) -> None:
    """Request type from the keyword tables of the network's languages."""
    s = requests.signals(subject, text)
    got = requests.request_type(s, status=None, has_identifiers=False,
                                extension_near=requests.extension_near(f"{subject}\n{text}"))
    assert got == expected


@pytest.mark.parametrize(("subject", "text", "field", "expected"), [
    ("URGENTE: conservación", "", None, True),
    ("Demande", "Cette demande est très urgente.", None, True),
    ("Richiesta", "La richiesta non riveste carattere d'urgenza.", None, False),
    ("Request", "", "no", False),
    ("URGENT request", "", "normal", False),
    ("Wniosek", "", "tak", True),
    ("Ersuchen", "Eilt!", None, True),
    ("Demande de conservation rapide", "conservation rapide", None, False),
    ("Žádost", "Věc je naléhavá, data se mažou.", None, True),
    ("Cerere", "Cererea este urgentă.", None, True),
])
def test_urgency(subject: str, text: str, field: str | None, expected: bool) -> None:
    """Urgency words flag, negations and a negative urgency field do not."""
    assert requests.is_urgent("preservation", subject, text, field) is expected


@pytest.mark.parametrize("subject", [
    "Automatic reply: x", "Réponse automatique : x", "Abwesenheitsnotiz: x",
    "Respuesta automática: x", "Risposta automatica: x", "Automaattinen vastaus: x",
    "Odpowiedź automatyczna: x", "Otomatik yanıt: x", "Αυτόματη απάντηση: x",
])
def test_out_of_office_subjects(subject: str) -> None:
    """Out-of-office subject prefixes in the network's languages."""
    assert classify.AUTO_SUBJECT.match(subject)


def test_ping_token_pattern() -> None:
    """PING-YYYY-H1|H2-XXXX with four hex digits, nothing looser."""
    assert classify.ping_token("re: ping-2026-h1-00af") == "PING-2026-H1-00AF"
    assert classify.ping_token("PING-2026-H3-00AF", "PING-2026-H1-00G1") is None


def test_charsets() -> None:
    """Declared charsets are honoured unless the bytes say otherwise; RFC 2047 decoded."""
    assert decode_bytes("Žiadosť".encode("iso-8859-2"), "iso-8859-2") == "Žiadosť"
    assert decode_bytes("Conservação".encode(), "iso-8859-1") == "Conservação"
    assert decode_bytes("Zażółć gęślą jaźń, prosimy o zabezpieczenie".encode("windows-1250"),
                        None).startswith("Zażółć")
    assert decode_header_value("=?iso-8859-1?Q?revelaci=F3n?=") == "revelación"


@pytest.mark.parametrize(("text", "code"), [
    ("Nous vous prions de bien vouloir conserver les données du compte.", "fr"),
    ("Prosimy o zabezpieczenie danych konta użytkownika.", "pl"),
    ("Solicităm conservarea datelor contului de utilizator.", "ro"),
    ("Kullanıcı hesabının verilerinin korunmasını talep ediyoruz.", "tr"),
])
def test_language(text: str, code: str) -> None:
    """The language detector names the language of a sentence."""
    assert language.detect(text) == code


def test_national_phone_number_after_a_phone_word() -> None:
    """A number written nationally after "téléphone", "Telefon", ... is read in the sender's
    country and given in E.164."""
    got = identifiers.extract("- numéro de téléphone 06 12 34 56 78", region="FR")
    assert [(i.type, i.value) for i in got] == [("phone", "+33612345678")]


def test_abbreviations_are_not_accounts() -> None:
    """"account, e.g. ..." names no user."""
    assert identifiers.extract("the account, e.g. of the victim") == ()


def test_time_range_gives_its_earliest_end() -> None:
    """A range "between 10:00 and 11:30 UTC on 1 November" ties the identifier to 10:00 UTC."""
    (ident,) = identifiers.extract("IP 192.0.2.3 between 10:00 and 11:30 UTC on 01/11/2026")
    assert ident.timestamp == datetime(2026, 11, 1, 10, tzinfo=UTC)


def test_an_answer_does_not_inherit_its_subject() -> None:
    """A reply's "Re: <subject of the message answered>" does not make it an emergency or an
    extension: what it asks is in its own text."""
    subject = "RE: URGENT - school shooting threat"
    text = "the MLA request is still pending, so we request the extension of the preservation."
    s = requests.signals(subject, text, inherited=True)
    assert s.emergency == 0 and s.extension > 0
    assert requests.signals(subject, text).emergency >= 2


def test_urgency_sentence_that_looks_like_a_field() -> None:
    """"This request is urgent: ..." reads like a field label but is an urgency flag."""
    raw = ("From: cyber247@police.example\r\nSubject: Demande de conservation\r\n"
           "Content-Type: text/plain; charset=utf-8\r\n\r\n"
           "Nous demandons la conservation des données de l'adresse IP 192.0.2.7.\r\n\r\n"
           "Cette demande est urgente : les journaux sont effacés au bout de sept jours.\r\n"
           ).encode()
    r = parse_message(raw)
    assert (r.kind, r.request_type, r.urgent) == ("request", "preservation", True)


def test_signature_phone_line_is_not_a_subject() -> None:
    """A bare "Tel. +352 ..." line under a name is the sender's number, not an identifier:
    a question about a contact point stays a question with or without a directory."""
    raw = ("From: cyber.parquet@justice.lu.example\r\nSubject: Confirmation du point de contact\r\n"
           "Content-Type: text/plain; charset=utf-8\r\n\r\n"
           "Pourriez-vous confirmer les coordonnées de votre point de contact 24/7 ?\r\n\r\n"
           "Commissaire Claire Lefèvre\r\nParquet de Luxembourg\r\nTel. +352 4759 0011\r\n"
           ).encode()
    r = parse_message(raw)
    assert (r.kind, r.topic, r.named_identifiers) == ("request", "contact_confirmation", 0)


def test_closing_with_a_colon_ends_the_own_text() -> None:
    """"Tisztelettel:" (and other closings followed by a colon) starts the signature."""
    assert quoting.cut_signature("Kérjük az adatokat.\nTisztelettel:\nr. őrnagy K. Nagy") == \
        "Kérjük az adatokat."
