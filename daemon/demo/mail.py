"""The demo's directory and the mail its partners send during the scripted day (fictional)."""

from __future__ import annotations

import email.policy
import email.utils
from datetime import datetime
from email.message import EmailMessage

OFFICIAL = "poc247@ncc.gov.example"
OPERATOR = "duty.officer@ncc.gov.example"
SUPERVISOR = "head.of.unit@ncc.gov.example"
# The desk's own mail server: every mail arrives through it, and it writes its verdict
# (Authentication-Results with this authserv-id) above its Received header.
MX = "mx.ncc.gov.example"

DIRECTORY = b'''
[[contact_points]]
country = "LU"
authority = "Police Grand-Ducale - Section Nouvelles Technologies"
role = "primary"
emails = ["snt-247@police.lu.example"]
office_phone = "+352 4997 0001"
after_hours_phone = "+352 691 000 001"
timezone = "Europe/Luxembourg"
office_hours = "Mon-Fri 08:00-17:00"
languages = ["fr", "en"]
preservation_days = 90
[contact_points.retention]
subscriber = "6 months"
traffic = "6 months"

[[contact_points]]
country = "FR"
authority = "Sous-direction de la lutte contre la cybercriminalite - permanence 24/7"
role = "primary"
emails = ["sdlc-247@interieur.fr.example"]
office_phone = "+33 1 49 00 00 11"
after_hours_phone = "+33 6 00 00 00 11"
timezone = "Europe/Paris"
office_hours = "Mon-Fri 09:00-18:00"
languages = ["fr", "en"]

[[contact_points]]
country = "DE"
authority = "Bundeskriminalamt - Lagezentrum Cybercrime"
role = "primary"
emails = ["24-7-cyber@bka.de.example"]
office_phone = "+49 611 55 1111"
after_hours_phone = "+49 171 000 1111"
timezone = "Europe/Berlin"
office_hours = "24/7"
languages = ["de", "en"]

[[contact_points]]
country = "JP"
authority = "National Police Agency - Cybercrime 24/7 point of contact"
role = "primary"
emails = ["cyber-247@npa.jp.example"]
office_phone = "+81 3 3581 0001"
after_hours_phone = "+81 90 1234 0001"
timezone = "Asia/Tokyo"
office_hours = "Mon-Fri 09:00-17:45"
languages = ["ja", "en"]
'''


def through_mx(raw: bytes, at: datetime, client: str, address: str, verdict: str) -> bytes:
    """The mail as the desk's MX delivers it: its verdict and its Received header on top."""
    return (f"Authentication-Results: {MX};\r\n\t{verdict}\r\n"
            f"Received: from {client} ({client} [{address}])\r\n"
            f"\tby {MX} (Postfix) with ESMTPS id 4Q{int(at.timestamp()):X}\r\n"
            f"\tfor <{OFFICIAL}>; {email.utils.format_datetime(at)}\r\n").encode() + raw


def _domain(sender: str) -> str:
    return sender.rpartition("@")[2].rstrip(">").lower()


def _mail(sender: str, subject: str, body: str, at: datetime, *,
          headers: dict[str, str] | None = None, msgid: str) -> bytes:
    domain = _domain(sender)
    return through_mx(_written(sender, subject, body, at, headers=headers, msgid=msgid), at,
                      f"mail.{domain}", "198.51.100.40",
                      f"dkim=pass header.d={domain}; dmarc=pass header.from={domain}")


def _written(sender: str, subject: str, body: str, at: datetime, *,
             headers: dict[str, str] | None = None, msgid: str) -> bytes:
    """The mail as its sender wrote it."""
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = sender
    msg["To"] = f'"National Cybercrime Centre - 24/7" <{OFFICIAL}>'
    msg["Subject"] = subject
    msg["Date"] = email.utils.format_datetime(at)
    msg["Message-ID"] = f"<{msgid}>"
    for key, value in (headers or {}).items():
        msg[key] = value
    msg.set_content(body)
    return msg.as_bytes()


