"""The directory as held in the database: load it for the pipeline, import files into it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from models import ContactPointRow
from parsers.directory import ContactPoint, Directory


def load_directory(session: Session) -> Directory:
    """Every contact point in the database, as the plain data the parsers take."""
    rows = session.scalars(
        select(ContactPointRow).options(selectinload(ContactPointRow.emails))
        .order_by(ContactPointRow.country, ContactPointRow.id)
    ).all()
    return Directory(tuple(
        ContactPoint(
            country=r.country,
            authority=r.authority,
            role=r.role,
            emails=tuple(e.address for e in r.emails),
            timezone=r.timezone,
            office_hours=r.office_hours,
            office_phone=r.office_phone,
            after_hours_phone=r.after_hours_phone,
            languages=tuple(r.languages),
            retention=tuple((str(k), str(v)) for k, v in r.retention.items()),
            preservation_days=r.preservation_days,
        )
        for r in rows
    ))
