"""The state machine of a case: the moves it allows, those it refuses, on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings
from daemon.cases import transitions
from daemon.cases.transitions import (
    ACKNOWLEDGED,
    ANSWERED,
    CLOSED,
    HELD,
    NEW,
    STARTED,
    STATUSES,
    TRANSITIONS,
    CaseError,
    TransitionRefused,
    mail_sent,
    move,
)
from daemon.outbound.outbox import ACK, RESEND_REQUEST
from models import Case, OutboxMail
from tests.conftest import run_cli
from tests.test_cases_cli import NOW, case_row, env_for, make_case, snapshot

ALLOWED = sorted((status, to) for status, targets in TRANSITIONS.items() if status is not None
                 for to in targets)
REFUSED = sorted((status, to) for status in STATUSES for to in STATUSES
                 if to not in TRANSITIONS[status])


def test_the_table_names_every_status_and_only_known_ones() -> None:
    """Every status has its row; a new case can only become `new`; a case never stays put."""
    assert set(TRANSITIONS) == {None, *STATUSES}
    assert TRANSITIONS[None] == {NEW}
    assert all(targets <= set(STATUSES) for targets in TRANSITIONS.values())
    assert all(status not in TRANSITIONS[status] for status in STATUSES)


@pytest.mark.parametrize(("status", "to"), ALLOWED)
def test_each_allowed_move_is_written(sessions: sessionmaker[Session], status: str,
                                      to: str) -> None:
    """A move the table allows changes the stored status and returns the previous one (a
    closed case leaves only by being reopened)."""
    make_case(sessions, "WK-2026-00001", status=status)
    why = "reopen" if status == CLOSED else "test"
    with sessions.begin() as session:
        case = session.scalars(select(Case)).one()
        assert move(case, to, why=why) == status
    assert case_row(sessions, "WK-2026-00001").status == to


@pytest.mark.parametrize(("status", "to"), REFUSED)
def test_each_refused_move_raises_one_line_and_changes_nothing(
    sessions: sessionmaker[Session], status: str, to: str,
) -> None:
    """A move the table does not allow raises TransitionRefused, a CaseError whose message
    is one line naming the case, and the case keeps its status."""
    make_case(sessions, "WK-2026-00001", status=status)
    with sessions() as session:
        case = session.scalars(select(Case)).one()
        with pytest.raises(TransitionRefused) as refused:
            move(case, to, why="test")
        assert case.status == status
    message = str(refused.value)
    assert isinstance(refused.value, CaseError)
    assert "\n" not in message and message.startswith("WK-2026-00001 ")
    assert (refused.value.from_status, refused.value.to) == (status, to)


def test_a_closed_case_leaves_only_by_being_reopened(sessions: sessionmaker[Session]) -> None:
    """closed -> started is in the table for a reopening, never for `start`."""
    make_case(sessions, "WK-2026-00001", status=CLOSED, closed_at=NOW)
    with sessions() as session:
        case = session.scalars(select(Case)).one()
        with pytest.raises(TransitionRefused, match="is closed: reopen it before you start it"):
            move(case, STARTED, why="start")
        assert move(case, STARTED, why="reopen") == CLOSED


def test_a_case_being_opened_becomes_new_first() -> None:
    """A case not yet stored has no status: it may only become new."""
    case = Case(reference="WK-2026-00009")
    with pytest.raises(TransitionRefused, match="cannot go from unopened to closed"):
        move(case, CLOSED, why="imported as history")
    assert move(case, NEW, why="opened") is None and case.status == NEW


@pytest.mark.parametrize(("status", "purpose", "after"), [
    (NEW, ACK, ACKNOWLEDGED),
    (HELD, ACK, HELD),
    (STARTED, ACK, STARTED),
    (NEW, RESEND_REQUEST, NEW),
])
def test_the_acknowledgement_leaving_acknowledges_a_new_case(
    sessions: sessionmaker[Session], status: str, purpose: str, after: str,
) -> None:
    """Delivery's hook: our acknowledgement sent makes a new case acknowledged and stamps
    when; other mail, or a case past `new`, keeps its status."""
    make_case(sessions, "WK-2026-00001", status=status, acknowledged_at=None)
    with sessions.begin() as session:
        case = session.scalars(select(Case)).one()
        row = OutboxMail(purpose=purpose)
        mail_sent(session, row, case, NOW)
    stored = case_row(sessions, "WK-2026-00001")
    assert stored.status == after
    assert (stored.acknowledged_at is not None) is (purpose == ACK)


def test_a_refused_transition_is_the_clis_one_line_and_exit_1(
    db_url: str, sessions: sessionmaker[Session],
) -> None:
    """`case REF start` on an answered case: the state machine's refusal is printed as one
    line on stderr, the exit code is 1, and nothing changes."""
    make_case(sessions, "WK-2026-00003", status=ANSWERED, answered_at=NOW)
    with sessions() as session:
        case = session.scalars(select(Case)).one()
        with pytest.raises(TransitionRefused) as refused:
            transitions.start(session, case, actor="alice", now=NOW, settings=Settings())
        session.rollback()
    before = snapshot(sessions)
    result = run_cli("case", "WK-2026-00003", "start", "--by", "alice", env=env_for(db_url))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [f"watchkeeper: {refused.value}"]
    assert str(refused.value) == "WK-2026-00003 is already answered: nothing left to start"
    assert snapshot(sessions) == before
