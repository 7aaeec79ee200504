"""Command-by-mail only from operators the desk can prove (dmarc, dkim, received, secret):
a forged From never closes a case or writes to a partner, and the operators are told."""

from __future__ import annotations

import email
import email.policy
import email.utils
import json
import re
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from itertools import count
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker
from structlog.testing import capture_logs

from config.settings import Settings
from daemon.inbound import pipeline
from daemon.inbound.work import Env, Work
from daemon.store.directory import load_directory
from models import Case, Event, Message, OutboxMail
from tests.conftest import run_cli
from tests.servers import Dovecot, SmtpSink
from tests.test_ingest_support import (
    OFFICIAL,
    PARTNERS,
    cli_env,
    request_mail,
    seed_directory,
    write_config,
)

MX = "mx.ncc.gov.example"
OPERATORS = [f"{name}@ncc.gov.example" for name in
             ("duty.officer", "night.officer", "day.officer", "relief.officer", "head.officer",
              "spare.officer")]
DUTY = OPERATORS[0]
PARTNER = PARTNERS["FR"][0]
RELAYS = ["192.0.2.0/26"]
TOKENS = {a: f"tok-{i}-Xk39vQ2pLm7wRz4s" for i, a in enumerate(OPERATORS)}
TOKEN_ENV = {a: f"WK_TEST_TOKEN_{i}" for i, a in enumerate(OPERATORS)}
ALL_WAYS = ["dmarc", "dkim", "received", "secret"]
_uid = count(1)

DATE = "Sat, 28 Nov 2026 09:00:01 +0000"
FROM_OUTSIDE = (f"Received: from smtp.attacker.example (unknown [203.0.113.66])\r\n"
                f"\tby {MX} (Postfix) with ESMTP id 4Q9ZZZ; {DATE}\r\n")
FROM_HOTEL = (f"Received: from laptop.hotel.example (wifi.hotel.example [198.51.100.99])\r\n"
              f"\tby {MX} (Postfix) with ESMTPSA id 4Q9HHH; {DATE}\r\n")
FROM_CLOUD = (f"Received: from out.mailcloud.example (out.mailcloud.example [198.51.100.80])\r\n"
              f"\tby {MX} (Postfix) with ESMTPS id 4Q9CCC; {DATE}\r\n")
FROM_DESK_PC = ("Received: from desk-pc.ncc.gov.example (desk-pc.ncc.gov.example [192.0.2.10])"
                f"\r\n\tby mail.ncc.gov.example with ESMTPSA id 1A2B3C; {DATE}\r\n")


def auth_results(text: str, authserv: str = MX) -> str:
    return f"Authentication-Results: {authserv};\r\n\t{text}\r\n"


# The forged mails of the issue. Each: (trace written above the mail, first body line,
# a phrase the refusal's reason must contain).
FORGED = {
    "no verdict": (FROM_OUTSIDE, "", f"no Authentication-Results of {MX} above the Received"),
    "another authserv-id": (
        auth_results("dmarc=pass header.from=ncc.gov.example; dkim=pass "
                     "header.d=ncc.gov.example", "mx.attacker.example") + FROM_OUTSIDE,
        "", f"no Authentication-Results of {MX} above"),
    "fake verdict below an outside relay": (
        f"Received: from relay.outside.example (relay.outside.example [203.0.113.5])\r\n"
        f"\tby {MX} (Postfix) with ESMTPS id 4Q9RRR; {DATE}\r\n"
        "Received: from smtp.attacker.example (attacker.example [203.0.113.66])\r\n"
        f"\tby relay.outside.example (Postfix) with ESMTP id 77XYZ; {DATE}\r\n"
        + auth_results("dmarc=pass header.from=ncc.gov.example; dkim=pass "
                       "header.d=ncc.gov.example"),
        "", "further down came with the mail and proves nothing"),
    "wrong token": (FROM_OUTSIDE, "#auth tok-0-Xk39vQ2pLm7wRz4t\n",
                    "secret: the #auth token does not match"),
    "missing token": (FROM_OUTSIDE, "", "secret: no #auth line at the top of the mail"),
}

