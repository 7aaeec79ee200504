# ruff: noqa: E501  -- the notices are kept line for line as the mail systems write them
"""Writes the bounce test mail (run once; the .eml files are committed).

Delivery status notifications in the forms mail systems send them (Postfix, Sendmail, Exim,
qmail, Exchange, Gmail-like, Japanese and Chinese systems), delay notices, and human mail
that talks about delivery without being a notice. Every returned message is one of our
acknowledgements, with a Message-ID of our shape: <wk.<32 hex>@ncc.gov.example>.

    python tests/data/bounces/make_bounces.py
"""

from __future__ import annotations

import base64
import hashlib
import quopri
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE  # where the files go; the test suite writes a second copy elsewhere to compare
US = '"National Cybercrime Centre - 24/7 PoC" <poc247@ncc.gov.example>'
CRLF = b"\r\n"


def wk(name: str) -> str:
    """Our Message-ID for the acknowledgement a test file returns."""
    return f"<wk.{hashlib.md5(name.encode()).hexdigest()}@ncc.gov.example>"


def enc(text: str, charset: str = "utf-8") -> str:
    """A header value as RFC 2047 B-encoded words labelled as mail programs label them
    ("gb2312", not Python's codec name), each word at most 75 characters long."""
    words, chunk = [], ""
    for ch in text:
        trial = chunk + ch
        if len(base64.b64encode(trial.encode(charset))) + len(charset) + 7 > 75:
            words.append(chunk)
            trial = ch
        chunk = trial
    words.append(chunk)
    return "\r\n ".join(f"=?{charset}?B?{base64.b64encode(w.encode(charset)).decode()}?="
                         for w in words)


def head(*fields: tuple[str, str]) -> bytes:
    return b"".join(f"{k}: {v}".encode("ascii") + CRLF for k, v in fields)


def lines(text: str, charset: str = "utf-8") -> bytes:
    return text.replace("\n", "\r\n").encode(charset)


def part(ctype: str, body: str | bytes, *, charset: str | None = None, cte: str = "7bit",
         extra: tuple[tuple[str, str], ...] = ()) -> bytes:
    """One MIME part: its header and its body, encoded with `cte`."""
    data = body if isinstance(body, bytes) else lines(body, charset or "us-ascii")
    if cte == "base64":
        data = base64.encodebytes(data).replace(b"\n", CRLF)
    elif cte == "quoted-printable":
        data = quopri.encodestring(data.replace(CRLF, b"\n")).replace(b"\n", CRLF)
    ct = ctype + (f'; charset="{charset}"' if charset else "")
    fields = [("Content-Type", ct)]
    if cte != "7bit" or charset:
        fields.append(("Content-Transfer-Encoding", cte))
    return head(*fields, *extra) + CRLF + data


def multipart(subtype: str, boundary: str, parts: list[bytes], params: str = "") -> tuple[str, bytes]:
    """(Content-Type value, body) of a multipart entity."""
    body = b"".join(b"--" + boundary.encode() + CRLF + p + CRLF for p in parts)
    body += b"--" + boundary.encode() + b"--" + CRLF
    return f'multipart/{subtype}; boundary="{boundary}"{params}', body


def ours(name: str, to: str, ref: str, subject: str = "Acknowledgement", date: str = "Mon, 09 Nov 2026 10:00:00 +0100") -> bytes:
    """The acknowledgement that came back: headers and a short body."""
    return head(
        ("Return-Path", "<poc247@ncc.gov.example>"),
        ("From", US),
        ("To", to),
        ("Subject", f"[{ref}] {subject}" if subject.isascii() else enc(f"[{ref}] {subject}")),
        ("Date", date),
        ("Message-ID", wk(name)),
        ("Auto-Submitted", "auto-replied"),
        ("MIME-Version", "1.0"),
        ("Content-Type", 'text/plain; charset="us-ascii"'),
    ) + CRLF + lines(f"Your request has been received and logged as {ref}.\nWe will confirm when execution starts.\n-- 24/7 PoC\n")


def ours_headers(name: str, to: str, ref: str) -> str:
    """Our acknowledgement's header block as text, for quoting in plain-text notices."""
    return ours(name, to, ref).split(CRLF + CRLF)[0].decode("ascii").replace("\r\n", "\n")


def write(name: str, top: tuple[tuple[str, str], ...], ctype: str, body: bytes,
          cte: str | None = None) -> None:
    fields = [*top, ("MIME-Version", "1.0"), ("Content-Type", ctype)]
    if cte:
        fields.append(("Content-Transfer-Encoding", cte))
    (OUT / name).write_bytes(head(*fields) + CRLF + body)


def write_text(name: str, top: tuple[tuple[str, str], ...], text: str, charset: str = "us-ascii",
               cte: str = "7bit") -> None:
    data = lines(text, charset)
    if cte == "base64":
        data = base64.encodebytes(data).replace(b"\n", CRLF)
    elif cte == "quoted-printable":
        data = quopri.encodestring(data.replace(CRLF, b"\n")).replace(b"\n", CRLF)
    write(name, top, f'text/plain; charset="{charset}"', data, cte)


def dsn(mta: str, *recipients: str) -> str:
    """A message/delivery-status body: per-message fields, then one block per recipient."""
    return f"Reporting-MTA: dns; {mta}\nArrival-Date: Mon, 9 Nov 2026 10:00:02 +0100\n\n" + "\n\n".join(recipients) + "\n"


def top(frm: str, subject: str, mid: str, date: str = "Mon, 09 Nov 2026 10:00:05 +0100",
        *extra: tuple[str, str], to: str = "poc247@ncc.gov.example") -> tuple[tuple[str, str], ...]:
    return (*extra, ("From", frm), ("To", to), ("Subject", subject), ("Date", date),
            ("Message-ID", mid))


