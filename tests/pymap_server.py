"""pymap (in memory) serving one user on a loopback port, as its own process for the tests.

    python -m tests.pymap_server PORT USER PASSWORD [SENT_FOLDER]

Prints "ready" once it listens; serves until killed. A process of its own so that a test
can kill it like a crashed server, and so that its writes (a response line in several TCP
segments) reach the daemon as they would from a remote server.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from contextlib import AsyncExitStack

from pymap.backend.dict import DictBackend
from pymap.backend.dict.filter import FilterSet
from pymap.backend.dict.mailbox import MailboxSet
from pymap.imap import IMAPService


async def serve(port: int, user: str, password: str, sent: str) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--debug", action="store_true")
    IMAPService.add_arguments(parser)
    backends = parser.add_subparsers(dest="backend")
    DictBackend.add_subparser("dict", backends)
    parser.set_defaults(skip_services=[], passlib_cfg=None)
    args = parser.parse_args(["--host", "127.0.0.1", "--port", str(port), "--no-tls", "dict",
                              "--demo-user", user, "--demo-password", password])
    backend, config = await DictBackend.init(args)
    config.apply_context()
    mailboxes = MailboxSet()
    if sent:
        await mailboxes.add_mailbox(sent)
    config.set_cache[user] = (mailboxes, FilterSet())
    async with AsyncExitStack() as stack:
        await backend.start(stack)
        await IMAPService(backend, config).start(stack)
        print("ready", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    port, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    asyncio.run(serve(port, user, password, sys.argv[4] if len(sys.argv) > 4 else "Sent"))