# A genuine command mail for each way: (trace, first body line).
GENUINE = {
    "dmarc": (auth_results("spf=pass smtp.mailfrom=ncc.gov.example; dmarc=pass (p=reject) "
                           "header.from=ncc.gov.example") + FROM_CLOUD, ""),
    "dkim": (auth_results("dkim=pass (2048-bit key; unprotected) header.d=ncc.gov.example "
                          "header.i=@ncc.gov.example") + FROM_CLOUD, ""),
    "received": (FROM_DESK_PC, ""),
    "secret": (FROM_HOTEL, "#auth {token}\n"),
}


def command_mail(reference: str, sender: str, commands: str, trace: str = "",
                 first_line: str = "") -> bytes:
    """An operator's command mail as the desk's mail server delivers it: `trace` (Received
    and Authentication-Results fields, topmost first) above the mail the sender wrote."""
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = f"Officer <{sender}>"
    msg["To"] = OFFICIAL
    msg["Subject"] = f"[{reference}] update"
    msg["Date"] = email.utils.format_datetime(datetime.now(UTC))
    msg["Message-ID"] = email.utils.make_msgid(f"cmd{next(_uid)}", "ncc.gov.example")
    msg.set_content(first_line.format(token=TOKENS[sender]) + commands + "\nRegards\n")
    return trace.encode() + msg.as_bytes()


def desk(ways: list[str]) -> dict[str, object]:
    return {"official_address": OFFICIAL, "operators": OPERATORS, "command_auth": ways,
            "trusted_authserv_id": MX, "internal_relays": RELAYS,
            "operator_tokens": {a: {"token_env": TOKEN_ENV[a]} for a in OPERATORS}}


@pytest.fixture
def tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every operator's token in its environment variable."""
    for address, token in TOKENS.items():
        monkeypatch.setenv(TOKEN_ENV[address], token)


def deliver(settings: Settings, sessions: sessionmaker[Session], raw: bytes,
            at: datetime | None = None) -> Work:
    """The real pipeline on one INBOX message, as the mailbox watcher runs it."""
    now = at or datetime.now(UTC)
    fetched = pipeline.Fetched(folder="INBOX", role="inbox", uidvalidity=5, uid=next(_uid),
                               raw=raw, size=len(raw), internal_date=now, truncated=False,
                               live=True)
    with sessions.begin() as session:
        env = Env(settings, load_directory(session), now)
        work = pipeline.run(session, env, fetched)
        assert work is not None and work.message is not None
    return work


def open_case(settings: Settings, sessions: sessionmaker[Session],
              partner: str = PARTNER) -> Case:
    message = deliver(settings, sessions, request_mail(sender=partner).as_bytes()).message
    assert message is not None
    with sessions() as session:
        return session.get_one(Case, message.case_id)


def snapshot(sessions: sessionmaker[Session], case_id: int) -> tuple[object, ...]:
    """What an operator's command could change on a case."""
    with sessions() as session:
        case = session.get_one(Case, case_id)
        kinds = session.scalars(select(Event.kind).where(Event.case_id == case_id)).all()
    return (case.status, case.started_at, case.closed_at, case.close_reason,
            case.answered_at, [k for k in kinds if k in (
                "case_started", "case_closed", "note_added", "call_logged", "mail_commands")])


def partner_mail(sessions: sessionmaker[Session], partner: str = PARTNER) -> list[str]:
    with sessions() as session:
        rows = session.scalars(select(OutboxMail).order_by(OutboxMail.id)).all()
    return [r.purpose for r in rows if partner in r.recipients]


def refusal_alerts(sessions: sessionmaker[Session], sender: str) -> list[OutboxMail]:
    with sessions() as session:
        return list(session.scalars(select(OutboxMail).where(
            OutboxMail.key.like(f"mail-commands-refused:{sender}:%"))).all())