def failures() -> None:
    # Postfix: a typed report, the status, the returned message.
    n = "en-postfix-report-rfc822.eml"
    ct, body = multipart("report", "pf-1", [
        part("text/plain", "This is the mail system at host mx.politie.nl.example.\n\nI'm sorry to have to inform you that your message could not\nbe delivered to one or more recipients. It's attached below.\n\n                   The mail system\n\n<old-thtc@politie.nl.example>: host mailstore.politie.nl.example[192.0.2.25] said:\n    550 5.1.1 <old-thtc@politie.nl.example>: Recipient address rejected: User\n    unknown in virtual mailbox table (in reply to RCPT TO command)\n", charset="us-ascii"),
        part("message/delivery-status", dsn("mx.politie.nl.example", "Final-Recipient: rfc822; old-thtc@politie.nl.example\nOriginal-Recipient: rfc822;old-thtc@politie.nl.example\nAction: failed\nStatus: 5.1.1\nRemote-MTA: dns; mailstore.politie.nl.example\nDiagnostic-Code: smtp; 550 5.1.1 <old-thtc@politie.nl.example>: Recipient address\n    rejected: User unknown in virtual mailbox table")),
        part("message/rfc822", ours(n, "old-thtc@politie.nl.example", "WK-2026-00101")),
    ], "; report-type=delivery-status")
    write(n, top("MAILER-DAEMON@mx.politie.nl.example (Mail Delivery System)", "Undelivered Mail Returned to Sender", "<20261109100005.1A2B3@mx.politie.nl.example>", "Mon, 09 Nov 2026 10:00:05 +0100", ("Return-Path", "<>"), ("Auto-Submitted", "auto-replied")), ct, body)

    # multipart/report without report-type, from postmaster, with a delivery-status part.
    n = "en-report-without-report-type.eml"
    ct, body = multipart("report", "nrt", [
        part("text/plain", "Your message could not be delivered: the recipient's mailbox is full.\n"),
        part("message/delivery-status", dsn("smtp.justice.ie.example", "Final-Recipient: rfc822; cyber-desk@justice.ie.example\nAction: failed\nStatus: 5.2.2\nDiagnostic-Code: smtp; 552 5.2.2 Mailbox full")),
        part("message/rfc822", ours(n, "cyber-desk@justice.ie.example", "WK-2026-00102")),
    ])
    write(n, top("postmaster@justice.ie.example", "Returned mail", "<nrt-1@smtp.justice.ie.example>"), ct, body)

    # RFC 6533: global delivery status and a message/global original, in UTF-8.
    n = "en-global-delivery-status.eml"
    ct, body = multipart("report", "gds", [
        part("text/plain", "Delivery to the following recipient failed permanently:\n\n    cyber@policía.es.example\n", charset="utf-8", cte="8bit"),
        part("message/global-delivery-status", "Reporting-MTA: dns; mx.policía.es.example\n\nFinal-Recipient: utf-8; cyber@policía.es.example\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 buzón desconocido\n".encode(), cte="8bit"),
        part("message/global", ours(n, "cyber@xn--polica-zwa.es.example", "WK-2026-00103")),
    ], "; report-type=global-delivery-status")
    write(n, top("Mail Delivery System <MAILER-DAEMON@mx.xn--polica-zwa.es.example>", "Delivery Status Notification (Failure)", "<gds-1@mx.xn--polica-zwa.es.example>"), ct, body)

    # An untyped report with only the returned headers; the status is in the text.
    n = "en-rfc822-headers-only.eml"
    ct, body = multipart("report", "rh", [
        part("text/plain", "This is the mail system at host relay.polizei.at.example.\n\nI'm sorry to have to inform you that your message could not\nbe delivered to one or more recipients.\n\n<bk-cyber@polizei.at.example>: host mx.polizei.at.example[198.51.100.12] said:\n    554 5.7.1 Service unavailable; client host blocked (in reply to RCPT TO\n    command)\n"),
        part("text/rfc822-headers", ours_headers(n, "bk-cyber@polizei.at.example", "WK-2026-00104") + "\n"),
    ])
    write(n, top("MAILER-DAEMON@relay.polizei.at.example", "Undelivered Mail Returned to Sender", "<rh-1@relay.polizei.at.example>"), ct, body)

    # Sendmail without a report: the transcript, then the returned message.
    n = "en-sendmail-returned-rfc822.eml"
    ct, body = multipart("mixed", "sm", [
        part("text/plain", "The original message was received at Mon, 9 Nov 2026 10:00:01 +0100\nfrom mail.ncc.gov.example [203.0.113.5]\n\n   ----- The following addresses had permanent fatal errors -----\n<cyber@police.mt.example>\n    (reason: 550 5.1.1 <cyber@police.mt.example>... User unknown)\n\n   ----- Transcript of session follows -----\n... while talking to mx.police.mt.example.:\n>>> RCPT To:<cyber@police.mt.example>\n<<< 550 5.1.1 <cyber@police.mt.example>... User unknown\n550 5.1.1 <cyber@police.mt.example>... User unknown\n"),
        part("message/rfc822", ours(n, "cyber@police.mt.example", "WK-2026-00105")),
    ])
    write(n, top("Mail Delivery Subsystem <MAILER-DAEMON@mx.police.mt.example>", "Returned mail: see transcript for details", "<sm-1@mx.police.mt.example>"), ct, body)

    # Exim with a null Return-Path and an ordinary-looking From; the copy is quoted below.
    n = "en-exim-null-return-path.eml"
    write_text(n, top("Delivery Service <mail@mx.polis.se.example>", "Mail delivery failed: returning message to sender", "<E1vXyZa-0004Kq-9B@mx.polis.se.example>", "Mon, 09 Nov 2026 10:00:05 +0100", ("Return-Path", "<>")),
               "This message was created automatically by mail delivery software.\n\nA message that you sent could not be delivered to one or more of its\nrecipients. This is a permanent error. The following address(es) failed:\n\n  it-brott@polis.se.example\n    host mx2.polis.se.example [203.0.113.40]\n    SMTP error from remote mail server after RCPT TO:<it-brott@polis.se.example>:\n    550 5.1.1 <it-brott@polis.se.example>: Recipient address rejected: User unknown\n\n------ This is a copy of the message, including all the headers. ------\n\n"
               + ours_headers(n, "it-brott@polis.se.example", "WK-2026-00106") + "\n\nYour request has been received and logged as WK-2026-00106.\n")

    # qmail from a bare MAILER-DAEMON, no domain.
    n = "en-qmail-daemon-no-domain.eml"
    write_text(n, top("MAILER-DAEMON", "failure notice", "<qm-2@mx.policija.si.example>"),
               "Hi. This is the qmail-send program at mx.policija.si.example.\nI'm afraid I wasn't able to deliver your message to the following addresses.\nThis is a permanent error; I've given up. Sorry it didn't work out.\n\n<kibernetika@policija.si.example>:\nSorry, no mailbox here by that name. (#5.1.1)\n\n--- Below this line is a copy of the message.\n\n"
               + ours_headers(n, "kibernetika@policija.si.example", "WK-2026-00107") + "\n\nYour request has been received and logged as WK-2026-00107.\n")

    # Exchange, plain text, from postmaster; "Original message headers:".
    n = "en-exchange-classic-postmaster.eml"
    write_text(n, top("postmaster@mfa.cy.example", "Undeliverable: [WK-2026-00108] Acknowledgement", "<ex-8@mfa.cy.example>"),
               "Delivery has failed to these recipients or groups:\n\ncybercrime@mfa.cy.example\nThe e-mail address you entered couldn't be found. Please check the recipient's e-mail address and try to resend the message.\n\n\nDiagnostic information for administrators:\n\nGenerating server: EXCH01.mfa.cy.example\n\ncybercrime@mfa.cy.example\n#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##\n\nOriginal message headers:\n\nReceived: from mail.ncc.gov.example (203.0.113.5) by EXCH01.mfa.cy.example\n"
               + ours_headers(n, "cybercrime@mfa.cy.example", "WK-2026-00108") + "\n")

    # Exchange Online, HTML only, from the MicrosoftExchange<hex> address.
    n = "en-exchange-online-html.eml"
    hdrs = ours_headers(n, "cyber.unit@justice.hr.example", "WK-2026-00109").replace("<", "&lt;").replace(">", "&gt;")
    html = ("<html><body><p><b>Your message to cyber.unit@justice.hr.example couldn't be delivered.</b></p>"
            "<p>cyber.unit wasn't found at justice.hr.example.</p>"
            "<p><b>Diagnostic information for administrators</b></p><p>Generating server: AM0PR01MB1234.eurprd01.prod.outlook.example</p>"
            "<p>cyber.unit@justice.hr.example<br>Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup'</p>"
            f"<p><b>Original message headers:</b></p><pre>{hdrs}\n</pre></body></html>")
    ct, body = multipart("alternative", "eo", [part("text/html", html, charset="utf-8", cte="quoted-printable")])
    write(n, top("Microsoft Outlook <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@justice.hr.example>", "Undeliverable: [WK-2026-00109] Acknowledgement", "<eo-9@AM0PR01MB1234.eurprd01.prod.outlook.example>"), ct, body)

    # Gmail-like plain notice with the original quoted below.
    n = "en-gmail-failure-plain.eml"
    write_text(n, top("Mail Delivery Subsystem <mailer-daemon@googlemail.example>", "Delivery Status Notification (Failure)", "<gm-10@mail.googlemail.example>"),
               "Delivery to the following recipient failed permanently:\n\n     cyber.ro@politia.ro.example\n\nTechnical details of permanent failure:\nThe email account that you tried to reach does not exist. Please try double-checking the recipient's email address for typos or unnecessary spaces.\n550-5.1.1 The email account that you tried to reach does not exist. a1si123 - gsmtp\n\n----- Original message -----\n\n"
               + ours_headers(n, "cyber.ro@politia.ro.example", "WK-2026-00110") + "\n")

    # An ordinary sender with a delivery status written in the body.
    n = "en-ordinary-sender-status-in-body.eml"
    write_text(n, top("Mail Notifications <notifications@mail.prosecutor.bg.example>", "Delivery Status Notification", "<on-11@mail.prosecutor.bg.example>"),
               "This is an automatically generated Delivery Status Notification.\n\nDelivery to the following recipients failed.\n\n   Final-Recipient: rfc822; cyber247@prosecutor.bg.example\n   Action: failed\n   Status: 5.4.4\n   Diagnostic-Code: smtp; 550 5.4.4 Unable to route: no mail hosts for domain\n\n----- Original message -----\n\n"
               + ours_headers(n, "cyber247@prosecutor.bg.example", "WK-2026-00111") + "\n")

    # An ordinary sender that kept our subject: the body opens with the notice and its fields.
    n = "en-ordinary-sender-kept-subject.eml"
    write_text(n, top("mail@gateway.police.ee.example", "[WK-2026-00112] Acknowledgement", "<ks-12@gateway.police.ee.example>"),
               "Delivery has failed to these recipients or groups:\n\nkyber@police.ee.example\n\nReporting-MTA: dns; gateway.police.ee.example\nFinal-Recipient: rfc822; kyber@police.ee.example\nAction: failed\nStatus: 5.1.1\n\nOriginal message headers:\n\n"
               + ours_headers(n, "kyber@police.ee.example", "WK-2026-00112") + "\n")

    # "failure delivery" from a mail system's name; the copy below a dashed separator.
    n = "en-failure-delivery-plain.eml"
    write_text(n, top("Mail System <mailsystem@mx.procura.pt.example>", "failure delivery", "<fd-13@mx.procura.pt.example>"),
               "Your message could not be delivered to the following recipient:\n\n    cibercrime@procura.pt.example\n\nReason: 550 5.1.1 user unknown\n\n---------- Original message ----------\n"
               + ours_headers(n, "cibercrime@procura.pt.example", "WK-2026-00113") + "\n")

    # Exim marks the failed recipients in a header field of its own.
    n = "en-exim-x-failed-recipients.eml"
    write_text(n, top("Mail Delivery System <Mailer-Daemon@mx.policie.cz.example>", "Mail delivery failed: returning message to sender", "<E1xf-14@mx.policie.cz.example>", "Mon, 09 Nov 2026 10:00:05 +0100", ("X-Failed-Recipients", "kyber@policie.cz.example"), ("Auto-Submitted", "auto-replied")),
               "This message was created automatically by mail delivery software.\n\nA message that you sent could not be delivered to one or more of its\nrecipients. This is a permanent error. The following address(es) failed:\n\n  kyber@policie.cz.example\n    mailbox is full: retry timeout exceeded\n\n------ This is a copy of the message, including all the headers. ------\n\n"
               + ours_headers(n, "kyber@policie.cz.example", "WK-2026-00114") + "\n")

    # Exchange gave up after two days: Action failed with a 4.x.x status is still a failure.
    n = "en-dsn-expired-action-failed.eml"
    ct, body = multipart("report", "exp", [
        part("text/plain", "Delivery has failed to these recipients or groups:\n\ncyber@police.lu.example\nThe server has tried delivering this message, without success, and has stopped trying.\n"),
        part("message/delivery-status", dsn("EXCH02.police.lu.example", "Final-Recipient: rfc822; cyber@police.lu.example\nAction: failed\nStatus: 4.4.7\nDiagnostic-Code: smtp; 400 4.4.7 Message delayed")),
        part("text/rfc822-headers", ours_headers(n, "cyber@police.lu.example", "WK-2026-00115") + "\n"),
    ], "; report-type=delivery-status")
    write(n, top("postmaster@police.lu.example", "Undeliverable: [WK-2026-00115] Acknowledgement", "<exp-15@police.lu.example>"), ct, body)

    # Two recipients, one delayed and one failed: a failure about the failed one.
    n = "en-dsn-failed-and-delayed.eml"
    ct, body = multipart("report", "fd", [
        part("text/plain", "This is the mail system at host mx.police.lv.example.\n\nYour message could not be delivered to one or more recipients.\n"),
        part("message/delivery-status", dsn("mx.police.lv.example",
             "Final-Recipient: rfc822; duty@police.lv.example\nAction: delayed\nStatus: 4.4.1\nDiagnostic-Code: smtp; 421 4.4.1 connection timed out",
             "Final-Recipient: rfc822; old-cyber@police.lv.example\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 user unknown")),
        part("message/rfc822", ours(n, "duty@police.lv.example, old-cyber@police.lv.example", "WK-2026-00116")),
    ], "; report-type=delivery-status")
    write(n, top("MAILER-DAEMON@mx.police.lv.example", "Undelivered Mail Returned to Sender", "<fd-16@mx.police.lv.example>"), ct, body)

    # A relay report (NOTIFY=SUCCESS through a relay without DSN support): not a failure.
    n = "en-dsn-relayed.eml"
    ct, body = multipart("report", "rl", [
        part("text/plain", "This is the mail system at host mx.police.is.example.\n\nYour message was successfully relayed to the following recipient;\nno further notification will be sent.\n"),
        part("message/delivery-status", dsn("mx.police.is.example", "Final-Recipient: rfc822; netbrot@police.is.example\nAction: relayed\nStatus: 2.0.0\nRemote-MTA: dns; legacy.police.is.example")),
        part("text/rfc822-headers", ours_headers(n, "netbrot@police.is.example", "WK-2026-00117") + "\n"),
    ], "; report-type=delivery-status")
    write(n, top("MAILER-DAEMON@mx.police.is.example (Mail Delivery System)", "Successful Mail Delivery Report", "<rl-17@mx.police.is.example>"), ct, body)


