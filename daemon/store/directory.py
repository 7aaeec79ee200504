"""The directory as held in the database: load it for the pipeline, import files into it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import structlog
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, selectinload, sessionmaker

from daemon.store import audit, conditions
from models import ContactEmail, ContactPointRow
from parsers.directory import FIELDS, ContactPoint, Directory, DirectoryError, load_file

log = structlog.get_logger("watchkeeper.directory")

# A partner whose details have not changed for this long is asked to confirm them.
CONFIRM_AFTER = timedelta(days=365)

# Any constant shared by every writer: PostgreSQL serialises directory imports on it.
_IMPORT_LOCK = 0x574B4449  # "WKDI"


def load_directory(session: Session) -> Directory:
    """Every contact point in the database, as the plain data the parsers take."""
    return Directory(tuple(_contact_point(r) for r in _rows(session)))


def _rows(session: Session) -> list[ContactPointRow]:
    return list(session.scalars(
        select(ContactPointRow).options(selectinload(ContactPointRow.emails))
        .order_by(ContactPointRow.country, ContactPointRow.id)
    ).all())


def _contact_point(r: ContactPointRow) -> ContactPoint:
    return ContactPoint(
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


# ---------------------------------------------------------------- differences


@dataclass(frozen=True)
class FieldChange:
    """One field of a contact point, as text before and after."""

    field: str
    old: str
    new: str


@dataclass(frozen=True)
class PointChange:
    """A contact point added, removed, or with some fields changed."""

    kind: str  # "added", "removed" or "changed"
    country: str
    role: str
    address: str  # the first address (the new one unless removed)
    old: ContactPoint | None
    new: ContactPoint | None
    fields: tuple[FieldChange, ...] = ()

    def describe(self) -> list[str]:
        """Lines for an operator: a heading, then one line per changed field."""
        cp = self.new if self.new is not None else self.old
        authority = cp.authority if cp is not None else ""
        head = f"{self.kind} {self.country} {self.role} {self.address} ({authority})"
        if self.kind != "changed":
            return [head]
        return [head, *(f"    {f.field}: {f.old or '-'} -> {f.new or '-'}" for f in self.fields)]


@dataclass(frozen=True)
class DirectoryDiff:
    """What replacing one directory with another changes, contact point by contact point."""

    changes: tuple[PointChange, ...]
    unchanged: int
    total: int  # contact points in the new directory

    @property
    def added(self) -> tuple[PointChange, ...]:
        return tuple(c for c in self.changes if c.kind == "added")

    @property
    def removed(self) -> tuple[PointChange, ...]:
        return tuple(c for c in self.changes if c.kind == "removed")

    @property
    def changed(self) -> tuple[PointChange, ...]:
        return tuple(c for c in self.changes if c.kind == "changed")

    @property
    def empty(self) -> bool:
        return not self.changes

    def counts(self) -> dict[str, int]:
        return {
            "contact_points": self.total,
            "added": len(self.added),
            "removed": len(self.removed),
            "changed": len(self.changed),
            "unchanged": self.unchanged,
        }

    def lines(self) -> list[str]:
        """Every change, one heading per contact point and one line per field."""
        return [line for change in self.changes for line in change.describe()]

    def summary(self) -> str:
        c = self.counts()
        return (f"{c['added']} added, {c['removed']} removed, {c['changed']} changed,"
                f" {c['unchanged']} unchanged")


def field_texts(cp: ContactPoint) -> dict[str, str]:
    """Each field of a contact point as one line of text, for comparing and showing."""
    return {
        "country": cp.country,
        "authority": cp.authority,
        "role": cp.role,
        "emails": ", ".join(cp.emails),
        "office_phone": cp.office_phone or "",
        "after_hours_phone": cp.after_hours_phone or "",
        "timezone": cp.timezone,
        "office_hours": cp.office_hours,
        "languages": ", ".join(cp.languages),
        "preservation_days": "" if cp.preservation_days is None else str(cp.preservation_days),
        "retention": "; ".join(f"{k}: {v}" for k, v in cp.retention),
    }


def _field_changes(old: ContactPoint, new: ContactPoint) -> tuple[FieldChange, ...]:
    before, after = field_texts(old), field_texts(new)
    return tuple(FieldChange(name, before[name], after[name])
                 for name in FIELDS if before[name] != after[name])


def _pair(current: Sequence[ContactPoint], new: Sequence[ContactPoint]
          ) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    """Pair contact points of two directories: same country, role and first address first,
    then any address in common. Returns (pairs of indexes, unpaired current, unpaired new)."""
    free = set(range(len(current)))
    pairs: list[tuple[int, int]] = []
    unpaired_new: list[int] = []

    def key(cp: ContactPoint) -> tuple[str, str, str]:
        return cp.country, cp.role, cp.emails[0].lower() if cp.emails else ""

    by_key = {key(cp): i for i, cp in enumerate(current)}
    waiting: list[int] = []
    for j, cp in enumerate(new):
        i = by_key.get(key(cp))
        if i is not None and i in free:
            free.discard(i)
            pairs.append((i, j))
        else:
            waiting.append(j)
    for j in waiting:
        addresses = {a.lower() for a in new[j].emails}
        match = next((i for i in sorted(free)
                      if addresses & {a.lower() for a in current[i].emails}), None)
        if match is None:
            unpaired_new.append(j)
        else:
            free.discard(match)
            pairs.append((match, j))
    return pairs, sorted(free), unpaired_new


def diff(current: Directory, new: Directory) -> DirectoryDiff:
    """What importing `new` over `current` changes, in country order (primary first)."""
    old_cps, new_cps = current.contact_points, new.contact_points
    pairs, removed, added = _pair(old_cps, new_cps)
    return _diff_from(old_cps, new_cps, pairs, removed, added)


def _diff_from(old_cps: Sequence[ContactPoint], new_cps: Sequence[ContactPoint],
               pairs: Iterable[tuple[int, int]], removed: Iterable[int],
               added: Iterable[int]) -> DirectoryDiff:
    changes: list[PointChange] = []
    unchanged = 0
    for i, j in pairs:
        fields = _field_changes(old_cps[i], new_cps[j])
        if fields:
            b = new_cps[j]
            changes.append(PointChange("changed", b.country, b.role, b.emails[0],
                                       old_cps[i], b, fields))
        else:
            unchanged += 1
    for j in added:
        b = new_cps[j]
        fields = tuple(FieldChange(name, "", value)
                       for name, value in field_texts(b).items() if value)
        changes.append(PointChange("added", b.country, b.role, b.emails[0], None, b, fields))
    for i in removed:
        a = old_cps[i]
        changes.append(PointChange("removed", a.country, a.role, a.emails[0], a, None))
    order = {"changed": 0, "added": 1, "removed": 2}
    changes.sort(key=lambda c: (c.country, c.role != "primary", c.address, order[c.kind]))
    return DirectoryDiff(tuple(changes), unchanged, len(new_cps))


# ---------------------------------------------------------------- applying


def apply(session: Session, new: Directory, actor: str, now: datetime,
          *, source: str | None = None) -> DirectoryDiff:
    """Replace the directory in the database by `new`, in the caller's transaction.

    Rows of contact points that stay keep their id and `created_at` (cases point at them);
    `changed_at` moves only when a field really changed. Records `directory_imported` and one
    `directory_changed` event per contact point added, removed or changed.
    """
    if session.get_bind().dialect.name == "postgresql":
        # Two imports at once would otherwise race on the addresses' unique index.
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _IMPORT_LOCK})
    rows = _rows(session)
    old_cps = [_contact_point(r) for r in rows]
    new_cps = new.contact_points
    pairs, removed, added = _pair(old_cps, new_cps)
    result = _diff_from(old_cps, new_cps, pairs, removed, added)

    # Addresses may move between contact points: free every address that changes first.
    for i in removed:
        session.delete(rows[i])
    for i, j in pairs:
        if old_cps[i].emails != new_cps[j].emails:
            rows[i].emails.clear()
    session.flush()

    for i, j in pairs:
        if old_cps[i] != new_cps[j]:
            row = rows[i]
            if not row.emails:
                row.emails = _email_rows(new_cps[j])
            _set_fields(row, new_cps[j])
            if _field_changes(old_cps[i], new_cps[j]):
                row.changed_at = now
    for j in added:
        row = ContactPointRow(created_at=now, changed_at=now, emails=_email_rows(new_cps[j]))
        _set_fields(row, new_cps[j])
        session.add(row)
    session.flush()

    c = result.counts()
    audit.record(session, "directory_imported", at=now, actor=actor, source=source,
                 contact_points=c["contact_points"], added=c["added"], removed=c["removed"],
                 changed=c["changed"], unchanged=c["unchanged"])
    for change in result.changes:
        audit.record(session, "directory_changed", at=now, actor=actor, change=change.kind,
                     country=change.country, role=change.role, address=change.address,
                     fields=[{"field": f.field, "old": f.old, "new": f.new}
                             for f in change.fields])
    log.info("directory_imported", actor=actor, source=source, **result.counts())
    return result


def _email_rows(cp: ContactPoint) -> list[ContactEmail]:
    return [ContactEmail(address=a, position=n) for n, a in enumerate(cp.emails)]


def _set_fields(row: ContactPointRow, cp: ContactPoint) -> None:
    row.country = cp.country
    row.authority = cp.authority
    row.role = cp.role
    row.timezone = cp.timezone
    row.office_hours = cp.office_hours
    row.office_phone = cp.office_phone
    row.after_hours_phone = cp.after_hours_phone
    row.languages = list(cp.languages)
    row.retention = dict(cp.retention)
    row.preservation_days = cp.preservation_days


# ---------------------------------------------------------------- questions


@dataclass(frozen=True)
class StoredPoint:
    """A contact point with its bookkeeping: when it was added and last changed."""

    contact_point: ContactPoint
    created_at: datetime
    changed_at: datetime

    def to_confirm(self, now: datetime) -> bool:
        return now - self.changed_at > CONFIRM_AFTER


def stored_points(session: Session) -> list[StoredPoint]:
    """Every contact point with its dates, in country order."""
    return [StoredPoint(_contact_point(r), r.created_at, r.changed_at) for r in _rows(session)]


def to_confirm(session: Session, now: datetime) -> list[StoredPoint]:
    """Contact points whose details last changed more than a year before `now`."""
    return [p for p in stored_points(session) if p.to_confirm(now)]


# ---------------------------------------------------------------- the configured file


def read_file(path: Path) -> Directory:
    """Read and validate a directory file; an unreadable file is a DirectoryError too."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DirectoryError([f"cannot read {path}: {exc.strerror}"]) from exc
    return load_file(path.name, data)


def reload_from_file(sessions: sessionmaker[Session], path: Path, actor: str,
                     now: datetime) -> DirectoryDiff | None:
    """Import the configured directory file (at start and on SIGHUP).

    A file that cannot be read or is refused leaves the directory as it was, logs
    `directory_reload_failed` with every problem and raises the `directory_refused`
    condition (status, alert, digest); returns None then. A good import clears it.
    """
    try:
        new = read_file(path)
    except DirectoryError as exc:
        log.error("directory_reload_failed", path=str(path), problems=exc.problems)
        with sessions() as session, session.begin():
            kept = int(session.scalar(select(func.count(ContactPointRow.id))) or 0)
            conditions.report(session, conditions.DIRECTORY_REFUSED, str(path),
                              exc.problems[0] if exc.problems else "refused", now=now,
                              problems=exc.problems[:20], contact_points=kept)
        return None
    with sessions() as session, session.begin():
        result = diff(load_directory(session), new)
        if not result.empty:
            apply(session, new, actor, now, source=str(path))
        conditions.clear(session, conditions.DIRECTORY_REFUSED, now=now, source=str(path))
    log.info("directory_reloaded", path=str(path), **result.counts())
    return result
