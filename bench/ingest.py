"""Ingest throughput: raw IMAP+parse ceiling versus `watchkeeper run --once` on both databases.

Seeds N messages (realistic sizes, about 10% with a PDF attachment holding a page of text
and a scanned image, dated over the past year so that the first run imports them as
history) into a private Dovecot, then prints:

* the ceiling: imapclient fetching every message and parsing it with the standard
  library, no database;
* `watchkeeper run --once` on SQLite and on PostgreSQL: messages per second, the ratio to
  the ceiling, and the peak RSS of the daemon process.

Usage: python -m bench.ingest [--n 2000] [--no-pg] [--batch 50]
"""

from __future__ import annotations

import argparse
import email
import email.policy
import email.utils
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

from imapclient import IMAPClient

from daemon.store.db import make_engine, session_factory, upgrade
from tests.servers import (
    Dovecot,
    SmtpSink,
    create_pg_database,
    drop_pg_database,
    running_dovecot,
)
from tests.test_ingest_support import OFFICIAL, PARTNERS, seed_directory, write_config

REPO = Path(__file__).resolve().parents[1]
WORDS = (
    "preservation", "request", "account", "subscriber", "traffic", "data", "provider",
    "investigation", "offence", "fraud", "ransomware", "server", "address", "logs", "article",
    "convention", "urgent", "mutual", "legal", "assistance", "follow", "confirm", "execution",
    "period", "retention", "reference",
)


def make_mail(i: int, rng: random.Random) -> bytes:
    senders = [a for addrs in PARTNERS.values() for a in addrs]
    sender = senders[i % len(senders)] if rng.random() < 0.7 else f"user{i}@mail.example"
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = sender
    msg["To"] = OFFICIAL
    kind = rng.random()
    msg["Subject"] = (f"Preservation request - ref BEN-{i}" if kind < 0.5
                      else f"Re: question {i}" if kind < 0.8 else f"Newsletter {i}")
    msg["Date"] = email.utils.format_datetime(datetime.now(UTC))
    msg["Message-ID"] = email.utils.make_msgid(f"b{i}", sender.rpartition("@")[2])
    paragraphs = rng.randint(3, 40)
    text = "\n\n".join(" ".join(rng.choice(WORDS) for _ in range(rng.randint(20, 80)))
                       for _ in range(paragraphs))
    if kind < 0.5:
        text = (f"Under Article 29 please preserve the data of account acct{i}@mail.example "
                f"and IP address 198.51.100.{i % 250 + 1} used on 2026-10-02 08:00 UTC.\n\n"
                + text)
    msg.set_content(text)
    if kind >= 0.8:
        msg.add_alternative(f"<html><body><p>{text}</p></body></html>", subtype="html")
    if rng.random() < 0.10:
        msg.add_attachment(make_pdf(i, rng.randint(20_000, 400_000)), maintype="application",
                           subtype="pdf", filename=f"request-{i}.pdf")
    return msg.as_bytes()


def make_pdf(i: int, size: int) -> bytes:
    """A one-page PDF with a line of text and a scanned-image stream filling it to `size`."""
    text = f"BT /F1 12 Tf 72 720 Td (Preservation request BEN-{i}, account acct{i}) Tj ET"
    image = os.urandom(max(0, size - 1200))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> /XObject << /Im1 6 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text.encode()),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Type /XObject /Subtype /Image /Width 1 /Height 1 /ColorSpace /DeviceGray "
        b"/BitsPerComponent 8 /Length %d >>\nstream\n%s\nendstream" % (len(image), image),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (n, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)


def seed(dovecot: Dovecot, n: int) -> int:
    rng = random.Random(20261128)
    start = datetime.now(UTC) - timedelta(days=365)
    total = 0
    client = dovecot.client()
    try:
        for i in range(n):
            raw = make_mail(i, rng)
            total += len(raw)
            client.append("INBOX", raw, msg_time=start + timedelta(minutes=i))
    finally:
        client.logout()
    return total


def ceiling(dovecot: Dovecot, batch: int) -> float:
    """Messages per second: fetch with BODY.PEEK[] in batches, parse with the stdlib."""
    started = time.perf_counter()
    client = IMAPClient(dovecot.host, port=dovecot.port, ssl=False, timeout=30)
    client.login("desk", "desk-secret")
    client.select_folder("INBOX", readonly=True)
    uids = client.search(["ALL"])
    n = 0
    for i in range(0, len(uids), batch):
        data = client.fetch(uids[i:i + batch], ["BODY.PEEK[]", "RFC822.SIZE", "INTERNALDATE"])
        for item in data.values():
            msg = email.message_from_bytes(item[b"BODY[]"], policy=email.policy.default)
            body = msg.get_body(("plain", "html"))
            if body is not None:
                body.get_content()
            n += 1
    client.logout()
    return n / (time.perf_counter() - started)


def parser_rate(n: int) -> float:
    """Messages per second of `parsers.message.parse_message` alone on the same mail."""
    from parsers.directory import ContactPoint, Directory
    from parsers.message import parse_message

    rng = random.Random(20261128)
    raws = [make_mail(i, rng) for i in range(n)]
    directory = Directory(tuple(
        ContactPoint(country=c, authority=c, role="primary", emails=emails, timezone="UTC")
        for c, emails in PARTNERS.items()
    ))
    started = time.perf_counter()
    for raw in raws:
        parse_message(raw, directory, case_prefix="WK")
    return n / (time.perf_counter() - started)