def preservation_bilingual(at: datetime) -> bytes:
    """Luxembourg: a preservation request in the T-CY template, French and English labels."""
    return _mail(
        "SNT 24/7 <snt-247@police.lu.example>",
        "Demande de conservation / Preservation request SNT-2026-0415", f"""\
Chers collègues, dear colleagues,

DEMANDE DE CONSERVATION DE DONNÉES / DATA PRESERVATION REQUEST
(articles 29 et 30 de la Convention de Budapest / Articles 29 and 30 of the Budapest Convention)

1. Date / Date: {at:%d/%m/%Y}
2. Référence / Reference number: SNT-2026-0415
3. Statut / Request status: [X] Nouvelle demande / New request
4. Autorité requise / Requested authority: National Cybercrime Centre (24/7 PoC)
5. Autorité requérante / Requesting authority: Police Grand-Ducale, Section Nouvelles
   Technologies, Luxembourg - Commissaire Luc Weber - +352 4997 0001 - snt-247@police.lu.example
   Fuseau horaire / Time zone: CET (UTC+1)
8. Infraction / Offence: fraude informatique / computer fraud
9. Résumé des faits / Summary of facts: a fund administrator received forged payment
   instructions from the mailbox below and transferred EUR 1.9 million.
10. Données à conserver / Data to be preserved:
   - mailbox treasury.desk@helixmail.example (subscriber data, login history)
   - IPv4 198.51.100.44, login on 09/03/2026 at 07:48:31 UTC
11. Fournisseur / Service provider: Helix Mail SA
13. Entraide judiciaire / Intention to submit an MLA request: oui / yes, within 45 days
14. Urgence / Urgency: non / no
15. Confidentialité / Confidentiality: ne pas informer l'utilisateur / do not inform the user

Cordialement / Best regards
Luc Weber
""", at, msgid="snt-0415@police.lu.example")


def out_of_office(at: datetime) -> bytes:
    """Germany: an officer's out-of-office answer to a circular."""
    return _mail(
        "Klaus Wagner <k.wagner@bka.de.example>",
        "Abwesenheitsnotiz / Out of office: Network circular", """\
Ich bin bis zum 20. März nicht im Büro. In dringenden Fällen wenden Sie sich bitte an
24-7-cyber@bka.de.example.

I am out of the office until 20 March. For urgent matters please write to
24-7-cyber@bka.de.example.
""", at, headers={"Auto-Submitted": "auto-replied", "X-Autoreply": "yes",
                  "Precedence": "auto_reply"}, msgid="ooo-8812@bka.de.example")


def unofficial_request(at: datetime) -> bytes:
    """France: a preservation request sent from a personal webmail address."""
    return _mail(
        "Capitaine Marie Laurent <m.laurent.sdlc@webmail.example>",
        "Preservation request - ransomware - SDLC-2026-0102", """\
Dear colleagues,

Our official mailbox is down today, so I write from this address.

Under Article 29 of the Budapest Convention, please preserve the subscriber information
and connection logs of the account payments-ops@quickpost.example held by QuickPost Ltd,
including the IP address 203.0.113.77 used on 09/03/2026 at 22:14 UTC.

Our reference: SDLC-2026-0102. A mutual legal assistance request will follow.

Regards,
Capitaine Marie Laurent, SDLC, permanence 24/7
""", at, msgid="sdlc-0102@webmail.example")


def reply_to_ack(at: datetime, ack_message_id: str, reference: str) -> bytes:
    """Luxembourg answers our acknowledgement in the same thread."""
    return _mail(
        "SNT 24/7 <snt-247@police.lu.example>",
        f"RE: [{reference}] Demande de conservation / Preservation request SNT-2026-0415",
        """\
Thank you for the quick acknowledgement. The MLA request is being drafted by the
Parquet general and will follow within 45 days.

Luc Weber
""", at, headers={"In-Reply-To": f"<{ack_message_id}>",
                  "References": f"<snt-0415@police.lu.example> <{ack_message_id}>"},
        msgid="snt-0415-2@police.lu.example")