def languages() -> None:
    # German Exchange: "Unzustellbar:", HTML in quoted-printable, returned headers.
    n = "de-exchange-unzustellbar.eml"
    hdrs = ours_headers(n, "cybercrime@polizei.de.example", "WK-2026-00121").replace("<", "&lt;").replace(">", "&gt;")
    html = ("<html><body><p>Ihre Nachricht an cybercrime@polizei.de.example konnte nicht zugestellt werden.</p>"
            "<p>Die E-Mail-Adresse wurde nicht gefunden. Überprüfen Sie die Adresse des Empfängers.</p>"
            "<p>Diagnoseinformationen für Administratoren:</p><p>Generierender Server: EXCH-DE-01.polizei.de.example</p>"
            "<p>cybercrime@polizei.de.example<br>Remote Server returned '550 5.1.1 RESOLVER.ADR.RecipNotFound; not found'</p>"
            f"<p>Ursprüngliche Nachrichtenkopfzeilen:</p><pre>{hdrs}\n</pre></body></html>")
    ct, body = multipart("report", "de1", [
        part("text/html", html, charset="utf-8", cte="quoted-printable"),
        part("text/rfc822-headers", ours_headers(n, "cybercrime@polizei.de.example", "WK-2026-00121") + "\n"),
    ])
    write(n, top("postmaster@polizei.de.example", enc("Unzustellbar: [WK-2026-00121] Eingangsbestätigung"), "<de1-21@polizei.de.example>"), ct, body)

    # German Exim wording, ISO-8859-1 quoted-printable.
    n = "de-exim-kopie-der-nachricht.eml"
    write_text(n, top("Mail Delivery System <Mailer-Daemon@mx.lka.de.example>", enc("Unzustellbare Nachricht: zurück an den Absender", "iso-8859-1"), "<de2-22@mx.lka.de.example>"),
               "Diese Nachricht wurde automatisch vom Mailprogramm erstellt.\n\nIhre Nachricht konnte an einen oder mehrere Empfänger nicht zugestellt werden.\nDies ist ein dauerhafter Fehler. Folgende Adresse(n) schlugen fehl:\n\n  zac@lka.de.example\n    550 5.1.1 Empfänger unbekannt\n\n------ Dies ist eine Kopie der Nachricht, inklusive aller Header. ------\n\n"
               + ours_headers(n, "zac@lka.de.example", "WK-2026-00122") + "\n", charset="iso-8859-1", cte="quoted-printable")

    # French: "Non remis :", ISO-8859-1 quoted-printable, "En-têtes de message d'origine :".
    n = "fr-non-remis.eml"
    write_text(n, top("postmaster@interieur.fr.example", enc("Non remis : [WK-2026-00123] Accusé de réception", "iso-8859-1"), "<fr-23@interieur.fr.example>"),
               "Votre message n'a pas pu être remis aux destinataires ou groupes suivants :\n\nofac-247@interieur.fr.example\nL'adresse de messagerie que vous avez entrée est introuvable.\n\nInformations de diagnostic pour les administrateurs :\n\nServeur de génération : EXCH-FR.interieur.fr.example\n\nofac-247@interieur.fr.example\n#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##\n\nEn-têtes de message d'origine :\n\n"
               + ours_headers(n, "ofac-247@interieur.fr.example", "WK-2026-00123") + "\n", charset="iso-8859-1", cte="quoted-printable")

    # Spanish: "No se puede entregar:", a typed report, the text in base64 UTF-8.
    n = "es-no-se-puede-entregar.eml"
    ct, body = multipart("report", "es1", [
        part("text/plain", "No se puede entregar el mensaje a los siguientes destinatarios o grupos:\n\nucc-247@mir.es.example\nEl buzón del destinatario está lleno y no puede aceptar mensajes ahora.\n", charset="utf-8", cte="base64"),
        part("message/delivery-status", dsn("EXCH-ES.mir.es.example", "Final-Recipient: rfc822; ucc-247@mir.es.example\nAction: failed\nStatus: 5.2.2\nDiagnostic-Code: smtp; 554 5.2.2 mailbox full; STOREDRV.Deliver.Exception:QuotaExceededException")),
        part("message/rfc822", ours(n, "ucc-247@mir.es.example", "WK-2026-00124", "Acuse de recibo")),
    ], "; report-type=delivery-status")
    write(n, top("MAILER-DAEMON@mir.es.example", "No se puede entregar: [WK-2026-00124] Acuse de recibo", "<es-24@mir.es.example>"), ct, body)

    # Italian: "Non recapitabile:", a mail system's name, ISO-8859-1 quoted-printable.
    n = "it-non-recapitabile.eml"
    write_text(n, top("Sistema di consegna posta <posta@mx.interno.it.example>", "Non recapitabile: [WK-2026-00125] Conferma di ricezione", "<it-25@mx.interno.it.example>"),
               "Impossibile recapitare il messaggio ai seguenti destinatari o gruppi:\n\ncnaipic-247@interno.it.example\nL'indirizzo di posta elettronica immesso non è stato trovato.\n\n#550 5.1.1 RESOLVER.ADR.RecipNotFound; non trovato ##\n\nIntestazioni originali del messaggio:\n\n"
               + ours_headers(n, "cnaipic-247@interno.it.example", "WK-2026-00125") + "\n", charset="iso-8859-1", cte="quoted-printable")

    # Portuguese: "Não entregue:" (RFC 2047 Q), postmaster, the returned message attached.
    n = "pt-nao-entregue.eml"
    ct, body = multipart("mixed", "pt1", [
        part("text/plain", "Não foi possível entregar a mensagem aos seguintes destinatários:\n\nunc3t@pj.pt.example\nA caixa de correio do destinatário está cheia.\n\nServidor remoto: 552 5.2.2 caixa de correio cheia\n", charset="iso-8859-1", cte="quoted-printable"),
        part("message/rfc822", ours(n, "unc3t@pj.pt.example", "WK-2026-00126", "Aviso de receção")),
    ])
    write(n, top("postmaster@pj.pt.example", "=?iso-8859-1?Q?N=E3o_entregue=3A_=5BWK-2026-00126=5D_Aviso_de_rece=E7=E3o?=", "<pt-26@pj.pt.example>"), ct, body)

    # Dutch: "Onbestelbaar:", HTML with the headers in <pre>.
    n = "nl-onbestelbaar.eml"
    hdrs = ours_headers(n, "thtc-oud@politie.nl.example", "WK-2026-00127").replace("<", "&lt;").replace(">", "&gt;")
    html = ("<html><body><p>Uw bericht aan thtc-oud@politie.nl.example kon niet worden bezorgd.</p>"
            "<p>thtc-oud is niet gevonden op politie.nl.example.</p>"
            "<p>Remote Server returned '550 5.1.1 RESOLVER.ADR.RecipNotFound; not found'</p>"
            f"<p>Oorspronkelijke berichtkoppen:</p><pre>{hdrs}\n</pre></body></html>")
    write(n, top("Microsoft Outlook <postmaster@politie.nl.example>", "Onbestelbaar: [WK-2026-00127] Ontvangstbevestiging", "<nl-27@politie.nl.example>"),
          'text/html; charset="utf-8"', base64.encodebytes(html.encode()).replace(b"\n", CRLF), "base64")

    # Polish: "Niedostarczalne:", ISO-8859-2 base64.
    n = "pl-niedostarczalne.eml"
    write_text(n, top("MAILER-DAEMON@policja.pl.example", enc("Niedostarczalne: [WK-2026-00128] Potwierdzenie otrzymania", "iso-8859-2"), "<pl-28@policja.pl.example>"),
               "Wiadomość nie mogła zostać dostarczona do następujących odbiorców:\n\ncbzc-247@policja.pl.example\nPodany adres e-mail nie istnieje.\n\n550 5.1.1 <cbzc-247@policja.pl.example>: nieznany odbiorca\n\nNagłówki oryginalnej wiadomości:\n\n"
               + ours_headers(n, "cbzc-247@policja.pl.example", "WK-2026-00128") + "\n", charset="iso-8859-2", cte="base64")

    # Japanese Exchange: "配信不能:" in ISO-2022-JP, header and body.
    n = "ja-exchange-iso2022jp.eml"
    write_text(n, top("postmaster@npa.jp.example", enc("配信不能: [WK-2026-00129] 受領確認", "iso-2022-jp"), "<ja-29@npa.jp.example>"),
               "次の受信者またはグループへの配信に失敗しました:\n\ncyber-247@npa.jp.example\n入力した電子メール アドレスが見つかりませんでした。\n\n管理者向けの診断情報:\n\n#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##\n\n元のメッセージ ヘッダー:\n\n"
               + ours_headers(n, "cyber-247@npa.jp.example", "WK-2026-00129") + "\n", charset="iso-2022-jp")

    # A Japanese mail system, ISO-2022-JP, the original quoted below "元のメッセージ".
    n = "ja-mailer-daemon-iso2022jp.eml"
    write_text(n, top("MAILER-DAEMON@mx.police.jp.example", enc("メール配信エラーのお知らせ", "iso-2022-jp"), "<ja-30@mx.police.jp.example>"),
               "このメールは自動送信されています。\n以下のアドレスにメールを配信できませんでした。\n\n宛先: sousa@police.jp.example\n理由: 550 5.1.1 ユーザが存在しません\n\n----- 元のメッセージ -----\n"
               + ours_headers(n, "sousa@police.jp.example", "WK-2026-00130") + "\n", charset="iso-2022-jp")

    # Chinese (GB2312, base64): "系统退信" from a postmaster named in Chinese.
    n = "zh-gb2312-tuixin.eml"
    write_text(n, top(f"{enc('系统退信', 'gb2312')} <postmaster@mail.gaj.cn.example>", enc("系统退信", "gb2312"), "<zh-31@mail.gaj.cn.example>"),
               "抱歉，您的邮件被退回来了……\n\n原邮件信息：\n收件人：wangan@gaj.cn.example\n退信原因：收件人地址不存在 (550 5.1.1)\n\n------------------ 原始邮件 ------------------\n"
               + ours_headers(n, "wangan@gaj.cn.example", "WK-2026-00131") + "\n", charset="gb2312", cte="base64")

    # Chinese (GBK, quoted-printable): "邮件投递失败", the returned message attached.
    n = "zh-gbk-toudi-shibai.eml"
    ct, body = multipart("mixed", "zh2", [
        part("text/plain", "您发送的邮件投递失败。\n\n收件人：cyber@mps.cn.example\n原因：550 5.1.1 用户不存在\n", charset="gbk", cte="quoted-printable"),
        part("message/rfc822", ours(n, "cyber@mps.cn.example", "WK-2026-00132")),
    ])
    write(n, top("MAILER-DAEMON@mx.mps.cn.example", enc("邮件投递失败", "gbk"), "<zh-32@mx.mps.cn.example>"), ct, body)

    # Chinese (UTF-8, base64) from an ordinary-looking address: "退信：" opens the subject.
    n = "zh-utf8-tuixin-ordinary.eml"
    write_text(n, top("admin@mail.police.tw.example", enc("退信：[WK-2026-00133] 确认收到"), "<zh-33@mail.police.tw.example>"),
               "您的邮件无法投递到以下地址：\n\ncib@police.tw.example\n退信原因：邮箱不存在 (550 5.1.1)\n\n----- 原始邮件 -----\n"
               + ours_headers(n, "cib@police.tw.example", "WK-2026-00133") + "\n", charset="utf-8", cte="base64")


