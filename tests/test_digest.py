"""The supervisors' daily digest: what it counts, how it reads, and how it is sent."""

from __future__ import annotations

import email
import email.policy
import hashlib
import os
import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings
from daemon.duties import digest
from daemon.store import audit
from daemon.store.db import transaction
from models import Message, PingRound, PingTarget
from tests.conftest import run_cli
from tests.servers import SmtpSink
from tests.test_deadlines_support import SUPERVISOR, desk_settings, open_case, outbox

NOW = datetime(2026, 11, 27, 6, 30, tzinfo=UTC)  # Friday 07:30 in Paris
HOSTILE = '<script>alert("x")</script> & <b>bold</b>'


def seed(sessions: sessionmaker[Session], settings: Settings) -> dict[str, str]:
    """A small desk history: overdue, urgent, lapsing, unacknowledged, at risk, quarantined."""
    refs: dict[str, str] = {}
    refs["overdue"] = open_case(sessions, settings, NOW - timedelta(days=6),
                                request_type="preservation", country="FR",
                                subject=HOSTILE)
    refs["urgent_late"] = open_case(sessions, settings, NOW - timedelta(hours=5), urgent=True,
                                    country="JP")
    refs["fast"] = open_case(sessions, settings, NOW - timedelta(days=2),
                             acknowledged_at=NOW - timedelta(days=2) + timedelta(minutes=2),
                             started_at=NOW - timedelta(days=2) + timedelta(hours=1),
                             answered_at=NOW - timedelta(days=1), status="answered")
    refs["older"] = open_case(sessions, settings, NOW - timedelta(days=20),
                              acknowledged_at=NOW - timedelta(days=20) + timedelta(minutes=6),
                              started_at=NOW - timedelta(days=20) + timedelta(hours=3),
                              status="started")
    refs["lapsing"] = open_case(sessions, settings, NOW - timedelta(days=80),
                                request_type="preservation", started_at=NOW - timedelta(days=80),
                                preservation_expires_at=NOW + timedelta(days=10),
                                status="started")
    refs["unacked"] = open_case(sessions, settings, NOW - timedelta(hours=3),
                                direction="outgoing", request_type="stored_data", country="JP")
    refs["at_risk"] = open_case(sessions, settings, NOW - timedelta(days=1),
                                direction="outgoing", request_type="preservation",
                                partner_acked_at=NOW - timedelta(hours=20),
                                retention_risk_at=NOW + timedelta(days=4),
                                flags=["retention_at_risk"])
    refs["closed"] = open_case(sessions, settings, NOW - timedelta(days=3), status="closed",
                               closed_at=NOW - timedelta(days=1))
    refs["unverified"] = open_case(sessions, settings, NOW - timedelta(hours=2),
                                   counterpart_address="officer@police.example",
                                   sender_verified=False)
    with transaction(sessions) as session:
        raw = b"Subject: broken\r\n\r\n\xff"
        session.add(Message(
            folder="INBOX", uidvalidity=1, uid=7, sha256=hashlib.sha256(raw).hexdigest(),
            size=len(raw), raw=raw, fetched_at=NOW - timedelta(hours=1),
            from_addr="someone@partner.example", subject="broken <mail>", quarantined=True,
            error="undecodable MIME part", parsed={},
        ))
        audit.record(session, "directory_changed", at=NOW - timedelta(hours=3), actor="anna",
                     change="changed", country="FR", role="primary",
                     address="sdlc-247@interieur.fr.example",
                     fields=[{"field": "office_phone", "old": "+33149000011",
                              "new": "+33149000099"}])
        ping = PingRound(token="ab12", started_at=NOW - timedelta(days=5), started_by="anna",
                         deadline_at=NOW - timedelta(days=2))
        session.add(ping)
        session.flush()
        for country, address, replied in (
                ("FR", "sdlc-247@interieur.fr.example", NOW - timedelta(days=4)),
                ("JP", "desk@cyber.jp.example", None),
                ("LU", "snt-247@police.lu.example", None)):
            session.add(PingTarget(round_id=ping.id, country=country, address=address,
                                   sent_at=ping.started_at, replied_at=replied))
    return refs


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend(attrs)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_digest_counts_and_lists(db_url: str, sessions: sessionmaker[Session]) -> None:
    """The digest counts new, open, urgent and overdue cases and lists each section."""
    settings = desk_settings(db_url)
    refs = seed(sessions, settings)
    with transaction(sessions) as session:
        data = digest.collect(session, settings, NOW)
    assert (data.new, data.open, data.urgent) == (3, 8, 1)
    # Started long ago but never answered, then not started: by the deadline shown.
    assert [(r.reference, r.label) for r in data.overdue.rows] == [
        (refs["lapsing"], "answer, 66 d 0 h late"), (refs["older"], "answer, 4 d 7 h late"),
        (refs["overdue"], "start, 2 d 7 h late"), (refs["urgent_late"], "start, 3 h 00 late")]
    assert [r.reference for r in data.calls_due.rows] == [refs["urgent_late"]]
    assert [(r.reference, r.label) for r in data.lapsing.rows] == [
        (refs["lapsing"], "in 10 d 0 h")]
    assert [(r.reference, r.label) for r in data.unacknowledged.rows] == [
        (refs["unacked"], "waiting 3 h 00")]
    assert [r.reference for r in data.retention_risks.rows] == [refs["at_risk"]]
    assert data.quarantined_count == 1
    assert data.unverified == (("officer@police.example", 1),)
    assert data.directory_changes[0].summary == (
        "changed FR primary sdlc-247@interieur.fr.example: "
        "office_phone: +33149000011 -> +33149000099")
    acknowledge = data.medians[0]
    assert (acknowledge.week, acknowledge.week_n) == (timedelta(minutes=2), 1)
    assert (acknowledge.month, acknowledge.month_n) == (timedelta(minutes=4), 2)
    assert data.medians[2].month == timedelta(days=1)
    assert data.ping is not None and (data.ping.answered, data.ping.targets) == (1, 3)
    assert data.ping.silent == (("JP", "desk@cyber.jp.example"),
                                ("LU", "snt-247@police.lu.example"))
    assert len(data.volume) == 14 and data.volume[-1].day.isoformat() == "2026-11-27"
    assert sum(d.incoming + d.outgoing for d in data.volume) == 7  # 14 days, closed too


