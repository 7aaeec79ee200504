"""Command-by-mail: an operator's `#start`, `#called ...`, `#close`, `#note ...` about a case.

Only mail from an address in `desk.operators`, to the official mailbox, with a case tag in
the subject, counts; only the first lines of the operator's own text (never quoted
history) are read, and only while they are commands. Each command goes through the same
`casework` functions as the `case` command, and the operator gets one confirmation mail.
The mail is never acknowledged or forwarded to the partner. From anyone else, such lines
are ordinary text.

A From address proves nothing, so a command mail is applied only when it proves its
origin in one of the ways of `desk.command_auth` (`daemon.rules.origin`); none configured
means command-by-mail is off. A mail that proves nothing is refused: it goes on through
the pipeline as any other mail from that address would, the refusal is logged
(`mail_commands_refused`) and recorded with its reason, and the operators get one alert
per sender and hour. An `#auth <token>` first line (the `secret` way) is taken out of the
text before anything is read or stored, and the token is never logged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC
from typing import Any

import structlog
from sqlalchemy.orm import Session

from config.settings import ConfigError, DeskSettings
from daemon.cases import transitions as casework
from daemon.cases.transitions import CaseError
from daemon.inbound.work import Env, Incoming
from daemon.outbound.outbox import Draft, enqueue, notify_operators
from daemon.outbound.templates import format_local
from daemon.rules.origin import Policy, Proof, Relays, prove_origin
from daemon.store import audit
from daemon.store.audit import ACTOR
from models import Case, Message
from parsers.result import ParsedMessage

log = structlog.get_logger("watchkeeper.mailcommands")

COMMANDS = ("start", "answer", "close", "reopen", "note", "called")
CONFIRMATION = "command_confirmation"
APPLIED, REFUSED = "applied", "refused"
REDACTED = "[#auth line removed]"
_COMMAND = re.compile(r"^#([a-z]+)\b[ \t:]*(.*)$", re.IGNORECASE)
_AUTH = re.compile(r"^#auth\b[ \t:]*(.*)$", re.IGNORECASE)


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


def split_auth(own_text: str) -> tuple[str | None, str]:
    """(token, the text without it) for an `#auth <token>` first line; (None, the text)
    when the first line that is not blank is something else. `#auth` alone gives ""."""
    lines = own_text.replace("\r\n", "\n").split("\n")
    for index, line in enumerate(lines):
        if not line.strip():
            continue
        match = _AUTH.match(line.strip())
        if match is None:
            return None, own_text
        return match[1].strip(), "\n".join(lines[index + 1:])
    return None, own_text


def is_operator(env: Env, address: str | None) -> bool:
    if not address:
        return False
    return address.strip().lower() in {a.strip().lower() for a in env.settings.desk.operators}


def _case_tag(env: Env, parsed: ParsedMessage) -> str | None:
    """The parser's case tag, else a tag in brackets in the subject in any letter case."""
    if parsed.case_ref:
        return parsed.case_ref
    prefix = re.escape(env.settings.desk.case_prefix)
    found = re.search(rf"\[({prefix}-\d{{4}}-\d{{5}})\]", parsed.subject, re.IGNORECASE)
    return found[1].upper() if found else None


def apply_mail_commands(session: Session, env: Env, incoming: Incoming) -> str | None:
    """Apply an operator's commands when the mail proves its origin.

    Returns `APPLIED` (the pipeline then stops: no threading as partner mail, no
    acknowledgement), `REFUSED` (the mail goes on as ordinary mail), or None when the
    mail is no command mail at all.
    """
    message, parsed = incoming.message, incoming.parsed
    if incoming.folder_role != "inbox" or not incoming.live:
        return None
    sender = parsed.from_addr or message.from_addr
    if sender is None or not is_operator(env, sender):
        return None
    token, text = split_auth(parsed.own_text)
    if token is not None:
        _redact(message, token)  # whatever follows: the token is never stored
    tag = _case_tag(env, parsed)
    if tag is None:
        return None
    commands = read_commands(text)
    if not commands:
        return None
    sender = sender.strip().lower()
    proof = _prove(env.settings.desk, parsed, sender, token)
    if not proof.proven:
        _refuse(session, env, incoming, sender, tag, commands, proof)
        return REFUSED
    with structlog.contextvars.bound_contextvars(operator=sender, case=tag):
        log.info("mail_commands_verified", way=proof.way, reason=proof.reason)
        try:
            case = casework.find_case(session, tag)
        except CaseError as exc:
            _confirm(session, env, incoming, sender, tag, [f"refused: {exc}"], None, proof)
            return APPLIED
        message.case_id = case.id
        lines = []
        for command in commands:
            lines.append(_apply(session, env, case, command, sender))
        audit.record(session, "mail_commands", at=env.now, actor=sender, case=case,
                     message=message, commands=[f"#{c.name}" for c in commands],
                     results=lines, verified_by=proof.way, proof=proof.reason)
        _confirm(session, env, incoming, sender, case.reference, lines, case, proof)
    return APPLIED


