"""Real servers for the tests: a private Dovecot (plain and TLS), pymap and Cyrus IMAP as
second and third IMAP implementations, a loopback proxy that splits and cuts connections,
an aiosmtpd sink, throwaway databases."""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import fcntl
import itertools
import json
import os
import random
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
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
            line = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(line.rsplit(")", 1)[1].split()[1])
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
{oauth2}passdb {{
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
    port = {tls_port}
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
"""

# XOAUTH2 and OAUTHBEARER checked by Dovecot's oauth2 passdb against an introspection
# endpoint (RFC 7662); plain logins still go to the passwd file. Without the auth penalty
# (anvil's socket closed to the auth process) a refused token does not slow each later
# login by up to 15 s; the failure delay of 2 s stays.
OAUTH2_CONF = """\
auth_mechanisms = plain login xoauth2 oauthbearer
passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {root}/oauth2.conf.ext
}}
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
"""

OAUTH2_EXT = """\
introspection_mode = post
introspection_url = {url}
username_attribute = username
active_attribute = active
active_value = true
"""


@dataclass
class Dovecot:
    """A private Dovecot on loopback, started and stopped by the tests that own it."""

    root: Path
    port: int = field(default_factory=free_port)
    users: dict[str, str] = field(default_factory=lambda: {"desk": "desk-secret"})
    host: str = "127.0.0.1"
    tls: bool = False  # also listen with implicit TLS on tls_port, certificate in ca_file
    tls_port: int = 0
    # An introspection URL turns on XOAUTH2/OAUTHBEARER logins checked against it.
    oauth2_url: str | None = None

    user = "desk"
    password = "desk-secret"

    @property
    def conf(self) -> Path:
        return self.root / "dovecot.conf"

    @property
    def ca_file(self) -> Path:
        """The self-signed certificate (for 127.0.0.1 and localhost) the TLS port shows."""
        return self.root / "cert.pem"

    def _tls_conf(self) -> str:
        key = self.root / "key.pem"
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
             "-keyout", str(key), "-out", str(self.ca_file), "-subj", "/CN=localhost",
             "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        return (f"ssl = yes\nssl_cert = <{self.ca_file}\nssl_key = <{key}\n"
                "ssl_min_protocol = TLSv1.2\n")

    def start(self) -> None:
        ensure_dovecot()
        for sub in ("run", "state", "log", "mail"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        conf = DOVECOT_CONF
        if self.tls:
            self.tls_port = self.tls_port or free_port()
            conf = conf.replace("ssl = no\n", self._tls_conf().replace("{", "{{")
                                .replace("}", "}}"))
        oauth2 = ""
        if self.oauth2_url is not None:
            (self.root / "oauth2.conf.ext").write_text(OAUTH2_EXT.format(url=self.oauth2_url))
            oauth2 = OAUTH2_CONF.format(root=self.root)
        self.conf.write_text(conf.format(root=self.root, port=self.port,
                                         tls_port=self.tls_port, oauth2=oauth2))
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

    def append_many(self, raws: list[bytes], folder: str = "INBOX", user: str = "desk",
                    msg_time: datetime | None = None) -> None:
        """Append each message; `msg_time` sets their INTERNALDATE (a test's manual clock)."""
        c = self.client(user)
        try:
            for raw in raws:
                c.append(folder, raw, msg_time=msg_time)
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
def running_dovecot(tls: bool = False, oauth2_url: str | None = None) -> Iterator[Dovecot]:
    root = Path(tempfile.mkdtemp(prefix="wk-dovecot-"))
    server = Dovecot(root=root, tls=tls, oauth2_url=oauth2_url)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


# --- A second and a third IMAP implementation -------------------------------------------


class ImapAccount:
    """Seeding helpers shared by the non-Dovecot servers: one user, plain IMAP on loopback."""

    host = "127.0.0.1"
    port: int
    user: str
    password: str

    def client(self, user: str | None = None) -> Any:
        from imapclient import IMAPClient

        c = IMAPClient(self.host, port=self.port, ssl=False, timeout=30)
        c.login(user or self.user, self.password)
        return c

    def append(self, raw: bytes, folder: str = "INBOX", user: str | None = None,
               flags: tuple[bytes, ...] = ()) -> None:
        c = self.client(user)
        try:
            c.append(folder, raw, flags=flags)
        finally:
            c.logout()

    def append_many(self, raws: list[bytes], folder: str = "INBOX",
                    user: str | None = None) -> None:
        """Every message in one pipelined write (LITERAL+, which pymap and Cyrus offer):
        seeding 500 messages takes seconds, not the half minute of one round trip each."""
        with socket.create_connection((self.host, self.port), 30) as sock:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            replies = sock.makefile("rb")
            replies.readline()  # the greeting
            sock.sendall(f'L LOGIN "{user or self.user}" "{self.password}"\r\n'.encode())
            if not _tagged_ok(replies, b"L"):
                raise RuntimeError(f"seeding login as {user or self.user} refused")
            out = bytearray()
            for i, raw in enumerate(raws):
                raw = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
                out += f'A{i} APPEND "{folder}" {{{len(raw)}+}}\r\n'.encode() + raw + b"\r\n"
            sock.sendall(out)
            for i in range(len(raws)):
                if not _tagged_ok(replies, f"A{i}".encode()):
                    raise RuntimeError(f"seeding: APPEND {i} into {folder} refused")
            sock.sendall(b"Z LOGOUT\r\n")


def _tagged_ok(replies: Any, tag: bytes) -> bool:
    """Read up to the tagged answer for `tag`; whether it is OK."""
    while line := replies.readline():
        if line.startswith(tag + b" "):
            return line[len(tag) + 1:].upper().startswith(b"OK")
    return False


class Pymap(ImapAccount):
    """pymap's in-memory server in a process of its own (tests/pymap_server.py): another
    IMAP implementation, which writes one response line in several TCP segments and
    marks no folder with SPECIAL-USE flags."""

    def __init__(self, sent_folder: str = "Sent", user: str = "desk",
                 password: str = "desk-secret") -> None:
        self.port = free_port()
        self.user, self.password, self.sent_folder = user, password, sent_folder
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        repo = Path(__file__).resolve().parents[1]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.pymap_server", str(self.port), self.user,
             self.password, self.sent_folder],
            cwd=repo, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port, timeout=30)

    def stop(self) -> None:
        """Killed like a crashing server: its connections end without a BYE."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid


@contextlib.contextmanager
def running_pymap(sent_folder: str = "Sent") -> Iterator[Pymap]:
    server = Pymap(sent_folder)
    try:
        server.start()
        yield server
    finally:
        server.stop()


class CyrusUnavailable(RuntimeError):
    """Cyrus IMAP could not be fetched from Debian's packages; one line."""