def body_of(raw: bytes) -> str:
    """The plain text of a planned mail, its lines joined."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    part = msg.get_body(preferencelist=("plain",)) if isinstance(msg, EmailMessage) else None
    return " ".join(str(part.get_content() if part is not None else "").split())


def refusals(sessions: sessionmaker[Session]) -> list[Event]:
    with sessions() as session:
        return list(session.scalars(select(Event).where(
            Event.kind == "mail_commands_refused").order_by(Event.id)).all())


# --- forged mail, through the pipeline, on SQLite and PostgreSQL ---------------------------


@pytest.mark.parametrize("scenario", sorted(FORGED))
def test_forged_command_mail_changes_nothing_and_is_reported_once(
    scenario: str, db_url: str, sessions: sessionmaker[Session], tokens: None
) -> None:
    """A forged operator mail (every way configured) leaves the case as it was, sends the
    partner nothing, is kept as ordinary mail with the reason recorded, and a second one
    from the same sender within the hour adds no second alert."""
    settings = Settings(database={"url": db_url}, desk=desk(ALL_WAYS))
    seed_directory(sessions)
    case = open_case(settings, sessions)
    before = snapshot(sessions, case.id)
    trace, first_line, phrase = FORGED[scenario]
    at = datetime(2026, 11, 28, 9, 5, tzinfo=UTC)
    work = deliver(settings, sessions, command_mail(
        case.reference, DUTY, "#start\n#close nothing to do\n", trace, first_line), at)
    deliver(settings, sessions, command_mail(
        case.reference, DUTY, "#close really\n", trace, first_line), at + timedelta(minutes=50))

    assert snapshot(sessions, case.id) == before
    assert partner_mail(sessions) == ["ack"]
    assert "mail_commands_refused" in work.rules and "mail_commands" not in work.rules
    with sessions() as session:
        stored = session.get_one(Message, work.message.id)  # type: ignore[union-attr]
    assert not stored.quarantined and stored.candidate_case_id == case.id
    events = refusals(sessions)
    assert len(events) == 2
    assert {e.case_id for e in events} == {case.id} and {e.actor for e in events} == {
        "watchkeeper"}
    assert events[0].data["sender"] == DUTY
    assert events[0].data["commands"] == ["#start", "#close"]
    assert phrase in events[0].data["reason"], events[0].data["reason"]
    alerts = refusal_alerts(sessions, DUTY)
    assert len(alerts) == 1
    assert alerts[0].recipients == OPERATORS and alerts[0].purpose == "operator_alert"
    body = body_of(alerts[0].raw)
    assert f"A command mail from {DUTY} could not be verified: {events[0].data['reason']}; " \
        "nothing was changed." in body
    # The next hour is a new alert.
    deliver(settings, sessions, command_mail(case.reference, DUTY, "#close\n", trace,
                                             first_line), at + timedelta(hours=1))
    assert len(refusal_alerts(sessions, DUTY)) == 2
    assert snapshot(sessions, case.id) == before


def test_command_by_mail_off_without_a_way(db_url: str, sessions: sessionmaker[Session]
                                           ) -> None:
    """With no way configured even an internal operator mail is no command; the event
    and the alert say command-by-mail is off."""
    settings = Settings(database={"url": db_url},
                        desk={"official_address": OFFICIAL, "operators": OPERATORS})
    seed_directory(sessions)
    case = open_case(settings, sessions)
    before = snapshot(sessions, case.id)
    deliver(settings, sessions, command_mail(case.reference, DUTY, "#close\n", FROM_DESK_PC))
    assert snapshot(sessions, case.id) == before
    assert refusals(sessions)[0].data["reason"] == \
        "command-by-mail is off (desk.command_auth names no way)"
    assert len(refusal_alerts(sessions, DUTY)) == 1


# --- genuine mail, each way ----------------------------------------------------------------


@pytest.mark.parametrize("way", ALL_WAYS)
def test_genuine_command_in_each_way_is_applied_and_other_ways_are_off(
    way: str, db_url: str, sessions: sessionmaker[Session], tokens: None
) -> None:
    """With one way configured, a mail proven that way is applied as before (#start tells
    the partner, the operator gets the confirmation); mail proven only by another way is
    refused."""
    settings = Settings(database={"url": db_url}, desk=desk([way]))
    seed_directory(sessions)
    case = open_case(settings, sessions)
    trace, first_line = GENUINE[way]
    work = deliver(settings, sessions, command_mail(
        case.reference, DUTY, "#start\n#note order sent to the provider\n", trace, first_line))
    assert "mail_commands" in work.rules
    with sessions() as session:
        found = session.get_one(Case, case.id)
        applied = session.scalars(select(Event).where(Event.kind == "mail_commands")).one()
        confirmation = session.scalars(select(OutboxMail).where(
            OutboxMail.purpose == "command_confirmation")).one()
    assert found.status == "started"
    assert applied.actor == DUTY and applied.data["verified_by"] == way
    assert partner_mail(sessions) == ["ack", "execution_started"]
    assert confirmation.recipients == [DUTY]
    assert f"Verified by {way}: " in body_of(confirmation.raw)
    # The same commands proven only by the other ways are refused while `way` alone is on.
    for other in (w for w in ALL_WAYS if w != way):
        other_case = open_case(settings, sessions)
        trace, first_line = GENUINE[other]
        deliver(settings, sessions, command_mail(other_case.reference, DUTY, "#close\n", trace,
                                                 first_line))
        with sessions() as session:
            assert session.get_one(Case, other_case.id).status != "closed", other
    assert len(refusals(sessions)) == 3


def test_one_of_several_ways_is_enough(db_url: str, sessions: sessionmaker[Session],
                                       tokens: None) -> None:
    """With dmarc and secret configured, a good token proves a mail that DMARC does not."""
    settings = Settings(database={"url": db_url}, desk=desk(["dmarc", "secret"]))
    seed_directory(sessions)
    case = open_case(settings, sessions)
    deliver(settings, sessions, command_mail(case.reference, DUTY, "#close phoned instead\n",
                                             FROM_HOTEL, "#auth {token}\n"))
    with sessions() as session:
        found = session.get_one(Case, case.id)
    assert (found.status, found.close_reason) == ("closed", "phoned instead")


# --- the token never shows -----------------------------------------------------------------


def test_token_never_in_logs_events_parse_case_view_or_config_show(
    db_url: str, sessions: sessionmaker[Session], tokens: None, tmp_path: Path
) -> None:
    """The #auth line is removed before the note is stored; neither the right token nor a
    wrong one appears in the log, the events, the stored parse, the confirmation, the case
    view or `config show`."""
    settings = Settings(database={"url": db_url}, desk=desk(["secret"]))
    seed_directory(sessions)
    case = open_case(settings, sessions)
    right, wrong = TOKENS[DUTY], "tok-0-Xk39vQ2pLm7wRz4t"
    with capture_logs() as logs:
        good = deliver(settings, sessions, command_mail(
            case.reference, DUTY, "#note checked with the provider\n#called partner desk\n",
            FROM_HOTEL, "#auth {token}\n"))
        bad = deliver(settings, sessions, command_mail(
            case.reference, OPERATORS[1], "#close\n", FROM_OUTSIDE, f"#auth {wrong}\n"))
        # Without a case tag the mail is no command mail; its #auth line is still dropped.
        untagged = command_mail(case.reference, DUTY, "#close\n", FROM_HOTEL,
                                "#auth {token}\n").replace(f"[{case.reference}] ".encode(), b"")
        deliver(settings, sessions, untagged)
    assert "mail_commands" in good.rules and "mail_commands_refused" in bad.rules
    with sessions() as session:
        events = session.scalars(select(Event)).all()
        notes = [e.data for e in events if e.kind in ("note_added", "call_logged")]
        parsed = [m.parsed for m in session.scalars(select(Message)).all()]
        mails = [m.raw.decode() + body_of(m.raw)
                 for m in session.scalars(select(OutboxMail)).all()]
    assert [n.get("text") or n.get("note") for n in notes] == [
        "checked with the provider", "partner desk"]
    assert any("checked with the provider" in (p.get("own_text") or "") for p in parsed)
    shown = run_cli("case", case.reference, "show",
                    env={"WATCHKEEPER_DATABASE__URL": db_url, "WATCHKEEPER_DESK__TIMEZONE": "UTC"})
    assert shown.returncode == 0, shown.stderr
    assert "partner desk" in shown.stdout
    config = tmp_path / "watchkeeper.toml"
    config.write_text(f'[desk]\noperators = ["{DUTY}"]\ncommand_auth = ["secret"]\n'
                      f'[desk.operator_tokens."{DUTY}"]\ntoken_env = "{TOKEN_ENV[DUTY]}"\n')
    show = run_cli("--config", str(config), "config", "show", "--json",
                   env={TOKEN_ENV[DUTY]: right})
    assert show.returncode == 0, show.stderr
    assert json.loads(show.stdout)["desk"]["operator_tokens"] == {
        DUTY: {"token_env": TOKEN_ENV[DUTY], "token_file": None}}
    for where, text in (("logs", repr(logs)), ("events", repr([e.data for e in events])),
                        ("parse", json.dumps(parsed)), ("outbox", "\n".join(mails)),
                        ("case view", shown.stdout), ("config show", show.stdout)):
        for token in (right, wrong):
            assert token not in text, (where, token)


# --- the issue's scenario: `run --once` against Dovecot and the SMTP sink ------------------


def _config(tmp_path: Path, dovecot: Dovecot, smtp_sink: SmtpSink, db_url: str,
            ways: list[str]) -> Path:
    config = write_config(tmp_path, imap_port=dovecot.port, smtp_port=smtp_sink.port,
                          db_url=db_url)
    tokens = "".join(f'[desk.operator_tokens."{a}"]\ntoken_env = "{TOKEN_ENV[a]}"\n'
                     for a in OPERATORS if "secret" in ways)
    config.write_text(config.read_text().replace("[logging]", (
        f"operators = {json.dumps(OPERATORS)}\ncommand_auth = {json.dumps(ways)}\n"
        f'trusted_authserv_id = "{MX}"\ninternal_relays = {json.dumps(RELAYS)}\n'
        f"{tokens}\n[logging]")))
    return config


def _append_all(dovecot: Dovecot, raws: list[bytes], at: datetime) -> None:
    """Every mail into INBOX with the same arrival time (the alert's hour)."""
    client = dovecot.client()
    try:
        for raw in raws:
            client.append("INBOX", raw, msg_time=at)
    finally:
        client.logout()


def _cases(settings: Settings, sessions: sessionmaker[Session], n: int) -> list[Case]:
    """`n` open cases whose acknowledgements have already gone out."""
    seed_directory(sessions)
    cases = [open_case(settings, sessions) for _ in range(n)]
    with sessions.begin() as session:
        session.execute(update(OutboxMail).values(status="sent", sent_at=datetime.now(UTC)))
    return cases


def test_forged_commands_after_run_once(
    db_url: str, sessions: sessionmaker[Session], tmp_path: Path, dovecot: Dovecot,
    smtp_sink: SmtpSink,
) -> None:
    """`run --once` as a process, every way on: each forged command mail of the issue
    leaves its case as it was and writes nothing to the partner, each forging sender
    gives exactly one alert to every operator (two forged mails in the hour: still one),
    the log says why; genuine dmarc and secret command mail are applied and confirmed."""
    settings = Settings(database={"url": db_url},
                        desk={"official_address": OFFICIAL, "operators": OPERATORS})
    cases = _cases(settings, sessions, len(FORGED) + 2)
    senders = dict(zip(sorted(FORGED), OPERATORS, strict=False))
    raws = []
    for case, scenario in zip(cases, sorted(FORGED), strict=False):
        trace, first_line, _ = FORGED[scenario]
        sender = senders[scenario]
        first = first_line.replace("tok-0-", f"tok-{OPERATORS.index(sender)}-")
        raws.append(command_mail(case.reference, sender, "#start\n#close nothing to do\n",
                                 trace, first))
    # The issue's sender again, about the same case, within the hour.
    raws.append(command_mail(cases[0].reference, senders[sorted(FORGED)[0]], "#close\n",
                             FORGED[sorted(FORGED)[0]][0]))
    dmarc_case, secret_case = cases[-2:]
    raws.append(command_mail(dmarc_case.reference, OPERATORS[5], "#close by dmarc\n",
                             *GENUINE["dmarc"]))
    raws.append(command_mail(secret_case.reference, OPERATORS[5], "#close by secret\n",
                             *GENUINE["secret"]))
    before = {c.id: snapshot(sessions, c.id) for c in cases[:len(FORGED)]}
    _append_all(dovecot, raws, datetime.now(UTC).replace(microsecond=0))

    config = _config(tmp_path, dovecot, smtp_sink, db_url, ALL_WAYS)
    env = {**cli_env(config), **{TOKEN_ENV[a]: t for a, t in TOKENS.items()}}
    done = run_cli("run", "--once", env=env, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]

    for case_id, was in before.items():
        assert snapshot(sessions, case_id) == was
    received = smtp_sink.received
    assert not [r for r in received if PARTNER in r.rcpt_tos]
    events = refusals(sessions)
    assert len(events) == len(FORGED) + 1
    for scenario, sender in senders.items():
        alerts = [r for r in received
                  if f"command mail from {sender} not verified" in str(r.message["Subject"])]
        assert len(alerts) == 1, scenario
        assert sorted(alerts[0].rcpt_tos) == sorted(OPERATORS)
        reason = next(e.data["reason"] for e in events if e.data["sender"] == sender)
        assert FORGED[scenario][2] in reason, (scenario, reason)
        text = body_of(alerts[0].data)
        assert f"A command mail from {sender} could not be verified: " in text
        assert "nothing was changed" in text
    log = [json.loads(line) for line in (done.stdout + done.stderr).splitlines()
           if line.startswith("{")]
    refused = [e for e in log if e.get("event") == "mail_commands_refused"]
    assert len(refused) == len(FORGED) + 1 and all(e["reason"] for e in refused)
    with sessions() as session:
        assert session.get_one(Case, dmarc_case.id).close_reason == "by dmarc"
        assert session.get_one(Case, secret_case.id).close_reason == "by secret"
    confirmations = [r for r in received if "commands: done" in str(r.message["Subject"])]
    assert [r.rcpt_tos for r in confirmations] == [[OPERATORS[5]], [OPERATORS[5]]]
    for token in TOKENS.values():
        assert token not in done.stdout + done.stderr


def test_issue_mail_after_run_once_with_command_by_mail_off(
    db_url: str, sessions: sessionmaker[Session], tmp_path: Path, dovecot: Dovecot,
    smtp_sink: SmtpSink,
) -> None:
    """The issue as filed: no way configured, a forged `#close nothing to do` from an
    outside host; after `run --once` the case is open, the real operator is told that
    command-by-mail is off, and nothing else is sent."""
    settings = Settings(database={"url": db_url},
                        desk={"official_address": OFFICIAL, "operators": OPERATORS})
    (case,) = _cases(settings, sessions, 1)
    before = snapshot(sessions, case.id)
    _append_all(dovecot, [command_mail(case.reference, DUTY, "#close nothing to do\n",
                                       FROM_OUTSIDE)], datetime.now(UTC).replace(microsecond=0))
    config = _config(tmp_path, dovecot, smtp_sink, db_url, [])
    done = run_cli("run", "--once", env=cli_env(config), timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert snapshot(sessions, case.id) == before
    received = smtp_sink.received
    assert len(received) == 1 and sorted(received[0].rcpt_tos) == sorted(OPERATORS)
    assert "command-by-mail is off" in body_of(received[0].data)
    assert re.search(r'"event": ?"mail_commands_refused"', done.stdout + done.stderr)


# --- config check and status ---------------------------------------------------------------


def test_config_check_reports_the_command_auth_setup(tmp_path: Path) -> None:
    """`config check` says command-by-mail is OFF without a way, lists each configured way
    with where its proof comes from, names token sources but never a token, and stops
    with one line when a token cannot be read or is too short."""
    path = tmp_path / "watchkeeper.toml"
    path.write_text(f'[desk]\noperators = ["{DUTY}"]\n')
    off = run_cli("--config", str(path), "config", "check")
    assert off.returncode == 0, off.stderr
    assert off.stdout.splitlines()[0].startswith("command-by-mail: OFF (desk.command_auth")
    token_file = tmp_path / "duty.token"
    token_file.write_text(TOKENS[DUTY] + "\n")
    path.write_text(
        f'[desk]\noperators = ["{DUTY}", "{OPERATORS[1]}"]\n'
        f'command_auth = ["dmarc", "received", "secret"]\ntrusted_authserv_id = "{MX}"\n'
        f'internal_relays = ["192.0.2.0/26", "smtp-out.ncc.gov.example"]\n'
        f'[desk.operator_tokens."{DUTY}"]\ntoken_file = "{token_file}"\n')
    on = run_cli("--config", str(path), "config", "check")
    assert on.returncode == 0, on.stderr
    lines = on.stdout.splitlines()
    assert lines[0] == ("command-by-mail: on; a command mail is applied when one of these "
                        "proves it: dmarc, received, secret")
    assert any(line.startswith("  dmarc: ") and MX in line for line in lines)
    assert "  received: every Received hop from inside 192.0.2.0/26, " \
           "smtp-out.ncc.gov.example" in lines
    assert f"    {DUTY}: token from file {token_file}" in lines
    assert f"    {OPERATORS[1]}: no token (this way never proves its mail)" in lines
    assert lines[-1] == "configuration ok" and TOKENS[DUTY] not in on.stdout
    token_file.write_text("short\n")
    short = run_cli("--config", str(path), "config", "check")
    assert short.returncode == 2 and short.stderr.count("\n") == 1
    assert "the token is shorter than 16 characters" in short.stderr
    assert "short" not in short.stderr.replace("shorter", "")
    token_file.unlink()
    gone = run_cli("--config", str(path), "config", "check")
    assert gone.returncode == 2 and "token_file: cannot read" in gone.stderr


@pytest.mark.parametrize("text,expected", [
    ('command_auth = ["dmarc"]\n', "command_auth names dmarc but trusted_authserv_id"),
    ('command_auth = ["received"]\n', "command_auth names received but internal_relays"),
    ('command_auth = ["secret"]\n', "command_auth names secret but operator_tokens"),
    ('command_auth = ["pgp"]\n', "desk.command_auth.0 = 'pgp'"),
    ('internal_relays = ["192.0.2.0/33"]\n', "is neither a network"),
    (f'[desk.operator_tokens."{DUTY}"]\ntoken = "x"\n', "must not be written in the file"),
    (f'[desk.operator_tokens."{OPERATORS[1]}"]\ntoken_env = "X"\n', "which is not in operators"),
    (f'[desk.operator_tokens."{DUTY}"]\n', "give exactly one of token_env and token_file"),
])
def test_bad_command_auth_settings_are_one_line(tmp_path: Path, text: str,
                                                expected: str) -> None:
    """A way without what it needs, or a token written in the file, is one line, exit 2."""
    path = tmp_path / "watchkeeper.toml"
    path.write_text(f'[desk]\noperators = ["{DUTY}"]\n{text}')
    out = run_cli("--config", str(path), "config", "check")
    assert out.returncode == 2 and out.stderr.count("\n") == 1, out.stderr
    assert expected in out.stderr


def test_status_shows_which_ways_are_on(db_url: str) -> None:
    """`status` says command-by-mail is off, or which ways are on, in text and JSON."""
    env = {"WATCHKEEPER_DATABASE__URL": db_url}
    data = json.loads(run_cli("status", "--json", env=env).stdout)
    assert data["command_auth"] == []
    assert "command-by-mail: off" in run_cli("status", env=env).stdout
    env.update({"WATCHKEEPER_DESK__COMMAND_AUTH": '["dkim", "received"]',
                "WATCHKEEPER_DESK__TRUSTED_AUTHSERV_ID": MX,
                "WATCHKEEPER_DESK__INTERNAL_RELAYS": '["192.0.2.0/26"]'})
    data = json.loads(run_cli("status", "--json", env=env).stdout)
    assert data["command_auth"] == ["dkim", "received"]
    assert "command-by-mail: dkim, received" in run_cli("status", env=env).stdout
