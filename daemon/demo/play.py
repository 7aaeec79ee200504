"""`watchkeeper demo`: the real daemon on embedded mail servers, a scripted day at high speed.

Everything the desk does here is the production code: the mailbox watchers, the pipeline,
the outbox sender and the due-work jobs of `run`, on a throwaway SQLite database. Only
the clock is the demo's: it jumps from one scene to the next, and the daemon acts at the
clock's instant (the same mechanism the tests use).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, MutableMapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import Select, func, select

from config.settings import Settings
from daemon.cases import transitions as casework
from daemon.demo import mail as demo_mail
from daemon.demo.servers import PASSWORD, USER, DemoImap, DemoSmtp
from daemon.process.clock import ManualClock
from daemon.process.context import AppContext
from daemon.process.leader import Leadership, serve
from daemon.process.service import Service
from daemon.rules.intake import TRIAGE_REASONS
from daemon.store.db import transaction, upgrade
from daemon.store.directory import apply as apply_directory
from models import Case, Event, Message, OutboxMail, TriageItem
from parsers.directory import load_toml

log = structlog.get_logger("watchkeeper.demo")

DESK_ZONE = ZoneInfo("Europe/Brussels")
# A Tuesday in winter time: 08:00 in Brussels is 07:00 UTC.
DAY = datetime(2026, 3, 10, 7, 50, tzinfo=DESK_ZONE)
WAIT_SECONDS = 20.0


class DemoError(Exception):
    """The demo could not play its day; one line."""


@contextlib.contextmanager
def _without_environment() -> Iterator[None]:
    """The demo ignores WATCHKEEPER_* variables: it must never touch a real desk."""
    saved = {k: v for k, v in os.environ.items() if k.startswith("WATCHKEEPER_")}
    for key in saved:
        del os.environ[key]
    try:
        yield
    finally:
        os.environ.update(saved)


def demo_settings(db_url: str, imap_port: int, smtp_port: int) -> Settings:
    with _without_environment():
        return Settings(
            database={"url": db_url},
            imap={"host": "127.0.0.1", "port": imap_port, "tls": "none", "username": USER,
                  "password": PASSWORD, "sent_folder": "Sent", "poll_seconds": 1,
                  "reconnect_initial_seconds": 0.2, "reconnect_max_seconds": 1.0},
            smtp={"host": "127.0.0.1", "port": smtp_port, "tls": "none"},
            desk={"name": "National Cybercrime Centre - 24/7", "official_address":
                  demo_mail.OFFICIAL, "timezone": DESK_ZONE.key, "country": "BE",
                  "operators": [demo_mail.OPERATOR], "supervisors": [demo_mail.SUPERVISOR],
                  "office_phone": "+32 2 000 00 00", "after_hours_phone": "+32 470 00 00 00",
                  # Command mail counts when the desk's MX found DMARC passing for it.
                  "command_auth": ["dmarc"], "trusted_authserv_id": demo_mail.MX},
            schedule={"tick_seconds": 1, "digest_at": "07:30"},
            logging={"format": "console"},
        )


@dataclass
class Demo:
    """One run of the demo: servers, database, daemon thread, clock and the script."""

    out: TextIO
    root: Path

    def __post_init__(self) -> None:
        self.clock = ManualClock(DAY)
        self.imap = DemoImap()
        self.smtp = DemoSmtp()
        self.ctx: AppContext | None = None
        self.service: Service | None = None
        self.thread: threading.Thread | None = None

    # --- setting up ------------------------------------------------------------------------

    def start(self) -> None:
        self._stamp_logs()
        self.imap.start()
        self.smtp.start()
        url = f"sqlite:///{self.root / 'demo.db'}"
        upgrade(url)
        settings = demo_settings(url, self.imap.port, self.smtp.port)
        self.ctx = AppContext(settings=settings, clock=self.clock)
        with transaction(self.ctx.sessions) as session:
            apply_directory(session, load_toml(demo_mail.DIRECTORY), "demo", self.clock.now(),
                            source="demo directory")
        ctx = self.ctx
        service = Service(ctx)
        self.service = service

        def daemon() -> None:
            serve(service, Leadership(settings.database.url))

        self.thread = threading.Thread(target=daemon, name="demo-daemon", daemon=True)
        self.thread.start()
        self.wait(self._folders_ready, "the daemon watches INBOX and Sent")

    def _stamp_logs(self) -> None:
        """Each log line also carries the demo clock's time at the desk: the timestamp is
        the real instant, `desk_time` the instant of the scripted day."""
        clock = self.clock

        def desk_time(_logger: Any, _method: str, event: MutableMapping[str, Any]
                      ) -> MutableMapping[str, Any]:
            event["desk_time"] = f"{clock.now().astimezone(DESK_ZONE):%a %H:%M}"
            return event

        processors = list(structlog.get_config()["processors"])
        structlog.configure(processors=[desk_time, *processors])

    def stop(self) -> None:
        service = self.service
        if service is not None:
            service.request_stop()
        if self.thread is not None:
            self.thread.join(15)
        if self.ctx is not None:
            self.ctx.close()
        self.smtp.stop()
        self.imap.stop()

    # --- helpers --------------------------------------------------------------------------

    def _count(self, query: Select[Any]) -> int:
        assert self.ctx is not None
        with self.ctx.sessions() as session:
            return int(session.scalar(query) or 0)

    def _folders_ready(self) -> bool:
        from models import MailboxCheckpoint

        return self._count(select(func.count(MailboxCheckpoint.folder))
                           .where(MailboxCheckpoint.last_poll_at.is_not(None))) >= 2

    def wait(self, done: Callable[[], bool], what: str, timeout: float = WAIT_SECONDS) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            if self.thread is not None and not self.thread.is_alive():
                raise DemoError(f"the daemon stopped while waiting until {what}")
            if time.monotonic() > deadline:
                raise DemoError(f"gave up waiting until {what} ({timeout:.0f} s)")
            time.sleep(0.05)

    def say(self, text: str) -> None:
        local = self.clock.now().astimezone(DESK_ZONE)
        print(f"\n=== {local:%a %H:%M} desk time | {text}", file=self.out, flush=True)

    def at(self, hour: int, minute: int, days: int = 0) -> datetime:
        target = datetime.combine(DAY.date() + timedelta(days=days),
                                  datetime.min.time().replace(hour=hour, minute=minute),
                                  tzinfo=DESK_ZONE)
        self.clock.set(target)
        return target.astimezone(UTC)

    def deliver(self, raw: bytes) -> None:
        """A mail arrives in INBOX; wait until the daemon committed it and sent what it
        planned."""
        before = self._count(select(func.count(Message.id)))
        self.imap.deliver(raw, self.clock.now())
        self.wait(lambda: self._count(select(func.count(Message.id))) > before,
                  "the message is imported")
        self.flush()

    def flush(self) -> None:
        """Wake the sender and wait until nothing due is left in the outbox."""
        assert self.service is not None
        # Every mail of the demo is accepted at the first try: pending means not sent yet
        # (a mail in flight is still pending, with its next attempt pushed back).
        pending = select(func.count(OutboxMail.id)).where(OutboxMail.status == "pending")
        for _ in range(3):
            self.service.wake.set()
            with contextlib.suppress(DemoError):
                self.wait(lambda: self._count(pending) == 0, "the outbox is sent", 5)
                return
        raise DemoError("the outbox was not sent")

    def wait_planned(self, purpose: str, what: str, before: int = 0) -> None:
        """Wait until more than `before` mails of this purpose are planned, then send."""
        self.wait(lambda: self.planned(purpose) > before, what)
        self.flush()

    def planned(self, purpose: str) -> int:
        return self._count(select(func.count(OutboxMail.id)).where(
            OutboxMail.purpose == purpose))

    def case_of(self, msgid: str) -> Case:
        assert self.ctx is not None
        with self.ctx.sessions() as session:
            case = session.scalars(select(Case).join(Message, Message.case_id == Case.id)
                                   .where(Message.message_id == msgid)).first()
        if case is None:
            raise DemoError(f"no case was opened for <{msgid}>")
        return case

    # --- the day --------------------------------------------------------------------------

    def play(self) -> None:
        assert self.ctx is not None
        self.at(8, 5)
        self.say("Luxembourg sends a preservation request (bilingual T-CY template)")
        self.deliver(demo_mail.preservation_bilingual(self.clock.now()))
        lu = self.case_of("snt-0415@police.lu.example")

        self.at(8, 40)
        self.say("an out-of-office answer arrives from a German officer")
        self.deliver(demo_mail.out_of_office(self.clock.now()))

        self.at(9, 15)
        self.say("a French officer writes from a personal webmail address")
        self.deliver(demo_mail.unofficial_request(self.clock.now()))

        self.at(9, 40)
        self.say("Luxembourg replies to our acknowledgement")
        with self.ctx.sessions() as session:
            ack = session.scalars(select(OutboxMail.message_id).where(
                OutboxMail.case_id == lu.id, OutboxMail.purpose == "ack")).first()
        if ack is None:
            raise DemoError(f"no acknowledgement was planned for {lu.reference}")
        self.deliver(demo_mail.reply_to_ack(self.clock.now(), ack, lu.reference))

        self.at(10, 5)
        self.say(f"the duty officer mails '#start' about {lu.reference}")
        self.deliver(demo_mail.operator_command(self.clock.now(), lu.reference))

        self.at(10, 20)
        self.say(f"someone on the internet forges the duty officer's address: '#close' about "
                 f"{lu.reference}, with a made-up Authentication-Results header")
        self.deliver(demo_mail.forged_command(self.clock.now(), lu.reference))
        self.wait(lambda: self._count(select(func.count(Event.id)).where(
            Event.kind == "mail_commands_refused")) > 0, "the forged command is refused")

        self.at(11, 30)
        self.say("Germany asks to extend an earlier preservation")
        self.deliver(demo_mail.extension(self.clock.now()))

        self.at(15, 40)
        self.say("Japan sends an URGENT emergency request (23:40 in Tokyo)")
        self.deliver(demo_mail.urgent_after_hours(self.clock.now()))
        jp = self.case_of("npa-0077@npa.jp.example")

        self.at(16, 15)
        self.say(f"35 minutes on, nobody has started {jp.reference}: the desk prompts a call")
        self.wait_planned("call_prompt", "the call prompt is planned")

        self.at(16, 20)
        self.say(f"the duty officer phones Japan and logs it: watchkeeper case {jp.reference} "
                 "called")
        with transaction(self.ctx.sessions) as session:
            case = casework.find_case(session, jp.reference)
            casework.called(session, case, actor="duty.officer", now=self.clock.now(),
                            note="spoke to Supt. Sato; data requested from StreamHub")

        self.at(16, 40)
        self.say("Luxembourg announces an office closure: the parser cannot classify it, the "
                 "desk keeps it as an unclassified case and asks the duty officer for its type")
        self.deliver(demo_mail.office_closure(self.clock.now()))
        closure = self.case_of("snt-0420@police.lu.example")
        self.wait_planned("classification_prompt", f"the duty officer is asked to type "
                          f"{closure.reference}")

        self.at(16, 55)
        self.say("a law firm outside the directory writes: not a request, so no case and no "
                 "acknowledgement, but a triage item the duty officer must close")
        self.deliver(demo_mail.law_firm(self.clock.now()))

        digests = self.planned("digest")
        self.at(7, 31, days=1)
        self.say("next morning: the daily digest for the supervisors")
        self.wait_planned("digest", "the digest is planned", before=digests)

    # --- the summary ----------------------------------------------------------------------

    def summary(self) -> str:
        assert self.ctx is not None
        with self.ctx.sessions() as session:
            cases = session.scalars(select(Case).order_by(Case.id)).all()
            sent = session.scalars(select(OutboxMail).where(OutboxMail.status == "sent")
                                   .order_by(OutboxMail.id)).all()
            suppressed = session.execute(
                select(Event.data, Message.from_addr, Message.subject)
                .join(Message, Message.id == Event.message_id)
                .where(Event.kind == "ack_suppressed").order_by(Event.id)).all()
            threaded = session.execute(
                select(Case.reference, Message.from_addr)
                .join(Message, Message.case_id == Case.id)
                .join(Event, Event.message_id == Message.id)
                .where(Event.kind == "message_threaded")).all()
            commands = session.scalars(select(Event).where(Event.kind == "mail_commands")).all()
            refused = session.scalars(select(Event).where(
                Event.kind == "mail_commands_refused")).all()
            triage = session.execute(
                select(TriageItem, Message).join(Message, Message.id == TriageItem.message_id)
                .order_by(TriageItem.id)).all()
            calls = session.scalars(select(Event).where(Event.kind == "call_logged")).all()
        lines = ["", "=" * 78, "SUMMARY OF THE DAY", "=" * 78,
                 f"Cases opened: {len(cases)}"]
        for c in cases:
            flags = f"  flags: {', '.join(c.flags)}" if c.flags else ""
            lines.append(f"  {c.reference}  {c.country or '??'}  {c.request_type or '-':<24} "
                         f"{'URGENT ' if c.urgent else ''}status {c.status}{flags}")
        by_purpose: dict[str, list[OutboxMail]] = {}
        for mail in sent:
            by_purpose.setdefault(mail.purpose, []).append(mail)
        acks = by_purpose.get("ack", [])
        lines.append(f"Acknowledgements sent: {len(acks)}")
        lines += [f"  to {', '.join(m.recipients)}: {m.subject}" for m in acks]
        lines.append(f"Not acknowledged (suppressed): {len(suppressed)}")
        for data, sender, subject in suppressed:
            lines.append(f"  {sender}: {data.get('reason', '?')} ({subject})")
        for ref, sender in threaded:
            lines.append(f"  {sender}: threaded into {ref} (a reply, not a new case)")
        lines.append(f"Waiting for triage: {sum(1 for i, _ in triage if i.status == 'open')}")
        for item, message in triage:
            lines.append(f"  msg {message.id}  {message.from_addr}: {message.subject} "
                         f"({TRIAGE_REASONS.get(item.reason, item.reason)}, {item.status})")
        for event in commands:
            lines.append(f"Command by mail from {event.actor} (verified by "
                         f"{event.data.get('verified_by')}): "
                         f"{'; '.join(event.data.get('results', []))}")
        for event in refused:
            lines.append(f"Command by mail REFUSED, from {event.data.get('sender')} "
                         f"({', '.join(event.data.get('commands', []))}): "
                         f"{event.data.get('reason')}")
        for purpose in ("execution_started", "command_confirmation", "operator_alert",
                        "resend_request", "reminder", "escalation", "preservation_warning",
                        "classification_prompt", "triage_prompt"):
            for mail in by_purpose.get(purpose, []):
                lines.append(f"{purpose.replace('_', ' ').capitalize()} sent to "
                             f"{', '.join(mail.recipients)}: {mail.subject}")
        for mail in by_purpose.get("call_prompt", []):
            body = _text(mail.raw)
            call = next((line.strip() for line in body.splitlines() if "CALL " in line),
                        mail.subject)
            lines.append(f"Call prompt to {', '.join(mail.recipients)}: {call}")
        for event in calls:
            lines.append(f"Call logged by {event.actor}: {event.data.get('note') or ''}")
        # The digest of the day played (an earlier one covers the quiet night before).
        for mail in by_purpose.get("digest", [])[-1:]:
            lines.append(f"Digest to {', '.join(mail.recipients)}: {mail.subject}")
            digest = [line for line in _text(mail.raw).splitlines() if line.strip()]
            lines += [f"  | {line}" for line in digest[:25]]
            if len(digest) > 25:
                lines.append(f"  | ... ({len(digest) - 25} more lines)")
        received = self.smtp.received
        lines.append(f"Mails received by the demo SMTP server: {len(received)}")
        return "\n".join(lines)


def _text(raw: bytes) -> str:
    from email import message_from_bytes, policy

    msg = message_from_bytes(raw, policy=policy.default)
    body = msg.get_body(preferencelist=("plain",)) if hasattr(msg, "get_body") else None
    content = body.get_content() if body is not None else ""
    return content if isinstance(content, str) else ""


def run_demo(out: TextIO) -> int:
    """Play the day; returns 0 when every scene happened, 1 otherwise."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="watchkeeper-demo-") as tmp:
        demo = Demo(out=out, root=Path(tmp))
        try:
            print("watchkeeper demo: embedded IMAP (pymap) and SMTP (aiosmtpd) servers, a "
                  "throwaway SQLite database, the real daemon; the clock jumps between scenes.",
                  file=out, flush=True)
            demo.start()
            demo.play()
            summary = demo.summary()
        except DemoError as exc:
            print(f"watchkeeper: demo failed: {exc}", file=out, flush=True)
            return 1
        finally:
            demo.stop()
    print(summary, file=out)
    print(f"\nDemo finished in {time.monotonic() - started:.1f} s.", file=out, flush=True)
    return 0


__all__ = ["DemoError", "run_demo"]