# Debian's cyrus-imapd conflicts with dovecot-imapd (both provide imap-server), so it is
# never installed: its packages are downloaded and unpacked into a private root, once per
# virtual environment. The SASL packages come along so that a machine without them works.
CYRUS_PACKAGES = ("cyrus-imapd", "cyrus-common", "libical3", "libpcre3", "libxapian30",
                  "sasl2-bin", "libsasl2-2", "libsasl2-modules-db", "libdb5.3")
ARCH_LIB = "usr/lib/x86_64-linux-gnu"


def _reachable_by_others(path: Path) -> bool:
    """True when every directory above `path` lets other users through (o+x)."""
    return all(p.stat().st_mode & stat.S_IXOTH for p in path.resolve().parents)


def cyrus_cache() -> Path:
    """Where the unpacked Cyrus is kept: under the virtual environment, unless a directory
    above it is closed to other users (a checkout in a `mktemp -d` directory or a home of
    mode 0700). Cyrus's imapd runs as nobody and must reach its own binaries and
    libraries, so there the cache lives in a directory of the system's temporary space
    that only root writes."""
    cache = Path(sys.prefix) / "var" / "cyrus-imapd"
    if _reachable_by_others(cache.parent):
        return cache
    shared = Path(tempfile.gettempdir()) / f"watchkeeper-cyrus-imapd-{os.getuid()}"
    shared.mkdir(mode=0o755, exist_ok=True)
    shared.chmod(0o755)
    return shared / "root"


