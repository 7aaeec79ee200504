"""Real servers for the tests: a private Dovecot, an aiosmtpd sink, throwaway databases."""

from __future__ import annotations

import contextlib
import email
import email.policy
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

PG_ADMIN_URL = os.environ.get(
    "WATCHKEEPER_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def ensure_dovecot() -> None:
    """Install Dovecot's IMAP server from Debian's packages when it is missing."""
    if shutil.which("dovecot") and shutil.which("doveadm"):
        return
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env,
                   stdout=subprocess.DEVNULL)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "dovecot-imapd"],
        check=True, env=env, stdout=subprocess.DEVNULL,
    )


def _children(pid: int) -> list[int]:
    """Every descendant of a process, read from /proc."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry.name))
    found: list[int] = []
    todo = [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


DOVECOT_CONF = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/log/dovecot.log
info_log_path = {root}/log/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
mail_location = maildir:{root}/mail/%u/Maildir
mail_plugins =
protocol imap {{
  mail_max_userip_connections = 100
}}
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Sent {{
    special_use = \\Sent
    auto = subscribe
  }}
  mailbox Trash {{
    special_use = \\Trash
    auto = subscribe
  }}
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {root}/passwd
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
"""


@dataclass
class Dovecot:
    """A private Dovecot on loopback, started and stopped by the tests that own it."""

    root: Path
    port: int = field(default_factory=free_port)
    users: dict[str, str] = field(default_factory=lambda: {"desk": "desk-secret"})
    host: str = "127.0.0.1"

    @property
    def conf(self) -> Path:
        return self.root / "dovecot.conf"

    def start(self) -> None:
        ensure_dovecot()
        for sub in ("run", "state", "log", "mail"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        self.conf.write_text(DOVECOT_CONF.format(root=self.root, port=self.port))
        passwd = self.root / "passwd"
        passwd.write_text("".join(f"{u}:{{PLAIN}}{p}\n" for u, p in self.users.items()))
        shutil.chown(passwd, "root", "dovecot")
        passwd.chmod(0o640)
        subprocess.run(["chown", "-R", "nobody:nogroup", str(self.root / "mail")], check=True)
        self.root.chmod(0o755)
        subprocess.run(["dovecot", "-c", str(self.conf)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._wait_started()

    def _wait_started(self) -> None:
        """The port answers and the master has written its pid file (a busy machine can
        take a moment over the second; a test that restarts needs the pid)."""
        wait_for_port(self.port)
        deadline = time.monotonic() + 20
        while self.master_pid() is None:
            if time.monotonic() > deadline:
                raise RuntimeError(f"dovecot wrote no pid file under {self.root / 'run'}")
            time.sleep(0.05)

    def master_pid(self) -> int | None:
        try:
            return int((self.root / "run" / "master.pid").read_text().strip())
        except (OSError, ValueError):
            return None

    def stop(self) -> None:
        """Stop the master and every process it started (a real outage for clients)."""
        pid = self.master_pid()
        if pid is None:
            return
        victims = [pid, *_children(pid)]
        for p in victims:
            with contextlib.suppress(ProcessLookupError):
                os.kill(p, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(p) for p in victims):
            time.sleep(0.05)
        with contextlib.suppress(OSError):
            (self.root / "run" / "master.pid").unlink()

    def restart(self) -> None:
        self.stop()
        subprocess.run(["dovecot", "-c", str(self.conf)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._wait_started()

    def doveadm(self, *args: str) -> str:
        out = subprocess.run(["doveadm", "-c", str(self.conf), *args], check=True,
                             capture_output=True, text=True, timeout=60)
        return out.stdout

    def reset_user(self, user: str = "desk") -> None:
        """Empty a user's mail: every test starts from a clean mailbox."""
        shutil.rmtree(self.root / "mail" / user, ignore_errors=True)

    def recreate_folder(self, folder: str, user: str = "desk") -> None:
        """Delete and recreate a folder: the server hands out a new UIDVALIDITY."""
        self.doveadm("mailbox", "delete", "-u", user, folder)
        self.doveadm("mailbox", "create", "-u", user, folder)

    def client(self, user: str = "desk") -> Any:
        """An imapclient connection for the test itself (seeding, checking flags)."""
        from imapclient import IMAPClient

        c = IMAPClient(self.host, port=self.port, ssl=False, timeout=30)
        c.login(user, self.users[user])
        return c

    def append(self, raw: bytes, folder: str = "INBOX", user: str = "desk",
               flags: tuple[bytes, ...] = ()) -> None:
        c = self.client(user)
        try:
            c.append(folder, raw, flags=flags)
        finally:
            c.logout()

    def append_many(self, raws: list[bytes], folder: str = "INBOX", user: str = "desk") -> None:
        c = self.client(user)
        try:
            for raw in raws:
                c.append(folder, raw)
        finally:
            c.logout()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@contextlib.contextmanager
def running_dovecot() -> Iterator[Dovecot]:
    root = Path(tempfile.mkdtemp(prefix="wk-dovecot-"))
    server = Dovecot(root=root)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


# --- SMTP -------------------------------------------------------------------------------


@dataclass
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    at: datetime

    @property
    def message(self) -> EmailMessage:
        msg = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        return msg


class SinkHandler:
    """Records every mail; can be told to answer the next MAIL, RCPT or DATA with a code."""

    def __init__(self) -> None:
        self.received: list[ReceivedMail] = []
        self.failures: dict[str, list[str]] = {"MAIL": [], "RCPT": [], "DATA": []}
        self.always: dict[str, str] = {}
        self.lock = threading.Lock()
        self.arrived = threading.Condition(self.lock)

    def fail_next(self, command: str, reply: str = "451 4.3.0 try again later") -> None:
        with self.lock:
            self.failures[command.upper()].append(reply)

    def fail_always(self, command: str, reply: str) -> None:
        with self.lock:
            self.always[command.upper()] = reply

    def _injected(self, command: str) -> str | None:
        with self.lock:
            if self.failures[command]:
                return self.failures[command].pop(0)
            return self.always.get(command)

    async def handle_MAIL(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, mail_options: list[str]) -> str:
        reply = self._injected("MAIL")
        if reply:
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, rcpt_options: list[str]) -> str:
        reply = self._injected("RCPT")
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        reply = self._injected("DATA")
        if reply:
            return reply
        content = envelope.original_content or b""
        with self.arrived:
            self.received.append(ReceivedMail(
                mail_from=envelope.mail_from or "", rcpt_tos=list(envelope.rcpt_tos),
                data=content, at=datetime.now(UTC),
            ))
            self.arrived.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedMail]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.received) >= count, timeout)
            return list(self.received)

    def clear(self) -> None:
        with self.lock:
            self.received.clear()
            self.always.clear()
            for queue in self.failures.values():
                queue.clear()


class SmtpSink:
    """An aiosmtpd server in a thread on loopback, which can be stopped and started again."""

    def __init__(self) -> None:
        self.handler = SinkHandler()
        self.port = free_port()
        self.host = "127.0.0.1"
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self.handler, hostname=self.host, port=self.port,
                                      ready_timeout=10)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def received(self) -> list[ReceivedMail]:
        return self.handler.received