def test_digest_html_is_self_contained_escaped_and_ordered(
        db_url: str, sessions: sessionmaker[Session]) -> None:
    """The HTML has inline styles only, no script or remote content, escapes every value,
    puts retention risks first, and draws a 14-day bar chart; the text says the same."""
    settings = desk_settings(db_url)
    refs = seed(sessions, settings)
    with transaction(sessions) as session:
        built = digest.build(session, settings, NOW)
    html = built.html
    parser = _Tags()
    parser.feed(html)
    assert not {"script", "link", "img", "iframe", "object", "style"} & set(parser.tags)
    for name, value in parser.attrs:
        assert name not in ("src", "href") and not name.startswith("on")
        assert "url(" not in (value or "") and "://" not in (value or "")
    assert HOSTILE not in html and "<script>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;bold" in html
    text = "".join(parser.text)
    assert text.index("Retention at risk") < text.index("Overdue") < text.index("Calls due")
    for heading in ("Preservations lapsing within 14 days", "Outgoing requests not acknowledged",
                    "How fast the desk answered", "Cases opened, last 14 days",
                    "Quarantined mail", "Unverified senders", "Directory changes",
                    "No answer after the deadline: JP (desk@cyber.jp.example), LU"):
        assert heading in text
    assert refs["at_risk"] in text and refs["lapsing"] in text
    columns = re.findall(r'<td style="vertical-align:bottom.*?</td>', html, re.S)
    heights = [sum(int(h) for h in re.findall(r"height:(\d+)px;background", c))
               for c in columns]
    # 14 Nov .. 27 Nov: one case on the 21st, 24th, 25th and 26th, three today (the peak).
    assert heights == [0] * 7 + [40, 0, 0, 40, 40, 40, digest.CHART_HEIGHT]
    assert built.subject == ("Daily digest 2026-11-27: 8 open, 4 overdue, 1 urgent, "
                             "1 retention at risk")
    assert built.text.index("RETENTION AT RISK") < built.text.index("OVERDUE")
    assert HOSTILE in built.text  # plain text is not HTML: shown as written
    assert "Open: 8" in built.text and "Overdue: 4" in built.text
    assert "PING TEST: 1 of 3 answered" in built.text
    assert "no answer: JP desk@cyber.jp.example" in built.text