def delays() -> None:
    # Postfix: still being retried; Action delayed, Status 4.4.1; the headers returned.
    n = "delay-postfix-still-retried.eml"
    ct, body = multipart("report", "pd", [
        part("text/plain", "This is the mail system at host mx.politi.dk.example.\n\n####################################################################\n# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #\n####################################################################\n\nYour message could not be delivered for more than 4 hour(s).\nIt will be retried until it is 5 day(s) old.\n\n<nc3@politi.dk.example>: connect to mx2.politi.dk.example[198.51.100.80]:25:\n    Connection timed out\n"),
        part("message/delivery-status", dsn("mx.politi.dk.example", "Final-Recipient: rfc822; nc3@politi.dk.example\nOriginal-Recipient: rfc822;nc3@politi.dk.example\nAction: delayed\nStatus: 4.4.1\nDiagnostic-Code: X-Postfix; connect to mx2.politi.dk.example[198.51.100.80]:25:\n    Connection timed out\nWill-Retry-Until: Sat, 14 Nov 2026 10:00:02 +0100")),
        part("text/rfc822-headers", ours_headers(n, "nc3@politi.dk.example", "WK-2026-00141") + "\n"),
    ], "; report-type=delivery-status")
    write(n, top("MAILER-DAEMON@mx.politi.dk.example (Mail Delivery System)", "Delayed Mail (still being retried)", "<pd-41@mx.politi.dk.example>", "Mon, 09 Nov 2026 14:00:05 +0100", ("Return-Path", "<>")), ct, body)

    # Exchange: "Delivery Delayed:", a typed report, the message returned.
    n = "delay-exchange-report.eml"
    ct, body = multipart("report", "xd", [
        part("text/html", "<html><body><p><b>Delivery is delayed to these recipients or groups:</b></p><p>cybercrime@mfa.gr.example</p><p>This message hasn't been delivered yet. Delivery will continue to be attempted.</p><p>The server will keep trying to deliver this message for the next 1 days, 19 hours and 52 minutes. You'll be notified if the message can't be delivered by that time.</p></body></html>", charset="utf-8"),
        part("message/delivery-status", dsn("EXCH-GR.mfa.gr.example", "Final-Recipient: rfc822; cybercrime@mfa.gr.example\nAction: delayed\nStatus: 4.4.7\nDiagnostic-Code: smtp; 400 4.4.7 Message delayed\nWill-Retry-Until: Wed, 11 Nov 2026 10:00:00 +0200")),
        part("message/rfc822", ours(n, "cybercrime@mfa.gr.example", "WK-2026-00142")),
    ], "; report-type=delivery-status")
    write(n, top("postmaster@mfa.gr.example", "Delivery Delayed: [WK-2026-00142] Acknowledgement", "<xd-42@mfa.gr.example>"), ct, body)

    # Exchange, plain text, no report: "Delivery has been delayed".
    n = "delay-exchange-plain.eml"
    write_text(n, top("Microsoft Outlook <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@police.be.example>", "Delivery Delayed: [WK-2026-00143] Acknowledgement", "<xp-43@police.be.example>"),
               "Delivery has been delayed to these recipients or groups:\n\nfccu@police.be.example\n\nThis message hasn't been delivered yet. Delivery will continue to be attempted.\n\nDiagnostic information for administrators:\n\nfccu@police.be.example\n#400 4.4.7 Message delayed ##\n\nOriginal message headers:\n\n"
               + ours_headers(n, "fccu@police.be.example", "WK-2026-00143") + "\n")

    # Sendmail: the four-hour warning as a typed report.
    n = "delay-sendmail-warning-report.eml"
    ct, body = multipart("report", "sw", [
        part("text/plain", "    **********************************************\n    **      THIS IS A WARNING MESSAGE ONLY      **\n    **  YOU DO NOT NEED TO RESEND YOUR MESSAGE  **\n    **********************************************\n\nThe original message was received at Mon, 9 Nov 2026 10:00:01 +0100\nfrom mail.ncc.gov.example [203.0.113.5]\n\n   ----- Transcript of session follows -----\n<cyber@police.sk.example>... Deferred: Connection timed out with mx.police.sk.example.\nWarning: message still undelivered after 4 hours\nWill keep trying until message is 5 days old\n"),
        part("message/delivery-status", dsn("mx.ncc-relay.example", "Final-Recipient: RFC822; cyber@police.sk.example\nAction: delayed\nStatus: 4.4.1\nRemote-MTA: DNS; mx.police.sk.example\nLast-Attempt-Date: Mon, 9 Nov 2026 14:00:01 +0100\nWill-Retry-Until: Sat, 14 Nov 2026 10:00:01 +0100")),
        part("message/rfc822", ours(n, "cyber@police.sk.example", "WK-2026-00144")),
    ], "; report-type=delivery-status")
    write(n, top("Mail Delivery Subsystem <MAILER-DAEMON@mx.ncc-relay.example>", "Warning: could not send message for past 4 hours", "<sw-44@mx.ncc-relay.example>"), ct, body)

    # Sendmail, plain text: "Returned mail: warning: ..." with a 4.x.x code and the copy.
    n = "delay-sendmail-returned-warning.eml"
    write_text(n, top("Mail Delivery Subsystem <MAILER-DAEMON@mx2.ncc-relay.example>", "Returned mail: warning: cannot send message for 4 hours, will keep trying", "<sr-45@mx2.ncc-relay.example>"),
               "    **********************************************\n    **      THIS IS A WARNING MESSAGE ONLY      **\n    **  YOU DO NOT NEED TO RESEND YOUR MESSAGE  **\n    **********************************************\n\n   ----- Transcript of session follows -----\n451 4.4.1 reply: read error from mx.police.hu.example.\n<nni@police.hu.example>... Deferred: Connection reset by mx.police.hu.example.\n\n   ----- Original message follows -----\n\n"
               + ours_headers(n, "nni@police.hu.example", "WK-2026-00145") + "\n")

    # A status 4.x.x and no Action: a delay.
    n = "delay-status-4xx-no-action.eml"
    ct, body = multipart("report", "na", [
        part("text/plain", "This is an automatically generated Delivery Status Notification.\n\nThe following recipient's mailbox is over its quota: cyber@police.ch.example\n"),
        part("message/delivery-status", dsn("mx.police.ch.example", "Final-Recipient: rfc822; cyber@police.ch.example\nStatus: 4.2.2\nDiagnostic-Code: smtp; 452 4.2.2 Mailbox over quota")),
        part("text/rfc822-headers", ours_headers(n, "cyber@police.ch.example", "WK-2026-00146") + "\n"),
    ], "; report-type=delivery-status")
    write(n, top("Mail Delivery System <MAILER-DAEMON@mx.police.ch.example>", "Delivery Status Notification", "<na-46@mx.police.ch.example>"), ct, body)

    # Exim's delay warning, plain text with the headers below.
    n = "delay-exim-warning.eml"
    write_text(n, top("Mail Delivery System <Mailer-Daemon@mx.poliisi.fi.example>", "Warning: message 1vXyZa-0004Kq-9B delayed 24 hours", "<ew-47@mx.poliisi.fi.example>"),
               "This message was created automatically by mail delivery software.\nA message that you sent has not yet been delivered to one or more of its\nrecipients after more than 24 hours on the queue on mx.poliisi.fi.example.\n\nThe message identifier is:     1vXyZa-0004Kq-9B\n\nThe address to which the message has not yet been delivered is:\n\n  kyber@poliisi.fi.example\n    host mx2.poliisi.fi.example [192.0.2.60]: 451 4.3.0 Temporary lookup failure\n\nNo action is required on your part. Delivery attempts will continue for\nsome time, and this warning may be repeated at intervals if the message\nremains undelivered. Eventually the mail delivery software will give up,\nand when that happens, the message will be returned to you.\n\n------ This is a copy of the message's headers. ------\n\n"
               + ours_headers(n, "kyber@poliisi.fi.example", "WK-2026-00147") + "\n")

    # German Exchange: "Zustellung verzögert:", a typed report.
    n = "delay-de-zustellung-verzoegert.eml"
    ct, body = multipart("report", "dz", [
        part("text/plain", "Die Zustellung an diese Empfänger oder Gruppen ist verzögert:\n\ncybercrime@bka.de.example\n\nDiese Nachricht wurde noch nicht zugestellt. Die Zustellung wird weiterhin versucht.\n", charset="utf-8", cte="quoted-printable"),
        part("message/delivery-status", dsn("EXCH-BKA.bka.de.example", "Final-Recipient: rfc822; cybercrime@bka.de.example\nAction: delayed\nStatus: 4.4.7\nDiagnostic-Code: smtp; 400 4.4.7 Message delayed")),
        part("text/rfc822-headers", ours_headers(n, "cybercrime@bka.de.example", "WK-2026-00148") + "\n"),
    ], "; report-type=delivery-status")
    write(n, top("postmaster@bka.de.example", enc("Zustellung verzögert: [WK-2026-00148] Eingangsbestätigung"), "<dz-48@bka.de.example>"), ct, body)


