"""Mail, directory and configuration builders shared by the ingest, mailbox and crash tests."""

from __future__ import annotations

import email.policy
import email.utils
import itertools
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from daemon.store.db import transaction
from models import Case, ContactEmail, ContactPointRow, MailboxCheckpoint, Message

REPO = Path(__file__).resolve().parents[1]
OFFICIAL = "poc247@ncc.gov.example"
PARTNERS = {
    "FR": ("cp247@police.fr.example", "duty@police.fr.example"),
    "LU": ("cybercrime@police.lu.example",),
    "DE": ("24-7@bka.de.example",),
}
_serial = itertools.count(1)


def seed_directory(sessions: sessionmaker[Session]) -> None:
    """Contact points for FR (two addresses), LU and DE."""
    now = datetime.now(UTC)
    zones = {"FR": "Europe/Paris", "LU": "Europe/Luxembourg", "DE": "Europe/Berlin"}
    with transaction(sessions) as session:
        for country, emails in PARTNERS.items():
            row = ContactPointRow(
                country=country, authority=f"Cybercrime unit {country}", role="primary",
                timezone=zones[country], office_hours="Mon-Fri 08:00-18:00",
                office_phone="+33 1 40 00 00 01", languages=["en"], retention={},
                created_at=now, changed_at=now,
            )
            row.emails = [ContactEmail(address=a, position=i) for i, a in enumerate(emails)]
            session.add(row)


def request_mail(
    n: int | None = None, *, sender: str = PARTNERS["FR"][0], subject: str | None = None,
    body: str | None = None, headers: dict[str, str] | None = None, size: int = 0,
) -> EmailMessage:
    """A preservation request as partners write them."""
    n = next(_serial) if n is None else n
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = f"Duty officer <{sender}>"
    msg["To"] = OFFICIAL
    msg["Subject"] = subject if subject is not None else f"Preservation request - ref ABC-{n}"
    msg["Date"] = email.utils.format_datetime(datetime.now(UTC))
    msg["Message-ID"] = email.utils.make_msgid(f"req{n}", sender.rpartition("@")[2])
    for key, value in (headers or {}).items():
        msg[key] = value
    text = body if body is not None else (
        f"Dear colleagues,\n\nUnder Article 29 of the Budapest Convention, please preserve "
        f"the data of account user{n}@mail.example held by Example Mail Ltd, including "
        f"subscriber information and traffic data for the IP address 198.51.100.{n % 250 + 1} "
        f"used on 2026-11-02 at 07:48 UTC.\n\nOur reference: ABC-{n}\n"
        "A mutual legal assistance request will follow.\n\nRegards,\nDuty officer\n"
    )
    if size:
        text += "\n" + ("Preservation log line for the record.\n" * (size // 38 + 1))
    msg.set_content(text)
    return msg


def reply_mail(original: EmailMessage, *, sender: str, to: str = OFFICIAL,
               subject: str | None = None, text: str = "Thank you, noted.\n") -> EmailMessage:
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject if subject is not None else f"Re: {original['Subject']}"
    msg["Date"] = email.utils.format_datetime(datetime.now(UTC))
    msg["Message-ID"] = email.utils.make_msgid("re", sender.rpartition("@")[2])
    msg["In-Reply-To"] = original["Message-ID"]
    msg["References"] = original["Message-ID"]
    msg.set_content(text)
    return msg


def write_config(tmp_path: Path, *, imap_port: int, smtp_port: int, db_url: str,
                 extra: str = "", poll_seconds: int = 2, username: str = "desk") -> Path:
    path = tmp_path / "watchkeeper.toml"
    path.write_text(f"""
[database]
url = "{db_url}"

[imap]
host = "127.0.0.1"
port = {imap_port}
tls = "none"
username = "{username}"
poll_seconds = {poll_seconds}
reconnect_initial_seconds = 0.2
reconnect_max_seconds = 2.0
{extra}

[smtp]
host = "127.0.0.1"
port = {smtp_port}
tls = "none"

[desk]
official_address = "{OFFICIAL}"

[logging]
format = "json"
""", encoding="utf-8")
    return path


def cli_env(config: Path) -> dict[str, str]:
    return {"WATCHKEEPER_CONFIG": str(config), "WATCHKEEPER_IMAP__PASSWORD": "desk-secret"}


def daemon_process(config: Path, *args: str, log: Path | None = None) -> subprocess.Popen[bytes]:
    """`watchkeeper run` as a real process, its log written to a file."""
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("WATCHKEEPER_")}
    env.update(cli_env(config))
    out = log.open("ab") if log is not None else subprocess.DEVNULL
    return subprocess.Popen([sys.executable, "-m", "daemon.cli", "run", *args], env=env,
                            cwd=REPO, stdout=out, stderr=out)


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> float:
    """Seconds until `predicate` holds; fails the test after `timeout`."""
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"{what}: not after {timeout}s")
        time.sleep(0.02)
    return time.monotonic() - start


def count(sessions: sessionmaker[Session], model: type[Message] | type[Case]) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def events(log: Path) -> list[dict[str, object]]:
    """The daemon's JSON log lines, parsed."""
    import json

    if not log.exists():
        return []
    out = []
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("{"):
            out.append(json.loads(line))
    return out


def stored(sessions: sessionmaker[Session], message_id: str) -> bool:
    """Whether the message with this Message-ID is committed."""
    with sessions() as session:
        return session.scalar(select(Message.id).where(Message.message_id == message_id)
                              .limit(1)) is not None


def watching(sessions: sessionmaker[Session], folders: int = 2) -> bool:
    """Whether `folders` watchers have caught up and wait in IDLE (the checkpoint says
    so): from then on an arrival is the server's to report, not a catch-up's."""
    with sessions() as session:
        rows = session.scalars(select(MailboxCheckpoint)).all()
        return sum(1 for cp in rows if cp.idle) >= folders
