"""The demo's own mail system: pymap (IMAP, in memory) and aiosmtpd, both in this process."""

from __future__ import annotations

import argparse
import asyncio
import socket
import threading
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from pymap.backend.dict import DictBackend
from pymap.backend.dict.filter import FilterSet
from pymap.backend.dict.mailbox import MailboxSet
from pymap.imap import IMAPService
from pymap.parsing.message import AppendMessage

USER, PASSWORD = "desk", "desk-demo"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class DemoImap:
    """pymap's in-memory backend serving one user (INBOX and Sent) on a loopback port."""

    def __init__(self) -> None:
        self.port = free_port()
        self._ready = threading.Event()
        self._failed: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._mailboxes: MailboxSet | None = None
        self._thread = threading.Thread(target=self._run, name="demo-imap", daemon=True)

    def start(self) -> None:
        self._thread.start()
        if not self._ready.wait(15):
            raise RuntimeError("the embedded IMAP server did not start")
        if self._failed is not None:
            raise RuntimeError(f"the embedded IMAP server failed: {self._failed}")

    def _args(self) -> argparse.Namespace:
        parser = argparse.ArgumentParser()
        parser.add_argument("--debug", action="store_true")
        IMAPService.add_arguments(parser)
        backends = parser.add_subparsers(dest="backend")
        DictBackend.add_subparser("dict", backends)
        parser.set_defaults(skip_services=[], passlib_cfg=None)
        return parser.parse_args(["--host", "127.0.0.1", "--port", str(self.port), "--no-tls",
                                  "dict", "--demo-user", USER, "--demo-password", PASSWORD])

    def _run(self) -> None:
        async def serve() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            backend, config = await DictBackend.init(self._args())
            config.apply_context()
            # The user's folders are made here, so that the demo can deliver into them.
            mailboxes = MailboxSet()
            await mailboxes.add_mailbox("Sent")
            config.set_cache[USER] = (mailboxes, FilterSet())
            self._mailboxes = mailboxes
            async with AsyncExitStack() as stack:
                await backend.start(stack)
                await IMAPService(backend, config).start(stack)
                self._ready.set()
                await self._stop.wait()

        try:
            asyncio.run(serve())
        except BaseException as exc:  # reported to the starting thread
            self._failed = exc
            self._ready.set()

    def deliver(self, raw: bytes, at: datetime, folder: str = "INBOX") -> None:
        """A partner's mail arrives: appended with `at` as its INTERNALDATE."""
        assert self._loop is not None and self._mailboxes is not None
        mailboxes = self._mailboxes

        async def append() -> None:
            box = await mailboxes.get_mailbox(folder)
            await box.append(AppendMessage(raw, at, frozenset()), recent=True)

        asyncio.run_coroutine_threadsafe(append(), self._loop).result(10)

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)


@dataclass
class Delivered:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.data, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class _Handler:
    received: list[Delivered] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.received.append(Delivered(envelope.mail_from, list(envelope.rcpt_tos),
                                           bytes(envelope.content)))
        return "250 2.0.0 accepted"


class DemoSmtp:
    """An aiosmtpd server standing for the rest of the world's mail servers."""

    def __init__(self) -> None:
        self.port = free_port()
        self.handler = _Handler()
        self._controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    @property
    def received(self) -> list[Delivered]:
        with self.handler.lock:
            return list(self.handler.received)
