"""Shared set-up for the deadline and digest tests: a desk, a directory, cases, the outbox."""

from __future__ import annotations

import email
import email.policy
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings
from daemon.cases import deadlines
from daemon.store.db import transaction
from daemon.store.directory import load_directory
from models import Case, ContactEmail, ContactPointRow, OutboxMail
from parsers.directory import Directory, load_toml

OPERATOR = "duty@ncc.gov.example"
SUPERVISOR = "chief@ncc.gov.example"

DIRECTORY_TOML = b"""
[[contact_points]]
country = "FR"
authority = "SDLC permanence 24/7 (fictional)"
role = "primary"
emails = ["sdlc-247@interieur.fr.example"]
office_phone = "+33 1 49 00 00 11"
after_hours_phone = "+33 6 00 00 00 11"
timezone = "Europe/Paris"
office_hours = "Mon-Fri 08:30-18:00"
languages = ["fr", "en"]
preservation_days = 120
[contact_points.retention]
subscriber = "5 years after end of contract"
traffic = "12 months"

[[contact_points]]
country = "FR"
authority = "OFAC astreinte (fictional)"
role = "secondary"
emails = ["ofac-astreinte@interieur.fr.example"]
office_phone = "+33 1 49 00 00 22"
after_hours_phone = "+33 6 00 00 00 22"
timezone = "Europe/Paris"
office_hours = "Mon-Fri 08:30-18:00"

[[contact_points]]
country = "JP"
authority = "Tokyo Cyber Desk (fictional)"
role = "primary"
emails = ["desk@cyber.jp.example"]
office_phone = "+81 3 0000 0001"
after_hours_phone = "+81 90 0000 0002"
timezone = "Asia/Tokyo"
office_hours = "Mon-Fri 09:00-17:45"
[contact_points.retention]
traffic = "90 days"
"""


def directory() -> Directory:
    return load_toml(DIRECTORY_TOML)


def desk_settings(url: str, **desk: Any) -> Settings:
    """A desk in Paris with one operator and one supervisor."""
    values: dict[str, Any] = {
        "timezone": "Europe/Paris",
        "country": "BE",
        "operators": [OPERATOR],
        "supervisors": [SUPERVISOR],
        "official_address": "poc247@ncc.gov.example",
    }
    values.update(desk)
    return Settings(database={"url": url}, desk=values)


def store_directory(sessions: sessionmaker[Session], at: datetime) -> Directory:
    """Write the test directory into the database as contact-point rows."""
    with transaction(sessions) as session:
        for cp in directory().contact_points:
            session.add(ContactPointRow(
                country=cp.country, authority=cp.authority, role=cp.role,
                timezone=cp.timezone, office_hours=cp.office_hours,
                office_phone=cp.office_phone, after_hours_phone=cp.after_hours_phone,
                languages=list(cp.languages), retention=dict(cp.retention),
                preservation_days=cp.preservation_days, created_at=at, changed_at=at,
                emails=[ContactEmail(address=a, position=n) for n, a in enumerate(cp.emails)],
            ))
    with transaction(sessions) as session:
        return load_directory(session)


_counter = [0]


def open_case(
    sessions: sessionmaker[Session],
    settings: Settings,
    opened_at: datetime,
    *,
    direction: str = "incoming",
    request_type: str = "stored_data",
    urgent: bool = False,
    country: str = "FR",
    apply: bool = True,
    **fields: Any,
) -> str:
    """Open a case the way the pipeline does (deadlines applied); returns its reference."""
    _counter[0] += 1
    reference = f"WK-{opened_at.year}-{_counter[0]:05d}"
    with transaction(sessions) as session:
        values: dict[str, Any] = {
            "status": "acknowledged" if direction == "incoming" else "new",
            "subject": f"Request {reference}", "flags": [], "rules": [], "details": {},
        }
        values.update(fields)
        case = Case(
            reference=reference, direction=direction, request_type=request_type,
            urgent=urgent, country=country, opened_at=opened_at, **values,
        )
        session.add(case)
        if apply:
            deadlines.apply_deadlines(case, settings, load_directory(session))
    return reference


def update_case(sessions: sessionmaker[Session], reference: str, **fields: Any) -> None:
    with transaction(sessions) as session:
        case = session.scalars(select(Case).where(Case.reference == reference)).one()
        for name, value in fields.items():
            setattr(case, name, value)


def get_case(sessions: sessionmaker[Session], reference: str) -> Case:
    with transaction(sessions) as session:
        return session.scalars(select(Case).where(Case.reference == reference)).one()


def outbox(sessions: sessionmaker[Session], purpose: str) -> list[OutboxMail]:
    with transaction(sessions) as session:
        return list(session.scalars(
            select(OutboxMail).where(OutboxMail.purpose == purpose).order_by(OutboxMail.id)
        ).all())


def parsed(row: OutboxMail) -> EmailMessage:
    message = email.message_from_bytes(row.raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def body(row: OutboxMail) -> str:
    part = parsed(row).get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())