def policy(desk: DeskSettings) -> Policy:
    """The desk's command-by-mail configuration as the origin rules take it."""
    return Policy(ways=desk.command_auth, trusted_authserv_id=desk.trusted_authserv_id,
                  relays=Relays.of(desk.internal_relays))


def _prove(desk: DeskSettings, parsed: ParsedMessage, sender: str,
           token: str | None) -> Proof:
    expected: str | None = None
    problem: str | None = None
    if "secret" in desk.command_auth:
        try:
            expected = desk.operator_token(sender)
        except ConfigError as exc:
            problem = str(exc)
    return prove_origin(parsed.headers, sender, policy(desk),
                        token_given=token, token_expected=expected,
                        token_problem=problem)


def _redact(message: Message, token: str) -> None:
    """Take the `#auth` line out of the stored parse (the raw mail is kept as it came)."""
    stored = message.parsed if isinstance(message.parsed, dict) else {}
    own = stored.get("own_text")
    if isinstance(own, str):
        _, rest = split_auth(own)
        own = rest
    cleaned = _scrub(stored, token) if len(token) >= 8 else dict(stored)
    if isinstance(own, str):
        cleaned["own_text"] = _scrub(own, token) if len(token) >= 8 else own
    message.parsed = cleaned  # a new dict, so the JSON column sees the change


def _scrub(value: Any, token: str) -> Any:
    if isinstance(value, str):
        return value.replace(token, REDACTED)
    if isinstance(value, dict):
        return {k: _scrub(v, token) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, token) for v in value]
    return value


def _refuse(session: Session, env: Env, incoming: Incoming, sender: str, tag: str,
            commands: list[Command], proof: Proof) -> None:
    """Keep the mail as ordinary mail; log, record and report why it was not applied."""
    message = incoming.message
    names = [f"#{c.name}" for c in commands]
    try:
        case: Case | None = casework.find_case(session, tag, lock=False)
    except CaseError:
        case = None
    log.warning("mail_commands_refused", sender=sender, case=tag, commands=names,
                reason=proof.reason)
    audit.record(session, "mail_commands_refused", at=env.now, actor=ACTOR, case=case,
                 message=message, sender=sender, commands=names, reason=proof.reason)
    arrived = (message.internal_date or env.now).astimezone(UTC)
    zone = env.settings.desk.zone
    text = (
        f"A command mail from {sender} could not be verified: {proof.reason}; nothing was "
        "changed.\n\n"
        f"  case:       {tag}{'' if case is not None else ' (no such case)'}\n"
        f"  subject:    {message.subject or '-'}\n"
        f"  commands:   {', '.join(names)}\n"
        f"  arrived:    {format_local(arrived, zone)}\n"
        f"  message-id: {message.message_id or '-'}\n\n"
        f"The mail is kept as ordinary mail. {_what_to_do(env.settings.desk, tag)} If "
        f"{sender} did not send it, someone is writing in that name.\n\n"
        "More refused command mail from this address within the hour is logged but not "
        "reported again.\n"
    )
    notify_operators(
        session, env.settings, env.now,
        key=f"mail-commands-refused:{sender}:{arrived:%Y-%m-%dT%H}",
        subject=f"[watchkeeper] command mail from {sender} not verified [{tag}]",
        text=text, case=case,
    )


def _what_to_do(desk: DeskSettings, tag: str) -> str:
    if not desk.command_auth:
        return (f"Command-by-mail is off at this desk: use `watchkeeper case {tag} ...` "
                "instead.")
    return (f"To have commands applied, send them in a way the desk accepts "
            f"({', '.join(desk.command_auth)}), or use `watchkeeper case {tag} ...`.")


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
             lines: list[str], case: Case | None, proof: Proof) -> None:
    message = incoming.message
    mid = message.message_id
    text = (f"Your commands about {reference}:\n\n" + "\n".join(f"  {line}" for line in lines)
            + f"\n\nVerified by {proof.reason}.\n"
            + "This confirmation went to you only; nothing was sent to the partner.\n")
    enqueue(session, Draft(
        key=f"mail-commands:{message.id}", purpose=CONFIRMATION, to=[operator],
        subject=f"[{reference}] commands: " + (
            "done" if all(": done" in line for line in lines) else "see details"),
        text=text, in_reply_to=mid, references=[mid] if mid else [],
        auto=True, auto_submitted="auto-replied",
    ), official_address=env.settings.desk.official_address, from_name=env.settings.desk.name,
        now=env.now, case=case)