# --- Databases ----------------------------------------------------------------------------


def create_pg_database() -> str:
    """A new empty PostgreSQL database; returns its URL."""
    from sqlalchemy import create_engine, text

    name = f"wk_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def drop_pg_database(url: str) -> None:
    from sqlalchemy import create_engine, text

    name = url.rsplit("/", 1)[1]
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


# --- A private PostgreSQL cluster, to stop and start under a running daemon ----------------

PG_BIN = Path(os.environ.get("WATCHKEEPER_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))


class PrivatePostgres:
    """A PostgreSQL cluster of its own in a temporary directory, owned by the `postgres`
    user, on a free loopback port: a test can stop it (a real outage: every connection
    cut, new ones refused) and start it again without touching the shared server."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="wk-pg-"))
        self.data = self.root / "data"
        self.sockets = self.root / "run"
        self.log = self.root / "postgres.log"
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _as_postgres(self, *args: str, timeout: float = 60) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", *args], check=True, timeout=timeout,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def init(self) -> None:
        self.sockets.mkdir(parents=True)
        shutil.chown(self.root, "postgres", "postgres")
        shutil.chown(self.sockets, "postgres", "postgres")
        self._as_postgres(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres",
                          "-A", "trust", "--no-sync", "-E", "UTF8")
        self.start()

    def start(self) -> None:
        """Start the cluster and wait until it accepts connections."""
        # pg_ctl keeps the output it was started with: a file, never a pipe (it would hang).
        self._as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
                          "-w", "-t", "60", "-o",
                          f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1 "
                          "-c fsync=off", "start")

    def stop(self) -> None:
        """Stop the cluster the way an administrator does: every client connection is cut."""
        self._as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w",
                          "-t", "60", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def destroy(self) -> None:
        if self.running():
            with contextlib.suppress(subprocess.SubprocessError):
                self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