def operator_command(at: datetime, reference: str) -> bytes:
    """The duty officer starts the case from the mail client; the ministry's outgoing
    server signs it, and the MX finds DMARC passing for ncc.gov.example."""
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = f"Duty Officer <{OPERATOR}>"
    msg["To"] = OFFICIAL
    msg["Subject"] = f"[{reference}] preservation"
    msg["Date"] = email.utils.format_datetime(at)
    msg["Message-ID"] = "<cmd-1@ncc.gov.example>"
    msg.set_content("#start\n#note preservation order sent to Helix Mail SA\n\nThanks\n")
    return through_mx(msg.as_bytes(), at, "smtp-out.ncc.gov.example", "198.51.100.25",
                      "dkim=pass header.d=ncc.gov.example; dmarc=pass (p=reject) "
                      "header.from=ncc.gov.example")


def forged_command(at: datetime, reference: str) -> bytes:
    """Someone on the internet writes as the duty officer, '#close', with a made-up
    Authentication-Results header of the desk's own MX in the mail itself. The real MX
    writes its own verdict above it: DMARC fails."""
    written = _written(
        f"Duty Officer <{OPERATOR}>", f"[{reference}] update", "#close nothing to do\n", at,
        headers={"Authentication-Results":
                 f"{MX}; dkim=pass header.d=ncc.gov.example; dmarc=pass "
                 "header.from=ncc.gov.example"},
        msgid="forged-77@attacker.example")
    return through_mx(written, at, "smtp.attacker.example", "203.0.113.66",
                      "dkim=none; dmarc=fail (p=reject) header.from=ncc.gov.example")


def extension(at: datetime) -> bytes:
    """Germany extends an earlier preservation request."""
    return _mail(
        "BKA Lagezentrum <24-7-cyber@bka.de.example>",
        "Extension of preservation request BKA-2026-0388 (previous ref BKA-2025-1190)", """\
Dear colleagues,

We hereby request the extension of the preservation requested on 14 December 2025
(previous reference BKA-2025-1190) for a further 90 days: the account
invoice.center@mailcloud.example held by MailCloud AG, and the IP address 198.51.100.23
used on 12/12/2025 at 18:02 UTC. The MLA request has been sent through the ministry.

Our reference: BKA-2026-0388
Request status: extension of previous request BKA-2025-1190

Mit freundlichen Grüßen / Kind regards
Lagezentrum Cybercrime
""", at, msgid="bka-0388@bka.de.example")


def urgent_after_hours(at: datetime) -> bytes:
    """Japan: an emergency disclosure request sent late in Tokyo."""
    return _mail(
        "NPA Cyber 24/7 <cyber-247@npa.jp.example>",
        "URGENT - emergency disclosure request - threat to life - NPA-2026-0077", """\
URGENT - EMERGENCY

A 15-year-old girl is missing and has announced her suicide on a video platform. There
is an imminent threat to her life. We request the emergency disclosure of the subscriber
information and the last login IP addresses of the account lost.sakura@streamhub.example
held by StreamHub Inc, in particular the login from 198.51.100.101 on 10/03/2026 at
13:52 UTC.

Please call our 24/7 line as soon as you read this.

Our reference: NPA-2026-0077
Superintendent Kenji Sato, National Police Agency
""", at, headers={"Importance": "high", "X-Priority": "1"}, msgid="npa-0077@npa.jp.example")


def office_closure(at: datetime) -> bytes:
    """Luxembourg: a notice that asks for nothing; the parser cannot classify it."""
    return _mail(
        "SNT 24/7 <snt-247@police.lu.example>",
        "Fermeture de nos bureaux le lundi de Pâques / Office closed on Easter Monday", """\
Chers collègues, dear colleagues,

Nos bureaux seront fermés le lundi 6 avril. La permanence 24/7 reste joignable au
numéro habituel.

Our offices will be closed on Monday 6 April. The 24/7 line stays available on the
usual number.

Cordialement / Best regards
Luc Weber
""", at, msgid="snt-0420@police.lu.example")


def law_firm(at: datetime) -> bytes:
    """A law firm outside the directory writes about a client: a mail for triage."""
    return _mail(
        "Maître Anne Dubois <a.dubois@dubois-avocats.example>",
        "Notre client M. Martin / our client Mr Martin", """\
Madame, Monsieur,

Nous représentons M. Paul Martin et souhaiterions savoir à qui nous adresser au sujet de
sa situation.

We represent Mr Paul Martin and would like to know whom to address about his situation.

Anne Dubois, avocate
""", at, msgid="dubois-0310@dubois-avocats.example")
