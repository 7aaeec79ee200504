"""Alerts: the one way the desk tells its operators something by mail.

An alert goes to `desk.operators`, never to a partner, through the outbox
(`outbox.notify_operators`): planned while SMTP is down, it waits there like any other
mail, and `status` lists it meanwhile. An alert has a kind (what happened), a scope (what
it is about: a server, a file, a sender, "" for the desk) and an occurrence:

- deduplicated: one occurrence is planned once, whoever asks again (its outbox key);
- rate-limited: a kind alerts at most once per `every(kind)` for one scope; an alert
  within that time is held back (an event and a log line say so), so a fault that comes
  and goes does not flood the operators;
- recorded: every alert planned is an `operator_alerted` event and a log line.

The conditions (store/conditions.py) become alerts here, in `alert_conditions`: once per
episode, when the condition has held past its grace; SMTP, whose own outage no mail can
announce, instead sends one "SMTP back" alert when the outage ends, with how much mail was
held.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from config.settings import Settings
from daemon.outbound import templates
from daemon.outbound.outbox import OPERATOR_ALERT, notify_operators
from daemon.store import audit, conditions
from daemon.store.audit import ACTOR
from models import Case, Condition, OutboxMail

log = structlog.get_logger("watchkeeper.alerts")


PLANNED, DUPLICATE, HELD_BACK, UNADDRESSED = "planned", "duplicate", "held_back", "unaddressed"

# Kinds of alert besides the conditions' own names (those alert under the condition's name).
SMTP_BACK = "smtp_back"

DEFAULT_EVERY = timedelta(hours=1)
# A kind that may alert more (or less) often than once an hour per scope says so here.
EVERY: dict[str, timedelta] = {}

KEY_PREFIX = "alert"


def every(kind: str) -> timedelta:
    """The shortest time between two alerts of `kind` about the same scope."""
    return EVERY.get(kind, DEFAULT_EVERY)


@dataclass(frozen=True)
class Alert:
    """What to tell the operators. `facts` are (label, value) lines under the headline;
    `advice` says what to do."""

    kind: str
    scope: str
    occurrence: str
    headline: str
    facts: tuple[tuple[str, str], ...] = ()
    advice: str = ""
    case: Case | None = None


def _scope_key(kind: str, scope: str) -> str:
    # A path or an address may be long and hold LIKE wildcards: the key holds its digest.
    digest = hashlib.sha256(scope.encode("utf-8")).hexdigest()[:16]
    return f"{KEY_PREFIX}:{kind}:{digest}:"


def outbox_key(alert: Alert) -> str:
    """The outbox key of an alert: the same occurrence always gives the same key."""
    return (_scope_key(alert.kind, alert.scope) + alert.occurrence)[:300]


def send(session: Session, settings: Settings, now: datetime, alert: Alert) -> str:
    """Plan `alert` to the operators in the caller's transaction. Returns PLANNED,
    DUPLICATE (this occurrence was planned before), HELD_BACK (the same kind and scope
    alerted less than `every(kind)` ago) or UNADDRESSED (`desk.operators` is empty)."""
    key = outbox_key(alert)
    if session.scalar(select(OutboxMail.id).where(OutboxMail.key == key)) is not None:
        return DUPLICATE
    ref = alert.case.reference if alert.case is not None else None
    last = session.scalar(
        select(func.max(OutboxMail.created_at)).where(
            OutboxMail.key.startswith(_scope_key(alert.kind, alert.scope), autoescape=True))
    )
    if last is not None and now - last < every(alert.kind):
        audit.record(session, "alert_held_back", at=now, actor=ACTOR, case=alert.case,
                     alert=alert.kind, scope=alert.scope, headline=alert.headline,
                     last_alert_at=last.isoformat())
        log.info("alert_held_back", alert=alert.kind, scope=alert.scope,
                 headline=alert.headline, last_alert_at=last.isoformat(), case=ref)
        return HELD_BACK
    rendered = templates.render(
        settings, "alert", (), headline=alert.headline, facts=list(alert.facts),
        advice=alert.advice, operators=", ".join(settings.desk.operators),
    )
    row = notify_operators(
        session, settings, now, key=key, case=alert.case, purpose=OPERATOR_ALERT,
        subject=rendered.subject or f"[watchkeeper] {alert.headline}", text=rendered.text,
    )
    if row is None:
        return UNADDRESSED  # logged by notify_operators
    audit.record(session, "operator_alerted", at=now, actor=ACTOR, case=alert.case,
                 alert=alert.kind, scope=alert.scope, headline=alert.headline, outbox=key,
                 to=list(row.recipients))
    log.warning("operator_alerted", alert=alert.kind, scope=alert.scope,
                headline=alert.headline, to=list(row.recipients), case=ref)
    return PLANNED


# ---------------------------------------------------------------- conditions as alerts


@dataclass(frozen=True)
class Policy:
    """When a condition tells the operators: when it starts (past its grace), when it ends."""

    on_raise: bool = True
    on_recovery: bool = False


POLICIES: dict[str, Policy] = {
    # An SMTP outage cannot be told by mail while it lasts; `status` carries it, and its
    # end is announced with how much mail was held.
    conditions.SMTP_UNAVAILABLE: Policy(on_raise=False, on_recovery=True),
    conditions.IMAP_LOGIN_REFUSED: Policy(),
    conditions.DIRECTORY_REFUSED: Policy(),
    conditions.QUARANTINE_WAITING: Policy(),
    conditions.SENDER_RATE_LIMITED: Policy(),
}


def alert_conditions(session: Session, settings: Settings, now: datetime) -> int:
    """Tell the operators of every condition that is due: raised past its grace and not
    yet told, or ended and announcing its end. Returns how many alerts were planned."""
    planned = 0
    rows = session.scalars(
        select(Condition).where(Condition.seen > 0, or_(
            and_(Condition.cleared_at.is_(None), Condition.alerted_at.is_(None)),
            and_(Condition.cleared_at.is_not(None), Condition.recovery_alerted_at.is_(None)),
        )).order_by(Condition.since, Condition.id).with_for_update()
    )
    for c in rows:
        policy = POLICIES.get(c.kind, Policy())
        if c.cleared_at is None:
            if not policy.on_raise or not conditions.is_due(c, settings, now):
                continue
            planned += send(session, settings, now, _raised(c, settings, now)) == PLANNED
            c.alerted_at = now
        else:
            if policy.on_recovery:
                planned += send(session, settings, now, _recovered(session, c, settings)) \
                    == PLANNED
            c.recovery_alerted_at = now
    return planned


def _raised(c: Condition, settings: Settings, now: datetime) -> Alert:
    since = conditions.local_text(c.since, settings)
    held = conditions.plural(int(c.data.get("held") or 0), "mail", "mails")
    waiting = conditions.plural(int(c.data.get("count") or 1), "quarantined message waits",
                                "quarantined messages wait")
    headline = {
        conditions.IMAP_LOGIN_REFUSED:
            f"IMAP login refused for {_duration(now - c.since)}: no mail is read",
        conditions.DIRECTORY_REFUSED: f"directory file refused: {c.subject}",
        conditions.QUARANTINE_WAITING:
            f"{waiting} for an operator",
        conditions.SENDER_RATE_LIMITED:
            f"sender rate-limited: {c.subject}, {held} held back",
    }.get(c.kind, f"{c.kind.replace('_', ' ')} {c.subject}".strip())
    facts = [("Since", since), ("Seen", conditions.plural(c.seen, "time", "times")),
             ("Cause", c.detail)]
    if c.kind == conditions.SENDER_RATE_LIMITED:
        facts.append(("Held back", f"{held} not acknowledged so far (`watchkeeper status` "
                      "counts on)"))
    if c.subject:
        facts.insert(0, ("About", c.subject))
    problems = c.data.get("problems")
    if isinstance(problems, list) and len(problems) > 1:
        facts += [(f"Problem {n}", str(p)) for n, p in enumerate(problems, 1)]
    return Alert(kind=c.kind, scope=c.subject, occurrence=c.since.isoformat(),
                 headline=headline, facts=tuple(facts),
                 advice=conditions.reason(c, settings))


def _recovered(session: Session, c: Condition, settings: Settings) -> Alert:
    assert c.cleared_at is not None
    held = int(c.data.get("held") or c.data.get("waiting") or 0)
    waiting = int(session.scalar(
        select(func.count(OutboxMail.id)).where(OutboxMail.status == "pending")) or 0)
    lasted = _duration(c.cleared_at - c.since)
    facts = (
        ("Server", c.subject),
        ("Down from", conditions.local_text(c.since, settings)),
        ("Back at", conditions.local_text(c.cleared_at, settings)),
        ("Cause", c.detail),
        ("Held", conditions.plural(held, "mail", "mails")),
        ("Still waiting", conditions.plural(waiting, "mail", "mails")),
    )
    return Alert(
        kind=SMTP_BACK, scope=c.subject, occurrence=c.since.isoformat(),
        headline=f"SMTP back after {lasted}: {conditions.plural(held, 'mail', 'mails')} held",
        facts=facts,
        advice=("The held mail is sent now, oldest first; nothing was lost. Acknowledgements "
                f"planned during the outage reached the partners up to {lasted} late."),
    )


def _duration(value: timedelta) -> str:
    minutes = int(value.total_seconds() // 60)
    if minutes < 1:
        return f"{int(value.total_seconds())} s"
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d}"