def test_digest_mail_is_multipart_alternative_to_supervisors(
        db_url: str, sessions: sessionmaker[Session]) -> None:
    """The planned digest is one mail to the supervisors with text and HTML alternatives."""
    settings = desk_settings(db_url)
    seed(sessions, settings)
    with transaction(sessions) as session:
        assert digest.send_due_digest(session, settings, NOW)
        assert not digest.send_due_digest(session, settings, NOW + timedelta(hours=1))
    [row] = outbox(sessions, "digest")
    assert row.key == "digest:2026-11-27" and row.recipients == [SUPERVISOR]
    message = email.message_from_bytes(row.raw, policy=email.policy.default)
    assert message.get_content_type() == "multipart/alternative"
    types = [part.get_content_type() for part in message.iter_parts()]
    assert types == ["text/plain", "text/html"]
    assert message["Auto-Submitted"] == "auto-generated"


def test_digest_cli_print_and_send(db_url: str, sessions: sessionmaker[Session],
                                   tmp_path: Path) -> None:
    """`digest --print` shows the digest and can write the HTML; `--send` plans it to the
    supervisors; without supervisors `--send` fails with one line."""
    settings = desk_settings(db_url)
    seed(sessions, settings)
    env = {"WATCHKEEPER_DATABASE__URL": db_url, "WATCHKEEPER_DESK__TIMEZONE": "Europe/Paris",
           "PATH": os.environ.get("PATH", "")}
    html = tmp_path / "digest.html"
    done = run_cli("digest", "--print", "--html", str(html), env=env)
    assert done.returncode == 0, done.stderr
    assert "OVERDUE" in done.stdout and "MEDIAN TIME TO" in done.stdout
    assert "Daily digest" in html.read_text(encoding="utf-8")
    refused = run_cli("digest", "--send", env=env)
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines() == [
        "watchkeeper: configuration error: desk.supervisors is empty: "
        "nobody to send the digest to"]
    sent = run_cli("digest", "--send",
                   env={**env, "WATCHKEEPER_DESK__SUPERVISORS": f'["{SUPERVISOR}"]'})
    assert sent.returncode == 0, sent.stderr
    assert f"to {SUPERVISOR}" in sent.stdout
    [row] = outbox(sessions, "digest")
    assert row.key.startswith("digest:manual:") and row.recipients == [SUPERVISOR]


def test_empty_database_digest_reads_calmly(db_url: str, sessions: sessionmaker[Session]) -> None:
    """With no case at all the digest still builds, saying each section is empty."""
    settings = desk_settings(db_url)
    with transaction(sessions) as session:
        built = digest.build(session, settings, NOW)
    assert "Nothing is overdue." in built.html and "Nothing is overdue." in built.text
    assert "Retention at risk" not in built.html
    assert built.data.open == 0


def test_digest_cli_send_delivers_through_smtp(
        db_url: str, sessions: sessionmaker[Session], smtp_sink: SmtpSink) -> None:
    """`digest --send` with an SMTP server configured delivers the multipart digest now."""
    seed(sessions, desk_settings(db_url))
    env = {"WATCHKEEPER_DATABASE__URL": db_url, "WATCHKEEPER_DESK__TIMEZONE": "Europe/Paris",
           "WATCHKEEPER_DESK__SUPERVISORS": f'["{SUPERVISOR}"]',
           "WATCHKEEPER_SMTP__HOST": smtp_sink.host,
           "WATCHKEEPER_SMTP__PORT": str(smtp_sink.port),
           "WATCHKEEPER_SMTP__TLS": "none", "PATH": os.environ.get("PATH", "")}
    done = run_cli("digest", "--send", env=env)
    assert done.returncode == 0, done.stderr
    assert f"digest sent to {SUPERVISOR}" in done.stdout
    [mail] = smtp_sink.handler.wait_for(1)
    assert mail.rcpt_tos == [SUPERVISOR]
    assert mail.message.get_content_type() == "multipart/alternative"
    assert str(mail.message["Subject"]).strip().startswith("Daily digest ")