def humans() -> None:
    officer = "Jan de Vries <j.devries@politie.nl.example>"
    # The delivery of data failed: a reply in a case thread.
    write_text("human-en-data-delivery-failed.eml", top(officer, "Re: [WK-2026-00042] Preservation request", "<h1@politie.nl.example>", "Tue, 10 Nov 2026 09:12:00 +0100", ("In-Reply-To", "<wk.aaaabbbbccccddddeeeeffff00001111@ncc.gov.example>")),
               "Dear colleagues,\n\nthe delivery of the data failed yesterday because the provider's upload\nportal was down. We will send the files again tomorrow.\n\nKind regards,\nJan de Vries\nTHTC\n")

    # Our mail came back, so the partner resends its request.
    write_text("human-en-resending-returned.eml", top("Cyber Unit <cyber@police.mt.example>", "Resending: request for preservation - ref. MPF-CY-2026-0417", "<h2@police.mt.example>", "Tue, 10 Nov 2026 11:40:00 +0100"),
               "Dear colleagues,\n\nour mail to you of 3 November was returned as undeliverable, so we are resending it.\n\nUnder Article 29 of the Budapest Convention we request the expedited preservation\nof the subscriber and traffic data of the account cyber.fraud@helixmail.example\n(provider: Helix Mail GmbH), used from IP 198.51.100.77 on 2 November 2026 at 14:05 UTC.\nAn MLA request will follow.\n\nBest regards,\nInsp. M. Borg\nCybercrime Unit, Malta Police\n")

    # "Did you get our mail? It bounced", with the notice pasted, quoted.
    write_text("human-en-did-you-get-it-quoted.eml", top("Petra Lang <p.lang@bka.de.example>", "Did you get our mail?", "<h3@bka.de.example>", "Tue, 10 Nov 2026 12:00:00 +0100"),
               "Hello,\n\ndid you get our mail of yesterday? It bounced, our server said:\n\n> Delivery has failed to these recipients or groups:\n> poc247@ncc.gov.example\n> #550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##\n\nCould you check your mailbox?\n\nRegards,\nPetra Lang\n")

    # The same question with the notice pasted unquoted, DSN fields and all.
    write_text("human-en-did-you-get-it-pasted.eml", top("Petra Lang <p.lang@bka.de.example>", "Re: [WK-2026-00042] Preservation request", "<h4@bka.de.example>", "Tue, 10 Nov 2026 12:05:00 +0100"),
               "Hello,\n\ndid you get our mail? It bounced. This is what came back to us:\n\nThis is the mail system at host mx.bka.de.example.\nI'm sorry to have to inform you that your message could not be delivered.\nFinal-Recipient: rfc822; poc247@ncc.gov.example\nAction: failed\nStatus: 5.1.1\n\nPlease confirm receipt by phone.\n\nRegards,\nPetra Lang\n")

    # A German out-of-office with a null Return-Path and Auto-Submitted: an automatic answer.
    write_text("human-de-out-of-office.eml", top("Petra Lang <p.lang@bka.de.example>", enc("Automatische Antwort: [WK-2026-00042] Eingangsbestätigung"), "<h5@bka.de.example>", "Tue, 10 Nov 2026 12:10:00 +0100", ("Return-Path", "<>"), ("Auto-Submitted", "auto-replied")),
               "Ich bin bis 20.11. nicht im Büro. Ihre Nachricht wird nicht weitergeleitet.\nIn dringenden Fällen wenden Sie sich bitte an 24-7-cyber@bka.de.example.\n", charset="utf-8", cte="quoted-printable")

    # An English out-of-office that talks about delayed delivery.
    write_text("human-en-out-of-office-delivery.eml", top("Anna Kowalczyk <a.kowalczyk@policja.pl.example>", "Automatic reply: [WK-2026-00088] Acknowledgement", "<h6@policja.pl.example>", "Tue, 10 Nov 2026 12:20:00 +0100", ("Return-Path", "<>"), ("Auto-Submitted", "auto-replied")),
               "I am out of the office until 23 November. Delivery of mail to this mailbox is\ndelayed while I am away; your message could not be delivered to my deputy.\nFor urgent matters please call +48 22 000 00 00.\n")

    # A reply to our bounce notice, quoting it below an Outlook separator.
    write_text("human-en-reply-to-undeliverable.eml", top("Sanna Virtanen <s.virtanen@poliisi.fi.example>", "RE: Undeliverable: [WK-2026-00031] Acknowledgement", "<h7@poliisi.fi.example>", "Tue, 10 Nov 2026 13:00:00 +0200"),
               "Sorry, the old address is disabled. Please use kyber247@poliisi.fi.example from now on.\n\nSanna\n\n-----Original Message-----\nFrom: postmaster@poliisi.fi.example\nSent: Tuesday, 10 November 2026 12:05\nSubject: Undeliverable: [WK-2026-00031] Acknowledgement\n\nDelivery has failed to these recipients or groups:\nold-247@poliisi.fi.example\n#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##\n")

    # A forward of a bounce, the notice attached as a message.
    bounced = head(("From", "postmaster@interieur.fr.example"), ("To", "ofac@interieur.fr.example"),
                   ("Subject", enc("Non remis : [WK-2026-00050] Accusé de réception")), ("Message-ID", "<inner-bounce@interieur.fr.example>"), ("MIME-Version", "1.0"))
    ict, ibody = multipart("report", "in1", [
        part("text/plain", "Delivery has failed to these recipients or groups:\n\nofac-old@interieur.fr.example\n"),
        part("message/delivery-status", dsn("EXCH-FR.interieur.fr.example", "Final-Recipient: rfc822; ofac-old@interieur.fr.example\nAction: failed\nStatus: 5.1.1")),
    ], "; report-type=delivery-status")
    inner = bounced + head(("Content-Type", ict)) + CRLF + ibody
    ct, body = multipart("mixed", "fw1", [
        part("text/plain", "Bonjour,\n\nvotre accusé de réception nous est revenu : l'ancienne adresse est fermée.\nMerci d'utiliser ofac@interieur.fr.example.\n\nCordialement,\nJ. Martin\n", charset="utf-8", cte="quoted-printable"),
        part("message/rfc822", inner),
    ])
    write("human-fr-forward-of-bounce.eml", top("J. Martin <j.martin@interieur.fr.example>", enc("TR: Non remis : [WK-2026-00050] Accusé de réception"), "<h8@interieur.fr.example>", "Tue, 10 Nov 2026 14:00:00 +0100"), ct, body)

    # A postmaster who is a person, announcing a migration.
    write_text("human-postmaster-migration.eml", top("Postmaster <postmaster@police.lt.example>", "Mail server migration on 1 December", "<h9@police.lt.example>", "Tue, 10 Nov 2026 15:00:00 +0200"),
               "Dear colleagues,\n\non 1 December we move our mail service. Messages sent to the old addresses\nafter that date will be returned to the sender. Please update your address book.\n\nBest regards,\nIT Service, Lithuanian Police\n")

    # A partner asks about a failed delivery in the subject and the body.
    write_text("human-en-delivery-failure-question.eml", top("Cyber Desk <desk@politia.ro.example>", "Delivery failure?", "<h10@politia.ro.example>", "Tue, 10 Nov 2026 16:00:00 +0200"),
               "Dear colleagues,\n\nour message of 3 November could not be delivered to your address, our server says.\nDid you receive it? Your message to us was not delivered either.\n\nKind regards,\nCyber Desk\n")

    # Spanish: the delivery of the data is late.
    write_text("human-es-retraso-en-la-entrega.eml", top("UCC <ucc@policia.es.example>", "Retraso en la entrega de los datos", "<h11@policia.es.example>", "Tue, 10 Nov 2026 17:00:00 +0100"),
               "Estimados colegas:\n\nles informamos de un retraso en la entrega de los datos solicitados; el proveedor\nno ha podido entregar los registros esta semana. Los enviaremos el lunes.\n\nAtentamente,\nUCC\n", charset="utf-8", cte="quoted-printable")