def cyrus_root() -> Path:
    """The unpacked Cyrus (downloaded on first use, kept under the virtual environment or,
    where nobody could reach it there, in the system's temporary space)."""
    cache = cyrus_cache()
    master = cache / "usr" / "lib" / "cyrus" / "bin" / "master"
    if master.exists():
        return cache
    cache.parent.mkdir(parents=True, exist_ok=True)
    with (cache.parent / "cyrus-imapd.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two test workers: one downloads
        if master.exists():
            return cache
        with tempfile.TemporaryDirectory(prefix="wk-cyrus-debs-") as tmp:
            download = ["apt-get", "download", "-o", "APT::Sandbox::User=root",
                        *CYRUS_PACKAGES]
            done = subprocess.run(download, cwd=tmp, capture_output=True, text=True)
            if done.returncode != 0:  # a fresh machine has no package lists yet
                subprocess.run(["apt-get", "update", "-qq"], capture_output=True)
                done = subprocess.run(download, cwd=tmp, capture_output=True, text=True)
            if done.returncode != 0:
                last = (done.stderr.strip().splitlines() or ["no output"])[-1]
                raise CyrusUnavailable(
                    f"Cyrus IMAP could not be downloaded from Debian's packages: {last}")
            staging = Path(tmp) / "root"
            for deb in sorted(Path(tmp).glob("*.deb")):
                subprocess.run(["dpkg-deb", "-x", str(deb), str(staging)], check=True)
            shutil.rmtree(cache, ignore_errors=True)
            shutil.move(str(staging), str(cache))
    return cache


CYRUS_IMAPD_CONF = """\
configdirectory: {root}/conf
proc_path: {root}/proc
mboxname_lockpath: {root}/lock
defaultpartition: default
partition-default: {root}/spool
altnamespace: yes
unixhierarchysep: yes
allowplaintext: yes
sasl_pwcheck_method: auxprop
sasl_auxprop_plugin: sasldb
sasl_sasldb_path: {root}/sasldb2
sasl_mech_list: PLAIN LOGIN
cyrus_user: nobody
cyrus_group: nogroup
autocreate_quota: 0
autocreate_inbox_folders: Sent
specialusealways: yes
xlist-sent: Sent
lmtpsocket: {root}/socket/lmtp
idlesocket: {root}/socket/idle
notifysocket: {root}/socket/notify
imapidlepoll: {idlepoll}
syslog_prefix: wk-test-cyrus
"""

CYRUS_CONF = """\
START {{
  recover cmd="{bin}/ctl_cyrusdb -C {root}/imapd.conf -r"
}}
SERVICES {{
  imap cmd="{bin}/imapd -C {root}/imapd.conf" listen="127.0.0.1:{port}" prefork=0 maxchild=100
}}
EVENTS {{
}}
DAEMON {{
{idled}
}}
"""


class Cyrus(ImapAccount):
    """A private Cyrus IMAP 3 (unpacked from Debian's packages) on loopback, running as
    nobody. It lists SPECIAL-USE flags in lower case (`\\\\sent`). With `push=True` its
    `idled` tells IDLE clients of new mail at once; without, IDLE is checked only every
    `imapidlepoll` (60 s, the default): the server whose IDLE does not push."""

    _users = itertools.count(1)

    def __init__(self, root: Path, push: bool = True) -> None:
        self.root, self.push = root, push
        self.port = free_port()
        self.password = "desk-secret"
        self.user = "desk"
        self.proc: subprocess.Popen[bytes] | None = None
        self.dist = cyrus_root()

    def _env(self) -> dict[str, str]:
        libs = [str(self.dist / ARCH_LIB), str(self.dist / "lib" / "x86_64-linux-gnu")]
        return dict(os.environ, LD_LIBRARY_PATH=":".join(libs),
                    SASL_PATH=str(self.dist / ARCH_LIB / "sasl2"))

    def start(self) -> None:
        for sub in ("conf/socket", "proc", "lock", "spool", "socket", "log"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        bin_dir = self.dist / "usr" / "lib" / "cyrus" / "bin"
        (self.root / "imapd.conf").write_text(CYRUS_IMAPD_CONF.format(
            root=self.root, idlepoll=60))
        idled = f'  idled cmd="{bin_dir}/idled -C {self.root}/imapd.conf"' if self.push else ""
        (self.root / "cyrus.conf").write_text(CYRUS_CONF.format(
            bin=bin_dir, root=self.root, port=self.port, idled=idled))
        self._add_user()
        self.root.chmod(0o755)
        self._launch()
        self._first_login()

    def _launch(self) -> None:
        subprocess.run(["chown", "-R", "nobody:nogroup", str(self.root)], check=True)
        log = (self.root / "log" / "master.log").open("ab")
        self.proc = subprocess.Popen(
            [str(self.dist / "usr" / "lib" / "cyrus" / "bin" / "master"),
             "-C", str(self.root / "imapd.conf"), "-M", str(self.root / "cyrus.conf"),
             "-p", str(self.root / "master.pid"), "-D"],
            env=self._env(), stdout=log, stderr=log,
        )
        log.close()
        wait_for_port(self.port, timeout=30)

    def new_user(self) -> str:
        """A fresh user with INBOX and Sent, made at its first login: an empty mailbox per
        test."""
        self._add_user()
        self._first_login()
        return self.user

    def _add_user(self) -> None:
        name = f"desk{next(self._users)}"
        subprocess.run(
            [str(self.dist / "usr" / "sbin" / "saslpasswd2"), "-p", "-c", "-f",
             str(self.root / "sasldb2"), "-u", "", name],
            input=self.password.encode(), env=self._env(), check=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        subprocess.run(["chown", "nobody:nogroup", str(self.root / "sasldb2")], check=True)
        self.user = name

    def _first_login(self) -> None:
        """Log in once now: Cyrus creates INBOX and Sent at the first login, and a daemon
        whose two watchers log in together would otherwise race that creation (the folder
        list read before Sent exists, so only INBOX is watched)."""
        client = self.client(self.user)
        try:
            folders = [entry[2] for entry in client.list_folders()]
        finally:
            client.logout()
        if "Sent" not in folders:
            raise RuntimeError(f"Cyrus made no Sent folder for {self.user} at its first login")

    def stop(self) -> None:
        """Kill the master and every process it started: a crash, no BYE."""
        if self.proc is None:
            return
        victims = [self.proc.pid, *_children(self.proc.pid)]
        for p in victims:
            with contextlib.suppress(ProcessLookupError):
                os.kill(p, signal.SIGKILL)
        self.proc.wait(10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(p) for p in victims):
            time.sleep(0.05)
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self._launch()


@contextlib.contextmanager
def running_cyrus(push: bool = True) -> Iterator[Cyrus]:
    root = Path(tempfile.mkdtemp(prefix="wk-cyrus-"))
    server = Cyrus(root, push=push)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


# --- A hostile network ------------------------------------------------------------------


class SplitProxy:
    """A loopback TCP proxy in front of a server. Every write of the server reaches the
    client in several pieces, cut at random points with short pauses between them (a
    line in several TCP segments, as TLS records and busy servers deliver them); `cut()`
    closes every connection at once, without a BYE, as a crash or a network cut does;
    `refuse()` turns new connections away until `accept()`."""

    def __init__(self, upstream_port: int, *, seed: int = 0, max_pause: float = 0.003,
                 upstream_host: str = "127.0.0.1") -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = free_port()
        self.max_pause = max_pause
        self.random = random.Random(seed)  # the same cuts on every run of a test
        self.pieces = 0  # server writes delivered in more than one piece
        self.connections = 0
        self.from_clients = bytearray()  # every byte the clients sent, in order
        self._refusing = False
        self._writers: set[asyncio.StreamWriter] = set()
        self._clients: set[asyncio.StreamWriter] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping = asyncio.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="split-proxy", daemon=True)

    def start(self) -> None:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the splitting proxy did not start")

    def _run(self) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._stopping = asyncio.Event()
            server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
            self._ready.set()
            await self._stopping.wait()
            server.close()
            for w in list(self._writers):
                w.transport.abort()

        asyncio.run(main())  # tasks still running are cancelled on the way out

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._refusing:
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.transport.abort()
            return
        self.connections += 1
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        pair = {writer, up_writer}
        self._writers |= pair
        self._clients.add(writer)

        async def to_server() -> None:
            while data := await reader.read(65536):
                self.from_clients += data
                up_writer.write(data)
                await up_writer.drain()

        async def to_client() -> None:
            while data := await up_reader.read(65536):
                cuts = sorted(self.random.sample(range(1, len(data)),
                                                 min(len(data) - 1, self.random.randint(1, 3))))
                if cuts:
                    self.pieces += 1
                for start, end in itertools.pairwise([0, *cuts, len(data)]):
                    writer.write(data[start:end])
                    await writer.drain()
                    if end < len(data):
                        await asyncio.sleep(self.random.uniform(0.0005, self.max_pause))

        async def quietly(pump: Callable[[], Awaitable[None]]) -> None:
            with contextlib.suppress(OSError, ConnectionError):  # the cut, or a peer's close
                await pump()

        tasks = [asyncio.ensure_future(quietly(to_server)),
                 asyncio.ensure_future(quietly(to_client))]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            for w in pair:
                w.transport.abort()
            self._writers -= pair
            self._clients.discard(writer)

    def cut(self) -> None:
        """Drop every open connection now: no BYE, no orderly close of the IMAP session."""
        def drop() -> None:
            for w in list(self._writers):
                w.transport.abort()

        assert self._loop is not None
        self._loop.call_soon_threadsafe(drop)

    def inject(self, data: bytes) -> None:
        """Write bytes to every client as if the server had sent them (a stream that no
        longer makes sense: the client must drop the connection, not answer it)."""
        def write() -> None:
            for w in list(self._clients):
                w.write(data)

        assert self._loop is not None
        self._loop.call_soon_threadsafe(write)

    def refuse(self) -> None:
        self._refusing = True

    def accept(self) -> None:
        self._refusing = False

    def stop(self) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._stopping.set)
        self._thread.join(10)


@contextlib.contextmanager
def split_proxy(upstream_port: int, seed: int = 0) -> Iterator[SplitProxy]:
    proxy = SplitProxy(upstream_port, seed=seed)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()


# --- Measuring a process ----------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process (all its threads) has used, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def cpu_burners(count: int | None = None, seconds: float = 120.0) -> Iterator[None]:
    """Busy processes, one per core: a loaded machine for the length of the block. Each
    ends by itself after `seconds` even if the test that started it dies."""
    code = f"import time\nend = time.monotonic() + {seconds}\nwhile time.monotonic() < end: pass\n"
    procs = [subprocess.Popen([sys.executable, "-c", code])
             for _ in range(count or os.cpu_count() or 2)]
    try:
        yield
    finally:
        for p in procs:
            p.kill()
            p.wait(10)


class TokenIntrospection:
    """An OAuth 2.0 token introspection endpoint (RFC 7662) on loopback, as an identity
    provider runs one: a token granted is active for its user until it is revoked."""

    def __init__(self) -> None:
        self.port = free_port()
        self.tokens: dict[str, str] = {}
        self.asked: list[str] = []  # every token a server asked about, in order
        self.lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/introspect"

    def grant(self, token: str, user: str = "desk") -> None:
        with self.lock:
            self.tokens[token] = user

    def revoke(self, token: str) -> None:
        with self.lock:
            self.tokens.pop(token, None)

    def start(self) -> None:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = urllib.parse.parse_qs(self.rfile.read(length).decode("ascii"))
                token = (form.get("token") or [""])[0]
                with owner.lock:
                    owner.asked.append(token)
                    user = owner.tokens.get(token)
                answer = {"active": True, "username": user} if user else {"active": False}
                body = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, name="introspection",
                         daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


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
