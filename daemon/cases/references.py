"""Case references WK-YYYY-NNNNN, allocated under a row lock so no two processes share one."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from models import CaseSequence


def allocate_reference(session: Session, prefix: str, year: int) -> str:
    """Take the next number for (prefix, year) inside the caller's transaction."""
    bump = (
        update(CaseSequence)
        .where(CaseSequence.prefix == prefix, CaseSequence.year == year)
        .values(last_value=CaseSequence.last_value + 1)
        .returning(CaseSequence.last_value)
    )
    value = session.execute(bump).scalar_one_or_none()
    if value is None:
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        session.execute(
            insert(CaseSequence)
            .values(prefix=prefix, year=year, last_value=0)
            .on_conflict_do_nothing()
        )
        value = session.execute(bump).scalar_one()
    return format_reference(prefix, year, value)


def format_reference(prefix: str, year: int, number: int) -> str:
    return f"{prefix}-{year:04d}-{number:05d}"
