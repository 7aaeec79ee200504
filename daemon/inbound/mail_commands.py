"""Command-by-mail: an operator's `#start`, `#called ...`, `#close`, `#note ...` about a case.

Only mail from an address in `desk.operators`, to the official mailbox, with a case tag in
the subject, counts; only the first lines of the operator's own text (never quoted
history) are read, and only while they are commands. Each command goes through the same
`casework` functions as the `case` command, and the operator gets one confirmation mail.
The mail is never acknowledged or forwarded to the partner. From anyone else, such lines
are ordinary text.
"""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy.orm import Session

from daemon.cases import transitions as casework
from daemon.cases.transitions import CaseError
from daemon.inbound.work import Env, Incoming
from daemon.outbound.outbox import Draft, enqueue
from daemon.rules.threads import authentication_failed, header_values
from daemon.store import audit
from models import Case

log = structlog.get_logger("watchkeeper.mailcommands")

COMMANDS = ("start", "answer", "close", "reopen", "note", "called")
CONFIRMATION = "command_confirmation"
_COMMAND = re.compile(r"^#([a-z]+)\b[ \t:]*(.*)$", re.IGNORECASE)


@dataclass(frozen=True)
class Command:
    name: str
    argument: str


def read_commands(own_text: str) -> list[Command]:
    """The commands at the top of the operator's own text, up to the first other line.

    Leading blank lines are skipped; `#word` lines whose word is not a command end the
    list as any other text does, so a hashtag in prose is never read as a command.
    """
    found: list[Command] = []
    for line in own_text.replace("\r\n", "\n").split("\n"):
        stripped = line.strip()
        if not stripped:
            if found:
                break
            continue
        match = _COMMAND.match(stripped)
        if match is None or match[1].lower() not in COMMANDS:
            break
        found.append(Command(match[1].lower(), match[2].strip()))
    return found


def is_operator(env: Env, address: str | None) -> bool:
    if not address:
        return False
    return address.strip().lower() in {a.strip().lower() for a in env.settings.desk.operators}


def _own_text(parsed: Any, raw: bytes | None) -> str:
    text = getattr(parsed, "own_text", None)
    if isinstance(text, str):
        return text
    # A parse result without the field: read the plain body and drop quoted history.
    from parsers.quoting import own_text

    if not raw:
        return ""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    body = msg.get_body(preferencelist=("plain",)) if hasattr(msg, "get_body") else None
    try:
        content = body.get_content() if body is not None else ""
    except (LookupError, ValueError):
        content = ""
    return own_text(content if isinstance(content, str) else "")


def _case_tag(env: Env, parsed: Any) -> str | None:
    tag = getattr(parsed, "case_ref", None)
    if tag:
        return str(tag)
    subject = getattr(parsed, "subject", None) or ""
    prefix = re.escape(env.settings.desk.case_prefix)
    found = re.search(rf"\[({prefix}-\d{{4}}-\d{{5}})\]", subject, re.IGNORECASE)
    return found[1].upper() if found else None


def apply_mail_commands(session: Session, env: Env, incoming: Incoming) -> bool:
    """Apply an operator's commands; True when the message was a command mail (the
    pipeline then stops: no threading as partner mail, no acknowledgement)."""
    message, parsed = incoming.message, incoming.parsed
    if incoming.folder_role != "inbox" or not incoming.live:
        return False
    sender = getattr(parsed, "from_addr", None) or message.from_addr
    if not is_operator(env, sender):
        return False
    tag = _case_tag(env, parsed)
    if tag is None:
        return False
    commands = read_commands(_own_text(parsed, message.raw))
    if not commands:
        return False
    results = header_values(message.raw or b"", "Authentication-Results")
    if results and authentication_failed(results, sender,
                                         env.settings.desk.trusted_authserv_id):
        # A forged operator address must not close cases: keep it as ordinary mail.
        log.warning("mail_commands_refused", sender=sender, reason="authentication failed")
        return False
    assert sender is not None
    with structlog.contextvars.bound_contextvars(operator=sender, case=tag):
        try:
            case = casework.find_case(session, tag)
        except CaseError as exc:
            _confirm(session, env, incoming, sender, tag, [f"refused: {exc}"], None)
            return True
        message.case_id = case.id
        lines = []
        for command in commands:
            lines.append(_apply(session, env, case, command, sender))
        audit.record(session, "mail_commands", at=env.now, actor=sender, case=case,
                     message=message, commands=[f"#{c.name}" for c in commands],
                     results=lines)
        _confirm(session, env, incoming, sender, case.reference, lines, case)
    return True


def _apply(session: Session, env: Env, case: Case, command: Command, actor: str) -> str:
    """One command in its own savepoint: a refused one leaves the others applied."""
    label = f"#{command.name}" + (f" {command.argument}" if command.argument else "")
    savepoint = session.begin_nested()
    try:
        now = env.now
        if command.name == "start":
            casework.start(session, case, actor=actor, now=now, settings=env.settings,
                           directory=env.directory)
        elif command.name == "answer":
            casework.answer(session, case, actor=actor, now=now)
        elif command.name == "close":
            casework.close(session, case, actor=actor, now=now, reason=command.argument)
        elif command.name == "reopen":
            casework.reopen(session, case, actor=actor, now=now)
        elif command.name == "note":
            casework.note(session, case, command.argument, actor=actor, now=now)
        else:
            casework.called(session, case, actor=actor, now=now, note=command.argument)
    except CaseError as exc:
        savepoint.rollback()
        log.warning("mail_command_refused", command=command.name, reason=str(exc))
        return f"{label}: refused: {exc}"
    savepoint.commit()
    log.info("mail_command_applied", command=command.name, status=case.status)
    return f"{label}: done (status {case.status})"


def _confirm(session: Session, env: Env, incoming: Incoming, operator: str, reference: str,
             lines: list[str], case: Case | None) -> None:
    message = incoming.message
    mid = message.message_id
    text = (f"Your commands about {reference}:\n\n" + "\n".join(f"  {line}" for line in lines)
            + "\n\nThis confirmation went to you only; nothing was sent to the partner.\n")
    enqueue(session, Draft(
        key=f"mail-commands:{message.id}", purpose=CONFIRMATION, to=[operator],
        subject=f"[{reference}] commands: " + (
            "done" if all(": done" in line for line in lines) else "see details"),
        text=text, in_reply_to=mid, references=[mid] if mid else [],
        auto=True, auto_submitted="auto-replied",
    ), official_address=env.settings.desk.official_address, from_name=env.settings.desk.name,
        now=env.now, case=case)