def run_once(url: str, dovecot: Dovecot, sink: SmtpSink, work: Path, batch: int,
             n: int) -> tuple[float, float]:
    """(messages per second, peak RSS in MB) of one `watchkeeper run --once` process."""
    upgrade(url)
    engine = make_engine(url, pooled=False)
    seed_directory(session_factory(engine))
    engine.dispose()
    config = write_config(work, imap_port=dovecot.port, smtp_port=sink.port, db_url=url,
                          extra=f"batch_size = {batch}")
    env = {k: v for k, v in os.environ.items() if not k.startswith("WATCHKEEPER_")}
    env.update({"WATCHKEEPER_CONFIG": str(config), "WATCHKEEPER_IMAP__PASSWORD": "desk-secret",
                "WATCHKEEPER_LOGGING__LEVEL": "warning"})
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "daemon.cli", "run", "--once"], env=env,
                            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"run --once failed ({proc.returncode}): {err.decode()[-2000:]}")
    engine = make_engine(url, pooled=False)
    with engine.connect() as conn:
        from sqlalchemy import text

        stored = conn.execute(text("SELECT count(*) FROM messages")).scalar_one()
    engine.dispose()
    if stored != n:
        raise SystemExit(f"expected {n} message rows, found {stored}")
    return n / elapsed, usage.ru_maxrss / 1024



def idle_latency(sink: SmtpSink, work: Path, n: int) -> list[float]:
    """Seconds from APPEND to a committed case, for `n` requests, with the daemon in IDLE."""
    from sqlalchemy import select

    from models import Message
    from tests.test_ingest_support import daemon_process, request_mail, wait_until

    url = f"sqlite:///{work / 'idle.db'}"
    upgrade(url)
    engine = make_engine(url)
    sessions = session_factory(engine)
    seed_directory(sessions)
    delays: list[float] = []
    with running_dovecot() as dovecot:
        config = write_config(work, imap_port=dovecot.port, smtp_port=sink.port, db_url=url,
                              poll_seconds=600)
        log = work / "idle.log"
        proc = daemon_process(config, log=log)
        try:
            wait_until(lambda: b"daemon_started" in log.read_bytes(), 30, "daemon start")
            time.sleep(1.0)
            for i in range(n):
                mail = request_mail(5000 + i)
                mid = mail["Message-ID"].strip("<>")

                def has_case(mid: str = mid) -> bool:
                    with sessions() as s:
                        found = s.scalar(select(Message.case_id).where(Message.message_id == mid))
                        return found is not None

                dovecot.append(mail.as_bytes())
                delays.append(wait_until(has_case, 60, "case committed"))
                time.sleep(0.2)
        finally:
            proc.terminate()
            proc.wait(timeout=15)
    engine.dispose()
    return delays


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="messages to seed")
    parser.add_argument("--batch", type=int, default=50, help="imap.batch_size")
    parser.add_argument("--no-pg", action="store_true", help="skip PostgreSQL")
    parser.add_argument("--idle", type=int, default=20,
                        help="requests appended one by one to time IDLE (0: skip)")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="wk-bench-"))
    sink = SmtpSink()
    sink.start()
    try:
        with running_dovecot() as dovecot:
            t = time.perf_counter()
            size = seed(dovecot, args.n)
            print(f"seeded {args.n} messages ({size / 1e6:.1f} MB) "
                  f"in {time.perf_counter() - t:.1f} s")
            top = max(ceiling(dovecot, args.batch) for _ in range(2))
            print(f"ceiling (imapclient + stdlib parse, no DB): {top:8.1f} msg/s")
            alone = parser_rate(min(args.n, 500))
            print(f"parse_message alone (no IMAP, no DB):       {alone:8.1f} msg/s")
            (work / "sqlite").mkdir()
            rate, rss = run_once(f"sqlite:///{work / 'sqlite' / 'wk.db'}", dovecot, sink,
                                 work / "sqlite", args.batch, args.n)
            print(f"run --once, SQLite:     {rate:8.1f} msg/s  ratio {rate / top:.2f}  "
                  f"peak RSS {rss:.0f} MB")
            print(f"per message: ceiling {1000 / top:.1f} ms, parse_message {1000 / alone:.1f} ms, "
                  f"run --once {1000 / rate:.1f} ms, of which outside the parser "
                  f"{1000 / rate - 1000 / alone:.1f} ms (fetch, pipeline, one transaction)")
            if not args.no_pg:
                url = create_pg_database()
                try:
                    (work / "pg").mkdir()
                    rate, rss = run_once(url, dovecot, sink, work / "pg", args.batch, args.n)
                    print(f"run --once, PostgreSQL: {rate:8.1f} msg/s  ratio {rate / top:.2f}  "
                          f"peak RSS {rss:.0f} MB")
                finally:
                    drop_pg_database(url)
        if args.idle:
            (work / "idle").mkdir()
            delays = sorted(idle_latency(sink, work / "idle", args.idle))
            print(f"IDLE, append to committed case over {len(delays)} mails: "
                  f"median {statistics.median(delays):.2f} s, "
                  f"max {delays[-1]:.2f} s")
    finally:
        sink.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