def people_with_notice_words() -> None:
    """A person's mail that has a notice's subject, wording or details, and is still not one."""
    # "Delivery failed" with the returned mail attached, from an officer.
    ct, body = multipart("mixed", "att1", [
        part("text/plain", "Dear colleagues,\n\nour mail of 3 November was not delivered to you, see the attached message.\nCould you confirm your address?\n\nKind regards,\nInsp. A. Novak\n"),
        part("message/rfc822", head(("From", "a.novak@policija.si.example"), ("To", "poc247@ncc.gov.example"), ("Subject", "Preservation request SI-2026-118"), ("Message-ID", "<si-118@policija.si.example>")) + CRLF + lines("Please preserve the account data of user x.\n")),
    ])
    write("human-en-delivery-failed-attached.eml", top("A. Novak <a.novak@policija.si.example>", "Delivery failed - see attached", "<h12@policija.si.example>", "Wed, 11 Nov 2026 09:00:00 +0100"), ct, body)

    # A person at postmaster, with a notice's subject and an SMTP reply in the text.
    write_text("human-postmaster-undeliverable-announcement.eml", top("Postmaster <postmaster@police.lt.example>", "Undeliverable mail to the old addresses", "<h13@police.lt.example>", "Wed, 11 Nov 2026 10:00:00 +0200"),
               "Dear colleagues,\n\nsince Monday mail to the old addresses is refused with \"550 5.1.1 user unknown\".\nPlease write to cyber247@police.lt.example instead.\n\nBest regards,\nIT Service, Lithuanian Police\n")

    # An officer pastes the notice under a bounce subject of their own.
    write_text("human-en-pasted-under-bounce-subject.eml", top("Petra Lang <p.lang@bka.de.example>", "Undeliverable: [WK-2026-00042] Preservation request", "<h14@bka.de.example>", "Wed, 11 Nov 2026 11:00:00 +0100"),
               "Hello,\n\nwe got this back when we wrote to your old address:\n\nDelivery has failed to these recipients or groups:\nold-247@ncc.gov.example\n#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##\n\nIs the new address correct?\n\nRegards,\nPetra Lang\n")


def main(out: Path = HERE) -> None:
    """Write every test file into `out` (this folder by default)."""
    global OUT
    OUT = out
    for old in out.glob("*.eml"):
        old.unlink()
    failures()
    languages()
    delays()
    humans()
    people_with_notice_words()


if __name__ == "__main__":
    main()
