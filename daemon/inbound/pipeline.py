"""The pipeline: the ordered steps one fetched message goes through, inside its transaction.

Adding a behaviour is one small step function in `daemon/inbound/steps.py` and its name in
`STEPS`. Each step takes the session and a frozen `Work` and returns a new `Work`; only
the loop here handles the early exits (`AlreadyStored`, `StopPipeline`) and the
poison-mail quarantine. `Work` and the exits are defined in `daemon/inbound/work.py`, where
the steps can import them without importing the loop that imports them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import structlog
from sqlalchemy.orm import Session

from daemon.inbound import steps
from daemon.inbound.work import AlreadyStored, Env, Fetched, StopPipeline, Work
from daemon.store import audit
from daemon.store.audit import ACTOR
from daemon.text import one_line

log = structlog.get_logger("watchkeeper.ingest")



Step = Callable[[Session, Work], Work]

STEPS: tuple[tuple[str, Step], ...] = (
    ("parse", steps.parse),
    ("recognise_own", steps.recognise_own),
    ("recognise_robot", steps.recognise_robot),
    ("classify", steps.classify),
    ("mail_commands", steps.mail_commands),
    ("thread", steps.thread),
    ("open_or_update_case", steps.open_or_update_case),
    ("triage", steps.triage),
    ("only_live", steps.only_live),
    ("ping_reply", steps.ping_reply),
    ("plan_replies", steps.plan_replies),
)


def run(session: Session, env: Env, fetched: Fetched) -> Work | None:
    """Store one message and run every step on it; None when it was already stored.

    When a step raises, the steps' changes are rolled back and the message is kept raw,
    quarantined with a one-line error.
    """
    work = Work(env=env, fetched=fetched)
    try:
        work = steps.store(session, work)
    except AlreadyStored as exc:
        log.info("message_skipped", reason=str(exc))
        return None
    work, error = run_steps(session, work)
    if error is not None:
        work = _quarantine(session, work, error)
    _record_stored(session, work)
    return work


def run_steps(session: Session, work: Work) -> tuple[Work, str | None]:
    """Run `STEPS` on a stored message under a savepoint: the work, and None; or, when a
    step raised, the work as far as it got, every step's database change rolled back, and
    the failure as one line ("thread: KeyError: ...")."""
    savepoint = session.begin_nested()
    step_name = "start"
    try:
        for name, step in STEPS:
            step_name = name
            work = step(session, work)
            _bind_case(work)
    except StopPipeline as stop:
        work = stop.work
        _bind_case(work)
    except Exception as exc:  # poison mail must never stop ingest
        savepoint.rollback()
        return work, f"{step_name}: {one_line(exc)}"[:1000]
    savepoint.commit()
    return work, None


def _bind_case(w: Work) -> None:
    """The case the message joined or opened, on every later line about the message."""
    case = w.case or w.candidate
    if case is not None and case.reference:
        structlog.contextvars.bind_contextvars(case=case.reference)


def _record_stored(session: Session, w: Work) -> None:
    """The audit line for the stored message, written with the rest of its changes."""
    f = w.fetched
    audit.record(session, "message_stored", at=w.env.now, actor=ACTOR, message=w.message,
                 folder=f.folder, uid=f.uid, size=f.size, live=f.live, truncated=f.truncated,
                 case=w.case)


def _quarantine(session: Session, w: Work, error: str) -> Work:
    assert w.message is not None
    message = w.message
    message.quarantined = True
    message.error = error
    audit.record(session, "message_quarantined", at=w.env.now, actor=ACTOR, message=message,
                 folder=w.fetched.folder, uid=w.fetched.uid, error=error)
    log.error("message_quarantined", error=error)
    return dataclasses.replace(w, case=None, opened=False, flags=w.flagged("quarantined"))
